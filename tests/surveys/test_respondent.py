"""Respondents answer without signing in: personal single-use links, public links, pages with saved
drafts, display conditions, the language of the invitation, one response per link, idempotent retries."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from servicecycle.surveys import actions
from servicecycle.surveys.models import Answer, Draft, Invitation, Question, Response, Survey
from tests.factories import World
from tests.surveys import builders

K = Question.Kind


def _survey(world: World) -> tuple[Survey, Question, Question, Question]:
    """NPS, a follow-up shown only to detractors, and a grid with a competitor, in English and Malay."""
    s = builders.survey(world.admin, languages=["en", "ms"], default_language="en")
    nps = actions.add_question(
        acting_user=world.admin.user,
        survey=s,
        kind=K.NPS,
        texts={"en": "Would you recommend us?", "ms": "Adakah anda akan mengesyorkan kami?"},
    )
    why = actions.add_question(
        acting_user=world.admin.user,
        survey=s,
        kind=K.TEXT,
        texts={"en": "What went wrong?", "ms": "Apa yang tidak kena?"},
        condition={"question": nps.pk, "values": list(range(0, 7))},
    )
    grid = builders.grid(world.admin, s, ("On time", "Friendly"), competitor_name="Rival")
    return builders.open_survey(world.admin, s), nps, why, grid


def _invite(world: World, survey: Survey, language: str = "") -> str:
    _inv, token = actions.create_invitation(
        acting_user=world.admin.user, survey=survey, email="ana@example.test", language=language
    )
    return reverse("survey-invitation", kwargs={"token": token})


def _grid_data(grid: Question, scores: dict[str, tuple[int, int, int | None]]) -> dict[str, str]:
    data: dict[str, str] = {}
    for a in grid.attributes.all():
        importance, performance, competitor = scores[a.texts["en"]]
        data[f"q{grid.pk}-a{a.pk}-i"] = str(importance)
        data[f"q{grid.pk}-a{a.pk}-p"] = str(performance)
        if competitor is not None:
            data[f"q{grid.pk}-a{a.pk}-c"] = str(competitor)
    return data


def test_a_personal_link_is_answered_page_by_page_in_the_invitations_language(world: World) -> None:
    survey, nps, why, grid = _survey(world)
    url = _invite(world, survey, language="ms")
    client = Client()
    page = client.get(url)
    body = page.content.decode()
    assert page.status_code == 200
    assert '<html lang="ms"' in body
    assert "Adakah anda akan mengesyorkan kami?" in body
    assert '<progress id="survey-progress" value="1" max="2">' in body
    # real labels and a fieldset/legend for the scale
    assert f'<fieldset id="q{nps.pk}"' in body and "<legend" in body
    assert f'<label for="q{nps.pk}-0"' in body
    submission = body.split('name="submission" value="')[1].split('"')[0]
    # page 1 without an answer: the error is linked to the question
    page = client.post(url + "?page=1", {"submission": submission, "move": "next"})
    body = page.content.decode()
    assert f'aria-describedby="q{nps.pk}-error"' in body and f'id="q{nps.pk}-error"' in body
    assert Draft.objects.get().answers == {}
    # a detractor: the follow-up question appears on the next page
    page = client.post(url + "?page=1", {"submission": submission, "move": "next", f"q{nps.pk}": "3"})
    assert page.status_code == 302 and page["Location"].endswith("?page=2")
    page = client.get(page["Location"])
    assert "Apa yang tidak kena?" in page.content.decode()
    assert '<progress id="survey-progress" value="2" max="3">' in page.content.decode()
    client.post(url + "?page=2", {"submission": submission, "move": "next", f"q{why.pk}": "Lambat"})
    data = {"submission": submission, "move": "submit"}
    data.update(_grid_data(grid, {"On time": (7, 2, 5), "Friendly": (4, 6, None)}))
    page = client.post(url + "?page=3", data)
    assert page.status_code == 200
    assert 'data-outcome="thanks"' in page.content.decode()
    response = Response.objects.get()
    assert response.language == "ms"
    assert Invitation.objects.get().used_at is not None
    assert Invitation.objects.get().response == response
    rows = {(a.question_id, a.attribute_id): a for a in Answer.objects.filter(response=response)}
    assert rows[(nps.pk, None)].value == 3
    assert rows[(why.pk, None)].text == "Lambat"
    on_time = grid.attributes.get(position=1)
    assert (rows[(grid.pk, on_time.pk)].importance, rows[(grid.pk, on_time.pk)].performance) == (7, 2)
    assert rows[(grid.pk, on_time.pk)].competitor_performance == 5

    # the same final page sent again (double click, retry): the same thanks, still one response
    again = client.post(url + "?page=3", data)
    assert again.status_code == 200 and 'data-outcome="thanks"' in again.content.decode()
    assert Response.objects.count() == 1
    # opening the link again, or answering from elsewhere: refused politely
    later = Client().get(url)
    assert later.status_code == 200 and 'data-outcome="already"' in later.content.decode()
    other = Client().post(url + "?page=1", {"submission": "another", "move": "next", f"q{nps.pk}": "10"})
    assert other.status_code == 409 and 'data-outcome="already"' in other.content.decode()
    assert Response.objects.count() == 1


def test_a_promoter_skips_the_follow_up_and_answers_are_saved_between_visits(world: World) -> None:
    survey, nps, why, grid = _survey(world)
    url = _invite(world, survey)
    first = Client()
    body = first.get(url).content.decode()
    submission = body.split('name="submission" value="')[1].split('"')[0]
    first.post(url + "?page=1", {"submission": submission, "move": "next", f"q{nps.pk}": "9"})
    # another device, later: the draft lives on the server under the invitation
    second = Client()
    body = second.get(url).content.decode()
    assert f'id="q{nps.pk}-9" name="q{nps.pk}" value="9" checked' in body
    assert '<progress id="survey-progress" value="1" max="2">' in body  # the follow-up is hidden for a promoter
    data = {
        "submission": submission,
        "move": "submit",
        **_grid_data(grid, {"On time": (5, 5, None), "Friendly": (3, 4, None)}),
    }
    # a grid line half rated is named
    partial = dict(data)
    partial.pop(next(k for k in data if k.endswith("-p")))
    page = second.post(url + "?page=2", partial)
    assert "every line" in page.content.decode()
    assert Response.objects.count() == 0
    page = second.post(url + "?page=2", data)
    assert 'data-outcome="thanks"' in page.content.decode()
    response = Response.objects.get()
    assert not Answer.objects.filter(response=response, question=why).exists()


def test_the_language_switcher_changes_the_page_language(world: World) -> None:
    survey, _nps, _why, _grid = _survey(world)
    url = _invite(world, survey, language="en")
    client = Client()
    assert "Would you recommend us?" in client.get(url).content.decode()
    body = client.get(url + "?lang=ms").content.decode()
    assert "Adakah anda akan mengesyorkan kami?" in body and '<html lang="ms"' in body
    assert Draft.objects.get().language == "ms"
    # a language the survey does not have is ignored
    assert '<html lang="ms"' in client.get(url + "?lang=ru").content.decode()


def test_out_of_scale_or_forged_values_are_refused_with_a_message(world: World) -> None:
    survey, nps, _why, _grid = _survey(world)
    url = _invite(world, survey)
    client = Client()
    body = client.get(url).content.decode()
    submission = body.split('name="submission" value="')[1].split('"')[0]
    page = client.post(url + "?page=1", {"submission": submission, "move": "next", f"q{nps.pk}": "12"})
    assert page.status_code == 200 and "outside its scale" in page.content.decode()
    page = client.post(url + "?page=1", {"submission": submission, "move": "next", f"q{nps.pk}": "abc"})
    assert page.status_code == 200 and "whole number" in page.content.decode()
    assert Draft.objects.get().answers == {}


def test_unknown_closed_and_draft_surveys(world: World) -> None:
    assert Client().get(reverse("survey-invitation", kwargs={"token": "nope"})).status_code == 404
    mistyped = Client().get(reverse("survey-public", kwargs={"key": "nope"}))
    assert mistyped.status_code == 404 and "This link does not work" in mistyped.content.decode()
    survey, _nps, _why, _grid = _survey(world)
    url = _invite(world, survey)
    actions.set_survey_status(acting_user=world.admin.user, survey=survey, status=Survey.Status.CLOSED)
    assert 'data-outcome="closed"' in Client().get(url).content.decode()


def _public(world: World, one_per_browser: bool) -> tuple[Survey, Question, str]:
    s = builders.survey(world.admin)
    q = builders.question(world.admin, s, K.CSAT, "Happy?")
    builders.open_survey(world.admin, s)
    s = actions.set_public_link(acting_user=world.admin.user, survey=s, enabled=True, one_per_browser=one_per_browser)
    return s, q, reverse("survey-public", kwargs={"key": s.public_key})


def _answer_public(client: Client, url: str, q: Question, value: str) -> Any:
    body = client.get(url).content.decode()
    if 'name="submission"' not in body:
        return body
    submission = body.split('name="submission" value="')[1].split('"')[0]
    return client.post(url + "?page=1", {"submission": submission, "move": "submit", f"q{q.pk}": value})


def test_a_public_link_limited_to_one_response_per_browser(world: World) -> None:
    _s, q, url = _public(world, one_per_browser=True)
    browser = Client()
    page = _answer_public(browser, url, q, "5")
    assert 'data-outcome="thanks"' in page.content.decode()
    assert 'data-outcome="already"' in _answer_public(browser, url, q, "1")
    assert Response.objects.count() == 1
    # another browser may answer
    _answer_public(Client(), url, q, "4")
    assert Response.objects.count() == 2
    # a forged cookie is not this browser: it gets a new id
    forged = Client()
    forged.cookies["sc_survey_browser"] = "forged"
    _answer_public(forged, url, q, "2")
    assert Response.objects.count() == 3


def test_a_public_link_without_the_limit_answers_again_from_the_same_browser(world: World) -> None:
    _s, q, url = _public(world, one_per_browser=False)
    browser = Client()
    _answer_public(browser, url, q, "5")
    _answer_public(browser, url, q, "3")
    assert sorted(Answer.objects.values_list("value", flat=True)) == [3, 5]
    assert set(Response.objects.values_list("channel", flat=True)) == {"web"}


def test_disabling_the_public_link_takes_it_down(world: World) -> None:
    survey, _q, url = _public(world, one_per_browser=False)
    actions.set_public_link(acting_user=world.admin.user, survey=survey, enabled=False)
    assert Client().get(url).status_code == 404


def test_respondent_posts_are_rate_limited(world: World, settings: Any, one_rate_window: None) -> None:
    _s, _q, url = _public(world, one_per_browser=False)
    client = Client()
    statuses = [client.post(url + "?page=1", {"move": "next"}).status_code for _ in range(61)]
    assert statuses[:60].count(429) == 0
    assert statuses[-1] == 429


def test_the_page_is_served_in_the_respondents_language_and_not_cached(world: World) -> None:
    survey, _nps, _why, _grid = _survey(world)
    url = _invite(world, survey, language="ms")
    page = Client().get(url)
    assert page["Content-Language"] == "ms"
    assert page["Cache-Control"] == "no-store"
    assert "https://" not in page.content.decode().split("<main")[0]  # no external assets
