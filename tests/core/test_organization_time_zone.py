"""Staff pages show times in the organization's time zone, whichever page it is (OrganizationTimeZoneMiddleware)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.urls import reverse

from servicecycle.cases.models import Case
from tests.cases import builders
from tests.factories import World


def test_a_case_received_at_nine_utc_shows_five_pm_in_kuala_lumpur(world: World, client_for: Any) -> None:
    case = builders.complaint(world).case
    Case.objects.filter(pk=case.pk).update(received_at=datetime(2026, 3, 4, 9, 0, tzinfo=UTC))
    client = client_for("agent")
    assert "09:00" in client.get(reverse("case-detail", kwargs={"pk": case.pk})).content.decode()  # UTC organization

    world.org.time_zone = "Asia/Kuala_Lumpur"
    world.org.save(update_fields=["time_zone"])
    for url in (reverse("case-detail", kwargs={"pk": case.pk}), reverse("case-inbox") + "?status=all"):
        html = client.get(url).content.decode()
        assert "17:00" in html and "09:00" not in html, url
