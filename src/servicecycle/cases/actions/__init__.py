"""Every write to cases goes through these functions.

``intake`` receives cases and holds the per-organization configuration (categories, SLA policies),
``handling`` the ISO 10002 steps and the customer's own steps, ``deadlines`` the SLA warnings and
escalations. Import them from here: ``from servicecycle.cases import actions``.
"""

from servicecycle.cases.actions._common import TRANSITIONS
from servicecycle.cases.actions.deadlines import (
    Handled,
    due_case_ids,
    escalate,
    handle_deadline,
    postpone,
    recompute_open_deadlines,
)
from servicecycle.cases.actions.handling import (
    acknowledge,
    add_message,
    assess,
    assign,
    close,
    communicate,
    customer_add_information,
    decide_response,
    rate_satisfaction,
    reopen,
    resume,
    wait_for_customer,
)
from servicecycle.cases.actions.intake import CreatedCase, create_case, create_category, hash_token, set_sla_policy

__all__ = [
    "TRANSITIONS",
    "CreatedCase",
    "Handled",
    "acknowledge",
    "add_message",
    "assess",
    "assign",
    "close",
    "communicate",
    "create_case",
    "create_category",
    "customer_add_information",
    "decide_response",
    "due_case_ids",
    "escalate",
    "handle_deadline",
    "hash_token",
    "postpone",
    "rate_satisfaction",
    "recompute_open_deadlines",
    "reopen",
    "resume",
    "set_sla_policy",
    "wait_for_customer",
]
