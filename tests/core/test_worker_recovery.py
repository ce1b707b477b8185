"""A worker killed with SIGKILL in the middle of a task: after a restart the task runs again, its effect once.

Marked `faults` (slow, real processes): `.ci/run` runs it after the suite (`scripts/run-tests.sh -m faults`).
Real processes on a real database file: ``servicecycle worker`` (db_worker + the beat of core/periodic.py)
is started, killed with SIGKILL while the task sleeps, and started again with a short lease, so the beat
puts the abandoned task back in the queue. The task is the real SLA deadline check, which claims the case
with a conditional UPDATE, so running it twice records the escalation once.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from servicecycle.core import periodic
from servicecycle.core.models import PeriodicRun

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(Path(sys.executable))


def _env(db: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "servicecycle.settings",
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}",
        "DATABASE_URL": f"sqlite:///{db}",
        "DEBUG": "0",
        "SECRET_KEY": "worker-recovery-test-secret",
        "LOG_FORMAT": "plain",
        "EMAIL_URL": "dummymail://",
        **extra,
    }


def _shell(db: Path, code: str) -> str:
    result = subprocess.run(
        [PYTHON, "-c", f"import django; django.setup()\n{code}"],
        env=_env(db),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip()


def _status(db: Path) -> str:
    return _shell(
        db,
        "from django_tasks_db.models import DBTaskResult\n"
        "print(DBTaskResult.objects.get(task_path='tests.worker_tasks.slow_deadline_check').status)",
    )


def _escalations(db: Path, case_id: int) -> int:
    return int(
        _shell(
            db,
            "from servicecycle.core.models import AuditEvent\n"
            f"print(AuditEvent.objects.filter(object_id={case_id}, verb='case.escalated').count())",
        )
    )


def _start_worker(db: Path, **extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [PYTHON, "-m", "servicecycle.cli", "worker", "--interval", "0.2", "--no-startup-delay", "--no-reload"],
        env=_env(db, **extra),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _wait_for(predicate, timeout: float = 180) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError("timed out")


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated database file; each test works on its own copy."""
    db = tmp_path_factory.mktemp("worker") / "migrated.sqlite3"
    migrate = subprocess.run(
        [PYTHON, "-m", "servicecycle.cli", "manage", "migrate", "-v0"],
        env=_env(db),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert migrate.returncode == 0, migrate.stderr[-3000:]
    return db


@pytest.mark.faults
@pytest.mark.parametrize(("before", "after"), [(30.0, 0.0), (0.0, 30.0)], ids=["killed-before", "killed-after"])
def test_a_killed_worker_task_runs_again_and_has_its_effect_once(
    migrated: Path, tmp_path: Path, before: float, after: float
) -> None:
    db = tmp_path / "worker.sqlite3"
    shutil.copy(migrated, db)
    case_id = int(_shell(db, f"from tests.worker_tasks import prepare\nprint(prepare({before}, {after}))"))

    worker = _start_worker(db)
    try:
        _wait_for(lambda: _status(db) == "RUNNING")
        if after:  # the effect is in before the kill
            _wait_for(lambda: _escalations(db, case_id) == 1)
        time.sleep(1)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
    assert _status(db) == "RUNNING"  # abandoned: nobody would ever finish it without the beat

    # restarted with a short lease, and quick pauses so the re-run ends soon
    _shell(
        db,
        "from django_tasks_db.models import DBTaskResult\n"
        "r = DBTaskResult.objects.get(task_path='tests.worker_tasks.slow_deadline_check')\n"
        "r.args_kwargs['kwargs'].update(before=0.0, after=0.0); r.save(update_fields=['args_kwargs'])",
    )
    worker = _start_worker(db, TASK_LEASE_SECONDS="1", WORKER_BEAT_SECONDS="0.5")
    try:
        _wait_for(lambda: _status(db) == "SUCCESSFUL")
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    assert _escalations(db, case_id) == 1


def test_each_periodic_task_is_queued_once_per_interval_whoever_asks(db: None) -> None:
    from django_tasks_db.models import DBTaskResult

    from servicecycle.cases.tasks import sweep_case_deadlines

    assert any(p.task is sweep_case_deadlines for p in periodic.registered())
    now = timezone.now()
    first = periodic.enqueue_due(now)
    assert sweep_case_deadlines.module_path in first
    # a second worker's beat at the same moment, and one a minute later, queue nothing
    assert sweep_case_deadlines.module_path not in periodic.enqueue_due(now)
    assert sweep_case_deadlines.module_path not in periodic.enqueue_due(now + timedelta(minutes=1))
    assert sweep_case_deadlines.module_path in periodic.enqueue_due(now + timedelta(minutes=5))
    assert DBTaskResult.objects.filter(task_path=sweep_case_deadlines.module_path).count() == 2
    assert PeriodicRun.objects.get(name=sweep_case_deadlines.module_path).last_enqueued_at == now + timedelta(minutes=5)


def test_only_tasks_running_longer_than_the_lease_are_queued_again(db: None, settings) -> None:  # type: ignore[no-untyped-def]
    from django_tasks_db.models import DBTaskResult

    from servicecycle.cases.tasks import sweep_case_deadlines

    settings.TASK_LEASE_SECONDS = 600
    old = DBTaskResult.objects.get(id=sweep_case_deadlines.enqueue().id)
    young = DBTaskResult.objects.get(id=sweep_case_deadlines.enqueue().id)
    now = timezone.now()
    DBTaskResult.objects.filter(pk=old.pk).update(status="RUNNING", started_at=now - timedelta(minutes=11))
    DBTaskResult.objects.filter(pk=young.pk).update(status="RUNNING", started_at=now - timedelta(minutes=5))
    assert periodic.requeue_abandoned(now) == 1
    old.refresh_from_db()
    young.refresh_from_db()
    assert (old.status, young.status) == ("READY", "RUNNING")
