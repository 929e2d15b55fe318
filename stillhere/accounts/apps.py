from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "stillhere.accounts"
    label = "accounts"
