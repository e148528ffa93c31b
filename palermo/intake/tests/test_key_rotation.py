"""`palermo rotate-keys` re-seals intake's encrypted files: attachments (on the in-memory
storage of the tests and on a real file-system storage) and the tip spool, so that the old key
can be retired and everything still opens."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.test import Client, override_settings

from palermo.accounts.models import Membership
from palermo.audit.models import AuditEvent
from palermo.intake import attachments, tip_spool
from palermo.intake.models import Attachment, Campaign, Contact
from palermo.vault import ciphers
from palermo.vault.files import binary_key_id

from .records import record
from .test_tips import PDF, PNG, TIP, _refusing_database, upload

pytestmark = pytest.mark.django_db

T2_ONLY = next(item for item in settings.PALERMO_KEYS.split(",") if item.startswith("t2:"))
FILE_STORAGE = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
}


def rotate(*args: str) -> str:
    out = io.StringIO()
    call_command("rotate-keys", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def attach(contact: Contact, data: bytes, name: str, content_type: str) -> Attachment:
    storage_name = attachments.store(data)
    return Attachment.objects.create(
        contact=contact,
        storage_name=storage_name,
        content_type=content_type,
        size=len(data),
        original_name=name,
    )


def raw(attachment: Attachment) -> bytes:
    with default_storage.open(attachment.storage_name, "rb") as handle:
        return handle.read()


def download(client: Client, attachment: Attachment) -> Any:
    return client.get(f"/intake/{attachment.contact.public_id}/attachments/{attachment.public_id}/")


@pytest.fixture(params=["in-memory storage", "file-system storage"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "in-memory storage":
        yield request.param
        return
    storages = {**settings.STORAGES, "default": {**FILE_STORAGE, "OPTIONS": {"location": tmp_path}}}
    with override_settings(STORAGES=storages):
        yield request.param


def test_attachments_are_resealed_and_open_after_the_old_key_is_retired(
    storage: str, operator: Membership, operator_client: Client
) -> None:
    contact = record(operator)
    photo = attach(contact, PNG, "photo.png", "image/png")
    letter = attach(contact, PDF, "contract.pdf", "application/pdf")
    assert binary_key_id(raw(photo)) == "t1"

    with override_settings(PALERMO_ACTIVE_KEY_ID="t2"):
        output = rotate()
        assert "intake attachments: re-encrypted 2 file(s)" in output
        assert "Every encrypted value is under the active key" in output
        rotate()  # resumable: a second run has nothing left to do
    for attachment in (photo, letter):
        attachment.refresh_from_db()
        assert binary_key_id(raw(attachment)) == "t2"
    if storage == "file-system storage":  # replaced in place, under the same name
        assert photo.storage_name == Attachment.objects.get(pk=photo.pk).storage_name
        assert not [p for p in Path(default_storage.location).rglob("*.tmp")]

    with override_settings(PALERMO_KEYS=T2_ONLY, PALERMO_ACTIVE_KEY_ID="t2"):  # t1 is gone
        assert attachments.load(photo.storage_name) == PNG
        response = download(operator_client, letter)
        assert response.status_code == 200 and response.content == PDF
        assert Attachment.objects.get(pk=photo.pk).original_name == "photo.png"
    event = AuditEvent.objects.filter(action="vault.rotate_keys").order_by("sequence").first()
    assert event is not None
    assert event.details["files"]["intake attachments"]["rotated"] == 2


def test_the_tip_spool_is_resealed_and_replays_with_the_new_key_alone(
    client: Client, tip_campaign: Campaign, settings: Any, tmp_path: Path
) -> None:
    settings.PALERMO_TIP_SPOOL_DIR = str(tmp_path / "tips")
    with _refusing_database():
        response = client.post("/tip/", {**TIP, "files": [upload("photo.png", PNG)]})
    assert response.status_code == 200
    (spooled,) = tip_spool.spooled_files()
    assert spooled.read_text().startswith("pv1:t1:")
    with override_settings(PALERMO_ACTIVE_KEY_ID="t2"):
        assert "intake tip spool: re-encrypted 1 file(s)" in rotate()
    assert spooled.read_text().startswith("pv1:t2:")
    with override_settings(PALERMO_KEYS=T2_ONLY, PALERMO_ACTIVE_KEY_ID="t2"):
        report = tip_spool.replay()
        assert report.stored == 1 and report.rejected == 0
        attachment = Attachment.objects.get()
        assert attachments.load(attachment.storage_name) == PNG
        assert binary_key_id(raw(attachment)) == "t2"


def test_an_attachment_no_key_opens_fails_the_run_and_keeps_the_file(
    operator: Membership,
) -> None:
    contact = record(operator)
    photo = attach(contact, PNG, "photo.png", "image/png")
    lost = ciphers.Keyring(keys={"lost": b"\x03" * 32}, active_id="lost")
    from palermo.vault.files import seal_bytes

    blob = seal_bytes(lost, PNG, f"palermo.intake.attachment:{photo.storage_name}".encode())
    default_storage.delete(photo.storage_name)
    default_storage.save(photo.storage_name, io.BytesIO(blob))
    with (
        override_settings(PALERMO_ACTIVE_KEY_ID="t2"),
        pytest.raises(CommandError, match="1 value"),
    ):
        rotate()
    assert raw(photo) == blob  # untouched: keep every old key until it is repaired


def test_a_dry_run_counts_files_and_writes_nothing(operator: Membership) -> None:
    contact = record(operator)
    photo = attach(contact, PNG, "photo.png", "image/png")
    before = raw(photo)
    with override_settings(PALERMO_ACTIVE_KEY_ID="t2"):
        output = rotate("--dry-run")
    assert "intake attachments: would re-encrypt 1 file(s)" in output
    assert raw(photo) == before
