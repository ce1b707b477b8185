from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse
from django.utils.translation import gettext as _

from servicecycle.accounts.models import Organization, Team
from servicecycle.cycles.models import Moment


class MomentForm(forms.ModelForm):
    """Field parsing for the moment editor; the rules themselves live in cycles.actions."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    marked_required = ("name",)  # required, but the action words the message
    owner_team = forms.ModelChoiceField(queryset=Team.objects.none())

    class Meta:
        model = Moment
        fields = ["name", "customer_goal", "owner_team", "channel", "standard", "target_value", "target_unit"]
        widgets = {"target_value": forms.NumberInput(attrs={"step": "any"})}

    def __init__(self, *args: object, organization: Organization | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        owner = self.fields["owner_team"]
        owner.queryset = Team.objects.filter(organization=organization)  # type: ignore[attr-defined]
        owner.label = Moment._meta.get_field("owner_team").verbose_name
        # the action reports these with exact messages; do not stop at the browser's generic ones
        target = self.fields["target_value"]
        assert isinstance(target, forms.DecimalField)
        target.min_value = None
        target.validators = []
        self.fields["name"].required = False
        self.fields["name"].widget.attrs["aria-required"] = "true"

    def _post_clean(self) -> None:  # model validation is the action's job
        pass


class MomentOfServiceField(forms.ModelChoiceField):
    """A moment of truth picked among the moments of the service chosen beside it (see ``follow_service``)."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.position}. {obj.name}"


def follow_service(form: forms.BaseForm, organization_id: int) -> None:
    """Make the form's ``moment`` picker list the moments of the service chosen in its ``service`` picker: on the
    page (htmx asks ``moment-options`` for them when the service changes) and when the form is checked (a moment
    of another service is not a valid choice). A bound form takes the posted service (none posted: no moment can
    be chosen); an unbound one its initial service, else its initial moment's own."""
    service, moment = "service", "moment"
    form.fields[service].widget.attrs.update(
        {
            "hx-get": reverse("moment-options"),
            "hx-target": f"#id_{form.add_prefix(moment)}",
            "hx-trigger": "change",
            "hx-swap": "innerHTML",
        }
    )
    chosen: Any = form.data.get(form.add_prefix(service)) if form.is_bound else form.initial.get(service)
    chosen = getattr(chosen, "pk", chosen)
    if not form.is_bound and chosen in (None, "") and form.initial.get(moment):
        initial_moment = form.initial[moment]
        chosen = (
            Moment.objects.filter(
                pk=getattr(initial_moment, "pk", initial_moment), service__organization_id=organization_id
            )
            .values_list("service_id", flat=True)
            .first()
        )
        form.initial[service] = chosen
    moments = Moment.objects.filter(service__organization_id=organization_id)
    try:
        moments = moments.filter(service_id=int(chosen))
    except (TypeError, ValueError):
        moments = moments.none()
    field = form.fields[moment]
    assert isinstance(field, forms.ModelChoiceField)
    field.queryset = moments.order_by("position")
    field.empty_label = str(_("— not tied to a moment —"))
