from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "stillhere.accounts"
    label = "accounts"

    def ready(self):
        from . import admin, signin

        signin.connect()
        admin.register_unlock()
