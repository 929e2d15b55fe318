from django.apps import AppConfig


class SimulatorConfig(AppConfig):
    name = "stillhere.simulator"
    label = "simulator"
