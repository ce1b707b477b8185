"""Every write to cases goes through these functions.

``intake`` receives cases and holds the per-organization configuration (categories, SLA policies),
``handling`` the ISO 10002 steps and the customer's own steps, ``deadlines`` the SLA warnings and
escalations, ``inbox`` the inbox's own writes (priority, bulk, saved views) and the configuration pages'.
Import them from here: ``from servicecycle.cases import actions``.
"""

from servicecycle.cases.actions._common import TRANSITIONS
from servicecycle.cases.actions.attachments import add_attachments, check_files
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
    customer_accept_outcome,
    customer_add_information,
    decide_response,
    rate_satisfaction,
    reopen,
    resume,
    wait_for_customer,
)
from servicecycle.cases.actions.inbox import (
    BulkRow,
    bulk_update,
    create_reply_template,
    delete_view,
    save_view,
    set_priority,
    update_category,
    update_reply_template,
)
from servicecycle.cases.actions.intake import CreatedCase, create_case, create_category, hash_token, set_sla_policy

__all__ = [
    "TRANSITIONS",
    "BulkRow",
    "CreatedCase",
    "Handled",
    "acknowledge",
    "add_attachments",
    "add_message",
    "assess",
    "assign",
    "bulk_update",
    "check_files",
    "close",
    "communicate",
    "create_case",
    "create_category",
    "create_reply_template",
    "customer_accept_outcome",
    "customer_add_information",
    "decide_response",
    "delete_view",
    "due_case_ids",
    "escalate",
    "handle_deadline",
    "hash_token",
    "postpone",
    "rate_satisfaction",
    "recompute_open_deadlines",
    "reopen",
    "resume",
    "save_view",
    "set_priority",
    "set_sla_policy",
    "update_category",
    "update_reply_template",
    "wait_for_customer",
]
