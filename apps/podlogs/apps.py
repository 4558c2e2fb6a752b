from django.apps import AppConfig


class PodLogsConfig(AppConfig):
    name = "apps.podlogs"
    label = "podlogs"
    verbose_name = "Pod logs"
