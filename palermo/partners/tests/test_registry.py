"""The registry of partners: the administrators' page, the API, the `palermo partner` command,
this deployment's key file, and the demo partner."""

from __future__ import annotations

import io
import json
import stat
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from palermo.accounts.actors import Actor
from palermo.accounts.models import Membership
from palermo.accounts.roles import Role
from palermo.accounts.services import api_token_create
from palermo.audit.models import AuditEvent
from palermo.partners import packages
from palermo.partners.keys import clear_cache, deployment_keys, write_new_key_file
from palermo.partners.models import PartnerDeployment
from palermo.testing import member, signed_in_client

from .conftest import OWN

pytestmark = pytest.mark.django_db

KEY = packages.DeploymentKeys.generate().public


@pytest.fixture
def admin() -> Membership:
    return member(Role.ADMINISTRATOR)


def test_the_page_shows_this_deployments_key_and_registers_a_partner(admin: Membership) -> None:
    client = signed_in_client(admin)
    page = client.get("/partners/")
    assert page.status_code == 200
    html = page.content.decode()
    assert OWN.public.key_string() in html and OWN.public.short_fingerprint in html
    response = client.post(
        "/partners/add/",
        {
            "name": "Palermo Ukraine",
            "url": "https://palermo.example.ua/",
            "public_key": KEY.key_string(),
        },
    )
    assert response.status_code == 302
    partner = PartnerDeployment.objects.get()
    assert partner.url == "https://palermo.example.ua"
    assert partner.signing_key == KEY.signing_b64 and partner.encryption_key == KEY.encryption_b64
    html = client.get("/partners/").content.decode()
    assert KEY.short_fingerprint in html and "Palermo Ukraine" in html
    event = AuditEvent.objects.get(action="partner.add")
    assert event.details["fingerprint"] == KEY.fingerprint


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"url": "http://palermo.example.ua"}, "url"),
        ({"url": "https://user:pw@palermo.example.ua"}, "url"),
        ({"url": "ftp://palermo.example.ua"}, "url"),
        ({"public_key": "palermo-partner-v1.abc.def.0000"}, "public_key"),
        ({"public_key": OWN.public.key_string()}, "public_key"),
        ({"name": ""}, "name"),
        ({"country": "Romania"}, "country"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_registered(
    admin: Membership, values: dict[str, str], field: str
) -> None:
    data = {
        "name": "Palermo Ukraine",
        "url": "https://palermo.example.ua",
        "public_key": KEY.key_string(),
    }
    data.update(values)
    response = signed_in_client(admin).post("/partners/add/", data)
    assert response.status_code == 400
    assert f'id="id_{field}-error"' in response.content.decode()
    assert not PartnerDeployment.objects.exists()


def test_plain_http_is_allowed_only_with_the_insecure_setting(
    admin: Membership, settings: Any
) -> None:
    settings.PALERMO_PARTNER_INSECURE_ALLOW_HTTP = True
    response = signed_in_client(admin).post(
        "/partners/add/",
        {"name": "Demo", "url": "http://127.0.0.1:8001", "public_key": KEY.key_string()},
    )
    assert response.status_code == 302
    assert PartnerDeployment.objects.get().url == "http://127.0.0.1:8001"


def test_a_key_registered_twice_is_refused(admin: Membership) -> None:
    client = signed_in_client(admin)
    data = {"name": "A", "url": "https://a.example", "public_key": KEY.key_string()}
    assert client.post("/partners/add/", data).status_code == 302
    response = client.post("/partners/add/", {**data, "name": "B"})
    assert response.status_code == 400 and "already registered, as A" in response.content.decode()


def test_deactivating_and_activating(admin: Membership) -> None:
    partner = PartnerDeployment.objects.create(
        name="P",
        url="https://p.example",
        signing_key=KEY.signing_b64,
        encryption_key=KEY.encryption_b64,
    )
    client = signed_in_client(admin)
    assert client.post(f"/partners/{partner.public_id}/active/", {"active": "0"}).status_code == 302
    partner.refresh_from_db()
    assert not partner.active
    assert client.post(f"/partners/{partner.public_id}/active/", {"active": "1"}).status_code == 302
    partner.refresh_from_db()
    assert partner.active
    actions = AuditEvent.objects.filter(action__in=["partner.deactivate", "partner.activate"])
    assert [e.action for e in actions.order_by("sequence")] == [
        "partner.deactivate",
        "partner.activate",
    ]


def test_only_administrators_see_the_registry() -> None:
    worker = member(Role.CASE_WORKER)
    client = signed_in_client(worker)
    assert client.get("/partners/").status_code == 404
    response = client.post(
        "/partners/add/", {"name": "X", "url": "https://x.example", "public_key": KEY.key_string()}
    )
    assert response.status_code == 404
    assert not PartnerDeployment.objects.exists()


def _token(membership: Membership, purpose: str) -> dict[str, str]:
    _t, secret = api_token_create(
        actor=Actor.operator("test"),
        name="t",
        purpose=purpose,
        expires_in_days=1,
        membership=membership,
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_the_api_for_administrators(admin: Membership) -> None:
    client, auth = Client(), _token(admin, "administration")
    keys = client.get("/api/partners/keys", **auth)
    assert keys.status_code == 200
    assert keys.json() == {
        "key_string": OWN.public.key_string(),
        "fingerprint": OWN.public.short_fingerprint,
    }
    created = client.post(
        "/api/partners/",
        data=json.dumps(
            {
                "name": "Palermo Ukraine",
                "url": "https://ua.example",
                "public_key": KEY.key_string(),
                "country": "UA",
            }
        ),
        content_type="application/json",
        **auth,
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["fingerprint"] == KEY.short_fingerprint and body["active"] is True
    bad = client.post(
        "/api/partners/",
        data=json.dumps({"name": "X", "url": "http://x.example", "public_key": "nope"}),
        content_type="application/json",
        **auth,
    )
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"url", "public_key"}
    listed = client.get("/api/partners/", **auth).json()
    assert [p["name"] for p in listed] == ["Palermo Ukraine"]
    off = client.post(f"/api/partners/{body['id']}/deactivate", **auth)
    assert off.status_code == 200 and off.json()["active"] is False
    on = client.post(f"/api/partners/{body['id']}/activate", **auth)
    assert on.json()["active"] is True
    assert client.post("/api/partners/not-a-uuid/activate", **auth).status_code == 404


def test_the_api_refuses_non_administrators() -> None:
    worker = member(Role.CASE_WORKER)
    client, auth = Client(), _token(worker, "assistance")
    assert client.get("/api/partners/", **auth).status_code == 403
    assert client.get("/api/partners/keys", **auth).status_code == 403
    response = client.post(
        "/api/partners/",
        data=json.dumps({"name": "X", "url": "https://x.example", "public_key": KEY.key_string()}),
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 403 and not PartnerDeployment.objects.exists()


def test_the_api_is_in_the_openapi_document() -> None:
    schema = Client().get("/api/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/api/partners/keys",
        "/api/partners/",
        "/api/partners/{public_id}/deactivate",
        "/api/partners/incoming",
        "/api/partners/incoming/{public_id}/accept",
        "/api/partners/incoming/{public_id}/decline",
    ):
        assert path in paths, path


# --- the key file and the command ------------------------------------------------------------


def _run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("partner", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def key_file(tmp_path: Path, settings: Any) -> Path:
    path = tmp_path / "secrets" / "partner-keys.json"
    settings.PALERMO_PARTNER_SIGNING_KEY = ""
    settings.PALERMO_PARTNER_ENCRYPTION_KEY = ""
    settings.PALERMO_PARTNER_KEY_FILE = str(path)
    clear_cache()
    return path


def test_keys_init_creates_a_private_key_file_once(key_file: Path) -> None:
    with pytest.raises(CommandError, match="partner keys --init"):
        _run("keys")
    out, err = _run("keys", "--init")
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    public = deployment_keys().public
    assert out.strip() == public.key_string()
    assert public.short_fingerprint in err
    before = key_file.read_bytes()
    out_again, err_again = _run("keys", "--init")
    assert key_file.read_bytes() == before and out_again == out
    assert "already exists" in err_again
    assert not write_new_key_file(key_file)
    # The private keys are in the file, never in the database.
    data = json.loads(before)
    assert set(data) == {"version", "signing_key", "encryption_key"}


def test_keys_init_needs_a_key_file_setting(settings: Any) -> None:
    settings.PALERMO_PARTNER_SIGNING_KEY = ""
    settings.PALERMO_PARTNER_ENCRYPTION_KEY = ""
    settings.PALERMO_PARTNER_KEY_FILE = ""
    clear_cache()
    with pytest.raises(CommandError, match="PALERMO_PARTNER_KEY_FILE"):
        _run("keys", "--init")


def test_the_command_adds_lists_deactivates_and_removes() -> None:
    organisation = member(Role.CASE_WORKER).organisation
    out, _err = _run(
        "add", "--name", "Palermo Ukraine", "--url", "https://ua.example",
        "--public-key", KEY.key_string(), "--country", "ua",
        "--receiving-organisation", organisation.name,
    )  # fmt: skip
    assert KEY.short_fingerprint in out
    partner = PartnerDeployment.objects.get()
    assert partner.country == "UA" and partner.receiving_organisation == organisation
    listed, _ = _run("list")
    assert "Palermo Ukraine" in listed and KEY.short_fingerprint in listed and "active" in listed
    out, _ = _run("deactivate", "Palermo Ukraine")
    assert "inactive" in out
    out, _ = _run("activate", str(partner.public_id))
    assert "is active" in out
    out, _ = _run("set-organisation", "Palermo Ukraine", "")
    partner.refresh_from_db()
    assert partner.receiving_organisation is None
    _run("remove", "Palermo Ukraine")
    assert not PartnerDeployment.objects.exists()
    assert AuditEvent.objects.filter(action="partner.remove").exists()
    operator = AuditEvent.objects.get(action="partner.add")
    assert operator.actor_label.startswith("operator ")


def test_the_command_refuses_bad_input() -> None:
    with pytest.raises(CommandError, match="https"):
        _run("add", "--name", "X", "--url", "http://x.example", "--public-key", KEY.key_string())
    with pytest.raises(CommandError, match="palermo-partner-v1"):
        _run("add", "--name", "X", "--url", "https://x.example", "--public-key", "garbage")
    with pytest.raises(CommandError, match="No partner"):
        _run("deactivate", "nobody")
    assert not PartnerDeployment.objects.exists()


def test_a_partner_that_exchanged_referrals_cannot_be_removed(partner: PartnerDeployment) -> None:
    import uuid

    from django.utils import timezone

    from palermo.partners.models import ReceivedPackage

    ReceivedPackage.objects.create(
        package_id=uuid.uuid4(), partner=partner, kind="referral",
        created_at=timezone.now(), received_at=timezone.now(),
    )  # fmt: skip
    with pytest.raises(CommandError, match="deactivate it instead"):
        _run("remove", partner.name)
    assert PartnerDeployment.objects.filter(pk=partner.pk).exists()


def test_the_demo_registers_a_partner_and_a_referral_from_it(tmp_path: Path, settings: Any) -> None:
    from palermo.demo.loader import DemoContext
    from palermo.partners import demo

    organisation = member(Role.CASE_WORKER).organisation
    context = DemoContext(
        seed=7, size=1, organisations={"shelter": organisation}, users={}, progress=None
    )
    settings.PALERMO_PARTNER_KEY_FILE = str(tmp_path / "partner-keys.json")
    first = demo.load_demo(context)
    again = demo.load_demo(context)
    assert first == {"partner deployments": 1, "referrals from abroad": 1}
    assert again["referrals from abroad"] == 0
    partner = PartnerDeployment.objects.get()
    assert partner.url.endswith(".example") and partner.receiving_organisation == organisation
    assert partner.signing_key == demo.demo_partner_keys(7).public.signing_b64
    assert (tmp_path / "partner-keys.json").exists()
    demo.reset_demo()
    assert not partner.incoming_referrals.exists()
