from __future__ import annotations

from typing import Any

from django import template
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

register = template.Library()


@register.simple_tag(takes_context=True)
def query_with(context: dict[str, Any], **changes: Any) -> str:
    """The current query string with some parameters replaced (for pagination and sorting links)."""
    request = context["request"]
    params: QueryDict = request.GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def minutes_as_time(value: int) -> str:
    return f"{value // 60:02d}:{value % 60:02d}"


VERB_LABELS = {
    "organization.updated": _("changed the organization profile"),
    "organization.hours_changed": _("changed the working hours"),
    "organization.date_set": _("set a closure or working date"),
    "organization.date_removed": _("removed a closure or working date"),
    "team.created": _("created the team"),
    "team.updated": _("changed the team"),
    "team.deleted": _("deleted the team"),
    "staff.created": _("added the staff member"),
    "staff.updated": _("changed the staff member"),
    "customer.created": _("added the customer"),
    "customer.updated": _("changed the customer"),
    "api_token.created": _("created an API token"),
    "api_token.revoked": _("revoked an API token"),
    "service.created": _("created the service"),
    "service.updated": _("changed the service"),
    "decision.recorded": _("recorded an offering decision"),
    "moment.added": _("added the moment"),
    "moment.updated": _("changed the moment"),
    "moment.removed": _("removed the moment"),
    "cycle.reordered": _("reordered the cycle"),
}


@register.filter
def verb_label(verb: str) -> str:
    """A readable, translated sentence for an audit event's verb (the code itself when unknown)."""
    return str(VERB_LABELS.get(verb, verb))
