from __future__ import annotations

from django import forms

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
