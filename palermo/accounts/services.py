"""Sign-in, second factor, lockout, memberships and API tokens: every write here is audited."""

from __future__ import annotations

import logging
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_totp.models import TOTPDevice

from palermo.audit.services import audit_record
from palermo.errors import ApplicationError, Forbidden, NotFound, invalid

from .actors import Actor
from .api_auth import TOKEN_PREFIX, token_digest
from .models import ApiToken, Membership, User, second_factor_enrolment_deadline
from .roles import (
    PURPOSE_LABELS,
    ROLE_ALLOWED_PURPOSES,
    ROLE_DEFAULT_PURPOSE,
    Perm,
    Purpose,
    Role,
    requires_second_factor,
)

logger = logging.getLogger(__name__)

SIGN_IN_REFUSED = _(
    "The username or password is not right, or the account is locked for a while after "
    "too many attempts. Check them and try again later."
)
CODE_REFUSED = _("That code is not right or has expired. Enter the current 6-digit code.")
CODE_NEEDED = _("Enter the current 6-digit code from your authenticator app.")
MEMBERSHIP_REFUSED = _("Choose one of your own organisations from the list.")
ENROLMENT_CLOSED = _(
    "The time to set up an authenticator app for this account has passed. Ask your "
    "organisation's administrator to have your second factor reset, then sign in again."
)

TOKEN_MAX_DAYS = 365
TOKEN_NAME_MAX_LENGTH = 100  # ApiToken.name
_TOKEN_PREFIX_LENGTH = 12  # ApiToken.prefix: "plm_" and 8 characters of the secret


def _actor_of(user: User) -> Actor:
    # Auth events are filed under an active organisation only, like everything the user does.
    membership = (
        user.memberships.filter(organisation__is_active=True).select_related("organisation").first()
    )
    return Actor(
        user=user,
        organisation=membership.organisation if membership else None,
        role=None,
        purpose=Purpose.ADMINISTRATION,
    )


def _is_locked(user: User) -> bool:
    return user.locked_until is not None and user.locked_until > timezone.now()


def second_factor_required(user: User) -> bool:
    """Whether any of the user's roles sees personal data (or administers): TOTP is needed."""
    return requires_second_factor({Role(m.role) for m in user.memberships.all()})


# --- lockout ------------------------------------------------------------------------------
#
# Every password or code check is first counted as a failure, atomically and before the slow
# check runs (Argon2, TOTP): parallel attempts then queue on the user's row, and once the
# limit is reached the rest are refused without being checked. A right password or code
# takes its count back (or, when signing in is complete, clears the count).


@dataclass(frozen=True)
class _Attempt:
    failures: int  # the count including this attempt
    locked_until: datetime | None  # set when this attempt reached the limit and locked


def _reserve_attempt(user: User) -> _Attempt | None:
    """Count one attempt against `user` before checking it; None if the account is locked."""
    with transaction.atomic():
        row = User.objects.select_for_update().get(pk=user.pk)
        now = timezone.now()
        if row.locked_until is not None:
            if row.locked_until > now:
                return None
            row.locked_until, row.failed_login_count = None, 0  # the lock ran out: start afresh
        row.failed_login_count += 1
        locked_until = None
        if row.failed_login_count >= settings.PALERMO_LOGIN_MAX_FAILURES:
            locked_until = now + timedelta(seconds=settings.PALERMO_LOGIN_LOCKOUT_SECONDS)
            row.locked_until = locked_until
        row.save(update_fields=["failed_login_count", "locked_until"])
    return _Attempt(row.failed_login_count, locked_until)


def _release_attempt(user: User, attempt: _Attempt) -> None:
    """Take back an attempt that turned out right (or was never checked)."""
    with transaction.atomic():
        row = User.objects.select_for_update().get(pk=user.pk)
        row.failed_login_count = max(0, row.failed_login_count - 1)
        if attempt.locked_until is not None and row.locked_until == attempt.locked_until:
            row.locked_until = None  # this attempt's own lock, and it was right after all
        row.save(update_fields=["failed_login_count", "locked_until"])


def _audit_failure(user: User, reason: str, attempt: _Attempt) -> None:
    details: dict[str, object] = {"reason": reason, "failures": attempt.failures}
    if attempt.locked_until is not None:
        details["locked_until"] = attempt.locked_until.isoformat()
    audit_record(
        actor=_actor_of(user),
        action="auth.failure",
        object_type="user",
        object_id=str(user.pk),
        details=details,
    )


@transaction.atomic
def _record_success(user: User, action: str) -> None:
    User.objects.filter(pk=user.pk).update(failed_login_count=0, locked_until=None)
    audit_record(actor=_actor_of(user), action=action, object_type="user", object_id=str(user.pk))


