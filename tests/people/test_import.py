"""CSV import of training completions: every row checked, errors name row and column, nothing saved on error."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from servicecycle.core.errors import PermissionDenied, ValidationFailed
from servicecycle.core.models import AuditEvent
from servicecycle.people import actions
from servicecycle.people.models import TrainingRecord
from tests.factories import World
from tests.people import builders


def _csv(*rows: str, header: str = "staff,course,completed_on,score,passed,notes") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def test_a_good_file_is_imported_with_one_audit_event(world: World) -> None:
    builders.course(world, "Safety")
    day = (builders.today() - timedelta(days=3)).isoformat()
    content = _csv(
        f"{world.agent.user.email.upper()},safety,{day},91,yes,First aid included",
        f"{world.lead.user.email},Safety,{day},,,",
        ",,,,,",  # blank rows are skipped
    )
    assert actions.import_completions(acting_user=world.manager.user, content=b"\xef\xbb\xbf" + content) == 2
    assert set(TrainingRecord.objects.values_list("staff_id", "score", "passed", "notes")) == {
        (world.agent.pk, 91, True, "First aid included"),
        (world.lead.pk, None, None, ""),
    }
    assert AuditEvent.objects.get(verb="training.imported").changes == {"records": 2, "courses": ["Safety"]}


def test_every_bad_row_is_named_and_nothing_saved(world: World) -> None:
    builders.course(world, "Safety")
    today = builders.today()
    content = _csv(
        f"{world.agent.user.email},Safety,{today.isoformat()},90,yes,",  # fine on its own
        f"nobody@example.test,Safety,{today.isoformat()},,,",
        f"{world.agent.user.email},Juggling,{today.isoformat()},,,",
        f"{world.agent.user.email},Safety,{(today + timedelta(days=1)).isoformat()},,,",
        f"{world.lead.user.email},Safety,03/02/2026,,,",
        f"{world.lead.user.email},Safety,{today.isoformat()},101,maybe,",
        f"{world.agent.user.email},Safety,{today.isoformat()},,,",
        f"{world.outsider.user.email},Safety,{today.isoformat()},,,",
    )
    with pytest.raises(ValidationFailed) as caught:
        actions.import_completions(acting_user=world.manager.user, content=content)
    assert caught.value.errors["file"] == [
        "row 3, staff: unknown staff member nobody@example.test",
        "row 4, course: unknown course Juggling",
        "row 5, completed_on: is in the future",
        "row 6, completed_on: 03/02/2026 is not a date (YYYY-MM-DD)",
        "row 7, score: give a whole percentage from 0 to 100",
        "row 7, passed: maybe is not yes or no",
        "row 8, completed_on: repeats row 2",
        f"row 9, staff: unknown staff member {world.outsider.user.email}",
    ]
    assert not TrainingRecord.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"name,when\nx,y\n", "The first row must name the columns staff, course, completed_on, score, passed, notes."),
        (b"staff,course,completed_on\n", "The file has no rows to import."),
        (b"\xff\xfe\x00", "The file is not UTF-8 text."),
    ],
)
def test_unusable_files(world: World, content: bytes, message: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        actions.import_completions(acting_user=world.manager.user, content=content)
    assert caught.value.errors["file"] == [message]


def test_already_recorded_completions_are_refused(world: World) -> None:
    course = builders.course(world, "Safety")
    day = builders.today()
    actions.record_completions(
        acting_user=world.manager.user, course=course, staff_ids=[world.agent.pk], completed_on=day
    )
    with pytest.raises(ValidationFailed) as caught:
        actions.import_completions(
            acting_user=world.manager.user, content=_csv(f"{world.agent.user.email},Safety,{day.isoformat()},,,")
        )
    assert caught.value.errors["file"] == ["row 2, completed_on: already recorded for this person and course"]
    assert TrainingRecord.objects.count() == 1


def test_only_managers_import(world: World) -> None:
    with pytest.raises(PermissionDenied):
        actions.import_completions(acting_user=world.lead.user, content=_csv())


def test_import_page(world: World, client_for: Any) -> None:
    builders.course(world, "Safety")
    client = client_for("manager")
    url = reverse("people-training-import")
    bad = client.post(url, {"file": SimpleUploadedFile("t.csv", _csv("x@example.test,Safety,2020-01-01,,,"))})
    assert "row 2, staff: unknown staff member x@example.test" in bad.content.decode()
    good = client.post(
        url, {"file": SimpleUploadedFile("t.csv", _csv(f"{world.agent.user.email},Safety,2020-01-01,,,"))}
    )
    assert good.status_code == 302 and TrainingRecord.objects.count() == 1
