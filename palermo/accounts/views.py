"""Sign in (password, then TOTP or enrolment by QR code), sign out, switch organisation,
and the API-token page (every member's own tokens; administrators also see and revoke their
organisation's). Thin: services and selectors do the work."""

from __future__ import annotations

import base64
import io
from uuid import UUID

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from palermo.errors import ApplicationError, Forbidden, NotFound

from . import selectors, services
from .actors import Actor
from .backends import BACKEND_PATH
from .middleware import needs_second_factor
from .models import User
from .roles import (
    PURPOSE_LABELS,
    ROLE_DEFAULT_PURPOSE,
    ROLE_LABELS,
    Perm,
    Purpose,
    Role,
    role_allowed_purposes,
)
from .selectors import SESSION_MEMBERSHIP_KEY, session_membership

DEFAULT_TOKEN_DAYS = 90


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and not needs_second_factor(request):
        return redirect(_next_url(request))
    error = ""
    username = ""
    if request.method == "POST":
        username = request.POST.get("username", "")
        try:
            user = services.sign_in_check_password(
                request=request, username=username, password=request.POST.get("password", "")
            )
        except ApplicationError as exc:
            error = str(exc.message)
        else:
            login(request, user, backend=BACKEND_PATH)
            if needs_second_factor(request):
                response = redirect("accounts:second_factor")
                if request.POST.get("next"):
                    request.session["palermo_next"] = _next_url(request)
                return response
            return redirect(_next_url(request))
    context = {
        "error": error,
        "username": username[:150],
        "next": _next_url(request),
        "lockout_minutes": max(1, round(settings.PALERMO_LOGIN_LOCKOUT_SECONDS / 60)),
    }
    return render(request, "accounts/login.html", context, status=400 if error else 200)


def _qr_data_uri(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


@sensitive_post_parameters("code")
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def second_factor(request: HttpRequest) -> HttpResponse:
    if not needs_second_factor(request):
        return redirect("web:home")
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - login_required
    enrolling = services.totp_device_for(user) is None
    error = ""
    if request.method == "POST":
        try:
            device = services.second_factor_check(user=user, code=request.POST.get("code", ""))
        except ApplicationError as exc:
            error = str(exc.message)
            if exc.code == "sign_in_refused":
                logout(request)
                messages.error(request, error)
                return redirect("accounts:login")
        else:
            otp_login(request, device)
            if enrolling:
                messages.success(request, _("Your authenticator app is set up."))
            return redirect(request.session.pop("palermo_next", "/"))
    context: dict[str, object] = {"enrolling": enrolling, "error": error}
    if enrolling and not services.enrolment_open(user):
        # Too long after the account was made or reset: whoever has the password must not be
        # the one who sets up its second factor now. No QR code, no key.
        context["enrolment_closed"] = True
        context["error"] = ""
        context["closed_message"] = services.ENROLMENT_CLOSED
    elif enrolling:
        device = services.totp_enrolment_device(user)
        context["qr_code"] = _qr_data_uri(device.config_url)
        context["secret"] = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return render(request, "accounts/second_factor.html", context, status=400 if error else 200)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("You are signed out."))
    response = redirect("accounts:login")
    # Pages about persons may remain in the browser's cache and in htmx's history snapshots
    # (kept in localStorage): have the browser drop both for this site.
    response["Clear-Site-Data"] = '"cache", "storage"'
    return response


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def switch_membership(request: HttpRequest) -> HttpResponse:
    actor = getattr(request, "actor", None)
    if actor is None:
        raise Http404
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - login_required
    error = ""
    if request.method == "POST":
        try:
            membership = services.membership_switch(
                actor=actor, membership_id=request.POST.get("membership", "")
            )
        except ApplicationError as exc:
            error = str(exc.message)
        else:
            request.session[SESSION_MEMBERSHIP_KEY] = membership.pk
            messages.success(
                request,
                _("You are now working for %(organisation)s.")
                % {"organisation": membership.organisation.name},
            )
            return redirect("web:home")
    current = session_membership(request)
    memberships = [
        {
            "id": m.pk,
            "organisation": m.organisation.name,
            "role": ROLE_LABELS[Role(m.role)],
            "current": current is not None and m.pk == current.pk,
        }
        for m in selectors.active_memberships(user)
    ]
    return render(
        request,
        "accounts/switch.html",
        {"memberships": memberships, "error": error},
        status=400 if error else 200,
    )


