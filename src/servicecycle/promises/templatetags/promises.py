"""Template helpers of the promise pages: state badges, rates, and the case page's promises."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django import template
from django.utils.translation import gettext_lazy as _

from servicecycle.promises.models import State

register = template.Library()

# a word per state for the badge's class (the state's name is always written out, colour only adds to it)
STATE_TONES = {
    State.DRAFT: "neutral",
    State.AWAITING: "waiting",
    State.CONFIRMED: "good",
    State.DECLINED: "warning",
    State.GIVEN: "info",
    State.KEPT: "good",
    State.BROKEN: "bad",
    State.WITHDRAWN: "neutral",
}


@register.filter
def state_tone(state: str) -> str:
    return STATE_TONES.get(state, "neutral")  # type: ignore[call-overload]


@register.filter
def percent(value: Any) -> str:
    """0.8125 -> "81%"; None -> "" (the template says why there is no rate)."""
    if value is None:
        return ""
    return f"{round(float(value) * 100)}%"


@register.filter
def minutes_duration(value: Any) -> str:
    """A number of minutes as "45 min", "3 h 20 min" or "2 d 4 h"."""
    if value is None:
        return ""
    minutes = round(float(value))
    if minutes < 60:
        return str(_("%(m)d min") % {"m": minutes})
    hours, rest = divmod(minutes, 60)
    if hours < 24:
        return str(_("%(h)d h %(m)d min") % {"h": hours, "m": rest}) if rest else str(_("%(h)d h") % {"h": hours})
    days, hours = divmod(hours, 24)
    return str(_("%(d)d d %(h)d h") % {"d": days, "h": hours})


@register.inclusion_tag("promises/_state_badge.html")
def promise_state(promise: Any) -> dict[str, Any]:
    """The state badge, with the unconfirmed flag written out next to it when the promise was given unconfirmed."""
    return {"promise": promise, "tone": state_tone(promise.state), "label": State(promise.state).label}


@register.inclusion_tag("promises/_case_promises.html")
def case_promises(case: Any) -> dict[str, Any]:
    """The promises section of a case's public status page, in the case organization's time zone."""
    from servicecycle.promises import queries
    from servicecycle.promises.views import PUBLIC_STATE_TEXT

    # only what the customer has been told: drafts and requests to the team stay internal
    promises = [p for p in queries.promises_for_case(case) if p.given_at is not None]
    try:
        zone = case.organization.time_zone
        ZoneInfo(zone)
    except (ValueError, KeyError, AttributeError):
        zone = "UTC"
    return {
        "promises": [(p, PUBLIC_STATE_TEXT.get(p.state, "")) for p in promises],
        "time_zone": zone,
    }
