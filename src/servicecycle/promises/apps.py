from django.apps import AppConfig


class PromisesConfig(AppConfig):
    name = "servicecycle.promises"
    verbose_name = "Promises"

    def ready(self) -> None:
        from servicecycle.cycles.queries import register_evidence_source, register_health_source
        from servicecycle.promises.queries import broken_promises_evidence, broken_promises_health

        register_health_source("promises", broken_promises_health)
        register_evidence_source("broken_promises", broken_promises_evidence)

        from servicecycle.core import events
        from servicecycle.promises.figures import clock_changed

        events.clock_changed.connect(clock_changed, dispatch_uid="promises.rebuild_figures")
