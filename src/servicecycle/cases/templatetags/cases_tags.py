"""Template helpers of the case pages that must stay fast on every inbox row."""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag
def select_options(pairs: Iterable[tuple[object, object]], selected: object = "") -> SafeString:
    """<option> elements for (value, label) pairs, the selected one marked; built in Python because the inbox
    draws two of these lists on each of its rows, and a template loop per option costs far more."""
    chosen = "" if selected is None else str(selected)
    parts = []
    for value, label in pairs:
        text = str(value)
        mark = " selected" if text == chosen else ""
        parts.append(f'<option value="{escape(text)}"{mark}>{escape(str(label))}</option>')
    return mark_safe("".join(parts))  # noqa: S308 - every value and label is escaped above
