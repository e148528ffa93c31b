"""Sending to partner deployments: what a referral package holds, and its delivery.

`transmit_referral(referral)` is called by the referrals module once a referral to a partner
is committed, and `withdraw_referral` when the sender revokes one. The payload is built from the
person as the sender sees them, with only the shared groups, stored encrypted at rest
(`OutboundPackage`) and delivered by a background task; `deliver` seals the package afresh and
POSTs it, and failed attempts are retried with a growing delay (`retry_due`, a periodic job of
the worker).
"""

from __future__ import annotations

import datetime
import json
import logging
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from palermo.accounts.actors import Actor
from palermo.accounts.models import Membership
from palermo.accounts.roles import Perm, Purpose, Role, role_can
from palermo.audit.services import audit_record
from palermo.errors import ApplicationError
from palermo.people.field_groups import PERSON_FIELD_GROUPS

from . import packages, payloads
from .conf import MAX_ATTEMPTS, retry_delay
from .keys import PartnerKeysMissing, deployment_keys
from .models import DeliveryState, IncomingReferral, OutboundPackage, PartnerDeployment
from .transport import post_package

if TYPE_CHECKING:
    from palermo.referrals.models import Referral

logger = logging.getLogger("palermo.partners")

# Answers after which trying again cannot help: the partner will refuse the package again.
PERMANENT_REFUSALS = frozenset(
    {
        "malformed",
        "too_large",
        "unsupported_version",
        "bad_payload",
        "duplicate_referral",
        "unknown_referral",
        "invalid_transition",
        "wrong_recipient",
        "insecure_url",
        "bad_url",
    }
)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def sending_actor(referral: Referral) -> Actor:
    """The sender as the people selectors know them: the member who sent, in the sending
    organisation, in a role that may refer, acting for the referral."""
    membership = None
    if referral.sent_by_id is not None:
        roles = [r.value for r in Role if role_can(r, Perm.REFERRAL_SEND)]
        membership = (
            Membership.objects.select_related("user", "organisation")
            .filter(
                user_id=referral.sent_by_id,
                organisation_id=referral.sending_organisation_id,
                role__in=roles,
            )
            .order_by("pk")
            .first()
        )
    if membership is None:
        raise ApplicationError(
            _("The member who sent this referral may no longer refer for its organisation."),
            code="no_sender",
            status=409,
        )
    return Actor(
        user=membership.user,
        organisation=membership.organisation,
        role=Role(membership.role),
        purpose=Purpose.REFERRAL,
    )


def referral_payload(referral: Referral) -> tuple[dict[str, Any], list[str]]:
    """The plaintext of a referral package, and the field groups it carries.

    Only the groups the referral shares AND the sender may see of the person now (role,
    narrowed by consent; `palermo.people.selectors.visible_groups`): never more.
    """
    from palermo.consent.access import permission_for
    from palermo.people.selectors import visible_groups

    actor = sending_actor(referral)
    case = referral.case
    person = case.person
    # The person's own groups as the people selectors show them; the case's groups (the
    # summary is narrative) by the same rule: the role's groups, narrowed by consent.
    visible = set(visible_groups(actor, person))
    visible |= set(actor.field_groups() & permission_for(actor, person).groups) - {
        str(g) for g in PERSON_FIELD_GROUPS
    }
    groups = sorted(set(referral.shared_groups) & visible)
    data: dict[str, Any] = {}
    for group, names in PERSON_FIELD_GROUPS.items():
        if str(group) in groups:
            for name in names:
                value = getattr(person, name)
                if value not in (None, ""):
                    data[name] = _json_value(value)
    for name in payloads.TRAVELLING_DEMOGRAPHICS:
        value = getattr(person, name)
        if value not in (None, "", []):
            data[name] = value
    organisation = referral.sending_organisation
    summary = case.summary if "narrative" in groups else None
    payload = {
        "payload_version": payloads.PAYLOAD_VERSION,
        "referral_id": str(referral.public_id),
        "reference": referral.reference,
        "case_reference": case.reference,
        "kind": str(referral.kind),
        "reason": str(referral.reason),
        "details": referral.details or "",
        "respond_by": referral.respond_by.isoformat() if referral.respond_by else None,
        "sender_organisation": {"name": organisation.name, "country": organisation.country},
        "shared_groups": groups,
        "consent_basis": str(referral.consent_basis),
        "is_child": bool(case.is_child),
        "person": data,
        "case_summary": summary or "",
    }
    return payload, groups


