"""Every write of the partners module: the registry, the inbox, and the answers to incoming
referrals. Each is atomic and writes its audit event in the same transaction; audit details
carry ids, codes and fingerprints, never personal data.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from palermo.accounts.actors import Actor
from palermo.accounts.models import Membership, Organisation, User
from palermo.accounts.roles import Perm, Purpose, Role, role_can
from palermo.audit.services import audit_record
from palermo.errors import ApplicationError, Forbidden, invalid
from palermo.people.field_groups import DEMOGRAPHIC_FIELDS, group_of, groups_touched
from palermo.people.models import Person

from . import packages, payloads
from .access import (
    is_system,
    may_accept_incoming,
    may_see_incoming,
    require_partner_manager,
)
from .conf import MAX_PACKAGE_BYTES, partner_settings
from .keys import deployment_keys_or_none
from .models import IncomingReferral, IncomingState, PartnerDeployment, ReceivedPackage

logger = logging.getLogger("palermo.partners")

MAX_NAME_LENGTH = 200
MAX_URL_LENGTH = 300
MAX_NOTE_LENGTH = 2000


def public_keys_of(partner: PartnerDeployment) -> packages.PublicKeys:
    return packages.PublicKeys(
        signing=packages.from_b64url(partner.signing_key),
        encryption=packages.from_b64url(partner.encryption_key),
    )


def fingerprint_of(partner: PartnerDeployment) -> str:
    return public_keys_of(partner).short_fingerprint


def partner_actor(partner: PartnerDeployment) -> Actor:
    """How the audit log names what a partner deployment did here."""
    return Actor.system(f"partner {partner.name}"[:150], purpose=Purpose.REFERRAL)


# --- the registry ------------------------------------------------------------------------


def clean_partner_url(url: str) -> str:
    """An https:// base address (http:// only with PALERMO_PARTNER_INSECURE_ALLOW_HTTP)."""
    value = (url or "").strip()
    allow_http = partner_settings().insecure_allow_http
    schemes = ["https", "http"] if allow_http else ["https"]
    if not value:
        raise invalid({"url": [_("This field is required.")]})
    if len(value) > MAX_URL_LENGTH:
        raise invalid({"url": [_("Use at most %(max)d characters.") % {"max": MAX_URL_LENGTH}]})
    parts = urlsplit(value)
    if parts.scheme == "http" and not allow_http:
        raise invalid(
            {
                "url": [
                    _(
                        "Use an https:// address: packages cross borders and must travel "
                        "encrypted with a verified certificate."
                    )
                ]
            }
        )
    try:
        URLValidator(schemes=schemes)(value)
    except ValidationError as exc:
        raise invalid(
            {"url": [_("Enter a valid address, such as https://palermo.example.org.")]}
        ) from exc
    if parts.username or parts.password or parts.query or parts.fragment:
        raise invalid({"url": [_("Give the base address only: no user name, query or fragment.")]})
    return value.rstrip("/")


