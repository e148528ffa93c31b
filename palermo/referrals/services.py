"""Every write to referrals: sending, the answers and reports, revocation, and transfers.

Each service is atomic and writes, in the same transaction, the `ReferralEvent` of the
transition (with the consent basis and the groups shared), its audit event (references only, no
personal data) and the notifications. Two users answering at once (or one double click) cannot
both win: the referral row is locked (`select_for_update`, PostgreSQL) and its state is moved
with a conditional UPDATE (`… WHERE state = <the state read>`, every database), so the second
one finds the state changed and is told so.

Who may send: a member whose role may send referrals (REFERRAL_SEND), for a case its
organisation owns, or, as an onward referral, a case referred to its organisation that it has
accepted (accepted or in progress). An onward referral can share no more than the referral it
rests on shares (the sender can share only what it sees itself), and only the owner transfers.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from palermo.accounts.actors import Actor
from palermo.accounts.models import Membership, User
from palermo.accounts.roles import FIELD_GROUP_LABELS, FieldGroup, Perm, Role, role_can
from palermo.audit.services import audit_record
from palermo.cases.access import case_for_actor, owns_case
from palermo.cases.models import OPEN_STATUSES, Case
from palermo.consent.rules import receiver_key
from palermo.errors import ApplicationError, Forbidden, NotFound, invalid
from palermo.notifications.services import notify
from palermo.partners.models import PartnerDeployment
from palermo.partners.outbound import transmit_referral, withdraw_referral
from palermo.people.models import Person

from . import rules
from .access import is_receiver, is_sender, referral_for_actor, referral_key
from .consent_check import ConsentStatus, receiver_of, referral_consent
from .models import (
    ConsentBasis,
    Referral,
    ReferralEvent,
    ReferralKind,
    ReferralState,
)
from .rules import Action, Side
from .selectors import shareable_groups
from .validation import SendInput, clean_case_worker, clean_note, clean_send_input

logger = logging.getLogger(__name__)

DEFAULT_RESPONSE_DAYS = 5


def response_days() -> int:
    """Working days a receiver has to answer by default (PALERMO_REFERRAL_RESPONSE_DAYS, 5)."""
    return int(getattr(settings, "PALERMO_REFERRAL_RESPONSE_DAYS", DEFAULT_RESPONSE_DAYS))


def default_respond_by(case: Case) -> datetime.date:
    """The default response deadline: `response_days()` working days from today, in the
    working-day calendar (weekends, public holidays) of the case's country lifecycle; calendar
    days if that configuration cannot be read."""
    today = timezone.localdate()
    days = response_days()
    try:
        from palermo.cases.lifecycle import lifecycle_for

        return lifecycle_for(case.country).calendar.add_working_days(today, days)
    except (ImportError, ValueError, OSError):  # LifecycleError and CalendarError are ValueErrors
        logger.warning("referral deadline: no working-day calendar for %s", case.country)
        return rules.default_respond_by(today, days)


def detail_url(referral: Referral) -> str:
    return reverse("referrals:detail", kwargs={"public_id": str(referral.public_id)})


def members_with(organisation_id: int | None, permission: Perm) -> list[User]:
    """Active members of an organisation whose role holds `permission`."""
    if organisation_id is None:
        return []
    roles = [str(r) for r in Role if role_can(r, permission)]
    return list(
        User.objects.filter(
            is_active=True,
            memberships__organisation_id=organisation_id,
            memberships__role__in=roles,
        )
        .distinct()
        .order_by("pk")
    )


def sender_recipients(referral: Referral) -> list[User]:
    """Who hears the receiver's answers: the member who sent it, else its organisation's."""
    if referral.sent_by is not None and referral.sent_by.is_active:
        return [referral.sent_by]
    return members_with(referral.sending_organisation_id, Perm.REFERRAL_SEND)


def notify_about(referral: Referral, kind: str, recipients: list[User]) -> None:
    if recipients:
        notify(
            recipients=recipients,
            kind=kind,
            object_type="referral",
            object_id=str(referral.public_id),
            reference=referral.reference,
            url=detail_url(referral),
        )


def _conflict(state: str) -> ApplicationError:
    label = ReferralState(state).label if state in ReferralState.values else state
    return ApplicationError(
        _("This referral has changed meanwhile (it is now: %(state)s). Reload the page.")
        % {"state": label},
        code="conflict",
        status=409,
    )


def _group_labels(groups: set[str] | frozenset[str]) -> str:
    return ", ".join(str(FIELD_GROUP_LABELS[FieldGroup(g)]) for g in sorted(groups))


def _receiver_details(referral: Referral) -> dict[str, Any]:
    """How an audit event names the receiver: public ids, no free text."""
    if referral.receiving_organisation is not None:
        return {"receiving_organisation": str(referral.receiving_organisation.public_id)}
    if referral.partner is not None:
        return {"partner": str(referral.partner.public_id)}
    return {"external": True}


# --- sending -------------------------------------------------------------------------------


def _onward_base(actor: Actor, case: Case) -> Referral | None:
    """The accepted referral of `case` to the actor's organisation that an onward one rests on."""
    return (
        Referral.objects.filter(
            case=case,
            receiving_organisation_id=actor.organisation_id,
            state__in=[ReferralState.ACCEPTED, ReferralState.IN_PROGRESS],
        )
        .order_by("created_at")
        .first()
    )


