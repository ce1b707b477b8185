from django.apps import AppConfig


class StrategyConfig(AppConfig):
    name = "servicecycle.strategy"
    label = "strategy"
    default_auto_field = "django.db.models.BigAutoField"
