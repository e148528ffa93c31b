"""What the two-deployment test does inside one deployment's own process.

Run as ``python -c "from palermo.partners.tests.loopback import main; main()" ACTION [ARGS]``
with that deployment's environment (its settings, database, vault and partner keys): the work
happens in that deployment, through its services, and the answer is one JSON line on stdout.
"""

from __future__ import annotations

import datetime
import json
import sys
from typing import Any


def _operator_setup() -> str:
    """What the operator does on a new server: the vault keys, the database, the partner keys
    (the same commands as `palermo init-keys`, `migrate`, `partner keys --init`). Returns the
    key string `palermo partner keys` prints."""
    import io

    from django.core.management import call_command

    call_command("init-keys", stdout=io.StringIO())
    call_command("migrate", interactive=False, verbosity=0)
    printed, notes = io.StringIO(), io.StringIO()
    call_command("partner", "keys", "--init", stdout=printed, stderr=notes)
    assert "Fingerprint:" in notes.getvalue()  # noqa: S101
    return printed.getvalue().strip()


def _sender_setup() -> dict[str, Any]:
    """Deployment A: set up, then an organisation, a case worker, and a person with consent
    and a case."""
    key_string = _operator_setup()
    from django.utils import timezone

    from palermo.accounts.actors import Actor
    from palermo.accounts.models import Membership, Organisation, OrganisationType, User
    from palermo.accounts.roles import Role
    from palermo.cases.models import Case
    from palermo.consent.services import consent_record
    from palermo.people.services import person_create

    organisation, _ = Organisation.objects.get_or_create(
        name="Centrul Regional Iași", country="RO", defaults={"org_type": OrganisationType.NGO}
    )
    user, _ = User.objects.get_or_create(username="ana.caseworker")
    membership, _ = Membership.objects.get_or_create(
        user=user, organisation=organisation, role=Role.CASE_WORKER
    )
    actor = Actor(user=user, organisation=organisation, role=Role.CASE_WORKER, purpose="assistance")
    cases = []
    for data in (
        {
            "first_name": "Olena",
            "second_name": "Kovalenko",
            "birthdate": "1998-05-04",
            "mobile_phone": "+40721000111",
            "mailing_street": "Strada Lăpușneanu 12",
            "mailing_city": "Iași",
            "gender": "Feminine",
            "citizenship": ["UA"],
        },
        {
            "first_name": "Mihai",
            "second_name": "Rusu",
            "birthdate": "1990-11-02",
            "mobile_phone": "+40721000222",
            "gender": "Masculine",
            "citizenship": ["MD"],
        },
    ):
        person = person_create(actor=actor, data=data)
        consent_record(
            actor=actor,
            person=person,
            data={
                "language": "ro",
                "given_by": "person",
                # A referral consent must name an organisation of this deployment, which a
                # partner abroad is not: the referrals rest on a recorded override instead.
                "decisions": {"assistance": "given"},
            },
        )
        now = timezone.now()
        case = Case.objects.create(
            person=person,
            owner_organisation=organisation,
            case_worker=user,
            country="RO",
            stage="referral",
            stage_entered_at=now,
            summary="Recruited for farm work; passport taken.",
            opened_by=user,
            opened_at=now,
        )
        cases.append(str(case.public_id))
    return {"key_string": key_string, "cases": cases, "membership": membership.pk}


def _refer(first_case: str, second_case: str, partner_name: str) -> dict[str, Any]:
    """Deployment A: a referral of each case to the partner, each handed to
    `transmit_referral` (queued for the worker), and the first one's package as it would go
    on the wire (sealed here, for the test to post and replay)."""
    results = [
        _refer_one(
            first_case,
            partner_name,
            "MigrationOrChangeOfLocation",
            "She wants to go home; needs a shelter place on arrival.",
            ["identity", "contact"],
        ),
        _refer_one(
            second_case, partner_name, "AdditionalServicesRequired", "Legal aid for the return."
        ),
    ]
    return {"referrals": results, "wire": _seal(results[0]["referral"])["body"]}


def _refer_again(case_id: str, partner_name: str) -> dict[str, Any]:
    """Deployment A: one more referral of a case to the partner."""
    return _refer_one(case_id, partner_name, "Other", "Psychological support.", ["identity"])


def _refer_one(
    case_id: str, partner_name: str, reason: str, details: str, groups: list[str] | None = None
) -> dict[str, Any]:
    from django.utils import timezone

    from palermo.cases.models import Case
    from palermo.partners.models import PartnerDeployment
    from palermo.partners.outbound import transmit_referral
    from palermo.referrals.models import Referral, ReferralEvent

    groups = groups or ["identity"]
    partner = PartnerDeployment.objects.get(name=partner_name)
    case = Case.objects.select_related("owner_organisation", "case_worker").get(public_id=case_id)
    now = timezone.now()
    referral = Referral.objects.create(
        case=case,
        kind="referral",
        sending_organisation=case.owner_organisation,
        sent_by=case.case_worker,
        partner=partner,
        reason=reason,
        details=details,
        shared_groups=groups,
        consent_basis="override",
        override_reason="Oral consent to the hand-over; the form cannot name a partner.",
        respond_by=timezone.localdate() + datetime.timedelta(days=5),
        created_at=now,
    )
    ReferralEvent.objects.create(
        referral=referral,
        to_state="pending",
        actor_user=case.case_worker,
        actor_organisation=case.owner_organisation,
        shared_groups=groups,
        consent_basis="override",
        at=now,
    )
    package = transmit_referral(referral)
    return {"referral": str(referral.public_id), "package": str(package.package_id)}