def _consent_refusal(status: ConsentStatus, may_override: bool) -> ApplicationError:
    if status.refused:
        message = _("The person refused, or withdrew, consent to this referral.")
    elif status.is_child:
        message = _("For a child, a best-interest decision for this referral is needed first.")
    else:
        message = _(
            "The person has not consented to a referral to this receiver. "
            "Record their consent first."
        )
    if may_override:
        message = _("%(message)s Or give the reason for sending it without consent.") % {
            "message": message
        }
        return ApplicationError(
            message, code="consent_required", fields={"override_reason": [message]}
        )
    return ApplicationError(message, code="consent_required", fields={"__all__": [message]})


def _check_transfer(case: Case) -> None:
    """A transfer moves the person with the case: not while the owner has another open case of
    the same person (it would keep the person, and the new owner could not see them)."""
    others = (
        Case.objects.filter(
            person_id=case.person_id,
            owner_organisation_id=case.owner_organisation_id,
            status__in=OPEN_STATUSES,
        )
        .exclude(pk=case.pk)
        .exists()
    )
    if others:
        raise invalid(
            {
                "kind": [
                    _(
                        "The person has another open case at your organisation: transfer or "
                        "close it first, or refer this case instead."
                    )
                ]
            }
        )


def referral_send(*, actor: Actor, case_public_id: UUID | str, data: dict[str, Any]) -> Referral:
    """Refer (or transfer) a case; audited as referral.send (and consent.override if so).

    NotFound for a case the actor may not see; Forbidden when it sees the case but may not
    refer it; ApplicationError (400) with messages per field for bad input, a group the sender
    may not see itself, or missing consent; 409 when a live referral to the receiver exists.
    """
    with transaction.atomic():
        referral = _send(actor, case_public_id, data)
    if referral.partner_id is not None:
        pk = referral.pk
        transaction.on_commit(lambda: transmit_to_partner(pk), robust=True)
    return referral


