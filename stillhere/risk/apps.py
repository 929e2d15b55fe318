from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "stillhere.risk"
    label = "risk"
