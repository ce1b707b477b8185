"""A customer's survey answers in their personal-data export and erasure.

Registered with ``servicecycle.accounts.personal_data`` in ``SurveysConfig.ready()``. A customer's responses are
those naming the customer, and those sent through an invitation to the customer's email address without naming a
customer, in the same organization (``queries.customer_responses``). The erasure keeps every score (the results and
their counts stay as they were) and replaces what the customer wrote; their invitations lose the email address,
and answers saved but never sent (drafts under those invitations) are deleted.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models import Q

from servicecycle.accounts.models import Customer
from servicecycle.accounts.personal_data import ERASED
from servicecycle.core import audit
from servicecycle.surveys.models import Answer, Draft, Invitation, Survey
from servicecycle.surveys.queries import customer_responses


def anonymize(customer: Customer, *, acting_user: Any = None) -> dict[str, Any]:
    responses = list(customer_responses(customer).values_list("pk", "survey_id"))
    texts = Answer.objects.filter(response_id__in=[pk for pk, _survey in responses], text__isnull=False).exclude(
        text=""
    )
    per_survey = Counter(
        survey_id for (survey_id,) in texts.values_list("response__survey_id").order_by()
    )  # comments per survey, for the audit trail
    comments = texts.update(text=ERASED)  # still a comment: the results' comment counts stay right
    mine = Q(customer=customer)
    if customer.email:
        mine |= Q(email__iexact=customer.email)
    invitations = Invitation.objects.filter(mine, survey__organization_id=customer.organization_id)
    drafts, _per_model = Draft.objects.filter(
        key__in=invitations.values("token_hash"), submitted_at__isnull=True
    ).delete()
    invited = invitations.exclude(email="").update(email="")
    answered = Counter(survey_id for _pk, survey_id in responses)
    for survey in Survey.objects.filter(pk__in=answered):
        audit.record(
            actor=acting_user,
            organization_id=survey.organization_id,
            verb="survey.personal_data_erased",
            obj=survey,
            changes={"responses": answered[survey.pk], "comments": per_survey.get(survey.pk, 0)},
        )
    return {"responses": len(responses), "comments": comments, "invitations": invited, "drafts": drafts}
