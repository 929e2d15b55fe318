from django.apps import AppConfig


class PracticeConfig(AppConfig):
    name = "stillhere.practice"
    label = "practice"
    verbose_name = "Running the practice: settings and people"
