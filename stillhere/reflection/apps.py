from django.apps import AppConfig


class ReflectionConfig(AppConfig):
    name = "stillhere.reflection"
    label = "reflection"
