from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "stillhere.analytics"
    label = "analytics"
