"""Sign in (password, then TOTP or enrolment by QR code), sign out, switch organisation,
and the administrators' API-token page. Thin: services and selectors do the work."""

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
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from palermo.errors import ApplicationError, NotFound

from . import selectors, services
from .actors import Actor
from .middleware import needs_second_factor
from .models import User
from .roles import PURPOSE_LABELS, ROLE_LABELS, Perm, Purpose, Role
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
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
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
    if enrolling:
        device = services.totp_enrolment_device(user)
        context["qr_code"] = _qr_data_uri(device.config_url)
        context["secret"] = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return render(request, "accounts/second_factor.html", context, status=400 if error else 200)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("You are signed out."))
    return redirect("accounts:login")


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
        for m in user.memberships.select_related("organisation")
    ]
    return render(
        request,
        "accounts/switch.html",
        {"memberships": memberships, "error": error},
        status=400 if error else 200,
    )


def _token_manager(request: HttpRequest) -> Actor:
    """The actor, if they manage their organisation's tokens; everyone else gets a 404."""
    actor = getattr(request, "actor", None)
    if actor is None or actor.organisation is None or not actor.can(Perm.TOKEN_MANAGE):
        raise Http404
    return actor


def _days(value: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        return 0  # refused by the service's range check, with its message


@sensitive_post_parameters()
@never_cache  # the response that shows a new secret must never be stored anywhere
@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    actor = _token_manager(request)
    form = {
        "name": request.POST.get("name", "")[:200],
        "membership": request.POST.get("membership", ""),
        "purpose": request.POST.get("purpose", ""),
        "days": request.POST.get("days", str(DEFAULT_TOKEN_DAYS))[:10],
    }
    errors: dict[str, list[str]] = {}
    error_message = ""
    created = None
    if request.method == "POST":
        try:
            token, secret = services.api_token_create(
                actor=actor,
                membership=selectors.token_membership(actor, form["membership"]),
                name=form["name"],
                purpose=form["purpose"],
                expires_in_days=_days(form["days"]),
            )
        except ApplicationError as exc:
            error_message = str(exc.message)
            errors = {k: [str(m) for m in v] for k, v in exc.fields.items()}
        else:
            created = {"token": token, "secret": secret}
            form = {"name": "", "membership": "", "purpose": "", "days": str(DEFAULT_TOKEN_DAYS)}
    now = timezone.now()
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
        "created": created,
        "form": form,
        "errors": errors,
        "error_message": error_message,
        "memberships": [
            {"id": str(m.pk), "label": f"{m.user.username} · {ROLE_LABELS[Role(m.role)]}"}
            for m in selectors.token_memberships(actor)
        ],
        "purposes": [(str(p), PURPOSE_LABELS[p]) for p in Purpose],
        "max_days": services.TOKEN_MAX_DAYS,
        "max_name_length": services.TOKEN_NAME_MAX_LENGTH,
    }
    return render(request, "accounts/tokens.html", context, status=400 if error_message else 200)


@never_cache
@login_required
@require_POST
def token_revoke(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = _token_manager(request)
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
