"""The administrators' channel pages, the API and the `palermo channel` command."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from palermo.accounts.models import Membership, Organisation
from palermo.accounts.roles import Role
from palermo.audit.models import AuditEvent
from palermo.channels.models import Channel
from palermo.testing import OrganisationFactory, member, signed_in_client

from .conftest import make_channel

pytestmark = pytest.mark.django_db

LIST = "/c/admin/"
NEW = "/c/admin/new/"
GOOD = {
    "type": "twilio",
    "address": "+373 22 123 456",
    "country": "md",
    "secret": "twilio-token-123456",
    "language": "ro",
    "label": "Posters 2024",
    "account": "AC123",
}


@pytest.fixture
def hotline(db: None) -> Organisation:
    return OrganisationFactory(name="Hotline", country="MD")


@pytest.fixture
def admin(hotline: Organisation) -> Membership:
    return member(Role.ADMINISTRATOR, hotline)


@pytest.fixture
def admin_client(admin: Membership) -> Client:
    return signed_in_client(admin)


def test_administrator_creates_a_channel_and_sees_its_urls(
    admin_client: Client, hotline: Organisation
) -> None:
    response = admin_client.post(NEW, GOOD)
    assert response.status_code == 201, response.content[:500]
    channel = Channel.objects.get()
    assert (channel.type, channel.address, channel.country) == ("twilio", "+37322123456", "MD")
    assert channel.secret == "twilio-token-123456"
    assert channel.organisation == hotline and channel.label == "Posters 2024"
    page = response.content.decode()
    assert f"/c/twilio/{channel.public_id}/receive" in page
    assert f"/c/twilio/{channel.public_id}/status" in page
    assert "twilio-token-123456" not in page  # the auth token is never shown back
    assert response["Cache-Control"] == "no-store"
    event = AuditEvent.objects.get(action="channel.create")
    assert event.object_id == str(channel.public_id)
    assert "123456" not in json.dumps(event.details)
    listing = admin_client.get(LIST).content.decode()
    assert "+373 22 123 456" in listing and "Posters 2024" in listing


def test_africastalking_channel_gets_a_generated_url_secret_shown_once(
    admin_client: Client,
) -> None:
    data = {**GOOD, "type": "africastalking", "secret": "", "country": "KE",
            "address": "+254711000111"}  # fmt: skip
    response = admin_client.post(NEW, data)
    assert response.status_code == 201
    channel = Channel.objects.get()
    assert len(str(channel.secret)) >= 32
    assert f"receive?secret={channel.secret}" in response.content.decode()
    assert str(channel.secret) not in admin_client.get(LIST).content.decode()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"type": "sms"}, "type"),
        ({"country": "XX"}, "country"),
        ({"country": "MDA"}, "country"),
        ({"address": "call me"}, "address"),
        ({"secret": ""}, "secret"),
        ({"language": "de"}, "language"),
        ({"label": "x" * 101}, "label"),
        ({"outbound_url": "ftp://x"}, "outbound_url"),
    ],
)
def test_bad_input_is_a_400_with_the_field_and_creates_nothing(
    admin_client: Client, changes: dict[str, str], field: str
) -> None:
    response = admin_client.post(NEW, {**GOOD, **changes})
    assert response.status_code == 400
    assert f'id="id_{field}-error"' in response.content.decode() or field == "type"
    assert 'aria-invalid="true"' in response.content.decode()
    assert "twilio-token-123456" not in response.content.decode()  # not echoed back
    assert Channel.objects.count() == 0
    assert not AuditEvent.objects.filter(action="channel.create").exists()


@pytest.mark.parametrize("role", [Role.HOTLINE_OPERATOR, Role.SUPERVISOR, Role.CASE_WORKER])
def test_other_roles_do_not_see_the_pages(hotline: Organisation, role: Role) -> None:
    client = signed_in_client(member(role, hotline))
    assert client.get(LIST).status_code == 404
    assert client.post(NEW, GOOD).status_code == 404
    assert Channel.objects.count() == 0


def test_signed_out_visitors_are_sent_to_sign_in(client: Client) -> None:
    assert client.get(LIST).status_code == 302


def test_deactivate_own_channel_and_not_another_organisations(
    admin_client: Client, hotline: Organisation
) -> None:
    own = make_channel("generic", address="527")
    own.organisation = hotline
    own.save()
    other = make_channel("generic", address="528")
    other.organisation = OrganisationFactory(name="Elsewhere")
    other.save()
    listing = admin_client.get(LIST).content.decode()
    # Every number of the deployment is listed; only one's own can be changed.
    assert str(own.public_id) in listing and str(other.public_id) in listing
    assert f"/c/admin/{own.public_id}/deactivate/" in listing
    assert f"/c/admin/{other.public_id}/deactivate/" not in listing
    response = admin_client.post(f"/c/admin/{other.public_id}/deactivate/")
    assert response.status_code == 403
    response = admin_client.post("/c/admin/00000000-0000-4000-8000-000000000000/deactivate/")
    assert response.status_code == 404
    response = admin_client.post(f"/c/admin/{own.public_id}/deactivate/")
    assert response.status_code == 302
    own.refresh_from_db()
    other.refresh_from_db()
    assert own.active is False and own.deactivated_at is not None
    assert other.active is True
    assert AuditEvent.objects.filter(action="channel.deactivate").count() == 1
    # Its webhooks are refused from now on.
    from .conftest import generic_post

    response = generic_post(Client(), own, {"id": "x", "from": "+37369000111", "text": "t"})
    assert response.status_code == 404


def test_navigation_shows_channels_to_administrators_only(
    admin_client: Client, hotline: Organisation
) -> None:
    assert 'href="/c/admin/"' in admin_client.get("/").content.decode()
    operator = signed_in_client(member(Role.HOTLINE_OPERATOR, hotline))
    assert 'href="/c/admin/"' not in operator.get("/").content.decode()


# --- API ------------------------------------------------------------------------------------


def test_api_lists_creates_and_deactivates(admin_client: Client) -> None:
    response = admin_client.post(
        "/api/channels/",
        json.dumps({"type": "generic", "address": "527", "country": "MD"}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    created = response.json()
    channel = Channel.objects.get()
    assert created["id"] == str(channel.public_id)
    assert created["secret"] == channel.secret  # generated: shown this once
    assert created["receive_url"].endswith(f"/c/generic/{channel.public_id}/receive")
    listed = admin_client.get("/api/channels/").json()
    assert [item["id"] for item in listed] == [str(channel.public_id)]
    assert "secret" not in listed[0]
    response = admin_client.post(f"/api/channels/{channel.public_id}/deactivate")
    assert response.status_code == 204
    channel.refresh_from_db()
    assert channel.active is False


def test_api_refuses_bad_input_with_the_error_envelope(admin_client: Client) -> None:
    response = admin_client.post(
        "/api/channels/",
        json.dumps({"type": "twilio", "address": "527", "country": "ZZ", "secret": ""}),
        content_type="application/json",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert set(error["fields"]) == {"country", "secret"}
    assert Channel.objects.count() == 0


def test_api_refuses_to_deactivate_another_organisations_channel(admin_client: Client) -> None:
    other = make_channel("generic", address="529")
    other.organisation = OrganisationFactory(name="Elsewhere")
    other.save()
    response = admin_client.post(f"/api/channels/{other.public_id}/deactivate")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    other.refresh_from_db()
    assert other.active is True


def test_api_is_404_for_other_roles(hotline: Organisation) -> None:
    client = signed_in_client(member(Role.HOTLINE_OPERATOR, hotline))
    assert client.get("/api/channels/").status_code == 404


# --- the command ----------------------------------------------------------------------------


def _command(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("channel", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_command_create_prints_only_the_uuid(db: None) -> None:
    out, err = _command(
        "create", "--type", "twilio", "--address", "+15005550006", "--country", "US",
        "--secret", "12345",
    )  # fmt: skip
    channel = Channel.objects.get()
    assert out.strip() == str(channel.public_id)
    assert channel.secret == "12345" and channel.organisation is None
    assert f"/c/twilio/{channel.public_id}/receive" in err
    assert AuditEvent.objects.get(action="channel.create").actor_label == "command channel"


@pytest.mark.parametrize("channel_type", ["africastalking", "generic"])
def test_command_create_other_types(db: None, channel_type: str) -> None:
    out, err = _command(
        "create", "--type", channel_type, "--address", "527", "--country", "KE",
        "--secret", "s3cret-value-xyz", "--label", "radio spot",
    )  # fmt: skip
    channel = Channel.objects.get(public_id=out.strip())
    assert (channel.type, channel.label) == (channel_type, "radio spot")


def test_command_create_refuses_bad_input(db: None) -> None:
    with pytest.raises(CommandError, match="country"):
        _command("create", "--type", "twilio", "--address", "+15005550006", "--country",
                 "USA", "--secret", "x")  # fmt: skip
    assert Channel.objects.count() == 0


def test_command_list_and_deactivate(db: None, hotline: Organisation) -> None:
    out, _err = _command(
        "create", "--type", "generic", "--address", "527", "--country", "MD",
        "--organisation", "Hotline",
    )  # fmt: skip
    channel_id = out.strip()
    listing, _err = _command("list")
    assert channel_id in listing and "active" in listing and "[Hotline]" in listing
    _command("deactivate", channel_id)
    assert Channel.objects.get(public_id=channel_id).active is False
    with pytest.raises(CommandError):
        _command("deactivate", "00000000-0000-4000-8000-000000000000")


def test_cli_help_lists_the_command() -> None:
    from palermo.cli import _help

    assert "channel" in _help()
