from __future__ import annotations

from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from servicecycle.accounts.models import Role, Staff
from servicecycle.analytics.reports import service_feedback
from servicecycle.catalog.models import OfferingDecision, Service
from servicecycle.cycles.models import Moment
from servicecycle.demo.data import DEMO_PASSWORD
from servicecycle.strategy.models import DemandPeriod, StageChange
from servicecycle.strategy.queries import service_lifecycle


def _counts() -> tuple[int, ...]:
    return (
        Service.objects.count(),
        Moment.objects.count(),
        Staff.objects.count(),
        OfferingDecision.objects.count(),
        DemandPeriod.objects.count(),
        StageChange.objects.count(),
    )


def test_seed_demo_loads_both_businesses_and_running_it_again_changes_nothing(db: None) -> None:
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    first = _counts()
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert _counts() == first
    retailer = Service.objects.filter(organization__slug="stonebridge")
    assert retailer.count() >= 4
    for service in Service.objects.all():
        assert 8 <= service.moments.count() <= 12, service.name
        assert service.decisions.count() == 1
    roles = set(Staff.objects.filter(organization__slug="stonebridge").values_list("role", flat=True))
    assert roles == set(Role.values)
    assert {"Home delivery", "Installation", "Materials pick-up"} <= set(retailer.values_list("name", flat=True))
    assert Staff.objects.filter(organization__slug="klinik-senyum").exists()
    feedback = service_feedback(retailer.get(name="Home delivery"))
    assert feedback.nps is not None and feedback.nps.n == 150
    assert [name for name, _result in feedback.nps_by_wave] == ["Q2 2026", "Q3 2026"]
    assert feedback.ipa is not None and feedback.competitor == "Rapid Build Depot"
    stages = {name: service_lifecycle(retailer.get(name=name)).stage for name in EXPECTED_STAGES}
    assert stages == EXPECTED_STAGES
    installation = StageChange.objects.filter(service__name="Installation").order_by("id")
    assert [(c.from_stage, c.to_stage) for c in installation] == [("", "introduction"), ("introduction", "growth")]


EXPECTED_STAGES = {
    "Home delivery": "growth",
    "Materials pick-up": "maturity",
    "Returns and exchanges": "decline",
    "Installation": "growth",
}


def test_every_demo_login_works_with_the_printed_password(db: None) -> None:
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    request = RequestFactory().post("/accounts/login/")
    for staff in Staff.objects.select_related("user"):
        assert authenticate(request, username=staff.user.username, password=DEMO_PASSWORD) == staff.user
