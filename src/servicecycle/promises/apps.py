from django.apps import AppConfig


class PromisesConfig(AppConfig):
    name = "servicecycle.promises"
    verbose_name = "Promises"

    def ready(self) -> None:
        from servicecycle.cycles.queries import register_health_source
        from servicecycle.promises.queries import broken_promises_health

        register_health_source("promises", broken_promises_health)
