"""Prometheus metrics: what django-prometheus measures (requests, latency), plus our own.

Two kinds of our own metrics, for two kinds of facts:

- **Database gauges**, read when Prometheus scrapes `/metrics`: facts that live in the database and so are the same
  whichever process answers (task queue depth, open cases, breached deadlines). Register one with
  `@database_gauge(name, documentation, labelnames)` on a function returning `(label values, value)` pairs.
- **Counters** of events seen by the process that answers (`define_counter` once at import, then
  `count(name, labels)`). Each process counts its own; Prometheus sums the processes it scrapes. An event that
  happens in a background worker is never scraped (the worker serves no HTTP): record it in the database and
  expose it as a database gauge instead.

All our names start with `servicecycle_`. Access to `/metrics` is limited: see `metrics_view`.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import prometheus_client
from django.conf import settings
from django.db.models import Case, Count, F, Min, When
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult, DBTaskResultQuerySet, get_date_max
from prometheus_client import multiprocess
from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from servicecycle.core.health import discard_broken_connection

logger = logging.getLogger(__name__)

PREFIX = "servicecycle_"

GaugeSamples = Iterable[tuple[Sequence[str], float]]


@dataclass(frozen=True)
class DatabaseGauge:
    name: str
    documentation: str
    labelnames: tuple[str, ...]
    read: Callable[[], GaugeSamples]


_database_gauges: dict[str, DatabaseGauge] = {}
_counters: dict[str, tuple[prometheus_client.Counter, tuple[str, ...]]] = {}
_lock = threading.Lock()


def _full_name(name: str) -> str:
    return name if name.startswith(PREFIX) else PREFIX + name


def database_gauge(
    name: str, documentation: str, labelnames: Sequence[str] = ()
) -> Callable[[Callable[[], GaugeSamples]], Callable[[], GaugeSamples]]:
    """Register a gauge computed from the database at each scrape; the function yields (label values, value)."""

    def register(read: Callable[[], GaugeSamples]) -> Callable[[], GaugeSamples]:
        full = _full_name(name)
        with _lock:
            _database_gauges[full] = DatabaseGauge(full, documentation, tuple(labelnames), read)
        return read

    return register


def define_counter(name: str, documentation: str, labelnames: Sequence[str] = ()) -> prometheus_client.Counter:
    """Declare an in-process counter (once; declaring it again with the same labels returns the same counter)."""
    full = _full_name(name)
    with _lock:
        if full in _counters:
            counter, known_labels = _counters[full]
            if known_labels != tuple(labelnames):
                raise ValueError(f"counter {full} is already defined with labels {known_labels}")
            return counter
        counter = prometheus_client.Counter(full, documentation, labelnames)
        _counters[full] = (counter, tuple(labelnames))
        return counter


def count(name: str, labels: Mapping[str, str] | None = None, amount: float = 1) -> None:
    """Add to a counter declared with `define_counter`, e.g. count("imports_rejected", {"kind": "survey"})."""
    full = _full_name(name)
    if full not in _counters:
        raise LookupError(f"counter {full} is not defined: call define_counter() where the module is imported")
    counter, _labelnames = _counters[full]
    (counter.labels(**labels) if labels else counter).inc(amount)


class DatabaseCollector:
    """Reads every registered database gauge; a failing one is left out and reported by `..._database_up`."""

    def collect(self) -> Iterable[Metric]:
        with _lock:
            gauges = list(_database_gauges.values())
        database_up = 1
        for gauge in gauges:
            family = GaugeMetricFamily(gauge.name, gauge.documentation, labels=gauge.labelnames)
            try:
                for label_values, value in gauge.read():
                    family.add_metric(list(label_values), value)
            except Exception:
                logger.warning("metrics: reading %s from the database failed", gauge.name, exc_info=True)
                discard_broken_connection()
                database_up = 0
                continue
            yield family
        yield GaugeMetricFamily(
            PREFIX + "metrics_database_up",
            "1 when every database gauge could be read at this scrape, 0 when one failed.",
            value=database_up,
        )


# -- who may read /metrics -------------------------------------------------------------------------------------

TRUSTED_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in ("127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "::1/128", "fc00::/7")
)


def is_trusted_address(address: str) -> bool:
    """Loopback or a private (RFC 1918 / unique local) address."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in TRUSTED_NETWORKS)