def _signed_in_actor(request: HttpRequest) -> Actor:
    """The actor of a signed-in member (second factor done); anyone else gets a 404."""
    actor = getattr(request, "actor", None)
    if actor is None or actor.user is None:
        raise Http404
    return actor


def _days(value: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        return 0  # refused by the service's range check, with its message


def _token_form(actor: Actor, data: dict[str, str] | None = None) -> dict[str, str]:
    default_purpose = str(ROLE_DEFAULT_PURPOSE[actor.role]) if actor.role else ""
    data = data or {}
    return {
        "name": data.get("name", "")[:200],
        "purpose": data.get("purpose", default_purpose)[:40],
        "days": data.get("days", str(DEFAULT_TOKEN_DAYS))[:10],
    }


@sensitive_post_parameters("code")
@never_cache  # the response that shows a new secret must never be stored anywhere
@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    """My API tokens: create one for myself, list and revoke mine (administrators: all)."""
    actor = _signed_in_actor(request)
    if actor.organisation is None:
        return render(request, "accounts/tokens.html", {"no_membership": True})
    form = _token_form(actor, request.POST.dict() if request.method == "POST" else None)
    errors: dict[str, list[str]] = {}
    error_message = ""
    created = None
    if request.method == "POST":
        try:
            token, secret = services.api_token_create(
                actor=actor,
                name=form["name"],
                purpose=form["purpose"],
                expires_in_days=_days(form["days"]),
                code=request.POST.get("code", "")[:20],
            )
        except Forbidden as exc:
            raise PermissionDenied from exc
        except ApplicationError as exc:
            if exc.code == "sign_in_refused":
                # The account is locked (this wrong code was one too many): sign out, as the
                # sign-in page does.
                logout(request)
                messages.error(request, str(exc.message))
                return redirect("accounts:login")
            error_message = str(exc.message)
            errors = {k: [str(m) for m in v] for k, v in exc.fields.items()}
        else:
            created = {"token": token, "secret": secret}
            form = _token_form(actor)
    now = timezone.now()
    user = actor.user
    assert user is not None  # noqa: S101 - _signed_in_actor
    manager = actor.can(Perm.TOKEN_MANAGE)
    rows = [
        {
            "token": token,
            "role": ROLE_LABELS[Role(token.membership.role)],
            "purpose": PURPOSE_LABELS[Purpose(token.purpose)],
            "active": token.revoked_at is None
            and (token.expires_at is None or token.expires_at > now),
        }
        for token in selectors.api_tokens_for(actor)
    ]
    context = {
        "rows": rows,
        "manager": manager,
        "created": created,
        "form": form,
        "errors": errors,
        "error_message": error_message,
        "acts_as": f"{user.username} · {ROLE_LABELS[actor.role]}" if actor.role else "",
        "purposes": [(str(p), PURPOSE_LABELS[p]) for p in role_allowed_purposes(actor.role)],
        "needs_code": services.token_needs_code(actor),
        "max_days": services.TOKEN_MAX_DAYS,
        "max_name_length": services.TOKEN_NAME_MAX_LENGTH,
    }
    return render(request, "accounts/tokens.html", context, status=400 if error_message else 200)


@never_cache
@login_required
@require_POST
def token_revoke(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = _signed_in_actor(request)
    try:
        token = selectors.api_token_for(actor, public_id)
        services.api_token_revoke(actor=actor, token=token)
    except NotFound as exc:
        raise Http404 from exc
    messages.success(
        request,
        _("The token %(name)s (%(prefix)s…) is revoked: it no longer works.")
        % {"name": token.name, "prefix": token.prefix},
    )
    return redirect("accounts:tokens")
