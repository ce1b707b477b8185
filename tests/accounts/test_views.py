from __future__ import annotations

from typing import Any

from django.urls import reverse

from servicecycle.accounts.models import Customer, Staff, Team
from tests.factories import World


def test_working_hours_form_reads_split_shifts_and_names_the_bad_day(world: World, client_for: Any) -> None:
    client = client_for("admin")
    response = client.post(
        reverse("working-hours"), {"day_0": "09:00-13:00, 14:00-18:00", "day_1": "9-17", "day_2": "nonsense"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Write each interval as HH:MM-HH:MM" in body
    assert world.org.working_intervals.count() == 5  # nothing saved
    response = client.post(reverse("working-hours"), {"day_0": "09:00-13:00, 14:00-18:00", "day_5": "22:00-24:00"})
    assert response.status_code == 302
    assert list(world.org.working_intervals.values_list("weekday", "opens", "closes")) == [
        (0, 540, 780),
        (0, 840, 1080),
        (5, 1320, 1440),
    ]
    page = client.get(reverse("organization")).content.decode()
    assert "09:00-13:00, 14:00-18:00" in page and "22:00-24:00" in page


def test_admin_adds_a_staff_member_with_teams(world: World, client_for: Any) -> None:
    response = client_for("admin").post(
        reverse("staff-create"),
        {
            "email": "New.Person@Example.test",
            "first_name": "New",
            "last_name": "Person",
            "role": "agent",
            "teams": [world.owner_team.pk],
        },
    )
    assert response.status_code == 302
    person = Staff.objects.get(user__username="new.person@example.test")
    assert list(person.teams.all()) == [world.owner_team]
    assert not person.user.has_usable_password()


def test_a_group_of_checkboxes_is_a_fieldset_named_by_its_legend(world: World, client_for: Any) -> None:
    """A label may hold one control: the team boxes are a fieldset whose legend says what they are."""
    import re

    body = client_for("admin").get(reverse("staff-create")).content.decode()
    group = re.search(r"<fieldset><legend>Teams.*?</legend>(.*?)</fieldset>", body, re.S)
    assert group is not None and 'name="teams"' in group.group(1)
    labels = re.findall(r"<label>(.*?)</label>", body, re.S)
    assert not any(label.count("<input") > 1 for label in labels)


def test_team_form_refuses_a_duplicate_name(world: World, client_for: Any) -> None:
    response = client_for("manager").post(reverse("team-create"), {"name": "Warehouse", "color": "#123456"})
    assert response.status_code == 200
    assert Team.objects.filter(name="Warehouse").count() == 1


def test_customer_list_searches_and_paginates(world: World, client_for: Any) -> None:
    Customer.objects.bulk_create(Customer(organization=world.org, name=f"Customer {i:03d}") for i in range(60))
    client = client_for("agent")
    body = client.get(reverse("customer-list")).content.decode()
    assert "Page 1 of 3" in body
    body = client.get(reverse("customer-list"), {"q": "Customer 05"}).content.decode()
    assert "Customer 050" in body and "Customer 060" not in body
    body = client.get(reverse("customer-list"), {"q": "zzz"}).content.decode()
    assert "No customer matches this search." in body


def test_customer_edit_with_a_stale_form_says_so(world: World, client_for: Any) -> None:
    client = client_for("agent")
    client.post(reverse("customer-create"), {"name": "Dana", "preferred_language": "en"})
    customer = Customer.objects.get(name="Dana")
    url = reverse("customer-edit", kwargs={"pk": customer.pk})
    data = {"name": "Dana B", "preferred_language": "en", "version": 1}
    assert client.post(url, data).status_code == 302
    stale = client.post(url, {**data, "name": "Dana C"})
    assert "Someone else changed this record" in stale.content.decode()
    customer.refresh_from_db()
    assert customer.name == "Dana B"


def test_text_is_escaped_everywhere_it_is_shown(world: World, client_for: Any) -> None:
    payload = '<script>alert("x")</script>'
    client = client_for("admin")
    client.post(reverse("customer-create"), {"name": payload, "preferred_language": "en"})
    customer = Customer.objects.get(name=payload)
    for url in (
        reverse("customer-list"),
        reverse("customer-detail", kwargs={"pk": customer.pk}),
        reverse("audit-log"),
    ):
        body = client.get(url).content.decode()
        assert payload not in body
        assert "&lt;script&gt;" in body


def test_token_page_shows_a_new_token_once(world: World, client_for: Any) -> None:
    from servicecycle.accounts.models import ApiToken

    client = client_for("viewer")
    created = client.post(reverse("token-list"), {"name": "Spreadsheet"})
    assert created.status_code == 302 and created["Location"] == reverse("token-list")  # a reload sends nothing
    body = client.get(reverse("token-list")).content.decode()
    assert "shown only once" in body and "sc_" in body
    assert "<code>Authorization: Bearer &lt;token&gt;</code>" in body  # the placeholder is text, not a tag
    body = client.get(reverse("token-list")).content.decode()
    assert "shown only once" not in body and "Spreadsheet" in body
    assert ApiToken.objects.filter(name="Spreadsheet").count() == 1


def test_adding_a_date_the_calendar_has_asks_before_replacing_it(world: World, client_for: Any) -> None:
    from servicecycle.accounts import actions

    actions.set_calendar_date(
        acting_user=world.admin.user, organization=world.org, date="2026-12-25", kind="closed", note="Christmas"
    )
    client = client_for("admin")
    url = reverse("calendar-date-add")
    refused = client.post(url, {"date": "2026-12-25", "kind": "worked", "note": "Stocktaking"})
    assert refused.status_code == 200
    body = refused.content.decode()
    assert "The calendar already has this date: closed · Christmas." in body
    entry = world.org.calendar_dates.get(date="2026-12-25")
    assert (entry.kind, entry.note) == ("closed", "Christmas")
    replaced = client.post(url, {"date": "2026-12-25", "kind": "worked", "note": "Stocktaking", "replace": "on"})
    assert replaced.status_code == 302
    entry = world.org.calendar_dates.get(date="2026-12-25")
    assert (entry.kind, entry.note) == ("worked", "Stocktaking")
    assert client.post(url, {"date": "2026-12-26", "kind": "closed"}).status_code == 302  # a new date needs no tick


def test_working_hours_name_every_day_at_fault_in_one_round(world: World, client_for: Any) -> None:
    data = {f"day_{d}": "" for d in range(7)}
    data.update({"day_0": "09:00-13:00, 12:00-18:00", "day_1": "9-5"})
    body = client_for("admin").post(reverse("working-hours"), data).content.decode()
    assert "Two intervals of the same day overlap." in body
    assert "on a 24-hour clock: 09:00-17:00, not 9-5" in body
