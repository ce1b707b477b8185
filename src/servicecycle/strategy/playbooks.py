"""What each life-cycle stage looks like and what a service manager should do in it (DOMAIN.md §2)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from servicecycle.strategy.models import Stage


@dataclass(frozen=True)
class Playbook:
    stage: str
    heading: Promise
    summary: Promise
    actions: tuple[Promise, ...]


PLAYBOOKS: dict[str, Playbook] = {
    Stage.INTRODUCTION: Playbook(
        stage=Stage.INTRODUCTION,
        heading=_("Introduction: make the new service work"),
        summary=_(
            "Demand is still small and climbs slowly, while the service itself is not yet settled and finding "
            "people to run it is hard. Promotion costs a lot for each customer won, so effort must go where it "
            "pays back first."
        ),
        actions=(
            _("Settle the details: what exactly is offered, to whom, at what standard for each moment of truth."),
            _("Staff the service and train the first team before demand arrives, not after."),
            _("Make the service easy to reach: fix the channels and outlets through which customers get it."),
            _("Identify the customers most likely to try it first and direct promotion at them."),
            _("Watch the first complaints closely: they show which details are still missing."),
        ),
    ),
    Stage.GROWTH: Playbook(
        stage=Stage.GROWTH,
        heading=_("Growth: grow fast and make the growth last"),
        summary=_(
            "Demand rises quickly and competitors start to offer similar services. The aim is to take as much "
            "of the growth as possible and to stretch this stage for as long as the market allows."
        ),
        actions=(
            _("Add capacity ahead of demand so that quality does not drop as volumes rise."),
            _("Raise service quality where customers judge it most, starting with the critical moments."),
            _("Answer competitors' offers with what makes our service different and harder to copy."),
            _("Take the service to new customer segments while the market is still expanding."),
            _("Shift communication from making the service known to persuading customers to buy it."),
        ),
    ),
    Stage.MATURITY: Playbook(
        stage=Stage.MATURITY,
        heading=_("Maturity: defend the position and renew the offer"),
        summary=_(
            "Growth has slowed and demand holds at a level, while prices come under pressure. Gains now come "
            "from better offers, a sharper marketing set-up and stronger ties with existing customers."
        ),
        actions=(
            _("Look for improved or new versions of the service: test ideas with customers before launching."),
            _("Review how the service is marketed and sold, and drop channels that no longer pay back."),
            _("Strengthen customer relationship management: know the regular customers and keep them."),
            _("Keep promises and standards tight: in a level market a broken promise loses customers for good."),
            _("Check price against competitors and against the value customers perceive."),
        ),
    ),
    Stage.DECLINE: Playbook(
        stage=Stage.DECLINE,
        heading=_("Decline: withdraw or relaunch"),
        summary=_(
            "Demand falls steeply, prices drop and customers can do without the service, so it earns little. "
            "Decide deliberately whether to retire it or to redesign it for a fresh start."
        ),
        actions=(
            _("Measure what the service still earns and costs, including what it does for other services."),
            _("Decide on a date: either a planned withdrawal or a redesign with its own launch plan."),
            _("When withdrawing, tell customers early and offer them an alternative."),
            _("When relaunching, redesign around what today's customers need, not the old offer."),
            _("Move staff and budget to the services that are growing."),
        ),
    ),
}


def playbook_for(stage: str | None) -> Playbook | None:
    return PLAYBOOKS.get(stage) if stage else None
