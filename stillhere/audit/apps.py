from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "stillhere.audit"
    label = "audit"

    def ready(self):
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from stillhere.audit import triggers

        connection_created.connect(triggers.register_sqlite_function, dispatch_uid="audit-sqlite-function")
        post_migrate.connect(triggers.reinstall_after_migrate, sender=self, dispatch_uid="audit-triggers")