def _queue(
    partner: PartnerDeployment,
    kind: str,
    payload: dict[str, Any],
    *,
    referral: Referral | None = None,
    incoming: IncomingReferral | None = None,
) -> OutboundPackage:
    """Store a package for the partner (its payload encrypted at rest) and have the worker
    deliver it once the transaction commits."""
    now = timezone.now()
    package = OutboundPackage.objects.create(
        partner=partner,
        kind=kind,
        referral=referral,
        incoming=incoming,
        payload=json.dumps(payload, ensure_ascii=False),
        next_attempt_at=now,
        created_at=now,
    )
    _enqueue(package)
    return package


def _enqueue(package: OutboundPackage) -> None:
    pk = package.pk

    def enqueue() -> None:
        from .tasks import deliver_package

        deliver_package.enqueue(pk)

    transaction.on_commit(enqueue)


def _require_keys() -> None:
    try:
        deployment_keys()
    except PartnerKeysMissing as exc:
        raise ApplicationError(
            _(
                "This deployment has no partner keys: the operator runs "
                "`palermo partner keys --init`."
            ),
            code="partner_keys_missing",
            status=409,
        ) from exc


def transmit_referral(referral: Referral) -> OutboundPackage:
    """Queue a referral for its partner deployment; audited as partner.referral_sent.

    Idempotent: a referral that already has a referral package gets that one back.
    """
    from palermo.referrals.models import Referral as ReferralModel

    with transaction.atomic():
        # Lock the referral row alone (PostgreSQL cannot lock the nullable side of a join).
        ReferralModel.objects.select_for_update().filter(pk=referral.pk).values_list("pk").get()
        referral = ReferralModel.objects.select_related(
            "case__person", "sending_organisation", "partner"
        ).get(pk=referral.pk)
        partner = referral.partner
        if partner is None:
            raise ValueError("transmit_referral: the referral has no partner deployment")
        existing = OutboundPackage.objects.filter(referral=referral, kind="referral").first()
        if existing is not None:
            return existing
        if not partner.active:
            raise ApplicationError(
                _("This partner deployment is deactivated."), code="partner_inactive", status=409
            )
        _require_keys()
        payload, groups = referral_payload(referral)
        package = _queue(partner, "referral", payload, referral=referral)
        audit_record(
            actor=sending_actor(referral),
            action="partner.referral_sent",
            object_type="referral",
            object_id=str(referral.public_id),
            field_groups=groups,
            details={
                "partner": str(partner.public_id),
                "package_id": str(package.package_id),
            },
            subject_organisation=referral.case.owner_organisation,
        )
    return package


def queue_status(incoming: IncomingReferral, *, state: str, note: str) -> OutboundPackage:
    """Queue a status package telling the sender what became of its referral."""
    payload = payloads.status_payload(
        referral_id=incoming.remote_referral_id, state=state, note=note, at=timezone.now()
    )
    return _queue(incoming.partner, "status", payload, incoming=incoming)


def withdraw_referral(referral: Referral, *, actor: Actor, note: str) -> OutboundPackage | None:
    """The sender revoked a referral to a partner: its referral package is never sent again,
    and the partner is told with a revocation package unless the referral cannot have reached
    it (its package was never tried). Called inside the revocation's transaction; returns the
    revocation package, if one was queued. Audited as partner.referral_withdrawn.
    """
    package = (
        OutboundPackage.objects.select_for_update()
        .filter(referral=referral, kind="referral")
        .first()
    )
    if package is None:  # not handed over yet (`transmit_referral` sends only pending ones)
        return None
    # A package being posted right now has been tried (`deliver` counts the attempt first),
    # so "never tried" means it cannot be at the partner.
    may_have_arrived = package.attempts > 0
    if package.state == DeliveryState.PENDING:
        package.state = DeliveryState.WITHDRAWN
        package.save(update_fields=["state"])
    revocation = None
    if may_have_arrived:
        payload = payloads.revocation_payload(
            referral_id=referral.public_id, note=note, at=timezone.now()
        )
        revocation = _queue(package.partner, "revocation", payload, referral=referral)
    audit_record(
        actor=actor,
        action="partner.referral_withdrawn",
        object_type="referral",
        object_id=str(referral.public_id),
        details={
            "partner": str(package.partner.public_id),
            "package_id": str(package.package_id),
            "package_state": str(package.state),
            "revocation_package_id": str(revocation.package_id) if revocation else "",
        },
        subject_organisation=referral.case.owner_organisation,
    )
    return revocation