def _revoke(referral_id: str, note: str) -> dict[str, Any]:
    """Deployment A: the case worker who sent the referral revokes it (the referrals service,
    as the referral page does)."""
    from palermo.partners.outbound import sending_actor
    from palermo.referrals.models import Referral
    from palermo.referrals.services import referral_transition

    actor = sending_actor(Referral.objects.get(public_id=referral_id))
    revoked = referral_transition(
        actor=actor, public_id=referral_id, action="revoke", data={"note": note}
    )
    return {"state": revoked.state}


def _receiver_setup() -> dict[str, Any]:
    """Deployment B: set up, then the receiving organisation and a case worker with an API
    token."""
    key_string = _operator_setup()
    from palermo.accounts.actors import Actor
    from palermo.accounts.models import Membership, Organisation, OrganisationType, User
    from palermo.accounts.roles import Role
    from palermo.accounts.services import api_token_create

    organisation, _ = Organisation.objects.get_or_create(
        name="Casa Speranței", country="MD", defaults={"org_type": OrganisationType.NGO}
    )
    user, _ = User.objects.get_or_create(username="ion.caseworker")
    membership, _ = Membership.objects.get_or_create(
        user=user, organisation=organisation, role=Role.CASE_WORKER
    )
    _token, secret = api_token_create(
        actor=Actor.operator("loopback test"),
        name="loopback test",
        purpose="assistance",
        expires_in_days=1,
        membership=membership,
    )
    return {"key_string": key_string, "organisation": str(organisation.public_id), "token": secret}


def _seal(referral_id: str) -> dict[str, Any]:
    """Deployment A: the package of a referral as it would go on the wire (not sent)."""
    from django.utils import timezone

    from palermo.partners import packages
    from palermo.partners.keys import deployment_keys
    from palermo.partners.models import OutboundPackage

    package = OutboundPackage.objects.select_related("partner").get(
        referral__public_id=referral_id, kind="referral"
    )
    envelope = packages.seal(
        kind=package.kind,
        payload=json.loads(package.payload),
        sender=deployment_keys(),
        recipient=packages.PublicKeys(
            signing=packages.from_b64url(package.partner.signing_key),
            encryption=packages.from_b64url(package.partner.encryption_key),
        ),
        package_id=str(package.package_id),
        now=timezone.now(),
    )
    return {"body": packages.encode(envelope).decode("ascii")}


def _referral_state(referral_id: str) -> dict[str, Any]:
    """Deployment A: where a referral is, and its events."""
    from palermo.partners.models import OutboundPackage
    from palermo.referrals.models import Referral

    referral = Referral.objects.get(public_id=referral_id)
    return {
        "state": referral.state,
        "response_note": referral.response_note or "",
        "events": [
            {"from": e.from_state, "to": e.to_state, "label": e.actor_label, "note": e.note or ""}
            for e in referral.events.order_by("at", "id")
        ],
        "deliveries": [
            {"state": p.state, "attempts": p.attempts, "error": p.last_error}
            for p in OutboundPackage.objects.filter(referral=referral)
        ],
    }


def _inbox_report() -> dict[str, Any]:
    """Either deployment: what its inbox kept and refused, and its outbound deliveries."""
    from palermo.audit.models import AuditEvent
    from palermo.partners.models import IncomingReferral, OutboundPackage, ReceivedPackage

    refused = AuditEvent.objects.filter(action="partner.package_refused").order_by("sequence")
    return {
        "incoming": IncomingReferral.objects.count(),
        "received_packages": ReceivedPackage.objects.count(),
        "refused": [e.details.get("reason") for e in refused],
        "refused_details": [e.details for e in refused],
        "outbound": [
            {"kind": p.kind, "state": p.state, "attempts": p.attempts, "error": p.last_error}
            for p in OutboundPackage.objects.order_by("created_at", "id")
        ],
    }


def _audit_verify() -> dict[str, Any]:
    from django.core.management import call_command

    call_command("audit", "verify", verbosity=0)
    return {"verified": True}


ACTIONS = {
    "sender-setup": _sender_setup,
    "receiver-setup": _receiver_setup,
    "refer": _refer,
    "refer-again": _refer_again,
    "revoke": _revoke,
    "referral-state": _referral_state,
    "inbox-report": _inbox_report,
    "audit-verify": _audit_verify,
}


def main() -> None:
    import django

    django.setup()
    action, *args = sys.argv[1:]
    result = ACTIONS[action](*args)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
