from django.apps import AppConfig


class DeskConfig(AppConfig):
    """The clinician's day in the browser: acting on the inbox, the composer."""

    name = "stillhere.desk"
    label = "desk"