def sign_in_check_password(*, request: HttpRequest, username: str, password: str) -> User:
    """The user whose password this is, unless locked; the same refusal for every failure.

    Unknown usernames are not audited (there is no one to attach them to, and anyone could
    fill the log with them); failures against real accounts are, and they lead to lockout.
    The attempt is counted before the password is checked, so parallel attempts cannot check
    more passwords than the lockout allows.
    """
    username = username.strip()[:150]
    if not username or not password or len(password) > 1024:
        raise ApplicationError(SIGN_IN_REFUSED, code="sign_in_refused", status=400)
    known = User.objects.filter(username=username, is_active=True).first()
    attempt = None
    if known is not None:
        attempt = _reserve_attempt(known)
        if attempt is None:
            # Spend the hashing time a real check takes (no timing hint that the account is
            # locked), but check nothing.
            make_password(password)
            logger.info("sign-in refused: account %s is locked", known.pk)
            raise ApplicationError(SIGN_IN_REFUSED, code="sign_in_refused", status=400)
    user = authenticate(request, username=username, password=password)
    if user is None:
        if known is not None and attempt is not None:
            _audit_failure(known, "password", attempt)
        raise ApplicationError(SIGN_IN_REFUSED, code="sign_in_refused", status=400)
    assert isinstance(user, User)  # noqa: S101 - AUTH_USER_MODEL
    if second_factor_required(user):
        # The earlier failures are kept until the second factor is done too: otherwise the
        # password alone would reset them, and TOTP codes could be guessed without end.
        if attempt is not None:
            _release_attempt(user, attempt)
        audit_record(
            actor=_actor_of(user),
            action="auth.password_ok",
            object_type="user",
            object_id=str(user.pk),
        )
    else:
        _record_success(user, "auth.signed_in")
    return user


# --- the second factor --------------------------------------------------------------------


def totp_device_for(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def enrolment_open(user: User) -> bool:
    """Whether the user may still set up an authenticator (a while after creation or reset)."""
    deadline = user.second_factor_enrolment_until
    return deadline is not None and deadline > timezone.now()


@transaction.atomic
def totp_enrolment_device(user: User) -> TOTPDevice:
    """The unconfirmed device whose QR code the user is asked to scan (made once, then reused).

    Only while enrolment is open: afterwards whoever knows the password could otherwise take
    the account's second factor for themselves.
    """
    if not enrolment_open(User.objects.get(pk=user.pk)):
        raise ApplicationError(ENROLMENT_CLOSED, code="enrolment_closed")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


def _seconds_until_next_code_allowed(device: TOTPDevice) -> int:
    """Seconds left in django-otp's back-off after wrong codes (0 when a code may be tried)."""
    allowed, _details = device.verify_is_allowed()
    if allowed or device.throttling_failure_timestamp is None:
        return 0
    delay = device.get_throttle_factor() * (2 ** (device.throttling_failure_count - 1))
    elapsed = (timezone.now() - device.throttling_failure_timestamp).total_seconds()
    return max(1, math.ceil(delay - elapsed))


def _check_code(user: User, device: TOTPDevice, code: str, reason: str) -> None:
    """Check a TOTP code, counting it toward lockout before it is checked (taken back if right).

    Raises `sign_in_refused` when the account is locked (or this wrong code locks it: the
    caller signs the user out), `throttled` during django-otp's back-off (not counted), and
    `bad_code` with the field error otherwise.
    """
    attempt = _reserve_attempt(user)
    if attempt is None:
        raise ApplicationError(SIGN_IN_REFUSED, code="sign_in_refused")
    wait = _seconds_until_next_code_allowed(device)
    if wait:
        # django-otp slows down guessing after a wrong code; a right code entered too soon
        # would be refused too, so say so instead of counting it as another failure.
        _release_attempt(user, attempt)
        message = ngettext(
            "Too many wrong codes in a row: wait %(seconds)d second, then enter the current code.",
            "Too many wrong codes in a row: wait %(seconds)d seconds, then enter the current code.",
            wait,
        ) % {"seconds": wait}
        raise ApplicationError(message, code="throttled", fields={"code": [message]})
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6) or not device.verify_token(code):
        _audit_failure(user, reason, attempt)
        if attempt.locked_until is not None:
            raise ApplicationError(SIGN_IN_REFUSED, code="sign_in_refused")
        raise ApplicationError(CODE_REFUSED, code="bad_code", fields={"code": [CODE_REFUSED]})
    _release_attempt(user, attempt)  # right: it was no failure (signing in then clears all)


