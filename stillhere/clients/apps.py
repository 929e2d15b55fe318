from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "stillhere.clients"
    label = "clients"
