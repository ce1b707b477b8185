"""A customer's promises in their personal-data export and erasure.

Registered with ``servicecycle.accounts.personal_data`` in ``PromisesConfig.ready()``. A customer's promises are
those naming the customer, and those made without a customer record to the customer's email address in the same
organization (``queries.customer_promises``). The erasure keeps what the kept-rate figures need (state, dates,
team, service, moment, promiser, escalation) and replaces the customer's contact details and every free text,
which may quote the customer, also in the promises' audit trail.
"""

from __future__ import annotations

from typing import Any

from servicecycle.accounts.models import Customer
from servicecycle.accounts.personal_data import ERASED, scrub_audit
from servicecycle.core import audit
from servicecycle.promises.models import Promise
from servicecycle.promises.queries import customer_promises

TEXT_FIELDS = ("text", "decline_reason", "alternative_text", "unconfirmed_reason", "withdraw_reason", "recovery_note")
PERSONAL_AUDIT_KEYS = ("customer", "customer_name", "customer_email", *TEXT_FIELDS, "reason", "note")


def anonymize(customer: Customer, *, acting_user: Any = None) -> dict[str, Any]:
    promises = list(customer_promises(customer).select_for_update())
    for promise in promises:
        fields: dict[str, Any] = {"customer_name": ERASED, "customer_email": ""}
        fields.update({name: ERASED for name in TEXT_FIELDS if getattr(promise, name)})
        Promise.objects.filter(pk=promise.pk).update(**fields)
        for name, value in fields.items():
            setattr(promise, name, value)
        scrub_audit(promise, PERSONAL_AUDIT_KEYS, ERASED)  # ERASED: what str(promise) now gives
        audit.record(
            actor=acting_user,
            organization_id=promise.organization_id,
            verb="promise.personal_data_erased",
            obj=promise,
            changes={"fields": sorted(fields)},
        )
    return {"promises": len(promises)}
