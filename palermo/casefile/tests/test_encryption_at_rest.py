"""Case-file content is encrypted at rest: its plaintext appears nowhere in the raw database."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from palermo.accounts.roles import Role
from palermo.casefile import services
from palermo.casefile.access import casefile_for_actor
from palermo.casefile.models import CaseDocument
from palermo.testing import actor_for, member
from tests.test_encryption_at_rest import postgresql_dump, sqlite_bytes

from .conftest import open_case

SECRETS = (
    "Qwertyzhangnote",
    "Zorblatobjective",
    "Xylocityvillage",
    "Vramblename",
    "Krulldetails",
    "Plonkassessment",
    "Fribbledocument",
    "Grumpfprogress",
)


@pytest.mark.django_db(transaction=True)
def test_case_content_is_not_stored_in_clear() -> None:
    worker = member(Role.CASE_WORKER)
    case = open_case(worker)
    actor = actor_for(worker)
    casefile = casefile_for_actor(actor, case.public_id, "edit")
    services.assessment_create(
        actor=actor,
        casefile=casefile,
        data={
            "assessed_on": "2024-01-02",
            "summary": SECRETS[5],
            "needs": [{"area": "Medical", "level": "low", "note": SECRETS[5]}],
        },
    )
    item = services.care_plan_item_create(
        actor=actor,
        casefile=casefile,
        data={"support_type": "Health", "objective": SECRETS[1], "responsible_other": "Clinic"},
    )
    services.care_plan_progress_add(
        actor=actor, casefile=casefile, item=item, data={"status": "on_hold", "note": SECRETS[7]}
    )
    services.note_create(actor=actor, casefile=casefile, data={"text": SECRETS[0]})
    services.event_create(
        actor=actor,
        casefile=casefile,
        data={"kind": "Transit", "country": "RO", "locality": SECRETS[2], "note": SECRETS[2]},
    )
    services.perpetrator_create(
        actor=actor,
        casefile=casefile,
        data={"name": SECRETS[3], "identifying_details": SECRETS[4], "role_details": SECRETS[4]},
    )
    services.document_add(
        actor=actor,
        casefile=casefile,
        data={"document_type": "other", "description": SECRETS[6]},
        upload=SimpleUploadedFile(f"{SECRETS[6]}.txt", f"{SECRETS[6]} body".encode()),
    )
    if connection.vendor == "sqlite":
        stored = sqlite_bytes()
    else:
        stored = postgresql_dump()
        assert b"COPY public.casefile_casenote" in stored
    assert str(case.public_id).encode() in stored or case.public_id.hex.encode() in stored
    needles = {s.encode(c) for s in SECRETS for c in ("utf-8", "utf-16-le")}
    leaked = [n for n in needles if n in stored]
    assert not leaked, f"plaintext found in the stored database: {leaked}"
    document = CaseDocument.objects.get()
    with default_storage.open(document.storage_name, "rb") as handle:
        assert SECRETS[6].encode() not in handle.read()
