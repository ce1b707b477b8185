"""The `servicecycle` console script: serve, worker, manage, analyze, backup, restore."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path


def _django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicecycle.settings")


def manage(argv: list[str]) -> int:
    """Run a Django management command, e.g. `servicecycle manage migrate`."""
    _django_setup()
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(["servicecycle manage", *argv])
    except ImproperlyConfigured as exc:
        print(f"servicecycle: configuration error: {exc}", file=sys.stderr)
        return 2
    return 0


def serve(argv: list[str]) -> int:
    """Production server: gunicorn serving the WSGI app; whitenoise serves static files."""
    parser = argparse.ArgumentParser(prog="servicecycle serve")
    parser.add_argument("--bind", default=os.environ.get("BIND", "127.0.0.1:8000"))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))
    # one thread per process: the app's requests are CPU-bound, and threads of one process share its interpreter
    # lock, so a request back from each of its ~20-30 queries waited behind the others' template rendering (the
    # load bench's p95 at 4 threads was 1.5-3x the p95 at 1; docs/performance.md). Scale with WEB_CONCURRENCY.
    parser.add_argument("--threads", type=int, default=int(os.environ.get("WEB_THREADS", "1")))
    args = parser.parse_args(argv)
    metrics_dir, made = _fresh_metrics_dir()  # before Django (and so prometheus_client) is imported
    try:
        _django_setup()
        import django

        django.setup()  # fail early, with a clear message, on bad settings
        if not _checks_pass():
            return 2
        from gunicorn.app.wsgiapp import run

        sys.argv = [
            "gunicorn",
            "servicecycle.wsgi:application",
            "--config",
            "python:servicecycle.gunicorn_hooks",
            "--bind",
            args.bind,
            "--workers",
            str(args.workers),
            "--threads",
            str(args.threads),
            "--timeout",
            "60",
        ]
        run()
    finally:
        if made:
            shutil.rmtree(metrics_dir, ignore_errors=True)
    return 0


def _checks_pass() -> bool:
    """Django's system checks with ours (core/checks.py): warnings are printed and the process starts; an error
    (such as a SITE_URL that is not an address) is printed and it does not."""
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    try:
        call_command("check")
    except SystemCheckError as exc:
        print(f"servicecycle: {exc}", file=sys.stderr)
        return False
    return True


def _fresh_metrics_dir() -> tuple[str, bool]:
    """Where gunicorn's workers keep their Prometheus samples so /metrics can merge them (multi-process mode).

    PROMETHEUS_MULTIPROC_DIR may name it (it is emptied here: files of an earlier run would be counted again);
    otherwise a new temporary directory is made for this server and removed when it stops.
    """
    chosen = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if chosen:
        path = Path(chosen)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()
        return str(path), False
    made = tempfile.mkdtemp(prefix="servicecycle-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = made
    return made, True


def worker(argv: list[str]) -> int:
    """Background task worker (django-tasks database backend), with the periodic beat (core/periodic.py)."""
    _django_setup()
    import django

    django.setup()
    if not _checks_pass():
        return 2
    from servicecycle.core.periodic import start_beat

    start_beat()
    return manage(["db_worker", "--queue-name", "*", *argv])


def analyze(argv: list[str]) -> int:
    from servicecycle.analytics.cli import main as analyze_main

    return analyze_main(argv)


def backup(argv: list[str]) -> int:
    """Back up the database (pg_dump or the SQLite backup API) with a row-count manifest."""
    return manage(["backup", *argv])


def restore(argv: list[str]) -> int:
    """Replace the database's data with a backup, then check row counts against its manifest."""
    return manage(["restore", *argv])


COMMANDS = {
    "serve": serve,
    "worker": worker,
    "manage": manage,
    "analyze": analyze,
    "backup": backup,
    "restore": restore,
}


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help") or args[0] not in COMMANDS:
        print(
            "usage: servicecycle {serve,worker,manage,analyze,backup,restore} ...\n\n"
            "  serve     run the web application (gunicorn + whitenoise)\n"
            "  worker    run the background task worker\n"
            "  manage    run a Django management command (migrate, seed_demo, ...)\n"
            "  analyze   compute a survey or demand statistic from a CSV file\n"
            "  backup    back up the database to a file with a row-count manifest [--output PATH]\n"
            "  restore   replace the database's data with a backup and check it [PATH --yes]",
            file=sys.stderr if args and args[0] not in ("-h", "--help") else sys.stdout,
        )
        return 0 if args and args[0] in ("-h", "--help") else 2
    return COMMANDS[args[0]](args[1:])


if __name__ == "__main__":
    sys.exit(main())