def second_factor_check(*, user: User, code: str) -> TOTPDevice:
    """Check a TOTP code against the user's device (confirming it at enrolment).

    A wrong code counts toward lockout like a wrong password; the failure that locks the
    account (or any attempt while locked) raises `sign_in_refused`, and the page signs out.
    Enrolling is possible only while the account's enrolment window is open.
    """
    user = User.objects.get(pk=user.pk)  # fresh lockout state, not the session's copy
    if _is_locked(user):
        raise ApplicationError(SIGN_IN_REFUSED, code="sign_in_refused")
    device = totp_device_for(user)
    enrolling = device is None
    if device is None:
        device = totp_enrolment_device(user)  # refuses once enrolment has closed
    _check_code(user, device, code, "second_factor")
    with transaction.atomic():
        if enrolling:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            User.objects.filter(pk=user.pk).update(second_factor_enrolment_until=None)
            audit_record(
                actor=_actor_of(user),
                action="auth.totp_enrolled",
                object_type="user",
                object_id=str(user.pk),
            )
        _record_success(user, "auth.signed_in")
    return device


@transaction.atomic
def second_factor_reset(*, actor: Actor, user: User) -> User:
    """Remove the user's authenticators and open enrolment again for a limited time.

    Whoever next signs in with the password sets up the new authenticator, so this is for
    operators on the server only (`palermo reset-second-factor`), after checking who asks.
    """
    if actor.user is not None:
        raise Forbidden()
    user = User.objects.select_for_update().get(pk=user.pk)
    removed, _by_type = TOTPDevice.objects.filter(user=user).delete()
    user.second_factor_enrolment_until = second_factor_enrolment_deadline()
    user.save(update_fields=["second_factor_enrolment_until"])
    audit_record(
        actor=actor,
        action="auth.second_factor_reset",
        object_type="user",
        object_id=str(user.pk),
        details={
            "devices_removed": removed,
            "enrolment_until": user.second_factor_enrolment_until.isoformat(),
        },
    )
    return user


def membership_of(user: User, membership_id: int | str) -> Membership:
    """One of the user's own memberships of an active organisation; anything else is the same
    `invalid` error."""
    try:
        pk = int(membership_id)
        if not 0 < pk < 2**63:  # beyond the database's integers
            raise ValueError(pk)
        return (
            user.memberships.filter(organisation__is_active=True)
            .select_related("organisation")
            .get(pk=pk)
        )
    except (ValueError, TypeError, Membership.DoesNotExist) as exc:
        raise ApplicationError(
            MEMBERSHIP_REFUSED, code="invalid", fields={"membership": [MEMBERSHIP_REFUSED]}
        ) from exc


@transaction.atomic
def membership_switch(*, actor: Actor, membership_id: int | str) -> Membership:
    """Check that the actor's user holds this membership and record the switch.

    The caller stores the choice in the session; a membership of anyone else is refused
    with the same error as one that does not exist.
    """
    if actor.user is None:
        raise Forbidden()
    membership = membership_of(actor.user, membership_id)
    role = Role(membership.role)
    audit_record(
        actor=Actor(
            user=actor.user,
            organisation=membership.organisation,
            role=role,
            purpose=ROLE_DEFAULT_PURPOSE[role],
        ),
        action="auth.membership_switched",
        object_type="membership",
        object_id=str(membership.pk),
        details={"role": membership.role},
    )
    return membership


# --- API tokens -------------------------------------------------------------------------


def _may_revoke(actor: Actor, token: ApiToken) -> bool:
    # Actors without a user are operators' commands on the server itself: they already hold
    # the database and the keys. A member may revoke their own tokens; an administrator every
    # token of their organisation. A token may not revoke (or create) tokens.
    if actor.user is None:
        return True
    if actor.token is not None or actor.organisation_id != token.membership.organisation_id:
        return False
    return token.membership.user_id == actor.user.pk or actor.can(Perm.TOKEN_MANAGE)


def own_membership(actor: Actor) -> Membership | None:
    """The membership a signed-in actor works in (its user, organisation and role)."""
    if actor.user is None or actor.organisation is None or actor.role is None:
        return None
    return (
        Membership.objects.select_related("user", "organisation")
        .filter(user=actor.user, organisation=actor.organisation, role=actor.role)
        .first()
    )


def token_needs_code(actor: Actor) -> bool:
    """Whether creating a token asks for a fresh code: for everyone who signs in with one."""
    return actor.user is not None and second_factor_required(actor.user)


def _new_secret() -> str:
    for _attempt in range(5):
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        if not ApiToken.objects.filter(prefix=secret[:_TOKEN_PREFIX_LENGTH]).exists():
            return secret
    raise RuntimeError("could not draw an unused token prefix")  # 48 random bits: never


