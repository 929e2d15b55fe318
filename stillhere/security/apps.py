from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "stillhere.security"
    label = "security"