def resolve_organisation(value: str) -> Organisation | None:
    """An organisation by public id or exact name (None when empty)."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        found = Organisation.objects.filter(public_id=uuid.UUID(value)).first()
    except ValueError:
        matches = list(Organisation.objects.filter(name=value)[:2])
        found = matches[0] if len(matches) == 1 else None
    return found


def _clean_partner(
    *, name: str, url: str, public_key: str, country: str
) -> tuple[str, str, packages.PublicKeys, str]:
    errors: dict[str, list[Any]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("This field is required.")]
    elif len(name) > MAX_NAME_LENGTH:
        errors["name"] = [_("Use at most %(max)d characters.") % {"max": MAX_NAME_LENGTH}]
    elif PartnerDeployment.objects.filter(name=name).exists():
        errors["name"] = [_("A partner deployment with this name is already registered.")]
    clean_url = ""
    try:
        clean_url = clean_partner_url(url)
    except ApplicationError as exc:
        errors.update(exc.fields)
    keys: packages.PublicKeys | None = None
    try:
        keys = packages.parse_key_string(public_key or "")
    except packages.InvalidKeyString:
        errors["public_key"] = [
            _(
                "This is not a partner key string. Copy the whole line that `palermo partner "
                "keys` printed at the partner, starting with palermo-partner-v1."
            )
        ]
    if keys is not None:
        own = deployment_keys_or_none()
        if own is not None and own.public.signing == keys.signing:
            errors["public_key"] = [_("This is this deployment's own key.")]
        else:
            existing = PartnerDeployment.objects.filter(signing_key=keys.signing_b64).first()
            if existing is not None:
                errors["public_key"] = [
                    _("This key is already registered, as %(name)s.") % {"name": existing.name}
                ]
    country = (country or "").strip().upper()
    if country and (len(country) != 2 or not country.isalpha()):
        errors["country"] = [_("Enter a two-letter country code, such as MD.")]
    if errors or keys is None:
        raise invalid(errors)
    return name, clean_url, keys, country


@transaction.atomic
def partner_add(
    *,
    actor: Actor,
    name: str,
    url: str,
    public_key: str,
    country: str = "",
    receiving_organisation: Organisation | None = None,
) -> PartnerDeployment:
    """Register a trusted partner deployment from its key string; audited as partner.add."""
    require_partner_manager(actor)
    name, url, keys, country = _clean_partner(
        name=name, url=url, public_key=public_key, country=country
    )
    partner = PartnerDeployment.objects.create(
        name=name,
        url=url,
        country=country,
        signing_key=keys.signing_b64,
        encryption_key=keys.encryption_b64,
        receiving_organisation=receiving_organisation,
    )
    audit_record(
        actor=actor,
        action="partner.add",
        object_type="partner",
        object_id=str(partner.public_id),
        details={"fingerprint": keys.fingerprint, "url": url, "country": country},
    )
    return partner


@transaction.atomic
def partner_set_active(*, actor: Actor, partner: PartnerDeployment, active: bool) -> bool:
    """Activate or deactivate a partner; False (and nothing recorded) when nothing changed.

    An inactive partner's packages are refused and nothing is sent to it.
    """
    require_partner_manager(actor)
    changed = PartnerDeployment.objects.filter(pk=partner.pk, active=not active).update(
        active=active
    )
    partner.active = active
    if changed:
        audit_record(
            actor=actor,
            action="partner.activate" if active else "partner.deactivate",
            object_type="partner",
            object_id=str(partner.public_id),
        )
    return bool(changed)


@transaction.atomic
def partner_set_receiving_organisation(
    *, actor: Actor, partner: PartnerDeployment, organisation: Organisation | None
) -> int:
    """Choose where this partner's referrals go; unassigned waiting ones follow. Returns how
    many waiting referrals were assigned."""
    require_partner_manager(actor)
    partner.receiving_organisation = organisation
    partner.save(update_fields=["receiving_organisation"])
    assigned = 0
    if organisation is not None:
        assigned = IncomingReferral.objects.filter(
            partner=partner, receiving_organisation__isnull=True, state=IncomingState.PENDING
        ).update(receiving_organisation=organisation)
    audit_record(
        actor=actor,
        action="partner.set_receiving_organisation",
        object_type="partner",
        object_id=str(partner.public_id),
        details={
            "organisation": str(organisation.public_id) if organisation else "",
            "assigned": assigned,
        },
    )
    return assigned


@transaction.atomic
def partner_remove(*, actor: Actor, partner: PartnerDeployment) -> None:
    """Delete a partner that never exchanged anything; otherwise deactivate it instead."""
    require_partner_manager(actor)
    from palermo.referrals.models import Referral

    if (
        Referral.objects.filter(partner=partner).exists()
        or partner.incoming_referrals.exists()
        or partner.outbound_packages.exists()
        or ReceivedPackage.objects.filter(partner=partner).exists()
    ):
        raise ApplicationError(
            _(
                "This partner has exchanged referrals with this deployment, which must keep "
                "their history: deactivate it instead."
            ),
            code="partner_in_use",
            status=409,
        )
    public_id = str(partner.public_id)
    fingerprint = public_keys_of(partner).fingerprint
    partner.delete()
    audit_record(
        actor=actor,
        action="partner.remove",
        object_type="partner",
        object_id=public_id,
        details={"fingerprint": fingerprint},
    )


# --- the inbox ---------------------------------------------------------------------------

REFUSAL_STATUS = {
    "too_large": 413,
    "malformed": 400,
    "unsupported_version": 400,
    "unknown_sender": 403,
    "inactive_sender": 403,
    "bad_signature": 403,
    "wrong_recipient": 403,
    "replay": 409,
    "expired": 400,
    "from_future": 400,
    "undecryptable": 400,
    "bad_payload": 400,
    "duplicate_referral": 409,
    "unknown_referral": 404,
    "invalid_transition": 409,
    "not_configured": 503,
}


@dataclass(frozen=True)
class InboxResult:
    status: int
    code: str
    package_id: str = ""


def _refuse(exc: packages.PackageRefused, *, remote_addr: str) -> InboxResult:
    """Log and audit a refused package (its own transaction: nothing of the package is kept)."""
    partner = (
        PartnerDeployment.objects.filter(signing_key=exc.sender).first() if exc.sender else None
    )
    details: dict[str, Any] = {"reason": exc.reason, "remote_addr": remote_addr[:45]}
    if exc.package_id:
        details["package_id"] = exc.package_id
    if partner is not None:
        details["partner"] = str(partner.public_id)
    elif exc.sender:
        details["sender_key"] = exc.sender[:64]
    logger.warning(
        "partner.package_refused reason=%s package=%s partner=%s from=%s",
        exc.reason,
        exc.package_id or "-",
        partner.public_id if partner else "-",
        remote_addr,
    )
    audit_record(
        actor=Actor.system("partner inbox", purpose=Purpose.REFERRAL),
        action="partner.package_refused",
        object_type="partner_package",
        object_id=exc.package_id,
        details=details,
    )
    return InboxResult(REFUSAL_STATUS.get(exc.reason, 400), exc.reason, exc.package_id)


def receive_package(raw: bytes, *, remote_addr: str = "") -> InboxResult:
    """Verify, open and act on a package posted to /partners/inbox/.

    A refused package leaves nothing behind but its audit event and log line.
    """
    keys = deployment_keys_or_none()
    if keys is None:
        logger.error("partner inbox: this deployment has no partner keys")
        return InboxResult(503, "not_configured")
    conf = partner_settings()

    def lookup(sender: str) -> packages.SenderKey | None:
        row = PartnerDeployment.objects.filter(signing_key=sender).values("pk", "active").first()
        return packages.SenderKey(row["pk"], row["active"]) if row else None

    def seen(package_id: str) -> bool:
        return ReceivedPackage.objects.filter(package_id=package_id).exists()

    try:
        opened = packages.open_package(
            raw,
            recipient=keys,
            lookup_sender=lookup,
            seen=seen,
            now=timezone.now(),
            max_age=conf.max_age,
            max_skew=conf.max_skew,
            max_bytes=MAX_PACKAGE_BYTES,
        )
    except packages.PackageRefused as exc:
        return _refuse(exc, remote_addr=remote_addr)
    context = {"package_id": opened.package_id, "sender": opened.sender_key}
    try:
        with transaction.atomic():
            partner = PartnerDeployment.objects.get(pk=opened.partner_id)
            try:
                with transaction.atomic():
                    ReceivedPackage.objects.create(
                        package_id=opened.package_id,
                        partner=partner,
                        kind=opened.kind,
                        created_at=opened.created_at,
                        received_at=timezone.now(),
                    )
            except IntegrityError as exc:  # the same package, in a race with itself
                raise packages.PackageRefused("replay", **context) from exc
            try:
                if opened.kind == "referral":
                    object_type, object_id = _receive_referral(partner, opened)
                elif opened.kind == "revocation":
                    object_type, object_id = _receive_revocation(partner, opened)
                else:
                    object_type, object_id = _receive_status(partner, opened)
            except packages.PackageRefused as exc:
                raise packages.PackageRefused(exc.reason, exc.detail, **context) from exc
            audit_record(
                actor=partner_actor(partner),
                action="partner.package_received",
                object_type=object_type,
                object_id=object_id,
                details={
                    "package_id": opened.package_id,
                    "kind": opened.kind,
                    "partner": str(partner.public_id),
                },
            )
    except packages.PackageRefused as exc:
        return _refuse(exc, remote_addr=remote_addr)
    return InboxResult(202, "accepted", opened.package_id)


def designated_organisation(partner: PartnerDeployment) -> Organisation | None:
    """Where a partner's referrals go: its own setting, else the deployment-wide one."""
    if partner.receiving_organisation_id is not None:
        return partner.receiving_organisation
    return resolve_organisation(partner_settings().receiving_organisation)


