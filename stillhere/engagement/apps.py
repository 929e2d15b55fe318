from django.apps import AppConfig


class EngagementConfig(AppConfig):
    name = "stillhere.engagement"
    label = "engagement"
