"""Attach the Actor to each request, and hold back anyone who still owes a second factor."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware
from django_otp.plugins.otp_totp.models import TOTPDevice

from .actors import Actor
from .roles import ROLE_DEFAULT_PURPOSE, Role
from .selectors import SESSION_MEMBERSHIP_KEY, session_membership
from .services import second_factor_required
from .signin import prefetched_devices

__all__ = [
    "SESSION_MEMBERSHIP_KEY",
    "SESSION_TOUCHED_KEY",
    "ActorMiddleware",
    "SignedInOTPMiddleware",
    "actor_for_session",
    "needs_second_factor",
    "touch_session",
]

# When the signed-in session was last renewed (Unix seconds). The session is saved, and its
# expiry moved to SESSION_COOKIE_AGE from now, at most once every SESSION_TOUCH_EVERY seconds
# instead of on every request (an UPDATE and an fsync per page): the idle timeout is then
# between SESSION_COOKIE_AGE - SESSION_TOUCH_EVERY and SESSION_COOKIE_AGE after the last
# request — never longer than configured, at most a minute shorter.
SESSION_TOUCHED_KEY = "_palermo_touched"

# Paths anyone may reach before completing the second factor. The API is open here because
# it refuses such a session itself (401), rather than redirecting.
_OPEN_PREFIXES = ("/static/", "/i18n/", "/api/", "/favicon")
_OPEN_URL_NAMES = ("accounts:login", "accounts:logout", "accounts:second_factor")


@cache
def _open_paths() -> frozenset[str]:
    return frozenset(reverse(name) for name in _OPEN_URL_NAMES)


class SignedInOTPMiddleware(OTPMiddleware):
    """django_otp's middleware, taking the session's device from those read with the user
    (palermo.accounts.signin) instead of a query of its own. The checks are django_otp's:
    the device must be the user's and confirmed, or the session's device id is dropped."""

    def _verify_user_sync(self, request: HttpRequest, user: Any) -> Any:
        devices = prefetched_devices(user) if user.is_authenticated else None
        if devices is None:
            return super()._verify_user_sync(request, user)
        self._init_user_fields(user)
        persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
        device = None
        if persistent_id:
            label, _slash, number = self._normalize_persistent_id(persistent_id).rpartition("/")
            if label != TOTPDevice._meta.label_lower:
                device = self._device_from_persistent_id(persistent_id)
            elif number.isdigit():
                device = devices.get(int(number))
        user.otp_device = self._finalize_device(request, user, device)
        return user


def actor_for_session(request: HttpRequest) -> Actor | None:
    user = request.user
    if not user.is_authenticated:
        return None
    membership = session_membership(request)
    if membership is None:
        return Actor(user=user, organisation=None, role=None, purpose="")  # type: ignore[arg-type]
    role = Role(membership.role)
    return Actor(
        user=user,  # type: ignore[arg-type]
        organisation=membership.organisation,
        role=role,
        purpose=ROLE_DEFAULT_PURPOSE[role],
    )


def needs_second_factor(request: HttpRequest) -> bool:
    user = request.user
    # Right after login() the user is not yet wrapped by OTPMiddleware: unverified.
    if not user.is_authenticated or getattr(user, "is_verified", lambda: False)():
        return False
    return second_factor_required(user)  # type: ignore[arg-type]


def touch_session(request: HttpRequest, now: float | None = None) -> bool:
    """Renew a signed-in session's idle expiry when it was last renewed a minute ago or more
    (or never); True when it will be saved. Other changes to the session save it anyway."""
    now = time.time() if now is None else now
    every = getattr(settings, "SESSION_TOUCH_EVERY", 60)
    touched = request.session.get(SESSION_TOUCHED_KEY)
    if isinstance(touched, int | float) and 0 <= now - touched < every:
        return False
    request.session[SESSION_TOUCHED_KEY] = int(now)
    return True


class ActorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.actor = None  # type: ignore[attr-defined]
        if request.user.is_authenticated:
            touch_session(request)
            if needs_second_factor(request):
                if not (request.path.startswith(_OPEN_PREFIXES) or request.path in _open_paths()):
                    return HttpResponseRedirect(reverse("accounts:second_factor"))
            else:
                request.actor = actor_for_session(request)  # type: ignore[attr-defined]
        return self.get_response(request)