def members_who_answer(organisation: Organisation | None) -> list[User]:
    if organisation is None:
        return []
    roles = [r.value for r in Role if role_can(r, Perm.REFERRAL_RESPOND)]
    ids = Membership.objects.filter(organisation=organisation, role__in=roles).values("user_id")
    return list(User.objects.filter(pk__in=ids, is_active=True))


def _receive_referral(
    partner: PartnerDeployment, opened: packages.OpenedPackage
) -> tuple[str, str]:
    data = payloads.check_referral_payload(opened.payload)
    if IncomingReferral.objects.filter(
        partner=partner, remote_referral_id=data.referral_id
    ).exists():
        raise packages.PackageRefused("duplicate_referral")
    organisation = designated_organisation(partner)
    incoming = IncomingReferral.objects.create(
        partner=partner,
        remote_referral_id=data.referral_id,
        remote_reference=data.reference,
        remote_case_reference=data.case_reference,
        kind=data.kind,
        reason=data.reason,
        respond_by=data.respond_by,
        shared_groups=data.shared_groups,
        consent_basis=data.consent_basis,
        is_child=data.is_child,
        sender_organisation_name=data.sender_organisation_name,
        sender_country=data.sender_country,
        person_data=json.dumps(data.person, ensure_ascii=False),
        details=data.details or None,
        case_summary=data.case_summary or None,
        receiving_organisation=organisation,
        received_at=timezone.now(),
    )
    audit_record(
        actor=partner_actor(partner),
        action="partner.referral_received",
        object_type="incoming_referral",
        object_id=str(incoming.public_id),
        field_groups=data.shared_groups,
        details={
            "partner": str(partner.public_id),
            "remote_reference": data.reference,
            "receiving_organisation": str(organisation.public_id) if organisation else "",
        },
        subject_organisation=organisation,
    )
    if organisation is not None:
        from palermo.notifications.services import notify

        notify(
            recipients=members_who_answer(organisation),
            kind="partner.referral_received",
            object_type="incoming_referral",
            object_id=str(incoming.public_id),
            reference=incoming.reference,
            url=reverse("partners:incoming_detail", args=[incoming.public_id]),
        )
    else:
        logger.warning(
            "partner referral %s from %s has no receiving organisation: set one for the partner",
            incoming.public_id,
            partner.public_id,
        )
    return "incoming_referral", str(incoming.public_id)


