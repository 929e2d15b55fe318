from django.apps import AppConfig


class IngestConfig(AppConfig):
    name = "stillhere.ingest"
    verbose_name = "Import"
