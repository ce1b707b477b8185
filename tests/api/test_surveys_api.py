"""The survey API: design with the page's roles and version checks, responses with an Idempotency-Key, and the
results of the results page as JSON; another organization's surveys answer 404, list query counts are fixed."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from servicecycle.core.models import AuditEvent
from servicecycle.surveys import actions
from servicecycle.surveys.blueprints import BLUEPRINTS
from servicecycle.surveys.models import Answer, Question, Response, Survey
from servicecycle.surveys.queries import questions_of
from servicecycle.surveys.results import Filters, survey_results
from tests.factories import World
from tests.surveys import builders

K = Question.Kind


def _open_survey(world: World) -> dict[str, Any]:
    """An open survey (NPS, CSAT, multiple choice, comment, grid) with two waves."""
    m = world.manager
    s = builders.survey(m, "Delivery check", service_id=world.service.pk)
    o: dict[str, Any] = {
        "nps": builders.question(m, s, K.NPS, "Would you recommend us?"),
        "csat": builders.question(m, s, K.CSAT, "How satisfied are you?"),
        "multi": builders.question(
            m,
            s,
            K.MULTIPLE_CHOICE,
            "What did you buy?",
            choices=[{"texts": {"en": "Bricks"}}, {"texts": {"en": "Cement"}}, {"texts": {"en": "Sand"}}],
        ),
        "text": builders.question(m, s, K.TEXT, "Anything else?", required=False),
        "grid": builders.grid(m, s, ("On time", "Undamaged")),
    }
    o["waves"] = [
        actions.add_wave(acting_user=m.user, survey=s, name="Spring", starts_on=dt.date(2026, 3, 1)),
        actions.add_wave(acting_user=m.user, survey=s, name="Autumn", starts_on=dt.date(2026, 9, 1)),
    ]
    builders.open_survey(m, s)
    o["survey"] = Survey.objects.get(pk=s.pk)
    return o


def _answers(o: dict[str, Any], nps: int = 9, csat: int = 4, comment: str = "") -> list[dict[str, Any]]:
    on_time, undamaged = builders.attributes(o["grid"])
    answers = [
        {"question": o["nps"].pk, "value": nps},
        {"question": o["csat"].pk, "value": csat},
        {"question": o["multi"].pk, "choices": [1, 3]},
        {"question": o["grid"].pk, "attribute": on_time.pk, "importance": 7, "performance": 5},
        {"question": o["grid"].pk, "attribute": undamaged.pk, "importance": 5, "performance": 6},
    ]
    if comment:
        answers.append({"question": o["text"].pk, "text": comment})
    return answers


def _record(world: World, o: dict[str, Any], wave: int = 0, **kw: Any) -> Response:
    return actions.record_response(
        survey=o["survey"], answers=_answers(o, **kw), wave=o["waves"][wave], channel=Response.Channel.EMAIL
    )


# Surveys ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"), [("admin", 201), ("manager", 201), ("lead", 403), ("agent", 403), ("viewer", 403)]
)
def test_creating_a_survey_follows_the_page_permissions(world: World, api_for: Any, role: str, status: int) -> None:
    response = api_for(role).call("post", "/surveys", {"titles": {"en": "After delivery"}})
    assert response.status_code == status, response.content
    assert Survey.objects.filter(organization=world.org).exists() is (status == 201)


def test_create_from_scratch_and_from_a_template(world: World, api_for: Any) -> None:
    api = api_for("manager")
    blank = api.call(
        "post",
        "/surveys",
        {"titles": {"en": "Counter visit", "es": "Visita"}, "languages": ["en", "es"], "service_id": world.service.pk},
    )
    assert blank.status_code == 201, blank.content
    body = blank.json()
    assert (body["title"], body["status"], body["kind"], body["version"]) == ("Counter visit", "draft", "custom", 1)
    assert body["languages"] == ["en", "es"] and body["service_id"] == world.service.pk and body["questions"] == []
    servqual = api.call(
        "post",
        "/surveys",
        {"blueprint": "servqual", "languages": ["en", "ru"], "titles": {"en": "Our service quality"}},
    )
    assert servqual.status_code == 201, servqual.content
    made = servqual.json()
    assert made["kind"] == "servqual" and made["title"] == "Our service quality"
    assert len(made["questions"]) == len(BLUEPRINTS["servqual"].questions)
    assert all(set(q["texts"]) == {"en", "ru"} for q in made["questions"])
    assert api.call("post", "/surveys", {"blueprint": "servqual", "kind": "staff"}).json()["field"] == "kind"
    assert AuditEvent.objects.filter(verb="survey.created").count() == 2


def test_bad_survey_input_answers_422_naming_the_field(world: World, api_for: Any) -> None:
    api = api_for("admin")
    untitled = api.call("post", "/surveys", {"languages": ["en"]})
    assert untitled.status_code == 422 and untitled.json()["field"] == "titles"
    wrong_language = api.call("post", "/surveys", {"titles": {"fr": "Bonjour"}, "default_language": "en"})
    assert wrong_language.status_code == 422 and wrong_language.json()["field"] == "titles"
    unknown_template = api.call("post", "/surveys", {"blueprint": "nonsense", "titles": {"en": "x"}})
    assert unknown_template.status_code == 422 and "blueprint" in json.dumps(unknown_template.json()["errors"])
    foreign_service = api.call("post", "/surveys", {"titles": {"en": "x"}, "service_id": world.service.pk + 999})
    assert foreign_service.status_code == 422 and foreign_service.json()["field"] == "service"
    assert not Survey.objects.exists()


def test_list_filters_searches_and_paginates_within_bounds(world: World, api_for: Any) -> None:
    o = _open_survey(world)
    _record(world, o)
    builders.survey(world.manager, "Counter visit")
    actions.create_survey(
        acting_user=world.manager.user, titles={"ru": "Сервис на складе"}, languages=["ru"], default_language="ru"
    )
    api = api_for("viewer")
    everything = api.call("get", "/surveys").json()
    assert everything["count"] == 3
    assert everything["items"][0]["title"] == "Сервис на складе"  # newest first
    counted = next(s for s in everything["items"] if s["id"] == o["survey"].pk)
    assert (counted["question_count"], counted["response_count"], counted["status"]) == (5, 1, "open")
    assert [s["id"] for s in api.call("get", "/surveys", status="open").json()["items"]] == [o["survey"].pk]
    assert api.call("get", "/surveys", kind="custom").json()["count"] == 3
    assert api.call("get", "/surveys", kind="servqual").json()["count"] == 0
    assert [s["title"] for s in api.call("get", "/surveys", q="counter").json()["items"]] == ["Counter visit"]
    assert api.call("get", "/surveys", q="складе").json()["count"] == 1
    page = api.call("get", "/surveys", page=2, page_size=2).json()
    assert page["count"] == 3 and len(page["items"]) == 1
    for bad in ({"page_size": 201}, {"page_size": 0}, {"page": 0}, {"page": 100_001}, {"status": "lost"}):
        assert api.call("get", "/surveys", **bad).status_code == 422, bad
    assert api_for("outsider").call("get", "/surveys").json()["count"] == 0


def test_list_query_counts_do_not_grow_with_rows(
    world: World, api_for: Any, django_assert_num_queries: Any, django_assert_max_num_queries: Any
) -> None:
    o = _open_survey(world)
    api = api_for("viewer")
    survey = o["survey"].pk
    paths = [
        "/surveys",
        f"/surveys/{survey}/waves",
        f"/surveys/{survey}/responses",
        f"/surveys/{survey}/comments",
    ]
    _record(world, o, comment="Driver was early.")
    counts = {}
    for path in paths:
        api.call("get", path)  # the token's last use is stamped once a minute at most: warm it up
        with django_assert_max_num_queries(50) as captured:
            assert api.call("get", path).status_code == 200
        counts[path] = len(captured.captured_queries)
    for i in range(3):
        builders.survey(world.manager, f"More {i}")
        actions.add_wave(
            acting_user=world.manager.user, survey=o["survey"], name=f"W{i}", starts_on=dt.date(2027, 1, 1)
        )
        _record(world, o, wave=1, comment=f"Comment {i}")
    for path in paths:
        with django_assert_num_queries(counts[path]):
            body = api.call("get", path).json()
        assert body["count"] > 1, path
    # pinned: the token (with its staff member), the survey for the nested lists, the page's count and rows
    assert counts == {"/surveys": 3, **{path: 4 for path in paths[1:]}}


def _endpoints(o: dict[str, Any], draft: Survey) -> tuple[list[str], list[tuple[str, str, Any]]]:
    """The survey endpoints: the reads (every member) and the design writes (administrators and managers)."""
    s, d = o["survey"].pk, draft.pk
    question = actions.add_question(
        acting_user=draft.created_by, survey=draft, kind=K.ALLOCATION, texts={"en": "Share 100 points"}
    )
    attribute = actions.add_attribute(acting_user=draft.created_by, question=question, texts={"en": "Speed"})
    response = Response.objects.filter(survey_id=s).first()
    assert response is not None
    reads = [
        "/surveys",
        f"/surveys/{s}",
        f"/surveys/{s}/waves",
        f"/surveys/{s}/responses",
        f"/surveys/{s}/responses/{response.pk}",
        f"/surveys/{s}/results",
        f"/surveys/{s}/comments",
    ]
    writes = [
        ("post", "/surveys", {"titles": {"en": "New"}}),
        ("patch", f"/surveys/{d}", {"version": draft.version, "titles": {"en": "Renamed"}}),
        ("post", f"/surveys/{s}/status", {"version": o["survey"].version, "status": "closed"}),
        ("post", f"/surveys/{d}/questions/reorder", {"question_ids": [question.pk]}),
        ("patch", f"/surveys/{d}/questions/{question.pk}", {"version": 1, "required": False}),
        ("post", f"/surveys/{d}/questions/{question.pk}/attributes", {"texts": {"en": "Price"}}),
        ("patch", f"/surveys/{d}/questions/{question.pk}/attributes/{attribute.pk}", {"texts": {"en": "Pace"}}),
        ("delete", f"/surveys/{d}/questions/{question.pk}/attributes/{attribute.pk}", None),
        ("delete", f"/surveys/{d}/questions/{question.pk}", None),
        ("post", f"/surveys/{d}/questions", {"kind": "nps", "texts": {"en": "Recommend?"}}),
        ("post", f"/surveys/{s}/waves", {"name": "Extra", "starts_on": "2027-01-01"}),
    ]
    return reads, writes


@pytest.mark.parametrize("role", ["admin", "manager", "lead", "agent", "viewer"])
def test_every_endpoint_follows_the_page_roles(world: World, api_for: Any, role: str) -> None:
    o = _open_survey(world)
    _record(world, o, comment="Fine")
    draft = builders.survey(world.manager, "Draft")
    reads, writes = _endpoints(o, draft)
    api = api_for(role)
    for path in reads:
        assert api.call("get", path).status_code == 200, path
    designs = role in ("admin", "manager")
    design_events = AuditEvent.objects.filter(
        actor=world.by_role[role].user, verb__regex=r"^(survey|question|attribute|wave)\."
    )
    before = design_events.count()
    for method, path, body in writes:
        status = api.call(method, path, body).status_code
        assert (status in (200, 201, 204)) if designs else status == 403, (method, path, status)
    events = design_events.count() - before
    assert events == (len(writes) - 1 if designs else 0)  # putting the one question in its place changes nothing


def test_without_a_token_every_survey_endpoint_answers_401(world: World) -> None:
    o = _open_survey(world)
    _record(world, o)
    reads, writes = _endpoints(o, builders.survey(world.manager, "Draft"))
    client = Client()
    for path in reads:
        assert client.get(f"/api/v1{path}").status_code == 401, path
    for method, path, body in [*writes, ("post", f"/surveys/{o['survey'].pk}/responses", {"answers": []})]:
        response = getattr(client, method)(f"/api/v1{path}", data=json.dumps(body), content_type="application/json")
        assert response.status_code == 401, (method, path)


def test_another_organizations_surveys_answer_404(world: World, api_for: Any) -> None:
    o = _open_survey(world)
    response = _record(world, o)
    q, s = o["nps"].pk, o["survey"].pk
    attribute = builders.attributes(o["grid"])[0].pk
    outsider = api_for("outsider")
    calls = [
        ("get", f"/surveys/{s}", None),
        ("patch", f"/surveys/{s}", {"version": 1, "titles": {"en": "Mine now"}}),
        ("post", f"/surveys/{s}/status", {"version": 1, "status": "closed"}),
        ("post", f"/surveys/{s}/questions", {"kind": "nps", "texts": {"en": "Again?"}}),
        ("patch", f"/surveys/{s}/questions/{q}", {"version": 1, "required": False}),
        ("delete", f"/surveys/{s}/questions/{q}", None),
        ("post", f"/surveys/{s}/questions/reorder", {"question_ids": [q]}),
        ("post", f"/surveys/{s}/questions/{o['grid'].pk}/attributes", {"texts": {"en": "Price"}}),
        ("patch", f"/surveys/{s}/questions/{o['grid'].pk}/attributes/{attribute}", {"texts": {"en": "x"}}),
        ("delete", f"/surveys/{s}/questions/{o['grid'].pk}/attributes/{attribute}", None),
        ("get", f"/surveys/{s}/waves", None),
        ("post", f"/surveys/{s}/waves", {"name": "Theirs", "starts_on": "2026-01-01"}),
        ("get", f"/surveys/{s}/responses", None),
        ("get", f"/surveys/{s}/responses/{response.pk}", None),
        ("post", f"/surveys/{s}/responses", {"answers": _answers(o)}),
        ("get", f"/surveys/{s}/results", None),
        ("get", f"/surveys/{s}/comments", None),
    ]
    for method, path, body in calls:
        assert outsider.call(method, path, body).status_code == 404, (method, path)
    # within the organization: an object of another survey is not found through this one
    other = builders.survey(world.manager, "Other")
    manager = api_for("manager")
    assert manager.call("patch", f"/surveys/{other.pk}/questions/{q}", {"version": 1}).status_code == 404
    assert manager.call("get", f"/surveys/{other.pk}/responses/{response.pk}").status_code == 404
    assert Survey.objects.get(pk=s).status == "open" and Response.objects.count() == 1


def test_update_and_status_are_version_checked(world: World, api_for: Any) -> None:
    api = api_for("manager")
    survey = api.call("post", "/surveys", {"titles": {"en": "Draft one"}}).json()
    path = f"/surveys/{survey['id']}"
    renamed = api.call("patch", path, {"version": 1, "titles": {"en": "Renamed"}, "languages": ["en", "ms"]})
    assert renamed.status_code == 200, renamed.content
    assert (renamed.json()["title"], renamed.json()["languages"], renamed.json()["version"]) == (
        "Renamed",
        ["en", "ms"],
        2,
    )
    stale = api.call("patch", path, {"version": 1, "titles": {"en": "Lost update"}})
    assert stale.status_code == 409 and stale.json()["field"] == "version"
    assert api.call("patch", path, {"titles": {"en": "No version"}}).status_code == 422
    empty = api.call("post", f"{path}/status", {"version": 2, "status": "open"})
    assert empty.status_code == 422 and empty.json()["field"] == "status"  # no question yet
    added = api.call("post", f"{path}/questions", {"kind": "csat", "texts": {"en": "Satisfied?"}})
    assert added.status_code == 201 and added.json()["scale_max"] == 5
    assert api.call("post", f"{path}/status", {"version": 1, "status": "open"}).status_code == 409
    opened = api.call("post", f"{path}/status", {"version": 2, "status": "open"})
    assert opened.status_code == 200 and opened.json()["status"] == "open"
    frozen = api.call("patch", path, {"version": opened.json()["version"], "titles": {"en": "Too late"}})
    assert frozen.status_code == 422 and frozen.json()["field"] == "survey"
    assert (
        api.call("post", f"{path}/status", {"version": opened.json()["version"], "status": "draft"}).status_code == 422
    )
    assert api_for("agent").call("post", f"{path}/status", {"version": 3, "status": "closed"}).status_code == 403
    closed = api.call("post", f"{path}/status", {"version": opened.json()["version"], "status": "closed"})
    assert closed.json()["status"] == "closed"
    verbs = set(AuditEvent.objects.filter(object_id=survey["id"]).values_list("verb", flat=True))
    assert {"survey.created", "survey.updated", "survey.status_changed"} <= verbs


# Questions, attributes, waves -------------------------------------------------------------------------------


def test_questions_and_attributes_are_designed_through_the_api(world: World, api_for: Any) -> None:
    api = api_for("admin")
    survey = api.call("post", "/surveys", {"titles": {"en": "Design"}, "languages": ["en", "ru"]}).json()
    path = f"/surveys/{survey['id']}/questions"
    nps = api.call("post", path, {"kind": "nps", "texts": {"en": "Recommend?", "ru": "Порекомендуете?"}}).json()
    choice = api.call(
        "post",
        path,
        {
            "kind": "single_choice",
            "texts": {"en": "How did you order?"},
            "choices": [{"texts": {"en": "Phone"}}, {"code": 7, "texts": {"en": "Web"}}],
            "condition": {"question": nps["id"], "values": [0, 1, 2]},
        },
    )
    assert choice.status_code == 201, choice.content
    assert [c["code"] for c in choice.json()["choices"]] == [1, 7]
    assert choice.json()["condition"] == {"question": nps["id"], "values": [0, 1, 2]}
    grid = api.call("post", path, {"kind": "ipa_grid", "texts": {"en": "Rate"}, "scale_min": 1, "scale_max": 5}).json()
    bad_scale = api.call("post", path, {"kind": "rating", "texts": {"en": "Rate"}, "scale_min": 0, "scale_max": 40})
    assert bad_scale.status_code == 422 and bad_scale.json()["field"] == "scale_max"
    bad_kind = api.call("post", path, {"kind": "essay", "texts": {"en": "Write"}})
    assert bad_kind.status_code == 422 and "kind" in json.dumps(bad_kind.json()["errors"])

    edited = api.call("patch", f"{path}/{nps['id']}", {"version": nps["version"], "required": False})
    assert edited.status_code == 200 and edited.json()["required"] is False
    assert edited.json()["texts"] == {"en": "Recommend?", "ru": "Порекомендуете?"}  # left out: kept
    stale = api.call("patch", f"{path}/{nps['id']}", {"version": nps["version"], "texts": {"en": "Lost"}})
    assert stale.status_code == 409 and stale.json()["field"] == "version"

    attributes = f"{path}/{grid['id']}/attributes"
    on_time = api.call("post", attributes, {"texts": {"en": "On time"}})
    assert on_time.status_code == 201 and on_time.json()["position"] == 1
    price = api.call("post", attributes, {"texts": {"en": "Price"}, "service_id": world.service.pk}).json()
    twice = api.call("post", attributes, {"texts": {"en": "Price"}})
    assert twice.status_code == 422 and twice.json()["field"] == "texts"
    assert api.call("post", f"{path}/{nps['id']}/attributes", {"texts": {"en": "x"}}).json()["field"] == "question"
    renamed = api.call("patch", f"{attributes}/{price['id']}", {"texts": {"en": "Fair price"}})
    assert renamed.json()["texts"] == {"en": "Fair price"} and renamed.json()["service_id"] == world.service.pk
    assert api.call("patch", f"{attributes}/{price['id']}", {"service_id": None}).json()["service_id"] is None
    assert api.call("delete", f"{attributes}/{on_time.json()['id']}").status_code == 204
    got = api.call("get", f"/surveys/{survey['id']}").json()
    assert [a["texts"]["en"] for a in got["questions"][2]["attributes"]] == ["Fair price"]
    assert got["questions"][2]["attributes"][0]["position"] == 1

    ids = [q["id"] for q in got["questions"]]
    backwards = api.call("post", f"{path}/reorder", {"question_ids": [choice.json()["id"], nps["id"], grid["id"]]})
    assert backwards.status_code == 422 and backwards.json()["field"] == "order"  # the condition's source first
    partial = api.call("post", f"{path}/reorder", {"question_ids": ids[:2]})
    assert partial.status_code == 422 and partial.json()["field"] == "order"
    moved = api.call("post", f"{path}/reorder", {"question_ids": [grid["id"], nps["id"], choice.json()["id"]]})
    assert moved.status_code == 200 and moved.json() == {"question_ids": [grid["id"], nps["id"], choice.json()["id"]]}
    assert api.call("delete", f"{path}/{nps['id']}").json()["field"] == "question"  # a condition tests it
    assert api.call("delete", f"{path}/{grid['id']}").status_code == 204
    assert [q["position"] for q in api.call("get", f"/surveys/{survey['id']}").json()["questions"]] == [1, 2]
    assert api_for("lead").call("delete", f"{path}/{nps['id']}").status_code == 403
    unconditioned = api.call("patch", f"{path}/{choice.json()['id']}", {"version": 1, "condition": None})
    assert unconditioned.status_code == 200 and unconditioned.json()["condition"] is None
    assert api.call("delete", f"{path}/{nps['id']}").status_code == 204
    assert api_for("viewer").call("get", f"/surveys/{survey['id']}").status_code == 200
    assert Question.objects.filter(survey_id=survey["id"]).count() == 1


def test_waves_are_listed_and_added(world: World, api_for: Any) -> None:
    o = _open_survey(world)
    path = f"/surveys/{o['survey'].pk}/waves"
    api = api_for("manager")
    added = api.call("post", path, {"name": "Winter", "starts_on": "2026-12-01", "ends_on": "2027-02-28"})
    assert added.status_code == 201 and added.json()["name"] == "Winter"
    assert api.call("post", path, {"name": "Winter", "starts_on": "2027-12-01"}).json()["field"] == "name"
    backwards = api.call("post", path, {"name": "Odd", "starts_on": "2027-12-01", "ends_on": "2027-01-01"})
    assert backwards.status_code == 422 and backwards.json()["field"] == "ends_on"
    assert api_for("agent").call("post", path, {"name": "Mine", "starts_on": "2027-01-01"}).status_code == 403
    listed = api_for("viewer").call("get", path).json()
    assert [w["name"] for w in listed["items"]] == ["Spring", "Autumn", "Winter"]


# Responses --------------------------------------------------------------------------------------------------


def test_submit_with_an_idempotency_key_stores_the_response_once(world: World, api_for: Any) -> None:
    o = _open_survey(world)
    path = f"/surveys/{o['survey'].pk}/responses"
    api = api_for("agent")
    body = {"answers": _answers(o, comment=" Early! "), "wave_id": o["waves"][1].pk, "channel": "phone"}
    first = api.call("post", path, body, headers={"Idempotency-Key": "call-0815"})
    assert first.status_code == 201, first.content
    created = first.json()
    assert (created["channel"], created["wave_id"], created["service_id"]) == (
        "phone",
        o["waves"][1].pk,
        world.service.pk,
    )
    assert len(created["answers"]) == 7  # a row per chosen option and per grid attribute
    assert {a["value"] for a in created["answers"] if a["question_id"] == o["multi"].pk} == {1, 3}
    again = api.call("post", path, body, headers={"Idempotency-Key": "call-0815"})
    assert again.status_code == 200 and again.json() == created
    assert Response.objects.count() == 1 and Answer.objects.count() == 7
    other = api.call("post", path, {**body, "answers": _answers(o, nps=3)}, headers={"Idempotency-Key": "call-0815"})
    assert other.status_code == 409 and other.json()["field"] == "idempotency_key"
    elsewhere = api.call("post", path, {**body, "channel": "in_person"}, headers={"Idempotency-Key": "call-0815"})
    assert elsewhere.status_code == 409
    assert Response.objects.count() == 1
    # another key, or none, is another response
    assert api.call("post", path, body, headers={"Idempotency-Key": "call-0816"}).status_code == 201
    assert api.call("post", path, body).status_code == 201
    assert Response.objects.count() == 3


@pytest.mark.parametrize(("role", "status"), [("admin", 201), ("lead", 201), ("agent", 201), ("viewer", 403)])
def test_submitting_follows_the_customer_rights(world: World, api_for: Any, role: str, status: int) -> None:
    o = _open_survey(world)
    response = api_for(role).call(
        "post", f"/surveys/{o['survey'].pk}/responses", {"answers": _answers(o)}, headers={"Idempotency-Key": "k"}
    )
    assert response.status_code == status
    assert Response.objects.count() == (1 if status == 201 else 0)


def test_unacceptable_answers_answer_422_naming_the_field_and_save_nothing(world: World, api_for: Any) -> None:
    o = _open_survey(world)
    path = f"/surveys/{o['survey'].pk}/responses"
    api = api_for("agent")
    answers = _answers(o)
    out_of_scale = [{**answers[0], "value": 11}, *answers[1:]]
    cases = [
        ({"answers": out_of_scale}, "answers[0].value"),
        ({"answers": answers[1:]}, "answers"),  # the required NPS is missing
        ({"answers": [*answers, {"question": o["nps"].pk, "value": 3}]}, "answers[5].question"),
        ({"answers": answers, "wave_id": o["waves"][0].pk + 999}, "wave"),
        ({"answers": answers, "language": "ru"}, "language"),
        ({"answers": answers, "customer_id": world.outsider.pk + 999}, "customer"),
        ({"answers": answers, "started_at": "2999-01-01T00:00:00Z"}, "started_at"),
        ({"answers": answers, "started_at": "0001-01-01T00:00:00+05:00"}, "started_at"),
    ]
    for body, field in cases:
        response = api.call("post", path, body, headers={"Idempotency-Key": f"bad-{field}"})
        assert response.status_code == 422, (field, response.content)
        assert response.json()["field"] == field
    schema = api.call("post", path, {"answers": [{"question": o["nps"].pk, "value": "nine"}]})
    assert schema.status_code == 422 and "value" in json.dumps(schema.json()["errors"])
    actions.set_survey_status(acting_user=world.manager.user, survey=o["survey"], status="closed")
    closed = api.call("post", path, {"answers": answers})
    assert closed.status_code == 422 and closed.json()["field"] == "survey"
    assert Response.objects.count() == 0 and Answer.objects.count() == 0


def test_responses_are_listed_by_wave_and_time_and_read_with_their_answers(world: World, api_for: Any) -> None:
    o = _open_survey(world)
    spring = _record(world, o, wave=0, comment="Great")
    autumn = _record(world, o, wave=1)
    Response.objects.filter(pk=spring.pk).update(submitted_at=dt.datetime(2026, 3, 5, 12, tzinfo=dt.UTC))
    path = f"/surveys/{o['survey'].pk}/responses"
    api = api_for("viewer")
    assert [r["id"] for r in api.call("get", path).json()["items"]] == [autumn.pk, spring.pk]
    assert [r["id"] for r in api.call("get", path, wave=o["waves"][0].pk).json()["items"]] == [spring.pk]
    assert [r["id"] for r in api.call("get", path, submitted_to="2026-04-01T00:00:00Z").json()["items"]] == [spring.pk]
    assert [r["id"] for r in api.call("get", path, submitted_from="2026-04-01T00:00:00+02:00").json()["items"]] == [
        autumn.pk
    ]
    assert api.call("get", path, submitted_from="2026-04-01T00:00:00").status_code == 422  # no time zone
    assert api.call("get", path, page_size=500).status_code == 422
    one = api.call("get", f"{path}/{spring.pk}").json()
    assert one["channel"] == "email" and one["wave_id"] == o["waves"][0].pk
    assert [a["question_id"] for a in one["answers"]] == [
        o["nps"].pk,
        o["csat"].pk,
        o["multi"].pk,
        o["multi"].pk,
        o["text"].pk,
        o["grid"].pk,
        o["grid"].pk,
    ]
    assert next(a["text"] for a in one["answers"] if a["question_id"] == o["text"].pk) == "Great"
    assert api.call("get", f"{path}/{spring.pk + 999}").status_code == 404


# Results ----------------------------------------------------------------------------------------------------


def test_results_are_those_of_the_results_page(world: World, api_for: Any) -> None:
    o = _open_survey(world)
    for nps, csat, wave in [(10, 5, 0), (9, 4, 0), (3, 2, 0), (10, 5, 1), (6, 4, 1), (8, 1, 1)]:
        _record(world, o, wave=wave, nps=nps, csat=csat, comment=f"nps {nps}")
    api = api_for("viewer")
    path = f"/surveys/{o['survey'].pk}/results"
    body = api.call("get", path).json()
    assert body["responses"] == 6
    by_id = {q["question_id"]: q for q in body["questions"]}
    nps = by_id[o["nps"].pk]
    assert [bar["n"] for bar in nps["distribution"]] == [0, 0, 0, 1, 0, 0, 1, 0, 1, 1, 2]
    # 3 promoters, 2 detractors of 6: NPS 16.7, with its interval around it
    score = nps["score"]
    assert (score["kind"], score["n"], score["promoters"], score["passives"], score["detractors"]) == (
        "nps",
        6,
        3,
        1,
        2,
    )
    assert score["value"] == pytest.approx(100 * (3 - 2) / 6)
    assert score["ci95_low"] < score["value"] < score["ci95_high"]
    csat = by_id[o["csat"].pk]["score"]
    assert (csat["kind"], csat["satisfied"], csat["n"]) == ("csat", 4, 6)
    assert [bar["label"] for bar in by_id[o["multi"].pk]["distribution"]] == ["Bricks", "Cement", "Sand"]
    assert [bar["n"] for bar in by_id[o["multi"].pk]["distribution"]] == [6, 0, 6]
    grid = by_id[o["grid"].pk]["ipa"]
    assert [a["name"] for a in grid["attributes"]] == ["On time", "Undamaged"]
    assert grid["attributes"][0]["importance"] == pytest.approx(7)

    # exactly the numbers of surveys.results (one aggregation path for the page and the API)
    page = survey_results(o["survey"], list(questions_of(o["survey"])), Filters(), "en")
    assert [(q["question_id"], q["n"]) for q in body["questions"]] == [(r.question.pk, r.n) for r in page.questions]
    trend = {t["question_id"]: t for t in body["trend"]}
    page_trend = {q.pk: series for q, series in page.trend}
    assert set(trend) == set(page_trend) == {o["nps"].pk, o["csat"].pk}
    assert [(p["wave"], p["score"]["value"]) for p in trend[o["nps"].pk]["waves"]] == [
        (name, s.value) for name, s in page_trend[o["nps"].pk]
    ]
    assert [p["wave"] for p in trend[o["nps"].pk]["waves"]] == ["Spring", "Autumn"]
    assert [b["title"] for b in body["breakdowns"]] == [b.title for b in page.breakdowns]

    autumn = api.call("get", path, wave=o["waves"][1].pk).json()
    assert autumn["responses"] == 3
    assert {q["question_id"]: q for q in autumn["questions"]}[o["nps"].pk]["score"]["n"] == 3
    assert api.call("get", path, channel="kiosk").json()["responses"] == 0
    assert api.call("get", path, wave=o["waves"][1].pk + 999).json()["field"] == "wave"
    assert api.call("get", path, service=world.service.pk + 999).json()["field"] == "service"
    assert api.call("get", path, channel="pigeon").status_code == 422

    comments = api.call("get", f"/surveys/{o['survey'].pk}/comments", q="nps 1").json()
    assert [c["text"] for c in comments["items"]] == ["nps 10", "nps 10"]
    assert api.call("get", f"/surveys/{o['survey'].pk}/comments", page_size=2).json()["count"] == 6
