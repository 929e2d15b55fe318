from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "stillhere.clients"
    label = "clients"

    def ready(self):
        from django.db.models.signals import post_save

        from .models import Client
        from .name_index import on_client_saved

        # Every save of a client (and a fixture's raw save) keeps the name index current.
        post_save.connect(on_client_saved, sender=Client, dispatch_uid="clients-name-index")
