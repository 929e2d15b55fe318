from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "stillhere.audit"
    label = "audit"
