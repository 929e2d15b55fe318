from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "stillhere.api"
    label = "api"
    verbose_name = "REST API"
