"""Comparison shopping: recording audits (and refusing bad ones whole), the comparison per moment, the pages."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from servicecycle.core.errors import PermissionDenied, ValidationFailed
from servicecycle.core.models import AuditEvent
from servicecycle.strategy import shopping
from servicecycle.strategy.models import ShoppingAudit, ShoppingPhoto, ShoppingScore
from tests import factories
from tests.factories import World
from tests.strategy.shopping_builders import audit, png


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def _lines(w: World, values: list[Any]) -> list[shopping.ScoreInput]:
    return [shopping.ScoreInput(moment_id=m.pk, score=v) for m, v in zip(w.moments, values, strict=False)]


def _record(w: World, **overrides: Any) -> ShoppingAudit:
    fields: dict[str, Any] = {
        "acting_user": w.manager.user,
        "service": w.service,
        "outlet_name": "North branch",
        "competitor_name": "",
        "visited_on": timezone.localdate(),
        "shopper": "Mia Shopper",
        "scores": _lines(w, [4, 3, 5]),
        "photos": [],
        **overrides,
    }
    return shopping.record_audit(**fields)


def _nothing_saved(tmp_path: Path) -> None:
    assert ShoppingAudit.objects.count() == 0
    assert ShoppingScore.objects.count() == 0
    assert ShoppingPhoto.objects.count() == 0
    assert not AuditEvent.objects.filter(verb="shopping.audit_recorded").exists()
    media = tmp_path / "media"
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_an_audit_keeps_its_scores_notes_and_photos_and_is_audited(world: World, tmp_path: Path) -> None:
    record = audit(world, [5, None, 2], competitor="Rapid Build Depot", photos=[png("Counter.PNG")])
    assert record.competitor_name == "Rapid Build Depot" and not record.ours
    scores = {s.moment_id: (s.score, s.note) for s in record.scores.all()}
    assert scores == {world.moments[0].pk: (5, "note 1"), world.moments[2].pk: (2, "note 3")}  # unseen: no row
    photo = record.photos.get()
    assert photo.original_name == "Counter.PNG" and photo.content_type == "image/png"
    assert Path(photo.file.path).is_file() and photo.file.name.endswith(".png") and "Counter" not in photo.file.name
    event = AuditEvent.objects.get(verb="shopping.audit_recorded")
    assert event.scope_id == world.service.pk and event.actor_id == world.manager.user.pk
    assert event.changes["scores"] == {"Step 1": 5, "Step 3": 2}
    assert event.changes["photos"] == ["Counter.PNG"]


def test_team_leads_record_audits_agents_and_viewers_may_not(world: World) -> None:
    assert audit(world, by=world.lead_other).pk
    for role in ("agent", "viewer"):
        with pytest.raises(PermissionDenied):
            audit(world, by=world.by_role[role])


def test_another_organizations_service_is_not_found(world: World) -> None:
    with pytest.raises(Http404):
        _record(world, acting_user=world.outsider.user)


@pytest.mark.parametrize("bad", ["0", "6", "7", "-1", "3.5", "four"])
def test_a_score_off_the_scale_is_refused_by_its_moment_and_nothing_is_saved(
    world: World, tmp_path: Path, bad: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        _record(world, scores=_lines(world, ["4", bad, "5"]), photos=[png()])
    field = shopping.score_field(world.moments[1].pk)
    assert caught.value.errors == {
        field: [f"The score of Step 2 must be a whole number from 1 to 5, not {bad}."],
    }
    _nothing_saved(tmp_path)


def test_a_moment_of_another_service_is_refused_and_nothing_is_saved(world: World, tmp_path: Path) -> None:
    other = factories.service(world.admin, world.owner_team, "Installation")
    foreign = factories.moment(world.admin, other, name="Fitter arrives")
    lines = [*_lines(world, [4]), shopping.ScoreInput(moment_id=foreign.pk, score=5)]
    with pytest.raises(ValidationFailed) as caught:
        _record(world, scores=lines)
    assert caught.value.errors == {"scores": [f"Moment {foreign.pk} is not in the cycle of Delivery."]}
    _nothing_saved(tmp_path)


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("shelf.png", b"not a picture at all\x00\x01"), "“shelf.png” is not a photo."),
        (SimpleUploadedFile("menu.pdf", b"%PDF-1.4 a document"), "“menu.pdf” is not a photo."),
        (SimpleUploadedFile("notes.txt", b"plain words"), "“notes.txt” is not a photo."),
        (SimpleUploadedFile("empty.jpg", b""), "“empty.jpg” is empty."),
    ],
)
def test_a_bad_file_is_refused_by_name_and_nothing_is_saved(
    world: World, tmp_path: Path, upload: SimpleUploadedFile, message: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        _record(world, photos=[png("good.png"), upload])
    assert list(caught.value.errors) == ["photos"]
    assert caught.value.errors["photos"][0].startswith(message)
    _nothing_saved(tmp_path)


def test_a_photo_named_as_another_type_and_a_too_large_one_are_refused(
    world: World, tmp_path: Path, settings: Any
) -> None:
    settings.CASE_ATTACHMENT_MAX_BYTES = 200
    big = png("big.png", size=(300, 300))
    with pytest.raises(ValidationFailed) as caught:
        _record(world, photos=[png("shelf.gif"), big])
    assert caught.value.errors["photos"][0].startswith("The content of “shelf.gif” does not match its name (.gif).")
    assert caught.value.errors["photos"][1].startswith("“big.png” is ")
    _nothing_saved(tmp_path)


def test_every_field_at_fault_is_named_at_once(world: World, tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed) as caught:
        _record(
            world,
            outlet_name="  ",
            shopper="",
            visited_on=timezone.localdate() + dt.timedelta(days=1),
            scores=_lines(world, ["", "", ""]),
        )
    assert caught.value.errors == {
        "outlet_name": ["This field is required."],
        "shopper": ["This field is required."],
        "visited_on": ["The visit cannot be in the future."],
        "scores": ["Score at least one moment of truth."],
    }
    _nothing_saved(tmp_path)


def test_comparison_gives_our_mean_and_each_competitors_with_counts(world: World) -> None:
    audit(world, [4, 2, None])
    audit(world, [2, 3, None])
    audit(world, [5, None, 1], competitor="Rapid Build Depot")
    audit(world, [1, None, None], competitor="Acme Depot")
    audit(world, [3, None, None], competitor="Acme Depot")
    audit(world, [1, 1, 1], competitor="Acme Depot", visited_on=timezone.localdate() - dt.timedelta(days=400))
    result = shopping.comparison(world.service, world.moments, since=timezone.localdate() - dt.timedelta(days=90))
    assert result.competitors == ("Acme Depot", "Rapid Build Depot")
    first, second, third = result.rows
    assert (first.ours, second.ours, third.ours) == (
        shopping.Mean(3.0, 2),
        shopping.Mean(2.5, 2),
        None,
    )
    assert first.competitors == {"Rapid Build Depot": shopping.Mean(5.0, 1), "Acme Depot": shopping.Mean(2.0, 2)}
    assert third.competitors == {"Rapid Build Depot": shopping.Mean(1.0, 1)}
    assert result.overall(None) == shopping.Mean(2.75, 4)
    assert result.overall("Acme Depot") == shopping.Mean(2.0, 2)
    everything = shopping.comparison(world.service, world.moments)
    assert everything.rows[0].competitors["Acme Depot"] == shopping.Mean(5 / 3, 3)  # the old visit counts too


def test_comparison_without_audits_is_empty(world: World) -> None:
    result = shopping.comparison(world.service, world.moments)
    assert result.empty and result.competitors == () and all(r.ours is None for r in result.rows)


# --- pages ---------------------------------------------------------------------------------------------------


def _create_url(w: World) -> str:
    return reverse("shopping-create", kwargs={"pk": w.service.pk})


def _form(w: World, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "whose": "competitor",
        "competitor_name": "Rapid Build Depot",
        "outlet_name": "Rapid, High Street",
        "visited_on": timezone.localdate().isoformat(),
        "shopper": "Mia Shopper",
        "notes": "Long queue at the counter.",
    }
    for moment, score in zip(w.moments, ["4", "", "2"], strict=True):
        data[shopping.score_field(moment.pk)] = score
        data[shopping.note_field(moment.pk)] = f"seen at {moment.name}" if score else ""
    return data | overrides


def test_form_lists_the_cycle_with_standards_as_the_checklist(world: World, client_for: Any) -> None:
    body = client_for("lead").get(_create_url(world)).content.decode()
    assert 'id="audit-checklist"' in body
    for moment in world.moments:
        assert f'name="{shopping.score_field(moment.pk)}"' in body and moment.name in body


def test_form_records_an_audit_and_shows_it(world: World, client_for: Any) -> None:
    client = client_for("lead")
    response = client.post(_create_url(world), _form(world) | {"photos": png("queue.png")})
    record = ShoppingAudit.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("shopping-detail", kwargs={"pk": world.service.pk, "audit_pk": record.pk})
    assert record.competitor_name == "Rapid Build Depot" and record.recorded_by == world.lead.user
    assert sorted(record.scores.values_list("score", flat=True)) == [2, 4]
    body = client.get(response["Location"]).content.decode()
    assert "Rapid, High Street" in body and "seen at Step 1" in body and "queue.png" in body
    photo = record.photos.get()
    served = client.get(
        reverse("shopping-photo", kwargs={"pk": world.service.pk, "audit_pk": record.pk, "photo_pk": photo.pk})
    )
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff" and "sandbox" in served["Content-Security-Policy"]


def test_form_with_a_bad_score_and_a_bad_file_shows_both_errors_and_saves_nothing(
    world: World, client_for: Any, tmp_path: Path
) -> None:
    data = _form(world) | {shopping.score_field(world.moments[0].pk): "9"}
    data["photos"] = SimpleUploadedFile("shelf.png", b"MZ\x90\x00 a program")
    response = client_for("manager").post(_create_url(world), data)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Choose a score from 1 to 5, or “Not seen”." in body
    _nothing_saved(tmp_path)
    data[shopping.score_field(world.moments[0].pk)] = "4"
    data["photos"] = SimpleUploadedFile("shelf.png", b"MZ\x90\x00 a program")
    body = client_for("manager").post(_create_url(world), data).content.decode()
    assert "“shelf.png” is not a photo. Accepted: JPEG, PNG, WebP, GIF." in body
    _nothing_saved(tmp_path)


def test_form_asks_for_the_competitors_name_and_names_a_bad_photo_at_the_same_time(
    world: World, client_for: Any, tmp_path: Path
) -> None:
    data = _form(world, competitor_name=" ") | {"photos": SimpleUploadedFile("menu.png", b"%PDF-1.4 menu")}
    body = client_for("manager").post(_create_url(world), data).content.decode()
    assert "Name the competitor whose outlet was visited." in body
    assert "“menu.png” is not a photo." in body
    _nothing_saved(tmp_path)


def test_our_outlet_drops_a_competitor_name_typed_before_switching(world: World, client_for: Any) -> None:
    client_for("manager").post(_create_url(world), _form(world, whose="ours"))
    assert ShoppingAudit.objects.get().competitor_name == ""


def test_list_shows_audits_and_the_comparison_with_classes(world: World, client_for: Any) -> None:
    audit(world, [4, 4, 4])
    audit(world, [3, 4, 5], competitor="Rapid Build Depot")
    body = client_for("viewer").get(reverse("shopping-list", kwargs={"pk": world.service.pk})).content.decode()
    assert 'id="shopping-comparison"' in body and 'id="audit-list"' in body
    assert "verdict-lead" in body and "verdict-parity" in body and "verdict-behind" in body
    assert "Record an audit" not in body  # viewers read only


def test_empty_list_says_what_to_do(world: World, client_for: Any) -> None:
    body = client_for("viewer").get(reverse("shopping-list", kwargs={"pk": world.service.pk})).content.decode()
    assert 'id="no-audits"' in body and 'id="comparison-empty"' in body


def test_list_query_count_does_not_grow_with_audits(world: World, client_for: Any) -> None:
    client = client_for("viewer")
    url = reverse("shopping-list", kwargs={"pk": world.service.pk})
    audit(world)
    client.get(url)  # warm the session and the staff cache
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for index in range(6):
        audit(world, [1, 2, 3], competitor=f"Competitor {index}")
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    # session, user, staff, service, moments, margin, comparison (one GROUP BY), audit count, unread
    # notifications (base.html), audit page; then the session save (savepoint, update, release)
    assert len(many.captured_queries) == len(few.captured_queries) <= 13


def test_detail_and_photo_of_another_service_are_not_found(world: World, client_for: Any) -> None:
    record = audit(world, photos=[png()])
    other = factories.service(world.admin, world.owner_team, "Installation")
    client = client_for("viewer")
    assert client.get(reverse("shopping-detail", kwargs={"pk": other.pk, "audit_pk": record.pk})).status_code == 404
    photo = record.photos.get()
    url = reverse("shopping-photo", kwargs={"pk": other.pk, "audit_pk": record.pk, "photo_pk": photo.pk})
    assert client.get(url).status_code == 404
