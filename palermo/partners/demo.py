"""Demo data for transnational referral: one partner deployment and one referral from it.

No network: the partner's keys are derived from the seed (only the public halves are stored,
as for a real partner) and its address is under .example (RFC 2606), so nothing is ever sent.
The referral from abroad is stored as the inbox would have stored it, so the "Referrals from
abroad" page has something to answer. When this deployment's own partner key file is
configured but missing (a fresh `make demo`), it is created so the administrators' page shows
the key string to exchange.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from palermo.accounts.actors import Actor
from palermo.audit.services import audit_record

from .keys import key_file_path, write_new_key_file
from .models import IncomingReferral, OutboundPackage, PartnerDeployment, ReceivedPackage
from .packages import DeploymentKeys

DEMO_PARTNER_NAME = "Palermo Romania (demo partner)"
DEMO_PARTNER_URL = "https://palermo-ro.example"
RECEIVING_ORGANISATION = "shelter"


def demo_partner_keys(seed: int) -> DeploymentKeys:
    """The demo partner's keys, the same for a seed (its private halves are never stored)."""

    def derive(label: str) -> bytes:
        return hashlib.sha256(f"palermo-demo-partner-{seed}-{label}".encode()).digest()

    return DeploymentKeys.from_raw(derive("signing"), derive("encryption"))


def load_demo(context: Any) -> dict[str, int]:
    """Register the demo partner and store one pending referral from it; returns counts."""
    path = key_file_path()
    if path is not None and not path.exists():
        write_new_key_file(path)
    organisation = context.organisations.get(RECEIVING_ORGANISATION)
    public = demo_partner_keys(context.seed).public
    with transaction.atomic():
        partner = PartnerDeployment.objects.filter(name=DEMO_PARTNER_NAME).first()
        if partner is None:
            partner = PartnerDeployment.objects.create(
                name=DEMO_PARTNER_NAME,
                url=DEMO_PARTNER_URL,
                country="RO",
                signing_key=public.signing_b64,
                encryption_key=public.encryption_b64,
                receiving_organisation=organisation,
            )
            audit_record(
                actor=Actor.system("demo-data"),
                action="partner.add",
                object_type="partner",
                object_id=str(partner.public_id),
                details={"fingerprint": public.fingerprint, "url": DEMO_PARTNER_URL},
            )
        referrals = 0
        remote_id = uuid.UUID(
            bytes=hashlib.sha256(f"demo-ref-{context.seed}".encode()).digest()[:16]
        )
        if not IncomingReferral.objects.filter(
            partner=partner, remote_referral_id=remote_id
        ).exists():
            now = timezone.now()
            person = {
                "first_name": "Ana",
                "second_name": "Ceban",
                "birthdate": "1999-04-17",
                "mobile_phone": "+40721555123",
                "gender": "Feminine",
                "citizenship": ["MD"],
                "primary_language": "ro",
            }
            incoming = IncomingReferral.objects.create(
                partner=partner,
                remote_referral_id=remote_id,
                remote_reference="R-" + remote_id.hex[:8].upper(),
                remote_case_reference="C-" + remote_id.hex[8:16].upper(),
                kind="referral",
                reason="MigrationOrChangeOfLocation",
                respond_by=timezone.localdate() + datetime.timedelta(days=5),
                shared_groups=["contact", "identity"],
                consent_basis="consent",
                is_child=False,
                sender_organisation_name="Centrul Regional Iași pentru Victime (demo)",
                sender_country="RO",
                person_data=json.dumps(person, ensure_ascii=False),
                details=(
                    "Identified in Iași after leaving a farm where her passport was kept. "
                    "She wants to return home to Moldova and asks for a shelter place and "
                    "someone to meet her at the border."
                ),
                receiving_organisation=organisation,
                received_at=now,
            )
            audit_record(
                actor=Actor.system(f"partner {partner.name}"),
                action="partner.referral_received",
                object_type="incoming_referral",
                object_id=str(incoming.public_id),
                field_groups=["contact", "identity"],
                details={"partner": str(partner.public_id), "remote_reference": "demo"},
                subject_organisation=organisation,
            )
            referrals = 1
    return {"partner deployments": 1, "referrals from abroad": referrals}


def reset_demo() -> None:
    """Forget the demo partner's unanswered referrals and packages; the partner stays."""
    partner = PartnerDeployment.objects.filter(name=DEMO_PARTNER_NAME).first()
    if partner is None:
        return
    OutboundPackage.objects.filter(partner=partner).delete()
    IncomingReferral.objects.filter(partner=partner, person__isnull=True).delete()
    ReceivedPackage.objects.filter(partner=partner).delete()
