"""A covering index for the kept-rate figures on PostgreSQL.

The dashboard counts an organization's promises due since the start of its period (90 days by default). With
every column the figures read carried in the index, PostgreSQL answers by an index-only scan over that period
(no heap fetches once the table is vacuumed) instead of a sequential scan of all the organization's promises.

PostgreSQL only: INCLUDE columns exist there alone, and SQLite's planner gains nothing from it.
"""

from django.db import migrations

INDEX = "promise_org_due_figures_idx"
CREATE = (
    f"CREATE INDEX IF NOT EXISTS {INDEX} ON promises_promise (organization_id, due_at) "
    "INCLUDE (fulfilling_team_id, promiser_id, service_id, moment_id, state, given_unconfirmed, given_at, "
    "requested_at, confirmed_at)"
)
DROP = f"DROP INDEX IF EXISTS {INDEX}"


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("promises", "0002_recovery_new_date"),
    ]

    operations = [migrations.RunPython(create, drop)]