def _receive_status(partner: PartnerDeployment, opened: packages.OpenedPackage) -> tuple[str, str]:
    from palermo.errors import NotFound
    from palermo.referrals.models import Referral
    from palermo.referrals.services import referral_partner_answer

    data = payloads.check_status_payload(opened.payload)
    current = (
        Referral.objects.filter(public_id=data.referral_id, partner=partner)
        .values_list("state", flat=True)
        .first()
    )
    if current is None:
        raise packages.PackageRefused("unknown_referral")
    if current != data.state:  # the same answer twice changes nothing
        try:
            referral_partner_answer(
                partner=partner, public_id=data.referral_id, state=data.state, note=data.note
            )
        except NotFound as exc:
            raise packages.PackageRefused("unknown_referral") from exc
        except ApplicationError as exc:
            raise packages.PackageRefused("invalid_transition", exc.code) from exc
    return "referral", str(data.referral_id)


def _receive_revocation(
    partner: PartnerDeployment, opened: packages.OpenedPackage
) -> tuple[str, str]:
    """The sender revoked a referral it sent here: what it shared is erased, and whoever
    answers for the receiving organisation is told. A person and case already made here on
    accepting stay (the person's consent to assistance was recorded here): the notice asks
    the organisation to review them."""
    data = payloads.check_revocation_payload(opened.payload)
    incoming = (
        IncomingReferral.objects.select_for_update()
        .filter(partner=partner, remote_referral_id=data.referral_id)
        .first()
    )
    if incoming is None:
        raise packages.PackageRefused("unknown_referral")
    if incoming.state == IncomingState.REVOKED:  # a second revocation changes nothing
        return "incoming_referral", str(incoming.public_id)
    from_state = incoming.state
    incoming.state = IncomingState.REVOKED
    incoming.revoked_at = timezone.now()
    incoming.revocation_note = data.note or None
    incoming.person_data = "{}"
    incoming.details = None
    incoming.case_summary = None
    incoming.save(
        update_fields=[
            "state", "revoked_at", "revocation_note", "person_data", "details", "case_summary",
            "updated_at",
        ]
    )  # fmt: skip
    audit_record(
        actor=partner_actor(partner),
        action="partner.referral_revoked",
        object_type="incoming_referral",
        object_id=str(incoming.public_id),
        details={
            "partner": str(partner.public_id),
            "remote_reference": incoming.remote_reference,
            "from": from_state,
            "to": str(IncomingState.REVOKED),
            "case": str(incoming.case.public_id) if incoming.case else "",
        },
        subject_organisation=incoming.receiving_organisation,
    )
    if from_state != IncomingState.DECLINED:  # a declined referral asks nothing more of anyone
        from palermo.notifications.services import notify

        notify(
            recipients=members_who_answer(incoming.receiving_organisation),
            kind="partner.referral_revoked",
            object_type="incoming_referral",
            object_id=str(incoming.public_id),
            reference=incoming.reference,
            url=reverse("partners:incoming_detail", args=[incoming.public_id]),
        )
    return "incoming_referral", str(incoming.public_id)


