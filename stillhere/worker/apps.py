from django.apps import AppConfig


class WorkerConfig(AppConfig):
    name = "stillhere.worker"
    label = "worker"
