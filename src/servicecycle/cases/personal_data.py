"""The cases' part of a customer's personal data: export it, and erase it keeping the case statistics.

Registered with ``servicecycle.accounts.personal_data`` in ``CasesConfig.ready()``. A customer's cases are those
linked to the customer, and those sent without a customer record from the customer's email address (the public
form and inbound mail do not create customers) in the same organization.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet

from servicecycle.accounts.models import Customer
from servicecycle.accounts.personal_data import ERASED, iso, scrub_audit
from servicecycle.cases.models import Case, CaseAttachment, CaseMessage
from servicecycle.core import audit

# audit-trail keys of case events that can hold what the customer wrote or who they are
PERSONAL_AUDIT_KEYS = (
    "customer",
    "contact_name",
    "contact_email",
    "subject",
    "description",
    "hotline_caller",
    "hotline_notes",
    "reason",
    "satisfaction_comment",
    "attachments",
)


def cases_of(customer: Customer) -> QuerySet[Case]:
    match = Q(customer=customer)
    if customer.email:
        match |= Q(customer__isnull=True, contact_email__iexact=customer.email)
    return Case.objects.filter(match, organization_id=customer.organization_id).order_by("received_at", "id")


def collect(customer: Customer) -> list[dict[str, Any]]:
    """Every case of the customer with its messages, attachment names and satisfaction answer (three queries)."""
    cases = list(cases_of(customer).select_related("service", "moment", "category"))
    ids = [case.pk for case in cases]
    messages: dict[int, list[dict[str, Any]]] = {}
    for message in CaseMessage.objects.filter(case_id__in=ids).order_by("created_at", "id"):
        messages.setdefault(message.case_id, []).append(
            {"kind": message.kind, "at": iso(message.created_at), "text": message.body}
        )
    files: dict[int, list[dict[str, Any]]] = {}
    for attachment in CaseAttachment.objects.filter(case_id__in=ids).order_by("created_at", "id"):
        files.setdefault(attachment.case_id, []).append(
            {
                "name": attachment.original_name,
                "type": attachment.content_type,
                "size": attachment.size,
                "from_customer": attachment.from_customer,
                "at": iso(attachment.created_at),
            }
        )
    return [
        {
            "reference": case.reference,
            "kind": case.kind,
            "channel": case.channel,
            "status": case.status,
            "service": case.service.name,
            "moment": case.moment.name if case.moment else None,
            "category": case.category.name if case.category else None,
            "contact_name": case.contact_name,
            "contact_email": case.contact_email,
            "subject": case.subject,
            "description": case.description,
            "hotline_caller": case.hotline_caller,
            "hotline_notes": case.hotline_notes,
            "claim_request": case.claim_request,
            "claim_amount": str(case.claim_amount) if case.claim_amount is not None else None,
            "claim_currency": case.claim_currency,
            "outcome": case.outcome,
            "remedy": case.remedy,
            "remedy_amount": str(case.remedy_amount) if case.remedy_amount is not None else None,
            "remedy_currency": case.remedy_currency,
            "received_at": iso(case.received_at),
            "closed_at": iso(case.closed_at),
            "satisfaction": {
                "score": case.satisfaction_score,
                "comment": case.satisfaction_comment,
                "at": iso(case.satisfaction_at),
            }
            if case.satisfaction_score is not None
            else None,
            "messages": messages.get(case.pk, []),
            "attachments": files.get(case.pk, []),
        }
        for case in cases
    ]


def anonymize(customer: Customer, *, acting_user: Any = None) -> dict[str, Any]:
    """Replace what the customer wrote and their contact details on each of their cases, delete the cases' files,
    keep kind, channel, service, moment, category, dates, status, outcome, remedy and scores."""
    cases = list(cases_of(customer).select_for_update())
    files: list[tuple[Any, str]] = []
    for case in cases:
        fields = {
            "contact_name": "",
            "contact_email": "",
            "subject": ERASED,
            "description": ERASED,
            "hotline_caller": "",
            "hotline_notes": "",
            "satisfaction_comment": ERASED if case.satisfaction_comment else "",
        }
        Case.objects.filter(pk=case.pk).update(**fields)
        rewritten = CaseMessage.objects.filter(case=case, kind=CaseMessage.Kind.CUSTOMER).update(body=ERASED)
        attachments = list(CaseAttachment.objects.filter(case=case))
        files.extend((a.file.storage, a.file.name) for a in attachments if a.file.name)
        CaseAttachment.objects.filter(case=case).delete()
        scrub_audit(case, PERSONAL_AUDIT_KEYS, f"{case.reference} {ERASED}")
        case.subject = ERASED
        audit.record(
            actor=acting_user,
            organization_id=case.organization_id,
            verb="case.personal_data_erased",
            obj=case,
            changes={"customer_messages": rewritten, "files_deleted": len(attachments)},
        )

    def delete_files() -> None:  # only once the erasure is committed: a deleted file cannot be rolled back
        for storage, name in files:
            storage.delete(name)

    transaction.on_commit(delete_files)
    return {"cases": len(cases), "files_deleted": len(files)}
