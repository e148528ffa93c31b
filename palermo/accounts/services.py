"""Sign-in, second factor, lockout, memberships and API tokens: every write here is audited."""

from __future__ import annotations

import logging
import math
import secrets
from datetime import timedelta

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
from .models import ApiToken, Membership, User
from .roles import ROLE_DEFAULT_PURPOSE, Perm, Purpose, Role, requires_second_factor

logger = logging.getLogger(__name__)

SIGN_IN_REFUSED = _(
    "The username or password is not right, or the account is locked for a while after "
    "too many attempts. Check them and try again later."
)
CODE_REFUSED = _("That code is not right or has expired. Enter the current 6-digit code.")
MEMBERSHIP_REFUSED = _("Choose one of your own organisations from the list.")

TOKEN_MAX_DAYS = 365
TOKEN_NAME_MAX_LENGTH = 100  # ApiToken.name
_TOKEN_PREFIX_LENGTH = 12  # ApiToken.prefix: "plm_" and 8 characters of the secret


def _actor_of(user: User) -> Actor:
    membership = user.memberships.select_related("organisation").first()
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


@transaction.atomic
def _record_failure(user: User, reason: str) -> bool:
    """Count one failed step of signing in; lock the account at the limit. True if now locked."""
    user = User.objects.select_for_update().get(pk=user.pk)
    user.failed_login_count += 1
    details: dict[str, object] = {"reason": reason, "failures": user.failed_login_count}
    locked = user.failed_login_count >= settings.PALERMO_LOGIN_MAX_FAILURES
    if locked:
        user.locked_until = timezone.now() + timedelta(
            seconds=settings.PALERMO_LOGIN_LOCKOUT_SECONDS
        )
        user.failed_login_count = 0
        details["locked_until"] = user.locked_until.isoformat()
    user.save(update_fields=["failed_login_count", "locked_until"])
    audit_record(
        actor=_actor_of(user),
        action="auth.failure",
        object_type="user",
        object_id=str(user.pk),
        details=details,
    )
    return locked


@transaction.atomic
def _record_success(user: User, action: str) -> None:
    User.objects.filter(pk=user.pk).update(failed_login_count=0, locked_until=None)
    audit_record(actor=_actor_of(user), action=action, object_type="user", object_id=str(user.pk))


def sign_in_check_password(*, request: HttpRequest, username: str, password: str) -> User:
    """The user whose password this is, unless locked; the same refusal for every failure.

    Unknown usernames are not audited (there is no one to attach them to, and anyone could
    fill the log with them); failures against real accounts are, and they lead to lockout.
    """
    username = username.strip()[:150]
    if not username or not password or len(password) > 1024:
        raise ApplicationError(SIGN_IN_REFUSED, code="sign_in_refused", status=400)
    known = User.objects.filter(username=username, is_active=True).first()
    if known is not None and _is_locked(known):
        make_password(password)  # spend the hashing time a real check takes: no timing hint
        logger.info("sign-in refused: account %s is locked", known.pk)
        raise ApplicationError(SIGN_IN_REFUSED, code="sign_in_refused", status=400)
    user = authenticate(request, username=username, password=password)
    if user is None:
        if known is not None:
            _record_failure(known, "password")
        raise ApplicationError(SIGN_IN_REFUSED, code="sign_in_refused", status=400)
    assert isinstance(user, User)  # noqa: S101 - AUTH_USER_MODEL
    if second_factor_required(user):
        # The failure count is kept until the second factor is done too: otherwise the
        # password alone would reset it, and TOTP codes could be guessed without end.
        audit_record(
            actor=_actor_of(user),
            action="auth.password_ok",
            object_type="user",
            object_id=str(user.pk),
        )
    else:
        _record_success(user, "auth.signed_in")
    return user


