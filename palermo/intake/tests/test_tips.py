"""The public tip form and its follow-up, through HTTP as an anonymous browser uses them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, connection
from django.test import Client, override_settings

from palermo.accounts.models import Membership
from palermo.audit.models import AuditEvent
from palermo.intake import attachments, tip_spool
from palermo.intake.models import Attachment, Campaign, Contact, Identifier, Tip, TipFollowUp
from palermo.intake.tasks import replay_tip_spool

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"%" * 64
EXE = b"MZ\x90\x00" + b"\x00" * 64
TIP = {
    "what": "A van with plate ABC 123 drops girls at trucks near Ungheni; "
    "the driver is on 069 123 456.",
    "where": "Parking near Ungheni customs",
    "when": "Every Friday night",
}


@pytest.fixture(autouse=True)
def tip_spool_dir(settings: Any, tmp_path: Path) -> Iterator[Path]:
    settings.PALERMO_TIP_SPOOL_DIR = str(tmp_path / "tips")
    yield tmp_path / "tips"


def receipt_of(response: Any) -> tuple[str, str]:
    html = response.content.decode()
    reference = re.search(r'id="tip-reference">([^<]+)<', html)
    secret = re.search(r'id="tip-secret">([^<]+)<', html)
    assert reference and secret, html[:2000]
    return reference.group(1), secret.group(1)


def upload(name: str, data: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def nothing_stored() -> None:
    assert not Contact.objects.exists() and not Tip.objects.exists()
    assert not Attachment.objects.exists()


@pytest.mark.parametrize("language", ["en", "uk", "ro", "es", "pt", "fr"])
def test_the_form_works_in_every_language(
    client: Client, tip_campaign: Campaign, language: str
) -> None:
    response = client.get("/tip/", HTTP_ACCEPT_LANGUAGE=language)
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<html lang="{language}"' in html
    assert 'enctype="multipart/form-data"' in html and 'name="csrfmiddlewaretoken"' in html
    assert "<script>" not in html  # nothing inline: the form needs no JavaScript
    assert (
        response["Cache-Control"].startswith("no-store") or "no-store" in response["Cache-Control"]
    )


def test_a_tip_becomes_a_contact_with_a_receipt(client: Client, tip_campaign: Campaign) -> None:
    response = client.post(
        "/tip/",
        {**TIP, "language": "ro", "files": [upload("photo.png", PNG), upload("scan.pdf", PDF)]},
    )
    assert response.status_code == 200
    reference, secret = receipt_of(response)
    assert re.fullmatch(r"T-[A-Z0-9]{4}-[A-Z0-9]{4}", reference)
    contact = Contact.objects.get()
    assert (contact.channel, contact.category, contact.caller_type) == (
        "web_form",
        "tip",
        "anonymous",
    )
    assert contact.campaign == tip_campaign and contact.language == "ro"
    assert contact.narrative == TIP["what"] and contact.location_text == TIP["where"]
    tip = Tip.objects.get()
    assert secret.replace("-", "") not in tip.secret_hash and tip.secret_hash.startswith("$argon2")
    kinds = set(Identifier.objects.values_list("kind", flat=True))
    assert {"phone", "plate", "place"} <= kinds
    stored = list(Attachment.objects.order_by("id"))
    assert [a.content_type for a in stored] == ["image/png", "application/pdf"]
    raw = default_storage.open(stored[0].storage_name).read()
    assert raw.startswith(b"pf1:") and PNG not in raw
    assert attachments.load(stored[0].storage_name) == PNG
    assert stored[0].original_name == "photo.png"
    event = AuditEvent.objects.filter(action="contact.create").get()
    assert event.actor_label == "tip-form" and event.details["attachments"] == 2


def test_a_poster_code_attributes_the_tip(client: Client, tip_campaign: Campaign) -> None:
    assert 'value="BUS24"' in client.get("/tip/?c=BUS24").content.decode()
    client.post("/tip/", {**TIP, "c": "bus24"})
    assert Contact.objects.get().campaign.name == "Bus station posters"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "what"),
        ({"what": "   "}, "what"),
        ({"what": "x" * 20001}, "what"),
        ({"what": "ok", "email": "not an email"}, "email"),
        ({"what": "ok", "phone": "call me maybe"}, "phone"),
        ({"what": "ok", "language": "xx1"}, "language"),
        ({"what": "bad\x00byte"}, "what"),
    ],
)
def test_bad_input_is_refused_and_nothing_stored(
    client: Client, tip_campaign: Campaign, data: dict[str, str], field: str
) -> None:
    response = client.post("/tip/", data)
    assert response.status_code == 400
    assert f'id="id_{field}-error"' in response.content.decode()
    nothing_stored()


@pytest.mark.parametrize(
    "files",
    [
        [upload("photo.jpg", EXE)],  # a program disguised by its name
        [upload("page.html", b"<html><script>alert(1)</script>")],
        [upload("big.png", PNG + b"\x00" * (5 * 1024 * 1024))],  # over 5 MB
        [upload(f"p{i}.png", PNG) for i in range(4)],  # more than 3
        [upload("empty.png", b"")],
    ],
)
def test_uploads_are_checked_by_content_size_and_number(
    client: Client, tip_campaign: Campaign, files: list[SimpleUploadedFile]
) -> None:
    response = client.post("/tip/", {**TIP, "files": files})
    assert response.status_code == 400
    assert 'id="id_files-error"' in response.content.decode()
    nothing_stored()


def test_the_form_is_csrf_protected(tip_campaign: Campaign) -> None:
    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/tip/", TIP).status_code == 403
    nothing_stored()


def test_a_bot_filling_the_honeypot_gets_a_receipt_but_stores_nothing(
    client: Client, tip_campaign: Campaign
) -> None:
    response = client.post("/tip/", {**TIP, "website": "http://spam.example"})
    assert response.status_code == 200
    receipt_of(response)
    nothing_stored()


@override_settings(PALERMO_TIP_RATE_LIMITS={"submit": (2, 60), "follow_up": (3, 60)})
def test_tips_and_follow_ups_are_rate_limited_per_address(
    client: Client, tip_campaign: Campaign
) -> None:
    assert client.post("/tip/", TIP).status_code == 200
    assert client.post("/tip/", TIP).status_code == 200
    assert client.post("/tip/", TIP).status_code == 429
    assert Contact.objects.count() == 2
    other = Client(REMOTE_ADDR="198.51.100.7")
    assert other.post("/tip/", TIP).status_code == 200
    for _ in range(3):
        response = client.post(
            "/tip/follow-up/", {"reference": "T-AAAA-BBBB", "secret": "x", "text": "y"}
        )
        assert response.status_code == 400
    assert (
        client.post(
            "/tip/follow-up/", {"reference": "T-AAAA-BBBB", "secret": "x", "text": "y"}
        ).status_code
        == 429
    )


def test_the_tipster_adds_information_with_reference_and_secret(
    client: Client, tip_campaign: Campaign, operator: Membership, operator_client: Client
) -> None:
    reference, secret = receipt_of(client.post("/tip/", TIP))
    contact = Contact.objects.get()
    Contact.objects.filter(pk=contact.pk).update(status="closed")
    response = client.post(
        "/tip/follow-up/",
        {
            "reference": reference.lower().replace("-", " "),
            "secret": secret,
            "text": "He also uses t.me/driver_md",
            "files": [upload("more.png", PNG)],
        },
    )
    assert response.status_code == 200 and 'id="follow-up-done"' in response.content.decode()
    contact.refresh_from_db()
    assert contact.status == "new"  # back in the queue
    follow_up = TipFollowUp.objects.get()
    assert follow_up.text == "He also uses t.me/driver_md"
    assert Identifier.objects.filter(source="follow_up", kind="social").exists()
    assert Attachment.objects.filter(follow_up=follow_up).count() == 1
    html = operator_client.get(f"/intake/{contact.public_id}/").content.decode()
    assert "t.me/driver_md" in html


def test_a_wrong_pair_gets_the_same_answer_whether_or_not_the_tip_exists(
    client: Client, tip_campaign: Campaign
) -> None:
    reference, secret = receipt_of(client.post("/tip/", TIP))
    wrong_secret = client.post(
        "/tip/follow-up/", {"reference": reference, "secret": "AAAAA", "text": "x"}
    )
    unknown = client.post(
        "/tip/follow-up/", {"reference": "T-ZZZZ-ZZZZ", "secret": secret, "text": "x"}
    )
    assert wrong_secret.status_code == unknown.status_code == 400

    def said(response: Any) -> list[str]:
        """What the page tells the tipster: the error summary and the messages by fields."""
        html = response.content.decode()
        return re.findall(
            r'<div class="error-summary".*?</div>|<p class="field-error"[^>]*>.*?</p>', html, re.S
        )

    assert said(wrong_secret) == said(unknown) and said(unknown)
    assert not TipFollowUp.objects.exists()


def test_the_form_is_closed_without_a_receiving_organisation(client: Client, db: None) -> None:
    assert client.get("/tip/").status_code == 503
    assert client.post("/tip/", TIP).status_code == 503
    nothing_stored()


# --- nothing is lost: the spool ------------------------------------------------------------


def _refusing_database() -> Any:
    """Every connection attempt fails as a stopped server's does (Django's own error type)."""
    return mock.patch.object(
        connection,
        "ensure_connection",
        side_effect=OperationalError("connection refused: the database is unavailable"),
    )


def test_a_tip_is_spooled_when_the_database_refuses_connections_and_replayed(
    client: Client, tip_campaign: Campaign, tip_spool_dir: Path
) -> None:
    with _refusing_database():
        response = client.post("/tip/", {**TIP, "files": [upload("photo.png", PNG)]})
    assert response.status_code == 200
    reference, secret = receipt_of(response)
    nothing_stored()
    files = tip_spool.spooled_files()
    assert len(files) == 1 and files[0].stat().st_mode & 0o777 == 0o600
    assert b"Ungheni" not in files[0].read_bytes()  # sealed, not plain
    # While the database is still down, the replay stops and keeps the file.
    with _refusing_database():
        report = tip_spool.replay()
    assert report.stopped_by and report.remaining == 1
    result = replay_tip_spool.call()
    assert result["stored"] == 1 and result["remaining"] == 0
    contact = Contact.objects.get()
    assert contact.narrative == TIP["what"] and contact.attachments.count() == 1
    assert Tip.objects.get().reference == reference[2:].replace("-", "")
    # The tipster's receipt works once the tip is stored.
    done = client.post(
        "/tip/follow-up/", {"reference": reference, "secret": secret, "text": "More"}
    )
    assert done.status_code == 200


def test_replaying_the_same_spooled_tip_twice_stores_it_once(
    client: Client, tip_campaign: Campaign, tip_spool_dir: Path
) -> None:
    with _refusing_database():
        client.post("/tip/", TIP)
    path = tip_spool.spooled_files()[0]
    copy = path.with_name("00000000000000000000-copy.tip")
    copy.write_bytes(path.read_bytes())
    report = tip_spool.replay()
    assert (report.stored, report.duplicates, report.remaining) == (1, 1, 0)
    assert Contact.objects.count() == 1


def test_an_unreadable_spool_file_is_set_aside_not_lost(
    tip_campaign: Campaign, tip_spool_dir: Path
) -> None:
    tip_spool_dir.mkdir(parents=True)
    (tip_spool_dir / "00000000000000000001-bad.tip").write_text("pv1:t1:garbage")
    report = tip_spool.replay()
    assert (
        report.rejected == 1
        and (tip_spool_dir / "rejected" / "00000000000000000001-bad.tip").exists()
    )


@pytest.mark.django_db(transaction=True)
def test_spool_and_replay_with_a_server_that_really_refuses(
    tip_campaign: Campaign, tip_spool_dir: Path
) -> None:
    """On PostgreSQL: the connection is pointed at a port where no server listens."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's in-memory test database cannot be disconnected and reconnected")
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update({"HOST": "127.0.0.1", "PORT": str(free_port)})
    try:
        response = Client().post("/tip/", TIP)
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
    assert response.status_code == 200
    receipt_of(response)
    assert len(tip_spool.spooled_files()) == 1
    assert tip_spool.replay().stored == 1
    assert Contact.objects.count() == 1
