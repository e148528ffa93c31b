"""Sign-in, second factor, lockout and memberships: every write here is audited."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from palermo.audit.services import audit_record
from palermo.errors import ApplicationError

from .actors import Actor
from .models import Membership, User

SIGN_IN_REFUSED = _(
    "The username or password is not right, or the account is locked for a while after "
    "too many attempts. Check them and try again later."
)
CODE_REFUSED = _("That code is not right or has expired. Enter the current 6-digit code.")


def _actor_of(user: User) -> Actor:
    membership = user.memberships.select_related("organisation").first()
    return Actor(
        user=user,
        organisation=membership.organisation if membership else None,
        role=None,
        purpose="administration",
    )


def _is_locked(user: User) -> bool:
    return user.locked_until is not None and user.locked_until > timezone.now()


@transaction.atomic
def _record_failure(user: User, reason: str) -> None:
    user = User.objects.select_for_update().get(pk=user.pk)
    user.failed_login_count += 1
    details = {"reason": reason, "failures": user.failed_login_count}
    if user.failed_login_count >= settings.PALERMO_LOGIN_MAX_FAILURES:
        user.locked_until = timezone.now() + timedelta(seconds=settings.PALERMO_LOGIN_LOCKOUT_SECONDS)
        user.failed_login_count = 0
        details["locked_until"] = user.locked_until.isoformat()
    user.save(update_fields=["failed_login_count", "locked_until"])
    audit_record(actor=_actor_of(user), action="auth.failure", object_type="user",
                 object_id=str(user.pk), details=details)


@transaction.atomic
def _record_success(user: User, action: str) -> None:
    User.objects.filter(pk=user.pk).update(failed_login_count=0, locked_until=None)
    audit_record(actor=_actor_of(user), action=action, object_type="user", object_id=str(user.pk))


def sign_in_check_password(*, request: HttpRequest, username: str, password: str) -> User:
    """The user whose password this is, unless locked; the same refusal for every failure."""
    username = username.strip()[:150]
    if not username or not password or len(password) > 1024:
        raise ApplicationError(SIGN_IN_REFUSED, code="sign_in_refused", status=400)
    known = User.objects.filter(username=username, is_active=True).first()
    if known is not None and _is_locked(known):
        raise ApplicationError(SIGN_IN_REFUSED, code="sign_in_refused", status=400)
    user = authenticate(request, username=username, password=password)
    if user is None:
        if known is not None:
            _record_failure(known, "password")
        raise ApplicationError(SIGN_IN_REFUSED, code="sign_in_refused", status=400)
    assert isinstance(user, User)  # noqa: S101 - AUTH_USER_MODEL
    _record_success(user, "auth.password_ok")
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


def second_factor_check(*, user: User, code: str) -> TOTPDevice:
    """Check a TOTP code against the user's device (confirming it at enrolment)."""
    if _is_locked(user):
        raise ApplicationError(SIGN_IN_REFUSED, code="sign_in_refused")
    code = "".join(code.split())
    device = totp_device_for(user)
    enrolling = device is None
    if device is None:
        device = totp_enrolment_device(user)
    if not (code.isdigit() and len(code) == 6) or not device.verify_token(code):
        _record_failure(user, "second_factor")
        raise ApplicationError(CODE_REFUSED, code="bad_code", fields={"code": [CODE_REFUSED]})
    with transaction.atomic():
        if enrolling:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            audit_record(actor=_actor_of(user), action="auth.totp_enrolled",
                         object_type="user", object_id=str(user.pk))
        _record_success(user, "auth.signed_in")
    return device


def membership_of(user: User, membership_id: int | str) -> Membership:
    try:
        return user.memberships.select_related("organisation").get(pk=int(membership_id))
    except (ValueError, TypeError, Membership.DoesNotExist) as exc:
        raise ApplicationError(_("Choose one of your organisations."), code="invalid") from exc