# --- answering incoming referrals --------------------------------------------------------

# What each answer does: the states it leaves from, and the state it leads to.
_ANSWERS = {
    "accept": ({IncomingState.PENDING}, IncomingState.ACCEPTED),
    "decline": ({IncomingState.PENDING}, IncomingState.DECLINED),
    "start": ({IncomingState.ACCEPTED}, IncomingState.IN_PROGRESS),
    "done": ({IncomingState.IN_PROGRESS}, IncomingState.DONE),
}


def allowed_answers(incoming: IncomingReferral) -> list[str]:
    return [name for name, (sources, _target) in _ANSWERS.items() if incoming.state in sources]


def _lock(incoming: IncomingReferral, answer: str) -> IncomingReferral:
    locked = IncomingReferral.objects.select_for_update().get(pk=incoming.pk)
    sources, _target = _ANSWERS[answer]
    if locked.state not in sources:
        raise ApplicationError(
            _("This referral is no longer waiting for that answer (it is %(state)s).")
            % {"state": locked.get_state_display()},
            code="invalid_state",
            status=409,
        )
    return locked


def _clean_note(note: str, *, required: bool) -> str:
    note = (note or "").strip()
    if required and not note:
        raise invalid({"note": [_("Say why, for the sending organisation.")]})
    if len(note) > MAX_NOTE_LENGTH:
        raise invalid({"note": [_("Use at most %(max)d characters.") % {"max": MAX_NOTE_LENGTH}]})
    return note


def _record_answer(
    actor: Actor,
    incoming: IncomingReferral,
    answer: str,
    note: str,
    details: dict[str, Any] | None = None,
    field_groups: set[str] | None = None,
) -> None:
    from .outbound import queue_status

    _sources, target = _ANSWERS[answer]
    from_state = incoming.state
    incoming.state = target
    update = ["state", "updated_at"]
    if answer in ("accept", "decline"):
        incoming.responded_by = actor.user
        incoming.responded_at = timezone.now()
        incoming.response_note = note or None
        update += ["responded_by", "responded_at", "response_note"]
    incoming.save(update_fields=[*update, "person", "case"])
    audit_record(
        actor=actor,
        action=f"partner.referral_{answer}",
        object_type="incoming_referral",
        object_id=str(incoming.public_id),
        field_groups=field_groups or (),
        details={
            "partner": str(incoming.partner.public_id),
            "remote_reference": incoming.remote_reference,
            "from": from_state,
            "to": target,
            **(details or {}),
        },
        subject_organisation=incoming.receiving_organisation,
    )
    queue_status(incoming, state=str(target), note=note)


def _require_answerer(actor: Actor, incoming: IncomingReferral) -> None:
    if not may_see_incoming(actor) or incoming.receiving_organisation_id != actor.organisation_id:
        raise Forbidden()


@transaction.atomic
def incoming_decline(*, actor: Actor, incoming: IncomingReferral, note: str) -> IncomingReferral:
    """Decline with a reason; the partner is told (a status package)."""
    _require_answerer(actor, incoming)
    note = _clean_note(note, required=True)
    locked = _lock(incoming, "decline")
    _record_answer(actor, locked, "decline", note)
    return locked


