"""The audit trail in words: a label for every verb the code records, and the changed fields' names.

One registry for every page that shows audit events (the audit log, the History sections, the case page, the
promise page). tests/core/test_verb_labels.py reads the verbs the code records from the source and fails on a
verb without a label here, so a new verb needs its label in the same change.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# lowercase, past tense, read after the actor's name ("Ana · changed the survey's status")
VERB_LABELS: dict[str, Promise] = {
    # organization, teams, staff, customers, access
    "organization.updated": _("changed the organization profile"),
    "organization.hours_changed": _("changed the working hours"),
    "organization.date_set": _("set a closure or working date"),
    "organization.date_removed": _("removed a closure or working date"),
    "team.created": _("created the team"),
    "team.updated": _("changed the team"),
    "team.deleted": _("deleted the team"),
    "staff.created": _("added the staff member"),
    "staff.updated": _("changed the staff member"),
    "staff.two_step_on": _("turned on two-step sign-in"),
    "staff.two_step_off": _("turned off two-step sign-in"),
    "customer.created": _("added the customer"),
    "customer.updated": _("changed the customer"),
    "customer.exported": _("exported the customer's data"),
    "customer.erased": _("erased the customer's personal data"),
    "api_token.created": _("created an API token"),
    "api_token.revoked": _("revoked an API token"),
    # services, strategy, the cycle
    "service.created": _("created the service"),
    "service.updated": _("changed the service"),
    "decision.recorded": _("recorded an offering decision"),
    "strategy.margin_set": _("set the parity margin"),
    "shopping.audit_recorded": _("recorded a comparison-shopping audit"),
    "demand.history_set": _("saved the demand history"),
    "stage.changed": _("recorded a new life-cycle stage"),
    "stage.owner_notified": _("told the owner team of the new life-cycle stage"),
    "self_assessment.recorded": _("recorded a self-assessment"),
    "moment.added": _("added the moment"),
    "moment.updated": _("changed the moment"),
    "moment.removed": _("removed the moment"),
    "cycle.reordered": _("reordered the cycle"),
    # cases
    "case.created": _("received the case"),
    "case.acknowledged": _("acknowledged the case"),
    "case.assessed": _("assessed the case"),
    "case.assigned": _("assigned the case"),
    "case.priority_changed": _("changed the priority"),
    "case.message_added": _("added a message"),
    "case.response_decided": _("decided the response"),
    "case.communicated": _("communicated the response"),
    "case.closed": _("closed the case"),
    "case.reopened": _("reopened the case"),
    "case.paused": _("put the case on hold for the customer"),
    "case.resumed": _("resumed the case"),
    "case.escalated": _("escalated the case"),
    "case.customer_added_information": _("added information (customer)"),
    "case.rated": _("rated the handling (customer)"),
    "case.attachments_added": _("added files"),
    "case.customer_emailed": _("wrote by email (customer)"),
    "case.outcome_accepted": _("accepted the outcome (customer)"),
    "case.personal_data_erased": _("erased the customer's personal data"),
    "promise.personal_data_erased": _("erased the customer's personal data"),
    "survey.personal_data_erased": _("erased the customer's personal data"),
    "case.sla_warning": _("SLA warning"),
    "cases.deadlines_recomputed": _("recalculated the deadlines of open cases"),
    "case_category.created": _("added a case category"),
    "case_category.updated": _("changed a case category"),
    "case_mail.quarantined": _("put an incoming email in quarantine"),
    "case_mail.filed_as_case": _("filed a quarantined email as a case"),
    "case_mail.discarded": _("discarded a quarantined email"),
    "reply_template.created": _("added a reply template"),
    "reply_template.updated": _("changed a reply template"),
    "saved_view.created": _("saved a view"),
    "saved_view.deleted": _("deleted a saved view"),
    "sla_policy.set": _("set the SLA targets"),
    # promises
    "promise.created": _("drafted the promise"),
    "promise.confirmation_requested": _("asked the team to confirm"),
    "promise.confirmed": _("confirmed for the team"),
    "promise.declined": _("declined for the team"),
    "promise.alternative_accepted": _("accepted the team's alternative"),
    "promise.given": _("gave the promise to the customer"),
    "promise.kept": _("marked the promise as kept"),
    "promise.withdrawn": _("withdrew the promise"),
    "promise.broken": _("the promise passed its due time: broken"),
    "promise.recovered": _("recorded a recovery"),
    "promise.escalated": _("escalated"),
    "promise.at_risk": _("flagged as at risk"),
    "promise_calendar.token_issued": _("made a new calendar feed link"),
    # surveys
    "survey.created": _("created the survey"),
    "survey.updated": _("changed the survey"),
    "survey.status_changed": _("changed the survey's status"),
    "survey.public_link_changed": _("changed the public link"),
    "survey.questions_reordered": _("reordered the questions"),
    "survey.invitations_queued": _("sent a round of invitations"),
    "survey.invitation_settings_changed": _("changed the invitation settings"),
    "question.added": _("added a question"),
    "question.updated": _("changed a question"),
    "question.removed": _("removed a question"),
    "attribute.added": _("added an attribute"),
    "attribute.updated": _("changed an attribute"),
    "attribute.removed": _("removed an attribute"),
    "wave.added": _("added a wave"),
    "wave.opened": _("opened a wave"),
    "invitation.created": _("created an invitation"),
    "response.follow_up_opened": _("opened a follow-up case for a response"),
    "responses_exported": _("exported the responses"),
    "responses_import_uploaded": _("uploaded a file of responses"),
    "responses_import_mapped": _("confirmed the column mapping"),
    "responses_imported": _("imported responses"),
    "responses_import_resumed": _("resumed an import of responses"),
    # people
    "candidate.assessed": _("assessed the candidate"),
    "candidate.deleted": _("erased the candidate"),
    "course.created": _("added a course"),
    "course.updated": _("changed a course"),
    "training.completed": _("recorded completed training"),
    "training.imported": _("imported training records"),
    "pulse.opened": _("opened a pulse round"),
    "pulse.closed": _("closed a pulse round"),
    "pulse.answered": _("answered a pulse round"),
}


def verb_label(verb: str) -> str:
    """A readable, translated sentence for an audit event's verb (the code itself when unknown)."""
    return str(VERB_LABELS.get(verb, verb))


@cache
def _verbose_name(object_type: str, name: str) -> Any:
    """The lazy verbose name of the field ``name`` of the model ``object_type`` ("app_label.model"), else None.

    Read from the app registry (no query); cached as the lazy string, so each request still gets its language.
    """
    try:
        model = apps.get_model(object_type)
        found = model._meta.get_field(name)  # the field's name or its column's attname (team / team_id)
    except (LookupError, ValueError, FieldDoesNotExist):
        return None
    return getattr(found, "verbose_name", None)


def field_label(object_type: str, name: str) -> str:
    """A changed field's name in words: the translated verbose name of the event's object's field, else ``name``."""
    label = _verbose_name(object_type or "", str(name))
    return str(label) if label else str(name)


def changed_fields(event: Any) -> list[str]:
    """The names, in words, of the fields an audit event changed."""
    changes = event.changes if isinstance(event.changes, dict) else {}
    return [field_label(event.object_type, name) for name in changes]