def _send(actor: Actor, case_public_id: UUID | str, data: dict[str, Any]) -> Referral:
    case = case_for_actor(actor, case_public_id, "view")
    if not actor.can(Perm.REFERRAL_SEND):
        raise Forbidden()
    owner = owns_case(actor, case)
    if not owner and _onward_base(actor, case) is None:
        raise Forbidden(
            _(
                "Only the organisation that owns the case, or one that has accepted a referral "
                "of it, may refer it."
            )
        )
    if not case.is_open:
        raise ApplicationError(_("This case is closed: it cannot be referred."), code="closed")
    cleaned: SendInput = clean_send_input(data, own_organisation_id=actor.organisation_id)
    if cleaned.kind == ReferralKind.TRANSFER and not owner:
        raise invalid({"kind": [_("Only the organisation that owns the case may transfer it.")]})
    receiver = cleaned.receiving_organisation
    if receiver is not None and receiver.pk == case.owner_organisation_id:
        raise invalid({"receiving_organisation": [_("This organisation owns the case already.")]})
    if receiver is not None and receiver.pk == actor.organisation_id:
        raise invalid({"receiving_organisation": [_("Choose another organisation than your own.")]})
    outside = cleaned.shared_groups - shareable_groups(actor, case.person)
    if outside:
        raise invalid(
            {
                "shared_groups": [
                    _("You cannot share information you may not see yourself: %(groups)s.")
                    % {"groups": _group_labels(outside)}
                ]
            }
        )
    if cleaned.kind == ReferralKind.TRANSFER:
        _check_transfer(case)
    status = referral_consent(
        case,
        organisation_id=receiver.pk if receiver else None,
        receiver=receiver_key(
            partner_id=cleaned.partner.pk if cleaned.partner else None,
            external_name=cleaned.external_organisation_name,
        )
        if receiver is None
        else "",
    )
    override_reason = ""
    if status.allowed and status.basis is not None:
        basis = status.basis
    else:
        may_override = actor.can(Perm.CONSENT_OVERRIDE)
        if not may_override or not cleaned.override_reason:
            raise _consent_refusal(status, may_override)
        basis = ConsentBasis.OVERRIDE
        override_reason = cleaned.override_reason
    now = timezone.now()
    referral = Referral(
        case=case,
        kind=cleaned.kind,
        state=ReferralState.PENDING,
        sending_organisation=actor.organisation,
        sent_by=actor.user,
        receiving_organisation=receiver,
        partner=cleaned.partner,
        external_organisation_name=cleaned.external_organisation_name,
        service=cleaned.service,
        reason=cleaned.reason,
        details=cleaned.details or None,
        shared_groups=sorted(cleaned.shared_groups),
        consent_basis=basis,
        override_reason=override_reason or None,
        respond_by=cleaned.respond_by or default_respond_by(case),
        created_at=now,
    )
    # The copies of the case's list columns, read under the case's row lock: a concurrent
    # change of the case either came before (and is read here) or waits and then updates
    # this referral too (Case.save).
    referral.copy_case_columns(Case.objects.select_for_update(of=("self",)).get(pk=case.pk))
    try:
        with transaction.atomic():
            referral.save()
    except IntegrityError as exc:
        raise ApplicationError(
            _("This case already has a live referral to this receiver."),
            code="duplicate",
            status=409,
        ) from exc
    ReferralEvent.objects.create(
        referral=referral,
        from_state="",
        to_state=ReferralState.PENDING,
        actor_user=actor.user,
        actor_organisation=actor.organisation,
        consent_basis=basis,
        shared_groups=referral.shared_groups,
        at=now,
    )
    details = {
        "case": str(case.public_id),
        "kind": referral.kind,
        "reason": referral.reason,
        "consent_basis": str(basis),
        "groups": referral.shared_groups,
        "onward": not owner,
        **_receiver_details(referral),
    }
    if referral.service is not None:
        details["service"] = str(referral.service.public_id)
    audit_record(
        actor=actor,
        action="referral.send",
        object_type="referral",
        object_id=str(referral.public_id),
        field_groups=referral.shared_groups,
        details=details,
        subject_organisation=case.owner_organisation,
    )
    if basis == ConsentBasis.OVERRIDE:
        # The reason itself is encrypted on the referral; the audit log says that it happened.
        audit_record(
            actor=actor,
            action="consent.override",
            object_type="referral",
            object_id=str(referral.public_id),
            field_groups=referral.shared_groups,
            details={
                "case": str(case.public_id),
                "purpose": "referral",
                **_receiver_details(referral),
            },
            subject_organisation=case.owner_organisation,
        )
    if receiver is not None:
        notify_about(
            referral, "referral.received", members_with(receiver.pk, Perm.REFERRAL_RESPOND)
        )
    return referral


def transmit_to_partner(referral_pk: int) -> None:
    """After commit: hand a referral to a partner deployment to the partners module, unless
    it was revoked meanwhile."""
    referral = Referral.objects.select_related("partner", "case").filter(pk=referral_pk).first()
    if referral is not None and referral.state == ReferralState.PENDING:
        transmit_referral(referral)


# --- transitions ---------------------------------------------------------------------------


def _require_side(actor: Actor, referral: Referral, side: Side) -> None:
    """Forbidden unless the actor is on the side that takes this action.

    The receiver answers; for a receiver outside Palermo the sender records its answers; a
    partner deployment's answers come from the partner only.
    """
    if side == Side.SENDER or referral.receiving_organisation_id is None:
        if referral.partner_id is not None and side == Side.RECEIVER:
            raise Forbidden(_("A partner deployment's answers arrive from the partner."))
        if not (is_sender(actor, referral) and actor.can(Perm.REFERRAL_SEND)):
            raise Forbidden()
        return
    if not (is_receiver(actor, referral) and actor.can(Perm.REFERRAL_RESPOND)):
        raise Forbidden()


