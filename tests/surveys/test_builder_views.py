"""The survey builder pages: create (empty or from a template), edit texts in every language, questions,
attributes, waves, links, opening and closing; every change through the actions, bad input named."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from servicecycle.surveys.blueprints import BLUEPRINTS, SERVQUAL_ITEMS
from servicecycle.surveys.models import Invitation, Question, Survey
from tests import factories
from tests.factories import World
from tests.surveys import builders

K = Question.Kind


def test_list_shows_the_organizations_surveys_with_counts(world: World, client_for: Any) -> None:
    s = builders.survey(world.admin, "Delivery check")
    builders.question(world.admin, s, K.NPS)
    body = client_for("viewer").get(reverse("survey-list")).content.decode()
    assert "Delivery check" in body
    assert "New survey" not in body  # viewers cannot design
    assert "New survey" in client_for("manager").get(reverse("survey-list")).content.decode()


def test_list_query_count_does_not_grow_with_surveys(
    world: World, client_for: Any, django_assert_num_queries: Any
) -> None:
    client = client_for("manager")
    builders.survey(world.admin, "One")
    client.get(reverse("survey-list"))
    with django_assert_num_queries(9) as first:
        client.get(reverse("survey-list"))
    for i in range(5):
        s = builders.survey(world.admin, f"More {i}")
        builders.question(world.admin, s, K.CSAT)
    with django_assert_num_queries(len(first.captured_queries)):
        client.get(reverse("survey-list"))


def test_create_an_empty_survey_and_its_title_is_required(world: World, client_for: Any) -> None:
    client = client_for("manager")
    data = {"start": "blank", "title": "", "languages": ["en", "ms"], "default_language": "en"}
    response = client.post(reverse("survey-create"), data)
    assert response.status_code == 200
    assert "default language" in response.content.decode()
    assert not Survey.objects.exists()
    data["title"] = "Quarterly check"
    response = client.post(reverse("survey-create"), data)
    survey = Survey.objects.get()
    assert response["Location"] == reverse("survey-detail", args=[survey.pk])
    assert survey.titles == {"en": "Quarterly check"}
    assert survey.languages == ["en", "ms"]
    # the Malay title is missing: the completeness check says so
    body = client.get(reverse("survey-detail", args=[survey.pk])).content.decode()
    assert "Title: <strong>ms</strong>" in body


@pytest.mark.parametrize("key", sorted(BLUEPRINTS))
def test_every_template_builds_a_complete_draft_in_four_languages(world: World, client_for: Any, key: str) -> None:
    client = client_for("manager")
    response = client.post(
        reverse("survey-create"),
        {"start": key, "languages": ["en", "ru", "ms", "es"], "default_language": "en"},
    )
    survey = Survey.objects.get()
    assert response.status_code == 302
    assert survey.kind == BLUEPRINTS[key].kind
    assert set(survey.titles) == {"en", "ru", "ms", "es"}
    for q in survey.questions.all():
        assert set(q.texts) == {"en", "ru", "ms", "es"}, q
    body = client.get(reverse("survey-detail", args=[survey.pk])).content.decode()
    if key != "importance":  # the candidate services are named only in the default language
        assert "texts are missing" not in body


def test_servqual_template_has_22_pairs_in_five_dimensions_and_the_allocation(world: World, client_for: Any) -> None:
    client_for("manager").post(
        reverse("survey-create"), {"start": "servqual", "languages": ["en"], "default_language": "en"}
    )
    survey = Survey.objects.get()
    pairs = list(survey.questions.filter(kind=K.SERVQUAL_PAIR).order_by("position"))
    assert len(pairs) == 22 == len(SERVQUAL_ITEMS)
    assert [q.item_number for q in pairs] == list(range(1, 23))
    assert {q.dimension for q in pairs} == set(Question.Dimension.values)
    assert all((q.scale_min, q.scale_max) == (1, 7) for q in pairs)
    allocation = survey.questions.get(kind=K.ALLOCATION)
    assert allocation.scale_max == 100
    assert sorted(a.dimension for a in allocation.attributes.all()) == sorted(Question.Dimension.values)
    assert survey.titles == {"en": BLUEPRINTS["servqual"].titles["en"]}


def test_add_edit_move_and_remove_questions(world: World, client_for: Any) -> None:
    client = client_for("manager")
    survey = builders.survey(world.admin, languages=["en", "ms"], default_language="en")
    url = reverse("question-add", args=[survey.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"kind": "nps", "text_en": "Would you recommend us?", "text_ms": "", "required": "on"})
    assert response.status_code == 302
    nps = survey.questions.get()
    assert nps.texts == {"en": "Would you recommend us?"}
    # a missing default text is named on its field; nothing saved
    response = client.post(url, {"kind": "text", "text_en": "", "text_ms": "Kenapa?"})
    assert response.status_code == 200 and "default language" in response.content.decode()
    assert survey.questions.count() == 1
    # conditional follow-up: shown only to detractors
    response = client.post(
        url,
        {
            "kind": "text",
            "text_en": "What went wrong?",
            "text_ms": "Apa yang tidak kena?",
            "condition_question": str(nps.pk),
            "condition_values": "0-6",
        },
    )
    assert response.status_code == 302
    follow = survey.questions.get(kind=K.TEXT)
    assert follow.condition == {"question": nps.pk, "values": [0, 1, 2, 3, 4, 5, 6]}
    assert follow.required is False
    # an unreadable condition is named
    response = client.post(
        url, {"kind": "text", "text_en": "x", "condition_question": str(nps.pk), "condition_values": "lots"}
    )
    assert "for example 0-6" in response.content.decode()
    # the follow-up cannot move above the question it depends on
    client.post(reverse("question-move", args=[survey.pk, follow.pk]), {"direction": "up"})
    assert list(survey.questions.order_by("position").values_list("kind", flat=True)) == ["nps", "text"]
    # nor can its source be removed while it depends on it
    client.post(reverse("question-remove", args=[survey.pk, nps.pk]))
    assert survey.questions.count() == 2
    # edit the NPS question: add its Malay text
    edit = reverse("question-edit", args=[survey.pk, nps.pk])
    form = client.get(edit).content.decode()
    assert "Would you recommend us?</textarea>" in form
    response = client.post(
        edit,
        {
            "text_en": "Would you recommend us?",
            "text_ms": "Adakah anda akan mengesyorkan kami?",
            "required": "on",
            "version": "1",
        },
    )
    assert response.status_code == 302
    nps.refresh_from_db()
    assert nps.texts["ms"] == "Adakah anda akan mengesyorkan kami?"
    # a stale version is refused
    response = client.post(edit, {"text_en": "Changed", "required": "on", "version": "1"})
    assert "Someone else changed" in response.content.decode()
    # remove the follow-up, then move the rest
    client.post(reverse("question-remove", args=[survey.pk, follow.pk]))
    assert list(survey.questions.values_list("position", flat=True)) == [1]


def test_choice_options_are_written_per_language_line_by_line(world: World, client_for: Any) -> None:
    client = client_for("manager")
    survey = builders.survey(world.admin, languages=["en", "es"], default_language="en")
    response = client.post(
        reverse("question-add", args=[survey.pk]),
        {
            "kind": "single_choice",
            "text_en": "How did you hear of us?",
            "text_es": "¿Cómo nos conoció?",
            "choices_en": "A friend\nThe web\n",
            "choices_es": "Un amigo\nInternet",
            "required": "on",
        },
    )
    assert response.status_code == 302
    q = survey.questions.get()
    assert q.choices == [
        {"code": 1, "texts": {"en": "A friend", "es": "Un amigo"}},
        {"code": 2, "texts": {"en": "The web", "es": "Internet"}},
    ]


def test_grid_attributes_and_a_competitor(world: World, client_for: Any) -> None:
    client = client_for("manager")
    survey = builders.survey(world.admin, languages=["en", "ms"], default_language="en")
    response = client.post(
        reverse("question-add", args=[survey.pk]),
        {
            "kind": "ipa_grid",
            "text_en": "Rate each",
            "scale_min": "1",
            "scale_max": "7",
            "competitor_name": "Rival",
            "required": "on",
        },
    )
    grid = survey.questions.get()
    assert response["Location"] == reverse("attribute-add", args=[survey.pk, grid.pk])
    add = reverse("attribute-add", args=[survey.pk, grid.pk])
    client.post(
        add,
        {
            "text_en": "On time",
            "text_ms": "Tepat masa",
            "service": str(world.service.pk),
            "moment": str(world.moments[0].pk),
        },
    )
    client.post(add, {"text_en": "Friendly", "text_ms": ""})
    response = client.post(add, {"text_en": "On time"})
    assert "already has an attribute" in response.content.decode()
    attrs = list(grid.attributes.order_by("position"))
    assert [a.texts for a in attrs] == [{"en": "On time", "ms": "Tepat masa"}, {"en": "Friendly"}]
    assert attrs[0].moment_id == world.moments[0].pk
    client.post(
        reverse("attribute-edit", args=[survey.pk, grid.pk, attrs[1].pk]), {"text_en": "Friendly", "text_ms": "Mesra"}
    )
    attrs[1].refresh_from_db()
    assert attrs[1].texts == {"en": "Friendly", "ms": "Mesra"}
    client.post(reverse("attribute-remove", args=[survey.pk, grid.pk, attrs[0].pk]))
    assert [a.position for a in grid.attributes.all()] == [1]


def test_edit_languages_drops_texts_of_a_removed_language(world: World, client_for: Any) -> None:
    client = client_for("manager")
    survey = builders.survey(world.admin, languages=["en", "ms"], default_language="en")
    q = builders.question(world.admin, survey, K.CSAT)
    q.texts = {"en": "Happy?", "ms": "Gembira?"}
    q.save()
    response = client.post(
        reverse("survey-edit", args=[survey.pk]),
        {
            "title_en": "Renamed",
            "title_ru": "Переименовано",
            "languages": ["en", "ru"],
            "default_language": "en",
            "version": "1",
        },
    )
    assert response.status_code == 302
    survey.refresh_from_db()
    q.refresh_from_db()
    assert survey.titles == {"en": "Renamed", "ru": "Переименовано"}
    assert q.texts == {"en": "Happy?"}


def test_open_close_waves_public_link_and_a_personal_link(world: World, client_for: Any) -> None:
    client = client_for("manager")
    survey = builders.survey(world.admin)
    status = reverse("survey-status", args=[survey.pk])
    client.post(status, {"status": "open"})
    survey.refresh_from_db()
    assert survey.status == "draft"  # no question yet: refused with a message
    builders.question(world.admin, survey, K.NPS)
    client.post(status, {"status": "open"})
    survey.refresh_from_db()
    assert survey.status == "open"
    # the structure is fixed now
    assert client.get(reverse("question-add", args=[survey.pk])).status_code == 200
    response = client.post(reverse("question-add", args=[survey.pk]), {"kind": "nps", "text_en": "Again?"})
    assert "only while the survey is a draft" in response.content.decode()
    response = client.post(reverse("wave-add", args=[survey.pk]), {"name": "", "starts_on": "2026-01-01"})
    assert "Give the wave a name" in response.content.decode()
    client.post(
        reverse("wave-add", args=[survey.pk]), {"name": "Q1 2026", "starts_on": "2026-01-01", "ends_on": "2026-03-31"}
    )
    assert survey.waves.get().name == "Q1 2026"
    client.post(reverse("survey-public-link", args=[survey.pk]), {"enabled": "on", "one_per_browser": "on"})
    survey.refresh_from_db()
    assert survey.public_key and survey.one_per_browser
    assert (
        reverse("survey-public", args=[survey.public_key])
        in client.get(reverse("survey-detail", args=[survey.pk])).content.decode()
    )
    response = client.post(reverse("invitation-add", args=[survey.pk]), {"email": "", "language": ""})
    assert "Choose a customer or give an email" in response.content.decode()
    response = client.post(reverse("invitation-add", args=[survey.pk]), {"email": "ana@example.test", "language": "en"})
    body = response.content.decode()
    invitation = Invitation.objects.get()
    assert "/s/i/" in body and invitation.email == "ana@example.test"
    token = body.split("/s/i/")[1].split("/")[0]
    from servicecycle.core.changes import hash_token

    assert hash_token(token) == invitation.token_hash
    client.post(status, {"status": "closed"})
    survey.refresh_from_db()
    assert survey.status == "closed"


def test_viewers_read_but_cannot_design(world: World, client_for: Any) -> None:
    survey = builders.survey(world.admin)
    viewer = client_for("viewer")
    assert viewer.get(reverse("survey-detail", args=[survey.pk])).status_code == 200
    assert viewer.get(reverse("survey-edit", args=[survey.pk])).status_code == 403
    assert viewer.post(reverse("survey-status", args=[survey.pk]), {"status": "open"}).status_code == 403
    assert client_for("outsider").get(reverse("survey-detail", args=[survey.pk])).status_code == 404


def test_reorder_takes_the_whole_order_and_keeps_conditions_after_their_source(world: World, client_for: Any) -> None:
    client = client_for("manager")
    survey = builders.survey(world.admin)
    nps = builders.question(world.admin, survey, K.NPS)
    csat = builders.question(world.admin, survey, K.CSAT)
    follow = builders.question(world.admin, survey, K.TEXT, condition={"question": nps.pk, "values": [0, 1]})
    url = reverse("question-reorder", args=[survey.pk])
    client.post(url, {"question": [csat.pk, nps.pk, follow.pk]})
    assert list(survey.questions.order_by("position").values_list("pk", flat=True)) == [csat.pk, nps.pk, follow.pk]
    response = client.post(url, {"question": [follow.pk, csat.pk, nps.pk]}, follow=True)
    assert "must stay before it" in response.content.decode()
    response = client.post(url, {"question": [csat.pk, nps.pk]}, follow=True)
    assert "exactly once" in response.content.decode()
    assert list(survey.questions.order_by("position").values_list("pk", flat=True)) == [csat.pk, nps.pk, follow.pk]


def test_the_moment_picker_lists_the_moments_of_the_chosen_service(world: World, client_for: Any) -> None:
    client = client_for("manager")
    other = factories.service(world.admin, world.other_team, "Other service")
    stranger = factories.moment(world.admin, other, name="Somebody else's step")
    survey = builders.survey(world.admin, languages=["en"], default_language="en", service_id=world.service.pk)
    url = reverse("question-add", args=[survey.pk])

    form = client.get(url + "?kind=csat").context["form"]
    assert form["service"].value() == world.service.pk  # a new question starts with the survey's service
    assert list(form.fields["moment"].queryset) == list(world.moments)
    assert form.fields["service"].widget.attrs["hx-get"] == reverse("moment-options")
    assert stranger.name not in client.get(url + "?kind=csat").content.decode()

    # a moment of another service than the one chosen is refused, nothing saved
    response = client.post(
        url, {"kind": "csat", "text_en": "How was it?", "service": str(world.service.pk), "moment": str(stranger.pk)}
    )
    assert response.status_code == 200 and survey.questions.count() == 0
    assert "moment" in response.context["form"].errors
    response = client.post(
        url, {"kind": "csat", "text_en": "How was it?", "service": str(other.pk), "moment": str(stranger.pk)}
    )
    assert response.status_code == 302
    question = survey.questions.get()
    assert (question.service_id, question.moment_id) == (other.pk, stranger.pk)

    # editing shows the question's own service's moments, with its moment chosen
    edit = client.get(reverse("question-edit", args=[survey.pk, question.pk])).context["form"]
    assert list(edit.fields["moment"].queryset) == [stranger]
    assert edit["moment"].value() == stranger.pk


def test_a_moment_saved_without_its_service_stays_chosen_when_edited(world: World, client_for: Any) -> None:
    """Through the API a question may name a moment and no service: the editor picks the moment's service so
    saving the page does not drop the moment."""
    survey = builders.survey(world.admin, languages=["en"], default_language="en")
    question = builders.question(world.admin, survey, K.CSAT, "How was it?", moment_id=world.moments[1].pk)
    assert question.service_id is None
    form = client_for("manager").get(reverse("question-edit", args=[survey.pk, question.pk])).context["form"]
    assert form["service"].value() == world.service.pk
    assert form["moment"].value() == world.moments[1].pk and world.moments[1] in form.fields["moment"].queryset


def test_a_new_attribute_can_be_saved_and_another_added_an_edited_one_cannot(world: World, client_for: Any) -> None:
    client = client_for("manager")
    for service_id in (world.service.pk, None):  # with and without a service on the survey
        survey = builders.survey(world.admin, languages=["en"], default_language="en", service_id=service_id)
        grid = builders.grid(world.admin, survey, ("On time",))
        assert (
            "Save and add another" in client.get(reverse("attribute-add", args=[survey.pk, grid.pk])).content.decode()
        )
        attribute = grid.attributes.get()
        edit = client.get(reverse("attribute-edit", args=[survey.pk, grid.pk, attribute.pk])).content.decode()
        assert "Save and add another" not in edit
