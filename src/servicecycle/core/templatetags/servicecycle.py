from __future__ import annotations

from typing import Any

from django import template
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from servicecycle.core import verbs

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


@register.filter
def verb_label(verb: str) -> str:
    """A readable, translated sentence for an audit event's verb (the code itself when unknown)."""
    return verbs.verb_label(verb)


@register.filter
def field_label(name: str, object_type: str) -> str:
    """A changed field's name in words, for an event on ``object_type``: ``{{ name|field_label:e.object_type }}``."""
    return verbs.field_label(object_type, name)


@register.filter
def changed_fields(event: Any) -> list[str]:
    """The names, in words, of the fields an audit event changed."""
    return verbs.changed_fields(event)


def _value_text(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_value_text(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_value_text(v) for v in value)
    return str(value)


@register.filter
def change_text(change: Any) -> str:
    """An audit event's change in words: ``[old, new]`` reads "old → new", texts per language, lists and counts
    spelled out (the history showed ``[None, {'en': 'Delivery feedback'}]``)."""
    if isinstance(change, list | tuple) and len(change) == 2:
        return f"{_value_text(change[0])} → {_value_text(change[1])}"
    return _value_text(change)
