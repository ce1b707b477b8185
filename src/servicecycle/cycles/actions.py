"""Every write to a cycle of service (its moments of truth) goes through these functions."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import F, Max
from django.utils.translation import gettext as _

from servicecycle.accounts.permissions import MESSAGE_NOT_ALLOWED, can_edit_cycle, require
from servicecycle.catalog.actions import team_of_organization
from servicecycle.catalog.models import Service
from servicecycle.core import audit
from servicecycle.core.changes import apply_changes, check_version
from servicecycle.core.errors import PermissionDenied
from servicecycle.core.validation import check, fail
from servicecycle.cycles.models import Moment

MOMENT_FIELDS = ("name", "customer_goal", "owner_team", "standard", "target_value", "target_unit", "channel")
MAX_MOMENTS = 60


def _require_cycle_edit(acting_user: Any, service: Service) -> None:
    require(acting_user, "cycle.manage")
    if not can_edit_cycle(acting_user, service.owner_team_id):
        raise PermissionDenied(MESSAGE_NOT_ALLOWED)


def _clean_target(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        target = Decimal(str(value))
    except InvalidOperation:
        raise fail("target_value", _("The target must be a number.")) from None
    if not target.is_finite():
        raise fail("target_value", _("The target must be a number."))
    if target < 0:
        raise fail("target_value", _("The target cannot be negative."))
    return target


def _validate_moment(moment: Moment) -> None:
    moment.name = (moment.name or "").strip()
    if not moment.name:
        raise fail("name", _("Give the moment of truth a name."))
    if moment.target_value is not None and not moment.target_unit:
        raise fail("target_unit", _("Choose the unit the target is measured in."))
    check(moment, exclude=["service", "position"])


@transaction.atomic
def add_moment(
    *,
    acting_user: Any,
    service: Service,
    name: str,
    owner_team_id: Any,
    customer_goal: str = "",
    standard: str = "",
    target_value: Any = None,
    target_unit: str = "",
    channel: str = Moment.Channel.IN_PERSON,
) -> Moment:
    """Append a moment at the end of the cycle (the customer's last contact so far)."""
    _require_cycle_edit(acting_user, service)
    Service.objects.select_for_update().filter(pk=service.pk).first()  # serialize concurrent appends
    last = service.moments.aggregate(last=Max("position"))["last"] or 0
    if service.moments.count() >= MAX_MOMENTS:
        raise fail("name", _("A cycle can hold at most %(n)d moments.") % {"n": MAX_MOMENTS})
    moment = Moment(
        service=service,
        position=last + 1,
        name=name,
        customer_goal=(customer_goal or "").strip(),
        owner_team=team_of_organization(service.organization_id, owner_team_id),
        standard=(standard or "").strip(),
        target_value=_clean_target(target_value),
        target_unit=target_unit or "",
        channel=channel,
    )
    _validate_moment(moment)
    moment.save()
    audit.record(
        actor=acting_user,
        organization_id=service.organization_id,
        verb="moment.added",
        obj=moment,
        scope=service,
        changes=audit.snapshot(moment, ("position", *MOMENT_FIELDS)),
    )
    return moment


@transaction.atomic
def update_moment(*, acting_user: Any, moment: Moment, expected_version: int | None = None, **changes: Any) -> Moment:
    moment = Moment.objects.select_for_update().select_related("service", "owner_team").get(pk=moment.pk)
    _require_cycle_edit(acting_user, moment.service)
    check_version(moment, expected_version)
    if "owner_team_id" in changes:
        changes["owner_team"] = team_of_organization(moment.service.organization_id, changes.pop("owner_team_id"))
    if "target_value" in changes:
        changes["target_value"] = _clean_target(changes["target_value"])
    changed = apply_changes(moment, MOMENT_FIELDS, changes)
    _validate_moment(moment)
    if changed:
        moment.version = F("version") + 1
        moment.save(update_fields=[*changed, "version"])
        moment.refresh_from_db(fields=["version"])
        audit.record(
            actor=acting_user,
            organization_id=moment.service.organization_id,
            verb="moment.updated",
            obj=moment,
            scope=moment.service,
            changes=changed,
        )
    return moment


@transaction.atomic
def remove_moment(*, acting_user: Any, moment: Moment) -> None:
    service = moment.service
    _require_cycle_edit(acting_user, service)
    audit.record(
        actor=acting_user,
        organization_id=service.organization_id,
        verb="moment.removed",
        obj=moment,
        scope=service,
        changes={"name": moment.name, "position": moment.position},
    )
    moment.delete()
    _renumber(service, list(service.moments.order_by("position").values_list("id", flat=True)))


def _renumber(service: Service, ordered_ids: Sequence[int]) -> None:
    """Give the moments positions 1..n in this order (two steps, so the unique position never clashes)."""
    Moment.objects.filter(service=service).update(position=F("position") + 100000)
    moments = [Moment(id=pk, position=index) for index, pk in enumerate(ordered_ids, start=1)]
    Moment.objects.bulk_update(moments, ["position"])


@transaction.atomic
def reorder_moments(*, acting_user: Any, service: Service, moment_ids: Sequence[int]) -> list[int]:
    """Put the cycle in this order; the ids must be exactly the service's moments."""
    _require_cycle_edit(acting_user, service)
    current = list(service.moments.select_for_update().order_by("position").values_list("id", flat=True))
    wanted = [int(pk) for pk in moment_ids]
    if sorted(wanted) != sorted(current) or len(set(wanted)) != len(wanted):
        raise fail(
            "order",
            _("The new order must list every moment of this cycle exactly once. Reload and try again."),
        )
    if wanted != current:
        _renumber(service, wanted)
        names = dict(service.moments.values_list("id", "name"))
        audit.record(
            actor=acting_user,
            organization_id=service.organization_id,
            verb="cycle.reordered",
            obj=service,
            changes={"order": [[names[i] for i in current], [names[i] for i in wanted]]},
        )
    return wanted


def move_moment(*, acting_user: Any, moment: Moment, direction: str) -> list[int]:
    """Move a moment one place earlier ("up") or later ("down"): the keyboard alternative to dragging."""
    service = moment.service
    order = list(service.moments.order_by("position").values_list("id", flat=True))
    index = order.index(moment.pk)
    target = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down"):
        raise fail("direction", _("Move a moment up or down."))
    if 0 <= target < len(order):
        order[index], order[target] = order[target], order[index]
    return reorder_moments(acting_user=acting_user, service=service, moment_ids=order)
