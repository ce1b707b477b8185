from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from servicecycle.strategy import actions
from servicecycle.strategy.actions import DemandRow
from servicecycle.strategy.models import DemandPeriod, StageChange
from servicecycle.strategy.playbooks import PLAYBOOKS
from tests.factories import World

GROWING = [("2019", 400), ("2020", 520), ("2021", 900), ("2022", 1500), ("2023", 2300), ("2024", 3300)]


def _history(w: World, pairs: list[tuple[str, int]], from_launch: bool = True) -> None:
    actions.set_demand_history(
        acting_user=w.manager.user,
        service=w.service,
        rows=[DemandRow(row=i, period=p, demand=d) for i, (p, d) in enumerate(pairs, start=1)],
        from_launch=from_launch,
    )


def _url(w: World, name: str = "service-lifecycle") -> str:
    return reverse(name, kwargs={"pk": w.service.pk})


def test_page_without_history_says_so_honestly(world: World, client_for: Any) -> None:
    body = client_for("viewer").get(_url(world)).content.decode()
    assert 'id="empty-history"' in body
    assert "No demand history for this service yet." in body
    assert "vega-chart" not in body
    assert 'id="demand-forms"' not in body  # viewers read only


def test_page_shows_stage_evidence_bass_chart_playbook_and_changes(world: World, client_for: Any) -> None:
    _history(world, GROWING)
    body = client_for("viewer").get(_url(world)).content.decode()
    assert 'data-stage="growth"' in body
    assert str(PLAYBOOKS["growth"].heading) in body
    assert str(PLAYBOOKS["maturity"].heading) not in body
    assert "<td>2022</td>" in body and "66.7 %" in body  # (1500 - 900) / 900
    assert "Innovation coefficient p" in body or "No Bass fit:" in body
    assert 'data-spec-id="chart-spec-lifecycle"' in body and 'id="chart-spec-lifecycle"' in body
    assert "No stage change recorded yet." not in body
    assert "Save history" not in body


def test_service_page_links_to_the_life_cycle(world: World, client_for: Any) -> None:
    body = client_for("viewer").get(reverse("service-detail", kwargs={"pk": world.service.pk})).content.decode()
    assert _url(world) in body


def test_page_shows_the_playbook_in_the_active_language(world: World, client_for: Any) -> None:
    _history(world, GROWING)
    client = client_for("viewer")
    client.cookies["django_language"] = "ru"
    body = client.get(_url(world)).content.decode()
    with translation.override("ru"):
        heading = str(PLAYBOOKS["growth"].heading)
    assert heading != "Growth: grow fast and make the growth last"
    assert heading in body


def test_the_chart_names_the_stages_and_writes_the_numbers_as_the_page_does(world: World, client_for: Any) -> None:
    import json
    import re

    from django.utils.formats import number_format

    from servicecycle.strategy import queries

    _history(world, GROWING)
    client = client_for("viewer")
    client.cookies["django_language"] = "es"
    body = client.get(_url(world)).content.decode()
    found = re.search(r'<script id="chart-spec-lifecycle" type="application/json">(.*?)</script>', body)
    assert found
    spec = json.loads(found.group(1))
    assert spec["config"]["locale"]["number"]["decimal"] == ","
    layers = json.dumps(spec["layer"], ensure_ascii=False)
    for text in ("Periodo", "Demanda", "Etapa", "Introducción", "Crecimiento"):
        assert f'"{text}"' in layers
    for english in ('"Period"', '"Stage"', '"growth"', '"introduction"'):
        assert english not in layers
    bass = queries.service_lifecycle(world.service).result.bass  # type: ignore[union-attr]
    assert bass is not None
    with translation.override("es"):
        p, m = number_format(bass.p, 4), number_format(bass.m, 0, force_grouping=True)
    assert "," in p
    # the subtitle writes the Bass figures as the table beside the chart does
    assert f"p={p}" in spec["title"]["subtitle"] and f"m={m}" in spec["title"]["subtitle"]
    assert f"<dd>{p}</dd>" in body or f">{p}<" in body


def test_manager_edits_the_history_in_the_text_form(world: World, client_for: Any) -> None:
    client = client_for("manager")
    body = client.get(_url(world)).content.decode()
    assert 'id="demand-forms"' in body and "<details open>" in body  # empty history: the forms are open
    response = client.post(
        _url(world, "service-lifecycle-edit"),
        {"history": "2022, 10\n2023; 30\n\n2024\t55\n", "from_launch": "on"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == _url(world)
    assert list(DemandPeriod.objects.values_list("period", flat=True).order_by("position")) == ["2022", "2023", "2024"]
    assert "Demand history saved: 3 periods." in response.content.decode()
    assert "2022, 10\n2023, 30\n2024, 55" in client.get(_url(world)).content.decode()  # prefilled


def test_bad_text_names_line_and_field_and_keeps_the_old_history(world: World, client_for: Any) -> None:
    _history(world, GROWING)
    response = client_for("manager").post(_url(world, "service-lifecycle-edit"), {"history": "2022, 10\n2023, -4"})
    assert response.status_code == 200
    assert "row 2, demand: must not be negative" in response.content.decode()
    assert DemandPeriod.objects.count() == len(GROWING)


def test_manager_uploads_a_csv(world: World, client_for: Any) -> None:
    upload = SimpleUploadedFile("demand.csv", b"period,demand\n2021,10\n2022,20\n2023,45\n", content_type="text/csv")
    response = client_for("admin").post(_url(world, "service-lifecycle-upload"), {"upload-file": upload})
    assert response.status_code == 302
    assert DemandPeriod.objects.filter(source="imported").count() == 3
    assert StageChange.objects.filter(service=world.service).count() == 1


def test_bad_upload_shows_the_files_row(world: World, client_for: Any) -> None:
    upload = SimpleUploadedFile("demand.csv", b"period,demand\n2021,10\n2022,\n", content_type="text/csv")
    response = client_for("manager").post(_url(world, "service-lifecycle-upload"), {"upload-file": upload})
    assert response.status_code == 200
    assert "row 3, demand: is missing" in response.content.decode()
    assert not DemandPeriod.objects.exists()


def test_viewer_cannot_edit_and_another_organization_gets_404(world: World, client_for: Any) -> None:
    response = client_for("viewer").post(_url(world, "service-lifecycle-edit"), {"history": "2022, 10"})
    assert response.status_code == 403
    assert client_for("outsider").get(_url(world)).status_code == 404
    assert (
        client_for("outsider").post(_url(world, "service-lifecycle-edit"), {"history": "2022, 10"}).status_code == 404
    )
    assert not DemandPeriod.objects.exists()


def test_life_cycle_page_query_count_does_not_grow_with_the_history(
    world: World, client_for: Any, django_assert_num_queries: Any
) -> None:
    client = client_for("viewer")
    _history(world, GROWING)
    client.get(_url(world))
    # 1 session, 1 user, 1 staff+organization, 1 service with owner team and organization, 1 demand history
    # settings, 1 demand periods, 1 stage changes with who made them, 3 for the session save
    # (savepoint, update, release)
    with django_assert_num_queries(11):
        client.get(_url(world))
    _history(world, [(str(year), 100 + (year - 1990) ** 2) for year in range(1990, 2026)])
    with django_assert_num_queries(11):
        response = client.get(_url(world))
    assert "<td>2025</td>" in response.content.decode()
