"""The traveller's session: apart from staff sign-in, with its own idle expiry.

A traveller is never logged into Django's auth: the (server-side, signed-cookie-keyed) session
holds `traveller_id` (the account's public id) and `traveller_seen` (last activity, epoch
seconds). After TRAVELLER_IDLE_SECONDS without a request the traveller is signed out. Steps of
unfinished flows (the code just sent, the verified code, the PIN accepted before the TOTP code)
are kept under their own keys with their own short lives.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from .models import Traveller

TRAVELLER_KEY = "traveller_id"
SEEN_KEY = "traveller_seen"
PENDING_CODE_KEY = "traveller_code"  # {"id": verification public id, "at": epoch}
VERIFIED_KEY = "traveller_verified"  # {"id": verification public id, "at": epoch}
PENDING_TOTP_KEY = "traveller_totp"  # {"id": traveller public id, "kind": pin kind, "at": epoch}
TRAVELLER_IDLE_SECONDS = 15 * 60
STEP_SECONDS = {PENDING_CODE_KEY: 15 * 60, VERIFIED_KEY: 30 * 60, PENDING_TOTP_KEY: 5 * 60}
# Record where the traveller connects from at most this often while they browse.
ACCESS_POINT_EVERY_SECONDS = 10 * 60
_FLOW_KEYS = (PENDING_CODE_KEY, VERIFIED_KEY, PENDING_TOTP_KEY)


def _uuid(value: Any) -> UUID | None:
    try:
        return UUID(str(value))
    except ValueError:
        return None


def current_traveller(request: HttpRequest) -> Traveller | None:
    """The signed-in traveller, or None (and the session forgets an idle one)."""
    if hasattr(request, "_traveller"):
        cached: Traveller | None = request._traveller
        return cached
    traveller: Traveller | None = None
    public_id = _uuid(request.session.get(TRAVELLER_KEY))
    seen = request.session.get(SEEN_KEY)
    now = time.time()
    if public_id is not None and isinstance(seen, int | float):
        if now - seen <= TRAVELLER_IDLE_SECONDS:
            traveller = Traveller.objects.filter(public_id=public_id).first()
    if traveller is None:
        if TRAVELLER_KEY in request.session:
            sign_out(request)
    else:
        request.session[SEEN_KEY] = int(now)
    request._traveller = traveller  # type: ignore[attr-defined]
    return traveller


def sign_in(request: HttpRequest, traveller: Traveller) -> None:
    """Start the traveller's session under a new key (no session fixation)."""
    for key in _FLOW_KEYS:
        request.session.pop(key, None)
    request.session.cycle_key()
    request.session[TRAVELLER_KEY] = str(traveller.public_id)
    request.session[SEEN_KEY] = int(time.time())
    request._traveller = traveller  # type: ignore[attr-defined]


def sign_out(request: HttpRequest) -> None:
    """Forget the traveller (a staff sign-in in the same browser, if any, is left alone)."""
    for key in (TRAVELLER_KEY, SEEN_KEY, *_FLOW_KEYS):
        request.session.pop(key, None)
    request._traveller = None  # type: ignore[attr-defined]


def remember_step(request: HttpRequest, key: str, **values: str) -> None:
    request.session[key] = {**values, "at": int(time.time())}


def recall_step(request: HttpRequest, key: str) -> dict[str, Any] | None:
    """A step remembered less than its life ago, or None (and it is forgotten)."""
    value = request.session.get(key)
    if not isinstance(value, dict) or not isinstance(value.get("at"), int):
        request.session.pop(key, None)
        return None
    if time.time() - value["at"] > STEP_SECONDS[key]:
        request.session.pop(key, None)
        return None
    return value


def forget_step(request: HttpRequest, key: str) -> None:
    request.session.pop(key, None)


def traveller_required(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """Pages of a signed-in traveller; anyone else goes to the sign-in page."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        traveller = current_traveller(request)
        if traveller is None:
            return redirect("safetravel:sign_in")
        return view(request, traveller, *args, **kwargs)

    return wrapped


def access_point_due(request: HttpRequest) -> bool:
    """Whether to record the traveller's access point on this request (not on every one)."""
    last = request.session.get("traveller_access_at")
    now = int(time.time())
    if isinstance(last, int) and now - last < ACCESS_POINT_EVERY_SECONDS:
        return False
    request.session["traveller_access_at"] = now
    return True
