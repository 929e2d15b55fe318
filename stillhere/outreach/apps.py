from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "stillhere.outreach"
    label = "outreach"