def _consent_for_transition(referral: Referral, transition: rules.Transition) -> str:
    """The consent basis the transition rests on; refuses when consent was withdrawn since."""
    if referral.consent_basis == ConsentBasis.OVERRIDE:
        return str(ConsentBasis.OVERRIDE)
    organisation_id, named = receiver_of(referral)
    status = referral_consent(referral.case, organisation_id=organisation_id, receiver=named)
    if status.basis is None:
        if transition.checks_consent:
            raise ApplicationError(
                _(
                    "The person's consent to this referral has been withdrawn since it was "
                    "sent, so it cannot go on. Revoke or decline it."
                ),
                code="consent_withdrawn",
                status=409,
            )
        return ""
    return str(status.basis)


def _apply(
    referral: Referral,
    action: Action,
    *,
    actor: Actor,
    note: str,
    case_worker: User | None = None,
    actor_label: str = "",
) -> Referral:
    """Move a locked referral along one transition, with its event, audit and notices."""
    transition = rules.TRANSITIONS[action]
    is_transfer = referral.kind == ReferralKind.TRANSFER
    if action not in rules.allowed_actions(referral.state, is_transfer=is_transfer):
        raise _conflict(referral.state)
    basis = _consent_for_transition(referral, transition)
    now = timezone.now()
    from_state = referral.state
    claimed = Referral.objects.filter(pk=referral.pk, state=from_state).update(
        state=transition.to_state, updated_at=now
    )
    if claimed != 1:
        current = Referral.objects.filter(pk=referral.pk).values_list("state", flat=True).first()
        raise _conflict(current or from_state)
    referral.state = transition.to_state
    update = ["state", "updated_at"]
    if action in (Action.ACCEPT, Action.DECLINE):
        referral.responded_at = now
        referral.response_note = note or None
        update += ["responded_at", "response_note"]
    if action == Action.ACCEPT and referral.receiving_organisation_id is not None:
        referral.receiving_case_worker = case_worker or actor.user
        update.append("receiving_case_worker")
    referral.updated_at = now
    referral.save(update_fields=update)
    ReferralEvent.objects.create(
        referral=referral,
        from_state=from_state,
        to_state=transition.to_state,
        actor_user=actor.user,
        actor_organisation=actor.organisation,
        actor_label=actor_label,
        consent_basis=basis,
        shared_groups=referral.shared_groups,
        note=note or None,
        at=now,
    )
    audit_record(
        actor=actor,
        action=f"referral.{action}",
        object_type="referral",
        object_id=str(referral.public_id),
        field_groups=referral.shared_groups,
        details={
            "case": str(referral.case.public_id),
            "kind": referral.kind,
            "from": from_state,
            "to": transition.to_state,
            "consent_basis": basis,
            **_receiver_details(referral),
        },
        subject_organisation=referral.case.owner_organisation,
    )
    if action == Action.ACCEPT and is_transfer:
        _complete_transfer(referral, actor=actor, basis=basis, actor_label=actor_label)
    if action in (Action.ACCEPT, Action.DECLINE, Action.DONE):
        notify_about(referral, f"referral.{transition.to_state}", sender_recipients(referral))
    elif action == Action.REVOKE and referral.receiving_organisation_id is not None:
        notify_about(
            referral,
            "referral.revoked",
            members_with(referral.receiving_organisation_id, Perm.REFERRAL_RESPOND),
        )
    elif action == Action.REVOKE and referral.partner_id is not None:
        # Stops the package if it has not left, and tells the partner if it may have.
        withdraw_referral(referral, actor=actor, note=note)
    return referral


