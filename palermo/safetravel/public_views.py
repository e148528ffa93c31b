"""The traveller's public pages under /travel/: account, trips, contacts, check-in, privacy.

Thin: public_accounts.py (the account) and services.py (trips, check-ins) do the work; access.py
finds a traveller's own records (anything else is 404). Pages are small and work without
JavaScript on a 360-pixel phone. What a traveller sees never depends on which PIN they used.

No enumeration: starting (sign-up or a new PIN) always answers "if this number can be used, we
sent a code"; signing in refuses every failure with one message; rate limits count per address
and per phone number or email whether or not it has an account.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from palermo.errors import ApplicationError, NotFound
from palermo.throttling import client_ip

from . import access, forms, public_accounts, public_limits, rules, scheduler, selectors, services
from . import messages as travel_messages
from .models import (
    CheckInChannel,
    ScheduleKind,
    Traveller,
    Trip,
    TripStatus,
    TrustedContact,
)
from .public_sessions import (
    PENDING_CODE_KEY,
    PENDING_TOTP_KEY,
    VERIFIED_KEY,
    access_point_due,
    current_traveller,
    forget_step,
    recall_step,
    remember_step,
    traveller_required,
)
from .public_sessions import sign_in as session_sign_in
from .public_sessions import sign_out as session_sign_out
from .validation import TRIP_FIELDS, Refused

PIN_FIELDS = ("pin", "pin_again", "duress_pin", "duress_pin_again", "current_pin", "code")
# A PIN typed at sign-in or for an action lets the next check-in be one tap for this long.
RECENT_PIN_SECONDS = 5 * 60
RECENT_PIN_KEY = "traveller_pin"
RATE_LIMITED = 429


# --- helpers ---------------------------------------------------------------------------------


def _render(
    request: HttpRequest, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    page = {
        "traveller": current_traveller(request),
        "hotline_phone": travel_messages.hotline_phone(),
        **(context or {}),
    }
    errors = page.get("errors")
    if isinstance(errors, dict) and "general_errors" not in page:
        # Templates cannot read "__all__" (a leading underscore): hand it over by another name.
        page["general_errors"] = errors.get("__all__", [])
    return render(request, f"safetravel/public/{template}", page, status=status)


def _field_errors(exc: ApplicationError) -> dict[str, list[str]]:
    errors = {k: [str(m) for m in v] for k, v in exc.fields.items()}
    return errors or {"__all__": [str(exc.message)]}


def _too_many(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    context = {
        **context,
        "error": _("Too many attempts. For your safety, please wait an hour and try again."),
    }
    return _render(request, template, context, status=RATE_LIMITED)


def _ip(request: HttpRequest) -> str:
    return client_ip(request)


def _own_trip(traveller: Traveller, public_id: str) -> Trip:
    try:
        return access.trip_for_traveller(traveller, public_id)
    except NotFound as exc:
        raise Http404 from exc


def _own_contact(traveller: Traveller, trip: Trip, public_id: str) -> TrustedContact:
    try:
        contact = access.contact_for_traveller(traveller, public_id)
    except NotFound as exc:
        raise Http404 from exc
    if contact.trip_id != trip.pk:
        raise Http404
    return contact


def _set_language(response: HttpResponse, language: str) -> HttpResponse:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,  # type: ignore[arg-type]
    )
    return response


def _remember_pin(request: HttpRequest, kind: str) -> None:
    request.session[RECENT_PIN_KEY] = {"kind": kind, "at": int(timezone.now().timestamp())}


def _recent_pin(request: HttpRequest) -> str | None:
    value = request.session.get(RECENT_PIN_KEY)
    if not isinstance(value, dict) or value.get("kind") not in services.PIN_KINDS:
        return None
    if timezone.now().timestamp() - int(value.get("at", 0)) > RECENT_PIN_SECONDS:
        request.session.pop(RECENT_PIN_KEY, None)
        return None
    return str(value["kind"])


def _pin_kind(request: HttpRequest, traveller: Traveller, pin: Any) -> str | None:
    """The kind of PIN just typed (remembered for a one-tap check-in), or None if wrong."""
    kind = public_accounts.pin_kind_of(traveller=traveller, pin=pin)
    if kind is not None:
        _remember_pin(request, kind)
    return kind


def _local(value: datetime.datetime | None, traveller: Traveller) -> str:
    return travel_messages.local_time(value, traveller.time_zone) if value else ""


def _traveller_page(request: HttpRequest, traveller: Traveller, *, now: bool = False) -> None:
    """Every signed-in page view: remember the access point now and then (`now`: at once, as
    when a trip was just created or started, so that it has one from the first)."""
    ip = _ip(request)
    if ip and (access_point_due(request) or now):
        services.access_point_record(traveller=traveller, ip=ip)


# --- the front page --------------------------------------------------------------------------


@never_cache
def public_home(request: HttpRequest) -> HttpResponse:
    if current_traveller(request) is not None:
        return redirect("safetravel:home")
    ladder = scheduler.ladder()
    return _render(request, "front.html", {"ladder": _ladder_words(ladder)})


# --- starting: sign-up or a new PIN ----------------------------------------------------------


@sensitive_post_parameters("address")
@never_cache
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    """Where to send the code. The answer is the same whether the address has an account."""
    form = forms.StartForm(request.POST or None)
    context: dict[str, Any] = {"form": form, "resetting": request.GET.get("pin") == "new"}
    if request.method != "POST":
        return _render(request, "start.html", context)
    if not form.is_valid():
        return _render(request, "start.html", context, status=400)
    try:
        address = public_accounts.parse_address(form.cleaned_data["address"])
    except Refused as exc:
        form.add_error("address", exc.message)
        return _render(request, "start.html", context, status=400)
    if not public_limits.allow_all(
        (public_limits.START_PER_IP, _ip(request)),
        (public_limits.START_PER_IDENTIFIER, public_limits.identifier_key(address.value)),
    ):
        return _too_many(request, "start.html", context)
    verification = public_accounts.verification_start(
        address=address, language=translation.get_language() or settings.LANGUAGE_CODE
    )
    remember_step(
        request, PENDING_CODE_KEY, id=str(verification.public_id), channel=address.channel
    )
    return redirect("safetravel:start_code")


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def start_code(request: HttpRequest) -> HttpResponse:
    pending = recall_step(request, PENDING_CODE_KEY)
    if pending is None:
        messages.info(request, _("Please start again."))
        return redirect("safetravel:start")
    form = forms.CodeForm(request.POST or None)
    context = {"form": form, "by_email": pending.get("channel") == "email"}
    if request.method != "POST":
        return _render(request, "code.html", context)
    if not form.is_valid():
        return _render(request, "code.html", context, status=400)
    if not public_limits.allow(public_limits.CODE_PER_IP, _ip(request)):
        return _too_many(request, "code.html", context)
    verification = public_accounts.verification_check(
        public_id=str(pending["id"]), code=form.cleaned_data["code"]
    )
    if verification is None:
        form.add_error("code", str(public_accounts.CODE_REFUSED))
        return _render(request, "code.html", context, status=400)
    forget_step(request, PENDING_CODE_KEY)
    remember_step(request, VERIFIED_KEY, id=str(verification.public_id))
    return redirect("safetravel:start_account")


def _profile_values(request: HttpRequest, traveller: Traveller | None = None) -> dict[str, Any]:
    if request.method == "POST":
        return {
            "display_name": request.POST.get("display_name", ""),
            "language": request.POST.get("language", ""),
            "time_zone": request.POST.get("time_zone", ""),
            "usual_activity_opt_in": request.POST.get("usual_activity_opt_in") == "on",
            "welfare_consent": request.POST.get("welfare_consent") == "on",
        }
    if traveller is not None:
        return {
            "display_name": traveller.display_name or "",
            "language": traveller.language,
            "time_zone": traveller.time_zone,
            "usual_activity_opt_in": traveller.usual_activity_opt_in,
            "welfare_consent": traveller.welfare_consent,
        }
    return {
        "display_name": "",
        "language": translation.get_language() or settings.LANGUAGE_CODE,
        "time_zone": "Europe/Kyiv" if translation.get_language() == "uk" else "UTC",
        "usual_activity_opt_in": False,
        "welfare_consent": False,
    }


def _profile_context(values: dict[str, Any], errors: dict[str, list[str]]) -> dict[str, Any]:
    return {
        "values": values,
        "errors": errors,
        "labels": forms.PROFILE_LABELS,
        "hints": forms.PROFILE_HINTS,
        "languages": forms.language_choices(),
        "time_zones": forms.time_zone_choices(str(values.get("time_zone") or "")),
    }


def _pin_context(names: tuple[str, ...], errors: dict[str, list[str]]) -> list[dict[str, Any]]:
    return [
        {"name": name, "id": f"id_{name}", "errors": errors.get(name, []), **forms.PIN_FIELDS[name]}
        for name in names
    ]


_NEW_PINS = ("pin", "pin_again", "duress_pin", "duress_pin_again")


@sensitive_post_parameters(*PIN_FIELDS, "totp_code")
@never_cache
@require_http_methods(["GET", "POST"])
def start_account(request: HttpRequest) -> HttpResponse:
    """After the code: open the account, or choose a new PIN for the one that exists."""
    step = recall_step(request, VERIFIED_KEY)
    verification = public_accounts.verified(str(step["id"])) if step else None
    if verification is None:
        forget_step(request, VERIFIED_KEY)
        messages.info(request, _("Please start again."))
        return redirect("safetravel:start")
    existing = verification.traveller
    errors: dict[str, list[str]] = {}
    values = _profile_values(request)
    if request.method == "POST":
        data = {**values, **{name: request.POST.get(name, "") for name in _NEW_PINS}}
        data["totp_code"] = request.POST.get("totp_code", "")
        try:
            if existing is None:
                traveller = public_accounts.traveller_create(verification=verification, data=data)
            else:
                traveller = public_accounts.traveller_pins_reset(
                    verification=verification, data=data
                )
        except ApplicationError as exc:
            if exc.code == "start_over":
                forget_step(request, VERIFIED_KEY)
                messages.info(request, str(exc.message))
                return redirect("safetravel:start")
            errors = _field_errors(exc)
        else:
            forget_step(request, VERIFIED_KEY)
            return _complete_sign_in(
                request,
                traveller,
                services.NORMAL,
                _("Your account is ready.") if existing is None else _("Your new PIN is set."),
            )
    context = {
        "new_account": existing is None,
        "needs_totp": existing is not None and existing.has_totp,
        "pin_fields": _pin_context(_NEW_PINS, errors),
        "totp_errors": errors.get("totp_code", []),
        "general_errors": errors.get("__all__", []),
        **_profile_context(values, errors),
    }
    return _render(request, "account_new.html", context, status=400 if errors else 200)


# --- signing in and out ----------------------------------------------------------------------


def _complete_sign_in(
    request: HttpRequest, traveller: Traveller, kind: str, message: str = ""
) -> HttpResponse:
    session_sign_in(request, traveller)
    _remember_pin(request, kind)
    public_accounts.signed_in(traveller=traveller, pin_kind=kind, ip=_ip(request))
    if message:
        messages.success(request, message)
    return redirect("safetravel:home")


def _address_and_pin(request: HttpRequest, template: str) -> tuple[Any, HttpResponse | None]:
    """Sign-in by address and PIN, shared by the sign-in and signed-out check-in pages.

    Returns (the sign-in result, None), or (None, the page to answer with): the form again,
    a generic refusal, or the rate-limit page. Every refusal looks the same for a known and
    an unknown address.
    """
    form = forms.SignInForm(request.POST or None)
    context: dict[str, Any] = {"form": form, "lockout_minutes": _lockout_minutes()}
    if request.method != "POST":
        return None, _render(request, template, context)
    if not form.is_valid():
        return None, _render(request, template, context, status=400)
    try:
        address = public_accounts.parse_address(form.cleaned_data["address"])
    except Refused as exc:
        form.add_error("address", exc.message)
        return None, _render(request, template, context, status=400)
    if not public_limits.allow_all(
        (public_limits.SIGN_IN_PER_IP, _ip(request)),
        (public_limits.SIGN_IN_PER_IDENTIFIER, public_limits.identifier_key(address.value)),
    ):
        return None, _too_many(request, template, context)
    try:
        return public_accounts.sign_in(address=address, pin=form.cleaned_data["pin"]), None
    except ApplicationError as exc:
        context["error"] = str(exc.message)
        return None, _render(request, template, context, status=400)


@sensitive_post_parameters("address", "pin")
@never_cache
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    if current_traveller(request) is not None:
        return redirect("safetravel:home")
    result, refusal = _address_and_pin(request, "sign_in.html")
    if refusal is not None:
        return refusal
    assert result is not None  # noqa: S101 - no refusal means a result
    if result.traveller.has_totp:
        remember_step(
            request, PENDING_TOTP_KEY, id=str(result.traveller.public_id), kind=result.pin_kind
        )
        return redirect("safetravel:sign_in_totp")
    return _complete_sign_in(request, result.traveller, result.pin_kind)


def _lockout_minutes() -> int:
    return int(settings.PALERMO_TRAVEL_PIN_LOCKOUT_MINUTES)


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def sign_in_totp(request: HttpRequest) -> HttpResponse:
    pending = recall_step(request, PENDING_TOTP_KEY)
    traveller = (
        Traveller.objects.filter(public_id=pending["id"]).first() if pending is not None else None
    )
    if traveller is None or pending is None:
        return redirect("safetravel:sign_in")
    form = forms.TotpForm(request.POST or None)
    context = {"form": form}
    if request.method != "POST":
        return _render(request, "sign_in_totp.html", context)
    if not form.is_valid():
        return _render(request, "sign_in_totp.html", context, status=400)
    if not public_limits.allow(public_limits.SIGN_IN_PER_IP, _ip(request)):
        return _too_many(request, "sign_in_totp.html", context)
    if not public_accounts.totp_verify(traveller=traveller, code=form.cleaned_data["code"]):
        form.add_error("code", str(public_accounts.TOTP_REFUSED))
        return _render(request, "sign_in_totp.html", context, status=400)
    forget_step(request, PENDING_TOTP_KEY)
    return _complete_sign_in(request, traveller, str(pending.get("kind") or services.NORMAL))


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    session_sign_out(request)
    request.session.pop(RECENT_PIN_KEY, None)
    messages.info(request, _("You are signed out."))
    return redirect("safetravel:public_home")


# --- the traveller's home: trips and the check-in button -------------------------------------


def _trip_row(trip: Trip, traveller: Traveller) -> dict[str, Any]:
    return {
        "trip": trip,
        "where": ", ".join(
            p
            for p in (trip.destination_city or "", forms.country_label(trip.destination_country))
            if p
        ),
        "next_due": _local(trip.next_due_at, traveller) if trip.status == TripStatus.ARMED else "",
        "overdue": trip.status == TripStatus.ARMED and trip.episode_due_at is not None,
    }


@never_cache
@traveller_required
def home(request: HttpRequest, traveller: Traveller) -> HttpResponse:
    _traveller_page(request, traveller)
    trips = list(selectors.traveller_trips(traveller=traveller))
    rows = [_trip_row(trip, traveller) for trip in trips]
    armed = [row for row in rows if row["trip"].status == TripStatus.ARMED]
    context = {
        "rows": rows,
        "armed": armed,
        **_checkin_form_context(request, traveller, {}, {}),
    }
    return _render(request, "home.html", context)


# --- check-in --------------------------------------------------------------------------------


def _checkin_form_context(
    request: HttpRequest, traveller: Traveller, values: dict[str, Any], errors: dict[str, list[str]]
) -> dict[str, Any]:
    return {
        "pin_needed": _recent_pin(request) is None,
        "welfare": forms.welfare_questions() if traveller.welfare_consent else [],
        "next_due_choices": forms.hour_choices(
            forms.NEXT_DUE_CHOICES_HOURS, settings.PALERMO_TRAVEL_MAX_EXTEND_HOURS
        ),
        "values": values,
        "errors": errors,
    }


def _next_due_in(value: Any) -> datetime.timedelta | None:
    """The optional 'next check-in in N hours'; Refused for anything not offered."""
    if value in (None, ""):
        return None
    allowed = {str(h) for h in forms.NEXT_DUE_CHOICES_HOURS}
    if not isinstance(value, str) or value not in allowed:
        raise Refused(_("Choose one of the listed options."))
    hours = int(value)
    if hours > settings.PALERMO_TRAVEL_MAX_EXTEND_HOURS:
        raise Refused(_("Choose one of the listed options."))
    return datetime.timedelta(hours=hours)


def _welfare_answers(request: HttpRequest) -> tuple[dict[str, str], dict[str, list[str]]]:
    answers: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for key in rules.WELFARE_KEYS:
        value = request.POST.get(f"welfare_{key}", "")
        if value == "":
            continue
        if value not in rules.WELFARE_ANSWERS:
            errors[f"welfare_{key}"] = [_("Choose one of the listed options.")]
        else:
            answers[key] = value
    return answers, errors


def _check_in_everywhere(
    *,
    traveller: Traveller,
    kind: str,
    ip: str,
    channel: str,
    welfare: dict[str, str] | None = None,
    next_due_in: datetime.timedelta | None = None,
) -> tuple[list[services.CheckInResult], bool]:
    """Check in on every active trip; also whether one of them was overdue."""
    results = []
    overdue = False
    for trip in Trip.objects.filter(traveller=traveller, status=TripStatus.ARMED).order_by("id"):
        overdue = overdue or trip.episode_due_at is not None
        results.append(
            services.checkin_record(
                trip=trip,
                channel=channel,
                pin_kind=kind,
                ip=ip or None,
                welfare_answers=welfare or None,
                next_due_in=next_due_in,
            )
        )
    return results, overdue


def _checked_in_page(
    request: HttpRequest,
    traveller: Traveller,
    checked: tuple[list[services.CheckInResult], bool],
) -> HttpResponse:
    results, overdue = checked
    context = {
        "checked_at": _local(results[0].at, traveller) if results else "",
        "next_dues": [
            {
                "where": _trip_row(result.trip, traveller)["where"],
                "next_due": _local(result.next_due_at, traveller),
            }
            for result in results
        ],
        "no_trip": not results,
        # Said after a duress check-in too (where no all clear goes out): the page must not
        # tell the two apart.
        "all_clear": overdue,
    }
    return _render(request, "checked_in.html", context)


@sensitive_post_parameters("pin", "address")
@never_cache
@require_http_methods(["GET", "POST"])
def check_in(request: HttpRequest) -> HttpResponse:
    """One tap after the PIN. Signed in: the PIN (unless just typed) and the optional welfare
    questions. Signed out: phone number or email and PIN, like signing in."""
    traveller = current_traveller(request)
    if traveller is None:
        return _check_in_signed_out(request)
    if request.method != "POST":
        return redirect("safetravel:home")
    _traveller_page(request, traveller)
    values = {"next_due_in": request.POST.get("next_due_in", "")}
    welfare, errors = _welfare_answers(request)
    if not traveller.welfare_consent:
        welfare, errors = {}, {}
    next_due_in: datetime.timedelta | None = None
    try:
        next_due_in = _next_due_in(values["next_due_in"])
    except Refused as exc:
        errors["next_due_in"] = [exc.message]
    kind = _recent_pin(request)
    pin = request.POST.get("pin", "")
    if not errors:
        if pin:
            kind = _pin_kind(request, traveller, pin)
            if kind is None:
                errors["pin"] = [str(public_accounts.SIGN_IN_REFUSED)]
        elif kind is None:
            errors["pin"] = [_("Type your PIN.")]
    if errors or kind is None:
        rows = [_trip_row(t, traveller) for t in selectors.traveller_trips(traveller=traveller)]
        context = {
            "rows": rows,
            "armed": [r for r in rows if r["trip"].status == TripStatus.ARMED],
            **_checkin_form_context(request, traveller, values, errors),
        }
        return _render(request, "home.html", context, status=400)
    try:
        checked = _check_in_everywhere(
            traveller=traveller,
            kind=kind,
            ip=_ip(request),
            channel=CheckInChannel.WEB,
            welfare=welfare,
            next_due_in=next_due_in,
        )
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
        return redirect("safetravel:home")
    return _checked_in_page(request, traveller, checked)


def _check_in_signed_out(request: HttpRequest) -> HttpResponse:
    result, refusal = _address_and_pin(request, "check_in.html")
    if refusal is not None:
        return refusal
    assert result is not None  # noqa: S101 - no refusal means a result
    checked = _check_in_everywhere(
        traveller=result.traveller, kind=result.pin_kind, ip=_ip(request), channel="web"
    )
    return _checked_in_page(request, result.traveller, checked)


# --- trips -----------------------------------------------------------------------------------


def _trip_values(request: HttpRequest, trip: Trip | None) -> dict[str, Any]:
    if request.method == "POST":
        values: dict[str, Any] = {name: request.POST.get(name, "") for name in TRIP_FIELDS}
        values["is_test"] = request.POST.get("is_test", "") == "on"
        return values
    if trip is None:
        return {"schedule_kind": ScheduleKind.INTERVAL, "interval_hours": "12", "is_test": False}
    values = {name: getattr(trip, name) for name in TRIP_FIELDS}
    values["fixed_times"] = ", ".join(trip.fixed_times or [])
    for name in ("start_date", "end_date"):
        values[name] = values[name].isoformat() if values[name] else ""
    return {k: ("" if v is None else v) for k, v in values.items()}


def _trip_form_context(
    values: dict[str, Any], errors: dict[str, list[str]], trip: Trip | None
) -> dict[str, Any]:
    return {
        "values": values,
        "errors": errors,
        "labels": forms.TRIP_LABELS,
        "hints": forms.TRIP_HINTS,
        "countries": forms.country_choices(),
        "grace_choices": forms.grace_choices(),
        "travel_modes": forms.travel_mode_suggestions(),
        "trip": trip,
        "error_message": _("Some fields need attention.") if errors else "",
    }


@sensitive_post_parameters(*TRIP_FIELDS)
@never_cache
@require_http_methods(["GET", "POST"])
@traveller_required
def trip_create(request: HttpRequest, traveller: Traveller) -> HttpResponse:
    _traveller_page(request, traveller)
    values = _trip_values(request, None)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            trip = services.trip_create(traveller=traveller, data=values)
        except ApplicationError as exc:
            errors = _field_errors(exc)
        else:
            _traveller_page(request, traveller, now=True)
            messages.success(request, _("Trip saved. Now add the people you trust."))
            return redirect("safetravel:trip_detail", public_id=trip.public_id)
    context = _trip_form_context(values, errors, None)
    return _render(request, "trip_form.html", context, status=400 if errors else 200)


@sensitive_post_parameters(*TRIP_FIELDS)
@never_cache
@require_http_methods(["GET", "POST"])
@traveller_required
def trip_edit(request: HttpRequest, traveller: Traveller, public_id: str) -> HttpResponse:
    trip = _own_trip(traveller, public_id)
    if trip.status == TripStatus.ENDED:
        raise Http404
    _traveller_page(request, traveller)
    values = _trip_values(request, trip)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            services.trip_update(traveller=traveller, trip=trip, data=values)
        except ApplicationError as exc:
            if exc.status == 404:
                raise Http404 from exc
            errors = _field_errors(exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("safetravel:trip_detail", public_id=trip.public_id)
    context = _trip_form_context(values, errors, trip)
    return _render(request, "trip_form.html", context, status=400 if errors else 200)


def _ladder_words(ladder: rules.Ladder) -> list[dict[str, str]]:
    """The escalation ladder in plain words, each step with when it happens."""
    what = {
        rules.REMINDER: _("We send you a reminder."),
        rules.SECOND_REMINDER: _("We send you a second reminder."),
        rules.CONTACTS_ALERT: _(
            "Your confirmed contacts are alerted, with your name, your trip and the last place "
            "you connected from."
        ),
        rules.URGENT_ALERT: _(
            "An urgent alert goes to your contacts and to the anti-trafficking hotline, which "
            "can act and involve the police."
        ),
    }
    steps = []
    for kind, offset in ladder.offsets():
        when = (
            _("When a check-in is due and we have not heard from you")
            if offset == datetime.timedelta(0)
            else _("%(time)s after the due time") % {"time": forms.duration_words(offset)}
        )
        steps.append({"when": when, "what": str(what[kind])})
    return steps


def _contact_ladder_words(ladder: rules.Ladder) -> list[dict[str, str]]:
    """The steps that reach a trusted contact, told to the contact."""
    offsets = dict(ladder.offsets())
    return [
        {
            "when": _("%(time)s after a missed check-in")
            % {"time": forms.duration_words(offsets[rules.CONTACTS_ALERT])},
            "what": _("you receive a message, so that you can try to reach them."),
        },
        {
            "when": _("%(time)s after a missed check-in")
            % {"time": forms.duration_words(offsets[rules.URGENT_ALERT])},
            "what": _(
                "if they have still not checked in, you receive an urgent message, and the "
                "anti-trafficking hotline is alerted too."
            ),
        },
    ]


def _visible_history(traveller: Traveller, trip: Trip) -> list[Any]:
    # The selector leaves out the silent alert and the all clear (an all clear follows a normal
    # check-in and not a duress one): nothing on the page tells which PIN was used.
    return selectors.traveller_history(traveller=traveller, trip=trip)


def _trip_detail_context(
    request: HttpRequest,
    traveller: Traveller,
    trip: Trip,
    contact_values: dict[str, Any],
    contact_errors: dict[str, list[str]],
) -> dict[str, Any]:
    contacts = list(trip.contacts.all())
    history = _visible_history(traveller, trip)[-20:]
    return {
        "row": _trip_row(trip, traveller),
        "trip": trip,
        "contacts": contacts,
        "confirmed_count": sum(1 for c in contacts if c.is_confirmed),
        "ladder": _ladder_words(scheduler.trip_ladder(trip)),
        "history": [
            {"at": _local(event.at, traveller), "label": event.get_kind_display()}
            for event in reversed(history)
        ],
        "schedule": _schedule_words(trip),
        "country": forms.country_label(trip.destination_country),
        "contact_labels": forms.CONTACT_LABELS,
        "contact_hints": forms.CONTACT_HINTS,
        "contact_values": contact_values
        or {"language": translation.get_language() or settings.LANGUAGE_CODE},
        "contact_errors": contact_errors,
        "languages": forms.language_choices(),
        "last_checkin": _local(trip.last_checkin_at, traveller),
        "can_add_contact": trip.status != TripStatus.ENDED and len(contacts) < 10,
    }


@never_cache
@traveller_required
def trip_detail(request: HttpRequest, traveller: Traveller, public_id: str) -> HttpResponse:
    trip = _own_trip(traveller, public_id)
    _traveller_page(request, traveller)
    context = _trip_detail_context(request, traveller, trip, {}, {})
    return _render(request, "trip_detail.html", context)


def _schedule_words(trip: Trip) -> str:
    if trip.schedule_kind == ScheduleKind.FIXED_TIMES:
        return _("Every day at %(times)s (%(zone)s)") % {
            "times": ", ".join(trip.fixed_times or []),
            "zone": trip.traveller.time_zone,
        }
    hours = trip.interval_hours or 0
    return _("Every %(time)s") % {"time": forms.duration_words(datetime.timedelta(hours=hours))}


def _confirm_url(request: HttpRequest) -> Any:
    def url_for(token: str) -> str:
        return request.build_absolute_uri(reverse("safetravel:confirm", args=[token]))

    return url_for


@sensitive_post_parameters("name", "phone", "email")
@never_cache
@require_POST
@traveller_required
def contact_add(request: HttpRequest, traveller: Traveller, public_id: str) -> HttpResponse:
    trip = _own_trip(traveller, public_id)
    values = {name: request.POST.get(name, "") for name in ("name", "phone", "email", "language")}
    try:
        contact = services.contact_add(traveller=traveller, trip=trip, data=values)
        services.contact_invite(
            traveller=traveller, contact=contact, confirm_url_for=_confirm_url(request)
        )
    except ApplicationError as exc:
        if exc.status == 404:
            raise Http404 from exc
        context = _trip_detail_context(request, traveller, trip, values, _field_errors(exc))
        return _render(request, "trip_detail.html", context, status=400)
    messages.success(
        request,
        _("We asked %(name)s to confirm. Check-ins can start once someone confirms.")
        % {"name": contact.name},
    )
    return redirect("safetravel:trip_detail", public_id=trip.public_id)


@never_cache
@require_POST
@traveller_required
def contact_invite(
    request: HttpRequest, traveller: Traveller, public_id: str, contact_id: str
) -> HttpResponse:
    trip = _own_trip(traveller, public_id)
    contact = _own_contact(traveller, trip, contact_id)
    if trip.status == TripStatus.ENDED:
        raise Http404
    services.contact_invite(
        traveller=traveller, contact=contact, confirm_url_for=_confirm_url(request)
    )
    messages.success(
        request, _("We sent the invitation again to %(name)s.") % {"name": contact.name}
    )
    return redirect("safetravel:trip_detail", public_id=trip.public_id)


@never_cache
@require_POST
@traveller_required
def contact_remove(
    request: HttpRequest, traveller: Traveller, public_id: str, contact_id: str
) -> HttpResponse:
    trip = _own_trip(traveller, public_id)
    contact = _own_contact(traveller, trip, contact_id)
    try:
        services.contact_remove(traveller=traveller, contact=contact)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Contact removed."))
    return redirect("safetravel:trip_detail", public_id=trip.public_id)


@never_cache
@require_POST
@traveller_required
def trip_arm(request: HttpRequest, traveller: Traveller, public_id: str) -> HttpResponse:
    trip = _own_trip(traveller, public_id)
    try:
        trip = services.trip_arm(traveller=traveller, trip=trip)
    except ApplicationError as exc:
        if exc.status == 404:
            raise Http404 from exc
        messages.error(request, str(exc.message))
    else:
        _traveller_page(request, traveller, now=True)
        messages.success(
            request,
            _("Check-ins have started. Your next check-in is due by %(time)s.")
            % {"time": _local(trip.next_due_at, traveller)},
        )
    return redirect("safetravel:trip_detail", public_id=trip.public_id)


TRIP_ACTIONS = ("pause", "resume", "end", "extend")
_ACTION_ALLOWED = {
    "pause": (TripStatus.ARMED,),
    "resume": (TripStatus.PAUSED,),
    "end": (TripStatus.DRAFT, TripStatus.ARMED, TripStatus.PAUSED),
    "extend": (TripStatus.ARMED,),
}


@sensitive_post_parameters("pin")
@never_cache
@require_http_methods(["GET", "POST"])
@traveller_required
def trip_action(
    request: HttpRequest, traveller: Traveller, public_id: str, action: str
) -> HttpResponse:
    """Pause, resume, end or extend: each with the PIN (a duress PIN does the same, silently
    alerting)."""
    trip = _own_trip(traveller, public_id)
    if action not in TRIP_ACTIONS or trip.status not in _ACTION_ALLOWED[action]:
        raise Http404
    errors: dict[str, list[str]] = {}
    values = {"hours": request.POST.get("hours", "")}
    extend_choices = forms.hour_choices(
        forms.EXTEND_CHOICES_HOURS, settings.PALERMO_TRAVEL_MAX_EXTEND_HOURS
    )
    if request.method == "POST":
        by: datetime.timedelta | None = None
        if action == "extend":
            if values["hours"] not in {value for value, _label in extend_choices}:
                errors["hours"] = [_("Choose one of the listed options.")]
            else:
                by = datetime.timedelta(hours=int(values["hours"]))
        if not errors:
            kind = _pin_kind(request, traveller, request.POST.get("pin", ""))
            if kind is None:
                errors["pin"] = [str(public_accounts.SIGN_IN_REFUSED)]
            else:
                try:
                    _do_trip_action(traveller, trip, action, kind, by)
                except ApplicationError as exc:
                    errors = _field_errors(exc)
                else:
                    messages.success(request, _action_done(action, traveller, trip))
                    return redirect("safetravel:trip_detail", public_id=trip.public_id)
    context = {
        "trip": trip,
        "row": _trip_row(trip, traveller),
        "action": action,
        "errors": errors,
        "values": values,
        "extend_choices": extend_choices,
    }
    return _render(request, "trip_action.html", context, status=400 if errors else 200)


def _do_trip_action(
    traveller: Traveller, trip: Trip, action: str, kind: str, by: datetime.timedelta | None
) -> None:
    if action == "pause":
        services.trip_pause(traveller=traveller, trip=trip, pin_kind=kind)
    elif action == "resume":
        services.trip_resume(traveller=traveller, trip=trip, pin_kind=kind)
    elif action == "end":
        services.trip_end(traveller=traveller, trip=trip, pin_kind=kind)
    elif by is not None:
        services.trip_extend(traveller=traveller, trip=trip, by=by, pin_kind=kind)


def _action_done(action: str, traveller: Traveller, trip: Trip) -> str:
    trip.refresh_from_db()
    if action == "pause":
        return _("Check-ins are paused. No reminders or alerts until you resume.")
    if action == "resume":
        return _("Check-ins have resumed. Your next check-in is due by %(time)s.") % {
            "time": _local(trip.next_due_at, traveller)
        }
    if action == "end":
        return _("Your trip has ended. Welcome back!")
    return _("Done. Your next check-in is due by %(time)s.") % {
        "time": _local(trip.next_due_at, traveller)
    }


# --- a contact confirms ----------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """What a trusted contact agrees to, in their language; accept or decline (POST only:
    link previewers that open the page must not accept for them)."""
    if not public_limits.allow(public_limits.CONFIRM_PER_IP, _ip(request)):
        return _render(request, "confirm_done.html", {"limited": True}, status=RATE_LIMITED)
    contact = services.contact_by_token(token)
    if contact is None:
        raise Http404
    language = travel_messages.supported_language(contact.language)
    if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
        translation.activate(language)
        request.LANGUAGE_CODE = language
    answer = ""
    if request.method == "POST":
        choice = request.POST.get("answer", "")
        if choice not in ("accept", "decline"):
            return _render(
                request,
                "confirm.html",
                _confirm_context(contact, _("Choose one of the buttons.")),
                status=400,
            )
        if choice == "accept":
            contact = services.contact_confirm(token=token)
        else:
            contact = services.contact_decline(token=token)
        answer = choice
    context = _confirm_context(contact, "")
    context["answer"] = answer
    return _render(request, "confirm.html", context)


def _confirm_context(contact: TrustedContact, error: str) -> dict[str, Any]:
    trip = contact.trip
    traveller = trip.traveller
    return {
        "contact": contact,
        "name": travel_messages.traveller_name(traveller),
        "where": ", ".join(
            p
            for p in (trip.destination_city or "", forms.country_label(trip.destination_country))
            if p
        ),
        "start_date": trip.start_date,
        "end_date": trip.end_date,
        "is_test": trip.is_test,
        "ladder": _contact_ladder_words(scheduler.trip_ladder(trip)),
        "by_phone": bool(contact.phone),
        "by_email": bool(contact.email),
        "error": error,
        "hide_account_links": True,
    }


# --- the account -----------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
@traveller_required
def account(request: HttpRequest, traveller: Traveller) -> HttpResponse:
    _traveller_page(request, traveller)
    values = _profile_values(request, traveller)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            traveller = services.traveller_settings_update(traveller=traveller, data=values)
        except ApplicationError as exc:
            errors = _field_errors(exc)
        else:
            messages.success(request, _("Changes saved."))
            return _set_language(redirect("safetravel:account"), traveller.language)
    context = {
        **_profile_context(values, errors),
        "address": traveller.phone or traveller.email or "",
        "has_totp": traveller.has_totp,
    }
    return _render(request, "account.html", context, status=400 if errors else 200)


@sensitive_post_parameters(*PIN_FIELDS)
@never_cache
@require_http_methods(["GET", "POST"])
@traveller_required
def account_pin(request: HttpRequest, traveller: Traveller) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        data = {name: request.POST.get(name, "") for name in ("current_pin", *_NEW_PINS)}
        try:
            kind = public_accounts.traveller_pins_change(traveller=traveller, data=data)
        except ApplicationError as exc:
            errors = _field_errors(exc)
        else:
            _remember_pin(request, kind)
            messages.success(request, _("Your new PIN is set."))
            return redirect("safetravel:account")
    fields = [
        {
            "name": "current_pin",
            "id": "id_current_pin",
            "label": _("Your current PIN"),
            "hint": "",
            "autocomplete": "current-password",
            "errors": errors.get("current_pin", []),
        },
        *_pin_context(_NEW_PINS, errors),
    ]
    context = {"pin_fields": fields, "general_errors": errors.get("__all__", [])}
    return _render(request, "account_pin.html", context, status=400 if errors else 200)


@sensitive_post_parameters("code", "pin")
@never_cache
@require_http_methods(["GET", "POST"])
@traveller_required
def account_totp(request: HttpRequest, traveller: Traveller) -> HttpResponse:
    """Turn the authenticator-app step on (scan, then a code) or off (with the PIN)."""
    error = ""
    if request.method == "POST":
        if traveller.has_totp:
            if public_accounts.totp_disable(traveller=traveller, pin=request.POST.get("pin", "")):
                messages.success(request, _("The authenticator app is no longer needed."))
                return redirect("safetravel:account")
            error = str(public_accounts.SIGN_IN_REFUSED)
        else:
            traveller = public_accounts.totp_begin(traveller=traveller)
            if public_accounts.totp_confirm(traveller=traveller, code=request.POST.get("code", "")):
                messages.success(request, _("Your authenticator app is set up."))
                return redirect("safetravel:account")
            error = str(public_accounts.TOTP_REFUSED)
    context: dict[str, Any] = {"has_totp": traveller.has_totp, "error": error}
    if not traveller.has_totp:
        traveller = public_accounts.totp_begin(traveller=traveller)
        context["qr_code"] = _qr_data_uri(public_accounts.totp_config_url(traveller))
        context["secret"] = public_accounts.totp_secret_b32(traveller)
    return _render(request, "account_totp.html", context, status=400 if error else 200)


def _qr_data_uri(text: str) -> str:
    import base64
    import io

    import qrcode
    import qrcode.image.svg

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


@sensitive_post_parameters("pin")
@never_cache
@require_http_methods(["GET", "POST"])
@traveller_required
def account_export(request: HttpRequest, traveller: Traveller) -> HttpResponse:
    """Download everything kept about the traveller, as JSON, after the PIN."""
    error = ""
    if request.method == "POST":
        kind = _pin_kind(request, traveller, request.POST.get("pin", ""))
        if kind is None:
            error = str(public_accounts.SIGN_IN_REFUSED)
        else:
            data = services.traveller_export(traveller=traveller)
            if kind == services.DURESS:
                public_accounts.duress_signal(traveller=traveller)
            body = json.dumps(data, ensure_ascii=False, indent=2)
            response = HttpResponse(body, content_type="application/json; charset=utf-8")
            stamp = timezone.now().strftime("%Y%m%d")
            response["Content-Disposition"] = (
                f'attachment; filename="palermo-safe-travel-{stamp}.json"'
            )
            return response
    return _render(request, "account_export.html", {"error": error}, status=400 if error else 200)


@sensitive_post_parameters("pin")
@never_cache
@require_http_methods(["GET", "POST"])
@traveller_required
def account_delete(request: HttpRequest, traveller: Traveller) -> HttpResponse:
    """Delete the account and every trip, after a confirmation and the PIN."""
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        if request.POST.get("understood") != "on":
            errors["understood"] = [_("Tick the box to confirm that you understand.")]
        else:
            kind = _pin_kind(request, traveller, request.POST.get("pin", ""))
            if kind is None:
                errors["pin"] = [str(public_accounts.SIGN_IN_REFUSED)]
            else:
                public_accounts.account_delete(traveller=traveller, pin_kind=kind)
                session_sign_out(request)
                request.session.pop(RECENT_PIN_KEY, None)
                messages.success(request, _("Your account and all your trips are deleted."))
                return redirect("safetravel:public_home")
    running = Trip.objects.filter(
        traveller=traveller, status__in=[TripStatus.ARMED, TripStatus.PAUSED]
    ).exists()
    context = {"errors": errors, "running": running}
    return _render(request, "account_delete.html", context, status=400 if errors else 200)