def _allowed_purposes_text(role: Role) -> str:
    return ", ".join(str(PURPOSE_LABELS[p]) for p in Purpose if p in ROLE_ALLOWED_PURPOSES[role])


def api_token_create(
    *,
    actor: Actor,
    name: str,
    purpose: str,
    expires_in_days: int,
    membership: Membership | None = None,
    code: str = "",
) -> tuple[ApiToken, str]:
    """Create a token acting for a membership for one purpose; return it and its secret.

    A member creates tokens for their OWN membership only (`membership` left out, or their
    own), for a purpose their role allows (`ROLE_ALLOWED_PURPOSES`), and — when they sign in
    with a second factor — with a current code from their authenticator app: a session left
    open is not enough to mint a credential that outlives it. Nobody, administrators
    included, creates a token acting as someone else; only operators' commands on the server
    (actors without a user) name the membership, and they are recorded as the creator.

    The secret is returned once and never stored: only its prefix (to recognise it) and its
    SHA-256 digest are kept. Every bad input is reported as a field error and nothing is
    created; a wrong code counts toward lockout like a wrong sign-in.
    """
    if actor.token is not None:
        raise Forbidden()  # a token never mints tokens: they would outlive its expiry
    if actor.user is not None:
        own = own_membership(actor)
        if own is None or (membership is not None and membership.pk != own.pk):
            raise Forbidden(_("You can create tokens only for yourself."))
        membership = own
    fields: dict[str, list[object]] = {}
    name = (name or "").strip()
    if not name:
        fields["name"] = [_("Give the token a name, for example the system that will use it.")]
    elif len(name) > TOKEN_NAME_MAX_LENGTH:
        fields["name"] = [_("Use at most 100 characters.")]
    if membership is None or not membership.user.is_active or not membership.organisation.is_active:
        fields["membership"] = [_("Choose an active member of an active organisation.")]
    if purpose not in {str(p) for p in Purpose}:
        fields["purpose"] = [_("Choose one of the listed purposes.")]
    elif (
        membership is not None
        and Purpose(purpose) not in ROLE_ALLOWED_PURPOSES[Role(membership.role)]
    ):
        fields["purpose"] = [
            _("This role may use a token only for: %(purposes)s.")
            % {"purposes": _allowed_purposes_text(Role(membership.role))}
        ]
    if isinstance(expires_in_days, bool) or not 1 <= expires_in_days <= TOKEN_MAX_DAYS:
        fields["days"] = [_("Enter a number of days from 1 to 365.")]
    needs_code = token_needs_code(actor)
    code = "".join((code or "").split())
    if needs_code and not (code.isdigit() and len(code) == 6):
        fields["code"] = [CODE_NEEDED]
    if fields:
        raise invalid(fields)
    assert membership is not None  # noqa: S101 - checked above

    if needs_code:
        assert actor.user is not None  # noqa: S101 - token_needs_code
        # Checked only once everything else is right: a code can be used once, and a form
        # sent back for a typo in the name should not cost the user a code.
        device = totp_device_for(actor.user)
        if device is None:
            raise invalid({"code": [CODE_REFUSED]})
        _check_code(actor.user, device, code, "token_second_factor")

    with transaction.atomic():
        secret = _new_secret()
        token = ApiToken.objects.create(
            name=name,
            membership=membership,
            purpose=purpose,
            prefix=secret[:_TOKEN_PREFIX_LENGTH],
            digest=token_digest(secret),
            created_by=actor.user,
            created_by_label=actor.label,
            expires_at=timezone.now() + timedelta(days=expires_in_days),
        )
        audit_record(
            actor=actor,
            action="api_token.created",
            object_type="api_token",
            object_id=str(token.public_id),
            details={
                "prefix": token.prefix,
                "token_purpose": purpose,
                "membership": membership.pk,
                "role": membership.role,
                "organisation": str(membership.organisation.public_id),
                "created_by": token.created_by_label,
                "fresh_second_factor": needs_code,
                "expires_at": token.expires_at.isoformat() if token.expires_at else None,
            },
        )
    return token, secret


@transaction.atomic
def api_token_revoke(*, actor: Actor, token: ApiToken) -> ApiToken:
    """Revoke a token at once; revoking a revoked token changes (and records) nothing.

    Members revoke their own tokens, administrators any of their organisation's; any other
    token is NotFound, as if it did not exist.
    """
    token = ApiToken.objects.select_for_update().select_related("membership").get(pk=token.pk)
    if not _may_revoke(actor, token):
        raise NotFound()
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action="api_token.revoked",
        object_type="api_token",
        object_id=str(token.public_id),
        details={"prefix": token.prefix},
    )
    return token