def _complete_transfer(referral: Referral, *, actor: Actor, basis: str, actor_label: str) -> None:
    """An accepted transfer: the case, and the person with it, move to the receiver.

    The former owner keeps no access (its members assigned to the person are unassigned)
    unless another live referral gives it some. The transfer is then done.
    """
    case = referral.case
    former = case.owner_organisation
    new = referral.receiving_organisation
    if new is None:  # the check constraint and validation make this impossible
        raise _conflict(referral.state)
    now = timezone.now()
    moved = Case.objects.filter(pk=case.pk, owner_organisation_id=referral.sending_organisation_id)
    if (
        moved.update(
            owner_organisation=new, case_worker=referral.receiving_case_worker, updated_at=now
        )
        != 1
    ):
        raise ApplicationError(
            _("The case has changed owner since this transfer was sent."),
            code="conflict",
            status=409,
        )
    _check_transfer(case)
    person_moved = bool(
        Person.objects.filter(pk=case.person_id, owner_organisation_id=former.pk).update(
            owner_organisation=new, updated_at=now
        )
    )
    former_members = Membership.objects.filter(organisation=former).values("user_id")
    new_members = Membership.objects.filter(organisation=new).values("user_id")
    unassigned, _by_model = (
        Person.assigned_users.through.objects.filter(
            person_id=case.person_id, user_id__in=former_members
        )
        .exclude(user_id__in=new_members)
        .delete()
    )
    case.owner_organisation = new
    case.case_worker = referral.receiving_case_worker
    claimed = Referral.objects.filter(pk=referral.pk, state=ReferralState.ACCEPTED).update(
        state=ReferralState.DONE, updated_at=now
    )
    if claimed != 1:
        raise _conflict(referral.state)
    referral.state = ReferralState.DONE
    ReferralEvent.objects.create(
        referral=referral,
        from_state=ReferralState.ACCEPTED,
        to_state=ReferralState.DONE,
        actor_user=actor.user,
        actor_organisation=actor.organisation,
        actor_label=actor_label,
        consent_basis=basis,
        shared_groups=referral.shared_groups,
        at=now,
    )
    audit_record(
        actor=actor,
        action="case.transfer",
        object_type="case",
        object_id=str(case.public_id),
        details={
            "referral": str(referral.public_id),
            "from_organisation": str(former.public_id),
            "to_organisation": str(new.public_id),
            "person_moved": person_moved,
            "unassigned_users": unassigned,
        },
        subject_organisation=former,
    )


def referral_transition(
    *, actor: Actor, public_id: UUID | str, action: Action | str, data: dict[str, Any]
) -> Referral:
    """Accept, decline, start, mark done or revoke a referral the actor may see.

    `data`: `note` (why declined — required —, revoked, or what was done) and, on accepting,
    `case_worker` (a username of the receiving organisation; default: the actor). NotFound for
    a referral the actor may not see; Forbidden for the wrong side or role; 409 when the state
    changed meanwhile or the person's consent was withdrawn since.
    """
    try:
        step = Action(action)
    except ValueError as exc:
        raise NotFound() from exc
    transition = rules.TRANSITIONS[step]
    with transaction.atomic():
        referral = referral_for_actor(actor, public_id)
        _require_side(actor, referral, transition.side)
        locked = Referral.objects.select_for_update().filter(pk=referral.pk).values("state").get()
        referral.state = locked["state"]
        if step not in rules.allowed_actions(
            referral.state, is_transfer=referral.kind == ReferralKind.TRANSFER
        ):
            raise _conflict(referral.state)
        note = clean_note(data, required=transition.note_required)
        case_worker = None
        if step == Action.ACCEPT and referral.receiving_organisation is not None:
            case_worker = clean_case_worker(data, referral.receiving_organisation)
        return _apply(referral, step, actor=actor, note=note, case_worker=case_worker)


_PARTNER_ACTIONS = {
    ReferralState.ACCEPTED: Action.ACCEPT,
    ReferralState.DECLINED: Action.DECLINE,
    ReferralState.IN_PROGRESS: Action.START,
    ReferralState.DONE: Action.DONE,
}


def referral_partner_answer(
    *, partner: PartnerDeployment, public_id: UUID | str, state: str, note: str = ""
) -> Referral:
    """A partner deployment's answer to a referral sent to it (for `palermo.partners`).

    `state`: accepted, declined, in_progress or done. NotFound unless the referral was sent to
    this partner; 409 when the state machine or the person's consent refuses it.
    """
    action = _PARTNER_ACTIONS.get(state) if isinstance(state, str) else None  # type: ignore[call-overload]
    if action is None:
        raise invalid({"state": [_("Choose one of the listed options.")]})
    with transaction.atomic():
        referral = (
            Referral.objects.select_for_update(of=("self",))
            .select_related("case", "case__person", "case__owner_organisation", "sent_by")
            .filter(public_id=referral_key(public_id), partner=partner)
            .first()
        )
        if referral is None:
            raise NotFound()
        cleaned = clean_note({"note": note}, required=action == Action.DECLINE)
        label = f"partner {partner.name}"[:150]
        return _apply(
            referral,
            action,
            actor=Actor.system(label, purpose="referral"),
            note=cleaned,
            actor_label=partner.name[:150],
        )