def totp_device_for(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


@transaction.atomic
def totp_enrolment_device(user: User) -> TOTPDevice:
    """The unconfirmed device whose QR code the user is asked to scan (made once, then reused)."""
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


def second_factor_check(*, user: User, code: str) -> TOTPDevice:
    """Check a TOTP code against the user's device (confirming it at enrolment).

    A wrong code counts toward lockout like a wrong password; the failure that locks the
    account (or any attempt while locked) raises `sign_in_refused`, and the page signs out.
    """
    user = User.objects.get(pk=user.pk)  # fresh lockout state, not the session's copy
    if _is_locked(user):
        raise ApplicationError(SIGN_IN_REFUSED, code="sign_in_refused")
    code = "".join(code.split())
    device = totp_device_for(user)
    enrolling = device is None
    if device is None:
        device = totp_enrolment_device(user)
    wait = _seconds_until_next_code_allowed(device)
    if wait:
        # django-otp slows down guessing after a wrong code; a right code entered too soon
        # would be refused too, so say so instead of counting it as another failure.
        message = ngettext(
            "Too many wrong codes in a row: wait %(seconds)d second, then enter the current code.",
            "Too many wrong codes in a row: wait %(seconds)d seconds, then enter the current code.",
            wait,
        ) % {"seconds": wait}
        raise ApplicationError(message, code="throttled", fields={"code": [message]})
    if not (code.isdigit() and len(code) == 6) or not device.verify_token(code):
        if _record_failure(user, "second_factor"):
            raise ApplicationError(SIGN_IN_REFUSED, code="sign_in_refused")
        raise ApplicationError(CODE_REFUSED, code="bad_code", fields={"code": [CODE_REFUSED]})
    with transaction.atomic():
        if enrolling:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            audit_record(
                actor=_actor_of(user),
                action="auth.totp_enrolled",
                object_type="user",
                object_id=str(user.pk),
            )
        _record_success(user, "auth.signed_in")
    return device


def membership_of(user: User, membership_id: int | str) -> Membership:
    """One of the user's own memberships; anything else is the same `invalid` error."""
    try:
        pk = int(membership_id)
        if not 0 < pk < 2**63:  # beyond the database's integers
            raise ValueError(pk)
        return user.memberships.select_related("organisation").get(pk=pk)
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


def _may_manage_tokens_of(actor: Actor, organisation_id: int) -> bool:
    # Actors without a user are operators' commands on the server itself (create-token):
    # they already hold the database and the keys, so they may act for any organisation.
    if actor.user is None:
        return True
    return actor.can(Perm.TOKEN_MANAGE) and actor.organisation_id == organisation_id


def _new_secret() -> str:
    for _attempt in range(5):
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        if not ApiToken.objects.filter(prefix=secret[:_TOKEN_PREFIX_LENGTH]).exists():
            return secret
    raise RuntimeError("could not draw an unused token prefix")  # 48 random bits: never


@transaction.atomic
def api_token_create(
    *,
    actor: Actor,
    membership: Membership | None,
    name: str,
    purpose: str,
    expires_in_days: int,
) -> tuple[ApiToken, str]:
    """Create a token acting for `membership` for one purpose; return it and its secret.

    Administrators may create tokens for members of their own organisation only. The
    secret is returned once and never stored: only its prefix (to recognise it) and its
    SHA-256 digest are kept. `membership` is None when the chosen one could not be found;
    that, like every bad input, is reported as a field error and nothing is created.
    """
    if actor.user is not None and not actor.can(Perm.TOKEN_MANAGE):
        raise Forbidden()
    fields: dict[str, list[object]] = {}
    name = (name or "").strip()
    if not name:
        fields["name"] = [_("Give the token a name, for example the system that will use it.")]
    elif len(name) > TOKEN_NAME_MAX_LENGTH:
        fields["name"] = [_("Use at most 100 characters.")]
    if (
        membership is None
        or not _may_manage_tokens_of(actor, membership.organisation_id)
        or not membership.user.is_active
        or not membership.organisation.is_active
    ):
        fields["membership"] = [_("Choose an active member of your organisation.")]
    if purpose not in {str(p) for p in Purpose}:
        fields["purpose"] = [_("Choose one of the listed purposes.")]
    if isinstance(expires_in_days, bool) or not 1 <= expires_in_days <= TOKEN_MAX_DAYS:
        fields["days"] = [_("Enter a number of days from 1 to 365.")]
    if fields:
        raise invalid(fields)
    assert membership is not None  # noqa: S101 - checked above

    secret = _new_secret()
    token = ApiToken.objects.create(
        name=name,
        membership=membership,
        purpose=purpose,
        prefix=secret[:_TOKEN_PREFIX_LENGTH],
        digest=token_digest(secret),
        created_by=actor.user,
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
            "organisation": str(membership.organisation.public_id),
            "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        },
    )
    return token, secret


@transaction.atomic
def api_token_revoke(*, actor: Actor, token: ApiToken) -> ApiToken:
    """Revoke a token at once; revoking a revoked token changes (and records) nothing.

    A token of another organisation is NotFound, as if it did not exist.
    """
    token = ApiToken.objects.select_for_update().select_related("membership").get(pk=token.pk)
    if not _may_manage_tokens_of(actor, token.membership.organisation_id):
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
