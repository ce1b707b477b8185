from django.apps import AppConfig


class CyclesConfig(AppConfig):
    name = "servicecycle.cycles"
    label = "cycles"
    default_auto_field = "django.db.models.BigAutoField"
