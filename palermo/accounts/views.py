"""Sign in (password, then TOTP or enrolment by QR code), sign out, switch organisation."""

from __future__ import annotations

import base64
import io

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from palermo.errors import ApplicationError

from . import services
from .middleware import SESSION_MEMBERSHIP_KEY, needs_second_factor
from .models import User
from .roles import ROLE_LABELS, Role


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
    context = {"error": error, "username": username[:150], "next": _next_url(request)}
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


@login_required
@require_http_methods(["GET", "POST"])
def switch_membership(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - login_required
    error = ""
    if request.method == "POST":
        try:
            membership = services.membership_of(user, request.POST.get("membership", ""))
        except ApplicationError as exc:
            error = str(exc.message)
        else:
            request.session[SESSION_MEMBERSHIP_KEY] = membership.pk
            messages.success(request, _("You are now working for %(organisation)s.")
                             % {"organisation": membership.organisation.name})
            return redirect("web:home")
    memberships = [
        {"id": m.pk, "organisation": m.organisation.name, "role": ROLE_LABELS[Role(m.role)],
         "current": m.pk == request.session.get(SESSION_MEMBERSHIP_KEY)}
        for m in user.memberships.select_related("organisation")
    ]
    return render(request, "accounts/switch.html", {"memberships": memberships, "error": error},
                  status=400 if error else 200)


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    from django.http import Http404

    raise Http404  # the token management page comes with the API-token work