def client_address(request: HttpRequest) -> str:
    """The address to judge: behind a proxy on a trusted address, the last X-Forwarded-For hop (the one it added)."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and is_trusted_address(remote):
        return forwarded.rsplit(",", 1)[-1].strip()
    return remote


def has_metrics_token(request: HttpRequest) -> bool:
    expected = getattr(settings, "METRICS_TOKEN", "") or ""
    scheme, _, offered = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if not expected or scheme.lower() != "bearer" or not offered.strip():
        return False
    return hmac.compare_digest(offered.strip().encode(), expected.encode())


def may_read_metrics(request: HttpRequest) -> bool:
    return is_trusted_address(client_address(request)) or has_metrics_token(request)


def process_registry() -> prometheus_client.CollectorRegistry:
    """The request and counter metrics to expose: this process's own, or, under `servicecycle serve` with several
    gunicorn workers (PROMETHEUS_MULTIPROC_DIR set), every worker's, merged from their files, so a scrape that
    lands on any one worker sees the whole app instead of that worker's share."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return prometheus_client.REGISTRY
    registry = prometheus_client.CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus text format; from loopback/private addresses, or with `Authorization: Bearer $METRICS_TOKEN`."""
    if not may_read_metrics(request):
        return JsonResponse({"error": "forbidden"}, status=403)
    body = prometheus_client.generate_latest(process_registry())
    body += prometheus_client.generate_latest(DatabaseCollector())
    return HttpResponse(body, content_type=prometheus_client.CONTENT_TYPE_LATEST)


# -- the background task queue (django-tasks database backend) ----------------------------------------------------
# Rows in READY state are either due (run_after passed, or none given: stored as the far-future "date max") and
# waiting for a worker, or scheduled for later (deadline checks). RUNNING rows are held by a worker.


def _ready_and_due() -> DBTaskResultQuerySet:
    return DBTaskResult.objects.ready().order_by()


@database_gauge(
    "task_queue_depth",
    "Background tasks ready to run now and waiting for a worker, by queue.",
    labelnames=("queue",),
)
def task_queue_depth() -> GaugeSamples:
    rows = _ready_and_due().values_list("queue_name").annotate(n=Count("id"))
    return [((queue,), float(n)) for queue, n in rows]


@database_gauge(
    "task_queue_oldest_due_age_seconds",
    "Seconds the longest-waiting ready task has been due, by queue (how far the workers are behind).",
    labelnames=("queue",),
)
def task_queue_oldest_due_age() -> GaugeSamples:
    # a task enqueued without run_after is due since it was enqueued; a scheduled one since its run_after
    due_since = Case(When(run_after=get_date_max(), then=F("enqueued_at")), default=F("run_after"))
    rows = _ready_and_due().values_list("queue_name").annotate(oldest=Min(due_since))
    now = timezone.now()
    return [((queue,), max(0.0, (now - oldest).total_seconds())) for queue, oldest in rows if oldest is not None]


@database_gauge(
    "tasks_scheduled",
    "Background tasks waiting for their run-after time (deadline checks, reminders), by queue.",
    labelnames=("queue",),
)
def tasks_scheduled() -> GaugeSamples:
    rows = (
        DBTaskResult.objects.filter(status=TaskResultStatus.READY, run_after__gt=timezone.now())
        .exclude(run_after=get_date_max())
        .order_by()
        .values_list("queue_name")
        .annotate(n=Count("id"))
    )
    return [((queue,), float(n)) for queue, n in rows]


@database_gauge("tasks_running", "Background tasks a worker is running now, by queue.", labelnames=("queue",))
def tasks_running() -> GaugeSamples:
    rows = DBTaskResult.objects.running().order_by().values_list("queue_name").annotate(n=Count("id"))
    return [((queue,), float(n)) for queue, n in rows]
