"""/metrics: who may read it, and the numbers our product adds (task backlog) next to django-prometheus's own."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import OperationalError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult
from prometheus_client.parser import text_string_to_metric_families

from servicecycle.core import metrics


@task()
def send_reminder(case_id: int) -> None:
    """A stand-in background task: only its queue row matters here."""


def _scrape(client: Client | None = None, **headers: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = (client or Client()).get("/metrics", **headers)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def test_metrics_from_the_machine_itself_show_request_counts_and_latency(db: None) -> None:
    client = Client()
    client.get("/accounts/login/")
    samples = _scrape(client)
    names = {name for name, _labels in samples}
    assert "django_http_requests_total_by_method_total" in names
    assert "django_http_requests_latency_seconds_by_view_method_bucket" in names
    assert samples[("servicecycle_metrics_database_up", ())] == 1.0


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "172.16.9.9", "192.168.0.7", "::1", "fd00::5"])
def test_loopback_and_private_addresses_may_scrape(address: str, db: None) -> None:
    assert Client().get("/metrics", REMOTE_ADDR=address).status_code == 200


@pytest.mark.parametrize("address", ["203.0.113.9", "8.8.8.8", "172.32.0.1", "2001:db8::1", "", "unix-socket"])
def test_anyone_else_is_refused(address: str, db: None) -> None:
    response = Client().get("/metrics", REMOTE_ADDR=address)
    assert response.status_code == 403
    assert b"django_http" not in response.content


@pytest.mark.parametrize(
    "forwarded_for",
    ["203.0.113.9", "10.0.0.1, 203.0.113.9", "127.0.0.1,203.0.113.9"],
)
def test_a_public_caller_behind_the_local_proxy_is_refused(forwarded_for: str, db: None) -> None:
    """nginx on loopback appends the caller's address; a forged address earlier in the list does not count."""
    response = Client().get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded_for)
    assert response.status_code == 403


def test_a_private_caller_behind_the_local_proxy_may_scrape(db: None) -> None:
    response = Client().get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9, 10.0.0.8")
    assert response.status_code == 200


def test_a_public_caller_cannot_claim_a_private_address(db: None) -> None:
    response = Client().get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert response.status_code == 403


def test_the_bearer_token_lets_a_remote_scraper_in(db: None, settings: Any) -> None:
    settings.METRICS_TOKEN = "s3cret-token"
    client = Client()
    assert (
        client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer s3cret-token").status_code == 200
    )
    assert (
        client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="bearer s3cret-token").status_code == 200
    )


@pytest.mark.parametrize("authorization", ["Bearer wrong", "Bearer s3cret-toke", "Basic s3cret-token", "Bearer ", ""])
def test_a_wrong_or_missing_token_is_refused(authorization: str, db: None, settings: Any) -> None:
    settings.METRICS_TOKEN = "s3cret-token"
    response = Client().get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION=authorization)
    assert response.status_code == 403


def test_without_a_configured_token_no_bearer_is_accepted(db: None, settings: Any) -> None:
    settings.METRICS_TOKEN = ""
    response = Client().get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer ")
    assert response.status_code == 403


