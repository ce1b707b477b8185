"""Health endpoints for load balancers and orchestrators.

- `/healthz` (liveness): the process answers. No database, no session, no sign-in.
- `/readyz` (readiness): the database answers a trivial query and every migration on disk is applied; otherwise
  503 with the failed checks and a Retry-After header. A broken database connection is closed so the next request
  opens a fresh one: once PostgreSQL is back, `/readyz` is 200 again without restarting the app.

`OperationsEndpointsMiddleware` answers these paths (and `/metrics`) before the rest of the middleware runs, so a
probe is never redirected to HTTPS, refused for its Host header (probes use the bare address), or given a session.
The same views are in urls.py too, so they resolve and reverse like every other page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 10


def discard_broken_connection(alias: str = DEFAULT_DB_ALIAS) -> None:
    """Close the connection after a database error so the next query reconnects instead of reusing a dead socket.

    Inside a transaction (only ever the test suite here: requests run in autocommit) closing would end the
    transaction under the caller, so it is left alone there.
    """
    connection = connections[alias]
    if connection.in_atomic_block:
        return
    try:
        connection.close()
    except DatabaseError:
        logger.debug("closing a broken database connection failed", exc_info=True)


def check_database(connection: BaseDatabaseWrapper) -> None:
    """One round trip to the database; raises when it cannot answer."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def pending_migrations(connection: BaseDatabaseWrapper) -> list[str]:
    """Migrations on disk not yet applied to the database, as "app.name", in the order migrate would run them."""
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


@never_cache
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process is up and answering."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness: the database answers and no migration is pending."""
    connection = connections[DEFAULT_DB_ALIAS]
    checks: dict[str, dict[str, Any]] = {}
    try:
        check_database(connection)
        checks["database"] = {"ok": True}
    except Exception as exc:
        logger.warning("readiness: the database did not answer", exc_info=True)
        discard_broken_connection()
        checks["database"] = {"ok": False, "error": type(exc).__name__}
    if checks["database"]["ok"]:
        try:
            pending = pending_migrations(connection)
            checks["migrations"] = {"ok": not pending, "pending": len(pending)}
            if pending:
                logger.warning("readiness: %d migrations are not applied: %s", len(pending), ", ".join(pending))
        except Exception as exc:
            logger.warning("readiness: the migration state could not be read", exc_info=True)
            discard_broken_connection()
            checks["migrations"] = {"ok": False, "error": type(exc).__name__}
    else:
        checks["migrations"] = {"ok": False, "error": "skipped"}
    if all(check["ok"] for check in checks.values()):
        return JsonResponse({"status": "ready", "checks": checks})
    response = JsonResponse({"status": "unavailable", "checks": checks}, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class OperationsEndpointsMiddleware:
    """Answer /healthz, /readyz and /metrics ahead of the security, host, session and sign-in middleware.

    Place it right after the request-id middleware. Probes and scrapers call the app by its bare address over plain
    HTTP; the rest of the stack would refuse the Host or redirect them to HTTPS. None of these views uses the host,
    a session or a user; /metrics checks the caller itself.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        from servicecycle.core.metrics import metrics_view  # metrics imports this module

        self.get_response = get_response
        self.endpoints: dict[str, Callable[[HttpRequest], HttpResponse]] = {
            "/healthz": healthz,
            "/readyz": readyz,
            "/metrics": metrics_view,
        }

    def __call__(self, request: HttpRequest) -> HttpResponse:
        view = self.endpoints.get(request.path_info)
        if view is None:
            return self.get_response(request)
        return view(request)
