"""The per-day summary of the kept-rate figures (see promises/figures.py), backfilled from the promises on file.

The backfill calls the app's own ``rebuild_figures`` (the same count the actions keep up to date), so the summary
starts exactly equal to a recount. Reversing drops the table; there is nothing else to undo.
"""

import django.db.models.deletion
from django.db import migrations, models


def backfill(apps, schema_editor):  # type: ignore[no-untyped-def]
    from servicecycle.promises.figures import rebuild_figures

    rebuild_figures()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("promises", "0003_kept_rate_figures_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="PromiseFigures",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField()),
                (
                    "dimension",
                    models.CharField(
                        choices=[
                            ("team", "Team"),
                            ("staff", "Staff member"),
                            ("service", "Service"),
                            ("moment", "Moment of truth"),
                        ],
                        max_length=7,
                    ),
                ),
                ("key_id", models.IntegerField()),
                ("given", models.PositiveIntegerField(default=0)),
                ("kept", models.PositiveIntegerField(default=0)),
                ("broken", models.PositiveIntegerField(default=0)),
                ("unconfirmed", models.PositiveIntegerField(default=0)),
                ("confirm_microseconds", models.BigIntegerField(default=0)),
                ("confirm_count", models.PositiveIntegerField(default=0)),
                (
                    "organization",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="accounts.organization"
                    ),
                ),
            ],
            options={
                "verbose_name": "promise figures of a day",
                "indexes": [
                    models.Index(fields=["organization", "dimension", "day"], name="promise_figures_dim_day_idx")
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("organization", "day", "dimension", "key_id"), name="unique_promise_figures_day_key"
                    )
                ],
            },
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
