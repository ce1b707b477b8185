from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "servicecycle.cases"
    label = "cases"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from servicecycle.cases import metrics  # noqa: F401  (registers the cases gauges)
        from servicecycle.cases.reports import complaint_evidence, complaint_signals
        from servicecycle.cycles.queries import register_evidence_source, register_health_source

        register_health_source("cases", complaint_signals)
        register_evidence_source("complaints", complaint_evidence)

        from servicecycle.cases.actions.deadlines import clock_changed
        from servicecycle.core import events

        events.clock_changed.connect(clock_changed, dispatch_uid="cases.recompute_deadlines")

        from servicecycle.accounts import customer_history, personal_data
        from servicecycle.cases import personal_data as cases_personal_data
        from servicecycle.cases.queries import customer_cases

        personal_data.register("cases", collect=cases_personal_data.collect, erase=cases_personal_data.anonymize)
        customer_history.register("cases", source=customer_cases, capability="case.view")
