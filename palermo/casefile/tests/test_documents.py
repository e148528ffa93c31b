"""Documents: checked on their content, size-limited, encrypted at rest under random names,
downloaded only through the access-checked, audited views, as attachments."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from palermo.audit.models import AuditEvent
from palermo.casefile import documents
from palermo.casefile.models import CaseDocument
from palermo.cases.models import Case
from palermo.people.tests.json_api import error_of

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\nConfidential medical letter for Ana Rusu\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x01" * 40
TEXT = "Declaraţie: am fost recrutată de Vasile la Cahul.\n".encode()
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
ZIP = b"PK\x03\x04\x14\x00\x00\x00" + b"\x00" * 40


def upload(
    client: Client, case: Case, data: bytes, name: str, document_type: str = "medical", **extra: Any
) -> Any:
    return client.post(
        f"/api/casefile/{case.public_id}/documents",
        {
            "document_type": document_type,
            "description": "Letter from the clinic",
            "file": SimpleUploadedFile(name, data, content_type="application/octet-stream"),
            **extra,
        },
    )


def test_upload_is_encrypted_at_rest_and_downloads_as_attachment(
    client_a: Client, case_a: Case
) -> None:
    response = upload(client_a, case_a, PDF, "scrisoare medicală.pdf")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["content_type"] == "application/pdf" and body["size"] == len(PDF)
    assert body["original_name"] == "scrisoare medicală.pdf"
    document = CaseDocument.objects.get()
    assert "scrisoare" not in document.storage_name
    assert document.storage_name.startswith("casefile/documents/")
    with default_storage.open(document.storage_name, "rb") as handle:
        stored = handle.read()
    assert PDF not in stored and b"Ana Rusu" not in stored and b"%PDF" not in stored
    download = client_a.get(body["download_url"])
    assert download.status_code == 200
    assert download.content == PDF
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == (
        f'attachment; filename="D-{document.public_id.hex[:8].upper()}.pdf"'
    )
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in download["Cache-Control"]
    read = AuditEvent.objects.filter(action="case_document.read").get()
    assert read.field_groups == ["health"] and read.object_id == str(document.public_id)
    assert AuditEvent.objects.filter(action="case_document.create").count() == 1


def test_page_download_is_audited_and_attachment(client_a: Client, case_a: Case) -> None:
    upload(client_a, case_a, TEXT, "statement.txt", "legal")
    document = CaseDocument.objects.get()
    response = client_a.get(
        f"/casefile/{case_a.public_id}/documents/{document.public_id}/download/"
    )
    assert response.status_code == 200 and response.content == TEXT
    assert response["Content-Type"].startswith("text/plain")
    assert response["Content-Disposition"].startswith("attachment;")
    assert "statement" not in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert AuditEvent.objects.filter(action="case_document.read").count() == 1


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (PDF, "a.pdf"),
        (PNG, "photo.png"),
        (JPEG, "passport.jpeg"),
        (TEXT, "note.txt"),
        (PDF, "scan"),
    ],
)
def test_accepted_types(client_a: Client, case_a: Case, data: bytes, name: str) -> None:
    response = upload(client_a, case_a, data, name, "identity")
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (EXE, "passport.pdf"),  # a program disguised by its extension
        (EXE, "photo.jpg"),
        (ZIP, "documents.txt"),
        (b"<html><script>alert(1)</script></html>", "letter.pdf"),  # text posing as a PDF
        (PNG, "letter.pdf"),  # an image posing as a PDF
        (b"GIF89a" + b"\x00" * 20, "photo.gif"),  # an image type not accepted here
        (b"\xff\xfe" + "hello".encode("utf-16-le"), "note.txt"),  # not UTF-8
        (b"", "empty.pdf"),
    ],
)
def test_refused_types_leave_nothing_behind(
    client_a: Client, case_a: Case, data: bytes, name: str
) -> None:
    before = AuditEvent.objects.count()
    files_before = stored_files()
    response = upload(client_a, case_a, data, name)
    assert response.status_code == 400, response.content
    error = error_of(response)
    assert error["code"] == "invalid" and "file" in error["fields"]
    assert CaseDocument.objects.count() == 0
    assert AuditEvent.objects.count() == before
    assert stored_files() == files_before


def stored_files() -> list[str]:
    try:
        return list(default_storage.listdir("casefile/documents")[1])
    except FileNotFoundError:
        return []


@override_settings(PALERMO_CASEFILE_MAX_DOCUMENT_BYTES=1024)
def test_oversized_document_is_refused(client_a: Client, case_a: Case) -> None:
    response = upload(client_a, case_a, PDF + b"0" * 1024, "big.pdf")
    assert response.status_code == 400
    assert "1 KB" in error_of(response)["fields"]["file"][0]
    assert CaseDocument.objects.count() == 0
    exact = upload(client_a, case_a, PDF + b"0" * (1024 - len(PDF)), "exact.pdf")
    assert exact.status_code == 201, exact.content


def test_default_limit_is_ten_megabytes(client_a: Client, case_a: Case) -> None:
    assert documents.max_bytes() == 10 * 1024 * 1024
    response = upload(client_a, case_a, PDF + b"0" * (10 * 1024 * 1024), "huge.pdf")
    assert response.status_code == 400
    assert "10 MB" in error_of(response)["fields"]["file"][0]


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\ana\\Desktop\\scan.txt", "scan.txt"),
        ('evil"\r\nContent-Type: text/html.txt', "html.txt"),
        ("report\u202efdp.txt", "reportfdp.txt"),
        ("a" * 300 + ".txt", "a" * 200),
    ],
)
def test_hostile_names_are_cleaned_and_never_sent_back_in_headers(
    client_a: Client, case_a: Case, name: str, kept: str
) -> None:
    response = upload(client_a, case_a, TEXT, name, "other")
    assert response.status_code == 201, response.content
    document = CaseDocument.objects.get()
    assert document.original_name == kept
    assert "/" not in document.storage_name.removeprefix("casefile/documents/")
    download = client_a.get(response.json()["download_url"])
    assert download["Content-Disposition"] == (
        f'attachment; filename="D-{document.public_id.hex[:8].upper()}.txt"'
    )


def test_missing_file_and_type(client_a: Client, case_a: Case) -> None:
    response = client_a.post(f"/api/casefile/{case_a.public_id}/documents", {})
    assert response.status_code == 400
    fields = error_of(response)["fields"]
    assert "file" in fields and "document_type" in fields


def test_document_types_follow_field_groups(client_a: Client, case_a: Case) -> None:
    response = upload(client_a, case_a, PDF, "x.pdf", "passport")
    assert response.status_code == 400
    assert "document_type" in error_of(response)["fields"]


def test_stored_file_tampering_is_detected(client_a: Client, case_a: Case) -> None:
    upload(client_a, case_a, PDF, "x.pdf")
    document = CaseDocument.objects.get()
    with default_storage.open(document.storage_name, "rb") as handle:
        sealed = handle.read()
    default_storage.delete(document.storage_name)
    default_storage.save(document.storage_name, _flip_last_byte(sealed))
    from palermo.vault.ciphers import VaultError

    with pytest.raises(VaultError):
        documents.load(document.storage_name)


def _flip_last_byte(data: bytes) -> Any:
    from django.core.files.base import ContentFile

    return ContentFile(data[:-1] + bytes([data[-1] ^ 1]))


def test_safe_name_strips_paths_controls_and_invisible_characters() -> None:
    assert documents.safe_name('..\\..\\x\r\n"y\u200b\u202e.txt') == 'x"y.txt'
    assert documents.safe_name("...") == ""
    assert documents.safe_name("/") == ""


@pytest.mark.parametrize("on_disk", [False, True], ids=["in-memory storage", "file-system storage"])
def test_rotate_keys_reseals_documents_that_still_open_after_the_old_key_is_retired(
    client_a: Client, case_a: Case, on_disk: bool, tmp_path: Any
) -> None:
    import io

    from django.conf import settings
    from django.core.management import call_command

    from palermo.vault.files import binary_key_id

    t2_only = next(item for item in settings.PALERMO_KEYS.split(",") if item.startswith("t2:"))
    storages = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path},
        },
    }
    with override_settings(**({"STORAGES": storages} if on_disk else {})):
        assert upload(client_a, case_a, PDF, "letter.pdf").status_code == 201
        document = CaseDocument.objects.get()
        with default_storage.open(document.storage_name, "rb") as handle:
            assert binary_key_id(handle.read()) == "t1"
        with override_settings(PALERMO_ACTIVE_KEY_ID="t2"):
            out = io.StringIO()
            call_command("rotate-keys", stdout=out, stderr=io.StringIO())
            assert "case documents: re-encrypted 1 file(s)" in out.getvalue()
        document.refresh_from_db()
        with default_storage.open(document.storage_name, "rb") as handle:
            assert binary_key_id(handle.read()) == "t2"
        with override_settings(PALERMO_KEYS=t2_only, PALERMO_ACTIVE_KEY_ID="t2"):
            assert documents.load(document.storage_name) == PDF
