from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "stillhere.measures"
    label = "measures"