def test_scrapers_by_bare_address_are_answered_despite_allowed_hosts_and_https_redirect(
    db: None, settings: Any
) -> None:
    settings.ALLOWED_HOSTS = ["servicecycle.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    assert Client().get("/metrics", HTTP_HOST="127.0.0.1:8001").status_code == 200


def test_metrics_url_resolves_by_name() -> None:
    assert reverse("metrics") == "/metrics"


def test_task_queue_gauges_count_due_scheduled_and_running_tasks(db: None) -> None:
    now = timezone.now()
    send_reminder.enqueue(1)
    send_reminder.enqueue(2)
    send_reminder.using(run_after=now - dt.timedelta(minutes=5)).enqueue(3)  # was scheduled, now due
    send_reminder.using(run_after=now + dt.timedelta(hours=2)).enqueue(4)  # deadline check for later
    running = send_reminder.enqueue(5)
    DBTaskResult.objects.filter(pk=running.id).update(status=TaskResultStatus.RUNNING, started_at=now)
    finished = send_reminder.enqueue(6)
    DBTaskResult.objects.filter(pk=finished.id).update(status=TaskResultStatus.SUCCESSFUL, finished_at=now)

    samples = _scrape()
    queue = (("queue", "default"),)
    assert samples[("servicecycle_task_queue_depth", queue)] == 3
    assert samples[("servicecycle_tasks_scheduled", queue)] == 1
    assert samples[("servicecycle_tasks_running", queue)] == 1
    assert 300 <= samples[("servicecycle_task_queue_oldest_due_age_seconds", queue)] < 400


def test_an_empty_queue_has_no_backlog_samples(db: None) -> None:
    samples = _scrape()
    assert not [key for key in samples if key[0].startswith("servicecycle_task")]
    assert samples[("servicecycle_metrics_database_up", ())] == 1.0


@pytest.fixture
def broken_gauge() -> Iterator[None]:
    @metrics.database_gauge("test_broken", "A gauge whose query fails.")
    def broken() -> metrics.GaugeSamples:
        raise OperationalError("server closed the connection unexpectedly")

    yield
    metrics._database_gauges.pop("servicecycle_test_broken")


def test_a_failing_database_gauge_is_left_out_and_reported_not_a_500(db: None, broken_gauge: None) -> None:
    samples = _scrape()
    assert samples[("servicecycle_metrics_database_up", ())] == 0.0
    assert not [key for key in samples if key[0] == "servicecycle_test_broken"]
    assert ("django_http_requests_total_by_method_total", (("method", "GET"),)) in samples


@pytest.fixture
def team_gauge() -> Iterator[None]:
    @metrics.database_gauge("test_open_cases", "Open cases by team.", labelnames=("team",))
    def open_cases() -> metrics.GaugeSamples:
        return [(("Hotline",), 4), (("Field service",), 1)]

    yield
    metrics._database_gauges.pop("servicecycle_test_open_cases")


def test_other_apps_can_add_database_gauges(db: None, team_gauge: None) -> None:
    samples = _scrape()
    assert samples[("servicecycle_test_open_cases", (("team", "Hotline"),))] == 4
    assert samples[("servicecycle_test_open_cases", (("team", "Field service"),))] == 1


def test_counters_are_declared_once_then_counted_by_name(db: None) -> None:
    counter = metrics.define_counter("test_imports_rejected", "Rejected imports by kind.", labelnames=("kind",))
    assert metrics.define_counter("servicecycle_test_imports_rejected", "again", labelnames=("kind",)) is counter
    before = _scrape().get(("servicecycle_test_imports_rejected_total", (("kind", "survey"),)), 0.0)
    metrics.count("test_imports_rejected", {"kind": "survey"})
    metrics.count("test_imports_rejected", {"kind": "survey"}, amount=2)
    assert _scrape()[("servicecycle_test_imports_rejected_total", (("kind", "survey"),))] == before + 3


def test_a_counter_redeclared_with_other_labels_is_an_error() -> None:
    metrics.define_counter("test_label_clash", "Clash.", labelnames=("kind",))
    with pytest.raises(ValueError, match="already defined"):
        metrics.define_counter("test_label_clash", "Clash.", labelnames=("team",))


def test_counting_an_undeclared_counter_says_what_to_do() -> None:
    with pytest.raises(LookupError, match="define_counter"):
        metrics.count("never_declared")


def test_open_and_breached_cases_are_gauges(world: Any) -> None:
    from servicecycle.cases.models import Case
    from tests.cases import builders

    cases = [builders.complaint(world).case for _ in range(3)]
    Case.objects.filter(pk=cases[0].pk).update(sla_state=Case.SlaState.BREACHED, escalation_level=1)
    Case.objects.filter(pk=cases[1].pk).update(sla_state=Case.SlaState.BREACHED, escalation_level=2)
    samples = _scrape()
    assert samples[("servicecycle_cases_sla_breached", (("escalation_level", "1"),))] == 1.0
    assert samples[("servicecycle_cases_sla_breached", (("escalation_level", "2"),))] == 1.0
    open_total = sum(v for (name, _labels), v in samples.items() if name == "servicecycle_cases_open")
    assert open_total == 3.0
