"""Every free-text box of the staff and public forms has a length limit, like the API's fields (20,000 characters):
a pasted book is refused with a clear message on its field instead of being stored and shown in full."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from django import forms

import servicecycle
from servicecycle.core.validation import LONG_TEXT


def _form_classes() -> list[type[forms.BaseForm]]:
    found: dict[str, type[forms.BaseForm]] = {}
    for module_info in pkgutil.walk_packages(servicecycle.__path__, "servicecycle."):
        if not module_info.name.rsplit(".", 1)[-1].startswith(("forms", "public_forms")):
            continue
        module = importlib.import_module(module_info.name)
        for name, value in vars(module).items():
            if inspect.isclass(value) and issubclass(value, forms.BaseForm) and value.__module__ == module.__name__:
                found[f"{module.__name__}.{name}"] = value
    return list(found.values())


def test_the_forms_are_found() -> None:
    names = {f.__name__ for f in _form_classes()}
    assert {"MessageForm", "NewCaseForm"} <= names, names


def test_every_text_box_has_a_length_limit() -> None:
    unlimited = [
        f"{form.__module__}.{form.__name__}.{name}"
        for form in _form_classes()
        for name, field in form.base_fields.items()
        if isinstance(field, forms.CharField)
        and isinstance(field.widget, forms.Textarea)
        and not (field.max_length and field.max_length <= LONG_TEXT)
    ]
    assert not unlimited, f"text boxes without a length limit: {unlimited}"


def test_every_date_box_is_the_browsers_date_picker_with_an_iso_value() -> None:
    """<input type="date"> only takes yyyy-mm-dd: a date written the language's way (07.12.2026) is dropped by the
    browser, so a Russian or Spanish user saw the field empty and lost a saved date on the next save."""
    import datetime as dt

    from django.utils import translation

    from servicecycle.core.widgets import DateInput

    fields = [
        f"{form.__module__}.{form.__name__}.{name}"
        for form in _form_classes()
        for name, field in form.base_fields.items()
        if isinstance(field, forms.DateField) and not isinstance(field, forms.DateTimeField)
    ]
    assert len(fields) >= 8, fields
    wrong = [
        f"{form.__module__}.{form.__name__}.{name}"
        for form in _form_classes()
        for name, field in form.base_fields.items()
        if isinstance(field, forms.DateField)
        and not isinstance(field, forms.DateTimeField)
        and not isinstance(field.widget, DateInput)
    ]
    assert not wrong, f"date fields without the ISO date picker: {wrong}"
    for language in ("ru", "es", "ms", "en"):
        with translation.override(language):
            html = DateInput().render("day", dt.date(2026, 12, 7))
        assert 'type="date"' in html and 'value="2026-12-07"' in html, (language, html)
