from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "servicecycle.surveys"
    label = "surveys"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from servicecycle.cycles.queries import register_evidence_source, register_health_source
        from servicecycle.surveys.health import satisfaction_evidence, satisfaction_signals

        register_health_source("surveys", satisfaction_signals)
        register_evidence_source("satisfaction", satisfaction_evidence)

        from servicecycle.core import events
        from servicecycle.surveys.actions.invitations import on_case_closed, on_promise_kept

        events.case_closed.connect(on_case_closed, dispatch_uid="surveys.invite_after_case_closed")
        events.promise_kept.connect(on_promise_kept, dispatch_uid="surveys.invite_after_promise_kept")

        from servicecycle.accounts import customer_history, personal_data
        from servicecycle.surveys import personal_data as surveys_personal_data
        from servicecycle.surveys.queries import customer_responses_export, customer_responses_history

        personal_data.register("surveys", collect=customer_responses_export, erase=surveys_personal_data.anonymize)
        customer_history.register("responses", source=customer_responses_history, capability="survey.view")