def _gives_up(package: OutboundPackage, code: str | None) -> bool:
    """Whether a refusal is final. A revocation that finds no referral is tried again: the
    referral package may still be on its way (revoked while it was being posted)."""
    if package.attempts >= MAX_ATTEMPTS:
        return True
    if package.kind == "revocation" and code == "unknown_referral":
        return False
    return code in PERMANENT_REFUSALS


def deliver(package_pk: int) -> str:
    """One delivery attempt of a waiting package; returns its state afterwards.

    The package is claimed by pushing its next attempt time forward, so two workers do not
    post it at once; the answer decides: delivered, try again later, or give up.
    """
    now = timezone.now()
    with transaction.atomic():
        package = (
            OutboundPackage.objects.select_for_update()
            .select_related("partner")
            .filter(pk=package_pk)
            .first()
        )
        if package is None or package.state != DeliveryState.PENDING:
            return package.state if package else "missing"
        package.attempts += 1
        package.last_attempt_at = now
        # While this attempt runs, nobody else picks the package up.
        package.next_attempt_at = now + retry_delay(package.attempts)
        package.save(update_fields=["attempts", "last_attempt_at", "next_attempt_at"])
    partner: PartnerDeployment = package.partner
    if not partner.active:
        answer_status, answer_code, delivered = None, "partner_inactive", False
    else:
        keys = deployment_keys()
        envelope = packages.seal(
            kind=package.kind,
            payload=json.loads(package.payload),
            sender=keys,
            recipient=packages.PublicKeys(
                signing=packages.from_b64url(partner.signing_key),
                encryption=packages.from_b64url(partner.encryption_key),
            ),
            package_id=str(package.package_id),
            now=timezone.now(),
        )
        answer = post_package(partner.url, packages.encode(envelope))
        answer_status, answer_code, delivered = answer.status, answer.code, answer.delivered
    with transaction.atomic():
        package = OutboundPackage.objects.select_for_update().get(pk=package_pk)
        package.last_status = answer_status
        package.last_error = "" if delivered else (answer_code or "http_error")[:100]
        if delivered:
            package.state = DeliveryState.DELIVERED
            package.delivered_at = timezone.now()
        elif package.state == DeliveryState.PENDING and _gives_up(package, answer_code):
            package.state = DeliveryState.FAILED
        package.save()
        audit_record(
            actor=Actor.system("partner delivery", purpose=Purpose.REFERRAL),
            action="partner.package_delivery",
            object_type="partner_package",
            object_id=str(package.package_id),
            details={
                "partner": str(partner.public_id),
                "kind": package.kind,
                "attempt": package.attempts,
                "status": answer_status,
                "code": answer_code,
                "state": package.state,
            },
        )
    log = logger.info if delivered else logger.warning
    log(
        "partner package %s (%s) to %s: attempt %d, answer %s %s, now %s",
        package.package_id,
        package.kind,
        partner.public_id,
        package.attempts,
        answer_status,
        answer_code,
        package.state,
    )
    return str(package.state)


def due_packages(now: datetime.datetime | None = None) -> list[int]:
    """Waiting packages whose next attempt is due."""
    now = now or timezone.now()
    return list(
        OutboundPackage.objects.filter(
            state=DeliveryState.PENDING, next_attempt_at__lte=now
        ).values_list("pk", flat=True)[:200]
    )
