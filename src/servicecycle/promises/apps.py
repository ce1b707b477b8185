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

        from servicecycle.accounts import customer_history, personal_data
        from servicecycle.promises import personal_data as promises_personal_data
        from servicecycle.promises.queries import customer_promises_export, customer_promises_history

        personal_data.register("promises", collect=customer_promises_export, erase=promises_personal_data.anonymize)
        customer_history.register("promises", source=customer_promises_history, capability="case.view")
