"""The campaigns page: supervisors and administrators list, create, edit, deactivate and
activate their organisation's campaigns; every refusal is a 400 that changes nothing."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from palermo.accounts.models import Membership, Organisation
from palermo.accounts.roles import Role
from palermo.audit.models import AuditEvent
from palermo.intake import statistics, tips
from palermo.intake.models import Campaign
from palermo.testing import actor_for, member, signed_in_client

from .records import record

pytestmark = pytest.mark.django_db


@pytest.fixture
def supervisor(hotline: Organisation) -> Membership:
    return member(Role.SUPERVISOR, hotline)


@pytest.fixture
def supervisor_client(supervisor: Membership) -> Client:
    return signed_in_client(supervisor)


FORM: dict[str, str] = {
    "name": "Bus station posters",
    "description": "Spring campaign",
    "numbers": "0 800 77777\n527",
    "codes": "bus24, bus25",
    "posters": "Chișinău central bus station, platforms 1-6",
    "starts_on": "2026-03-01",
    "ends_on": "2026-06-30",
}


def campaigns_snapshot() -> tuple[Any, ...]:
    return (
        tuple(
            Campaign.objects.order_by("pk").values_list(
                "pk", "name", "numbers", "codes", "receives_web_tips", "active", "ends_on"
            )
        ),
        AuditEvent.objects.count(),
    )


def test_a_supervisor_creates_a_campaign_and_sees_it_listed(
    supervisor_client: Client, hotline: Organisation
) -> None:
    response = supervisor_client.post("/intake/campaigns/new/", {**FORM, "receives_web_tips": "on"})
    assert response.status_code == 302 and response["Location"] == "/intake/campaigns/"
    campaign = Campaign.objects.get()
    assert campaign.owner_organisation == hotline
    assert campaign.numbers == ["080077777", "527"]
    assert campaign.codes == ["BUS24", "BUS25"]
    assert campaign.receives_web_tips and campaign.active
    assert campaign.starts_on == datetime.date(2026, 3, 1)
    html = supervisor_client.get("/intake/campaigns/").content.decode()
    assert "Bus station posters" in html and "BUS24" in html and "Tip form" in html
    event = AuditEvent.objects.get(action="campaign.create")
    assert event.object_id == str(campaign.public_id)
    assert event.details["codes"] == ["BUS24", "BUS25"]
    assert tips.tip_form_open()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", "Give the campaign a name."),
        ({"name": "x" * 121}, "name", "Use at most 120 characters"),
        ({"numbers": "call us"}, "numbers", "Enter the number or short code"),
        ({"numbers": "\n".join(str(100 + n) for n in range(21))}, "numbers", "at most 20"),
        ({"codes": "B"}, "codes", "A code is 2 to 20 letters"),
        ({"codes": "BUS 24"}, "codes", "A code is 2 to 20 letters"),
        ({"starts_on": "01/03/2026"}, "starts_on", "Enter a date as YYYY-MM-DD."),
        ({"ends_on": "2026-02-01"}, "ends_on", "must not end before it starts"),
        ({"posters": "\x00"}, "posters", "control or invisible characters"),
    ],
)
def test_bad_input_is_refused_with_400_and_nothing_changes(
    supervisor_client: Client, changes: dict[str, str], field: str, message: str
) -> None:
    before = campaigns_snapshot()
    response = supervisor_client.post("/intake/campaigns/new/", {**FORM, **changes})
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert f'id="id_{field}-error"' in html
    assert campaigns_snapshot() == before


def test_attribution_must_stay_unambiguous(
    supervisor: Membership, supervisor_client: Client, other_org: Organisation
) -> None:
    supervisor_client.post("/intake/campaigns/new/", {**FORM, "receives_web_tips": "on"})
    elsewhere = signed_in_client(member(Role.SUPERVISOR, other_org))
    before = campaigns_snapshot()
    cases = [
        (supervisor_client, {**FORM, "name": "BUS STATION POSTERS", "numbers": "", "codes": ""}),
        (supervisor_client, {**FORM, "name": "Radio", "numbers": "527", "codes": ""}),
        (supervisor_client, {**FORM, "name": "Radio", "numbers": "", "codes": "BUS25"}),
        (elsewhere, {**FORM, "name": "Theirs", "numbers": "", "codes": "bus24"}),
        (elsewhere, {"name": "Their form", "receives_web_tips": "on"}),
    ]
    messages = []
    for client, form in cases:
        response = client.post("/intake/campaigns/new/", form)
        assert response.status_code == 400, form
        messages.append(response.content.decode())
    assert "already has a campaign of that name" in messages[0]
    assert "already published by the campaign" in messages[1]
    assert "already used by another campaign" in messages[2]
    assert "already used by another campaign" in messages[3]
    assert "already receives the public tip form" in messages[4]
    assert campaigns_snapshot() == before
    # Another organisation may use a number of its own that happens to be the same.
    response = elsewhere.post("/intake/campaigns/new/", {"name": "Theirs", "numbers": "527"})
    assert response.status_code == 302


def test_a_campaign_is_edited_deactivated_and_activated(
    supervisor: Membership, supervisor_client: Client
) -> None:
    supervisor_client.post("/intake/campaigns/new/", {**FORM, "receives_web_tips": "on"})
    campaign = Campaign.objects.get()
    url = f"/intake/campaigns/{campaign.public_id}/"
    html = supervisor_client.get(url).content.decode()
    assert "BUS24\nBUS25" in html and 'value="2026-06-30"' in html

    response = supervisor_client.post(
        url, {**FORM, "name": "Bus posters", "codes": "BUS24", "receives_web_tips": "on"}
    )
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert (campaign.name, campaign.codes) == ("Bus posters", ["BUS24"])
    update = AuditEvent.objects.get(action="campaign.update")
    assert update.details["fields"] == ["codes", "name"]

    response = supervisor_client.post(url, {**FORM, "ends_on": "2020-01-01"})
    assert response.status_code == 400
    campaign.refresh_from_db()
    assert campaign.ends_on == datetime.date(2026, 6, 30)

    assert supervisor_client.post(f"{url}active/", {"active": "0"}).status_code == 302
    campaign.refresh_from_db()
    assert not campaign.active
    assert not tips.tip_form_open()  # the tip form's campaign is off: the form closes
    assert supervisor_client.post(f"{url}active/", {"active": "1"}).status_code == 302
    campaign.refresh_from_db()
    assert campaign.active and tips.tip_form_open()
    assert [e.action for e in AuditEvent.objects.order_by("sequence")][-2:] == [
        "campaign.deactivate",
        "campaign.activate",
    ]
    before = campaigns_snapshot()
    assert supervisor_client.post(f"{url}active/", {"active": "maybe"}).status_code == 400
    assert campaigns_snapshot() == before


def test_a_campaign_cannot_come_back_on_a_number_taken_meanwhile(
    supervisor_client: Client,
) -> None:
    supervisor_client.post("/intake/campaigns/new/", {"name": "Old", "numbers": "527"})
    old = Campaign.objects.get()
    supervisor_client.post(f"/intake/campaigns/{old.public_id}/active/", {"active": "0"})
    supervisor_client.post("/intake/campaigns/new/", {"name": "New", "numbers": "527"})
    before = campaigns_snapshot()
    response = supervisor_client.post(f"/intake/campaigns/{old.public_id}/active/", {"active": "1"})
    assert response.status_code == 400
    assert "already published by the campaign" in response.content.decode()
    assert campaigns_snapshot() == before


def test_administrators_manage_campaigns_operators_and_others_do_not(
    hotline: Organisation, operator_client: Client, other_org: Organisation
) -> None:
    administrator = signed_in_client(member(Role.ADMINISTRATOR, hotline))
    assert administrator.get("/intake/campaigns/").status_code == 200
    assert administrator.post("/intake/campaigns/new/", {"name": "Radio"}).status_code == 302
    campaign = Campaign.objects.get()
    outsider = signed_in_client(member(Role.SUPERVISOR, other_org))
    before = campaigns_snapshot()
    assert operator_client.get("/intake/campaigns/").status_code == 404
    assert operator_client.post("/intake/campaigns/new/", {"name": "Mine"}).status_code == 404
    url = f"/intake/campaigns/{campaign.public_id}/"
    assert outsider.get(url).status_code == 404
    assert outsider.post(url, {"name": "Stolen"}).status_code == 404
    assert outsider.post(f"{url}active/", {"active": "0"}).status_code == 404
    assert campaign.name not in outsider.get("/intake/campaigns/").content.decode()
    assert campaigns_snapshot() == before


def test_contacts_through_a_campaign_are_counted_by_it(
    supervisor: Membership, supervisor_client: Client, operator: Membership
) -> None:
    supervisor_client.post("/intake/campaigns/new/", {"name": "Radio spot", "numbers": "0800 1"})
    campaign = Campaign.objects.get()
    for _ in range(2):
        record(operator, campaign=str(campaign.public_id))
    html = supervisor_client.get("/intake/campaigns/").content.decode()
    assert 'data-label="Contacts">2<br>' in html
    today = timezone.localdate()
    figures = statistics.intake_statistics(
        actor=actor_for(supervisor), date_from=today - datetime.timedelta(days=1), date_to=today
    )
    by_source = next(t for t in figures.tables if t.key == "source")
    assert [(r.label, r.count) for r in by_source.rows] == [("Radio spot", 2)]
