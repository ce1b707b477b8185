from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "servicecycle.surveys"
    label = "surveys"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from servicecycle.cycles.queries import register_health_source
        from servicecycle.surveys.health import satisfaction_signals

        register_health_source("surveys", satisfaction_signals)