@transaction.atomic
def incoming_progress(
    *, actor: Actor, incoming: IncomingReferral, answer: str, note: str = ""
) -> IncomingReferral:
    """Report an accepted referral in progress (`start`) or done (`done`) to the partner."""
    if answer not in ("start", "done"):
        raise invalid({"answer": [_("Choose one of the listed options.")]})
    _require_answerer(actor, incoming)
    note = _clean_note(note, required=False)
    locked = _lock(incoming, answer)
    _record_answer(actor, locked, answer, note)
    return locked


def _person_data(actor: Actor, incoming: IncomingReferral) -> tuple[dict[str, Any], list[str]]:
    """The shared fields the accepting actor's role may hold, and the names left out."""
    data: dict[str, Any] = json.loads(incoming.person_data or "{}")
    allowed = actor.field_groups()
    kept: dict[str, Any] = {}
    left_out: list[str] = []
    for name, value in data.items():
        group = group_of(name)
        if name in DEMOGRAPHIC_FIELDS or (group is not None and str(group) in allowed):
            kept[name] = value
        else:
            left_out.append(name)
    return kept, left_out


def _create_person(actor: Actor, data: dict[str, Any]) -> tuple[Person, list[str]]:
    """The person, through the people service; values this deployment's validation refuses
    (another country's formats) are left out rather than blocking the hand-over."""
    from palermo.people.services import person_create

    try:
        return person_create(actor=actor, data=data), []
    except ApplicationError as exc:
        if exc.status != 400 or not exc.fields:
            raise
        refused = sorted(name for name in exc.fields if name in data)
        if not refused:
            raise
        kept = {k: v for k, v in data.items() if k not in refused}
        return person_create(actor=actor, data=kept), refused


def _consent_to_assistance(
    actor: Actor, person: Person, incoming: IncomingReferral, confirmed: bool
) -> bool:
    """An adult enters the mechanism here only with consent to assistance, recorded here.

    The sender's consent does not travel as a record: the accepting member confirms that the
    person consents (they have spoken with them, or the partner's consent covers it), and it
    is recorded with this referral as its source. Children need none.
    """
    from palermo.cases.lifecycle import lifecycle_in_force
    from palermo.cases.services import consent_status
    from palermo.consent.models import ConsentSource
    from palermo.consent.services import consent_record

    if consent_status(person, lifecycle_in_force()) != "missing":
        return False
    if not confirmed:
        message = _(
            "An adult enters the referral mechanism here only with their consent to "
            "assistance: confirm that the person consents, then accept."
        )
        raise ApplicationError(
            message, code="consent_required", fields={"consent_confirmed": [message]}
        )
    consent_record(
        actor=actor,
        person=person,
        data={
            "language": person.primary_language or "en",
            "given_by": "person",
            "decisions": {"assistance": "given"},
        },
        source=ConsentSource.API,
        source_reference=f"partner referral {incoming.reference}",
    )
    return True


def _open_case(actor: Actor, person: Person, incoming: IncomingReferral) -> Any:
    """A case for the person in the receiving organisation, through the cases service (entry
    stage of the national lifecycle, deadlines, notices)."""
    from palermo.cases.services import case_open

    return case_open(actor=actor, person_id=person.public_id, summary=incoming.case_summary or "")


@transaction.atomic
def incoming_accept(
    *, actor: Actor, incoming: IncomingReferral, consent_confirmed: bool = False
) -> IncomingReferral:
    """Accept: a person (the shared fields only) and a case are created here, owned by the
    receiving organisation, and the partner is told. An adult's consent to assistance is
    recorded here first (`consent_confirmed`); without it nothing is created (400)."""
    _require_answerer(actor, incoming)
    if not may_accept_incoming(actor) or is_system(actor):
        raise Forbidden(
            _("Accepting creates a person and a case here: a case worker or supervisor accepts.")
        )
    locked = _lock(incoming, "accept")
    data, left_out = _person_data(actor, locked)
    person, refused = _create_person(actor, data)
    consent_recorded = _consent_to_assistance(actor, person, locked, consent_confirmed)
    locked.person = person
    locked.case = _open_case(actor, person, locked)
    created = {k for k in data if k not in refused}
    _record_answer(
        actor,
        locked,
        "accept",
        "",
        details={
            "person": str(person.public_id),
            "case": str(locked.case.public_id),
            "left_out": sorted(left_out),
            "refused": refused,
            "consent_recorded": consent_recorded,
        },
        field_groups=groups_touched(created),
    )
    return locked
