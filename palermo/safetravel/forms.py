"""Forms of the traveller's public pages: the account steps as Django forms, and the labels,
hints and choices of the trip and contact forms (their cleaning is validation.py's, through the
services, so the pages and the API refuse the same input with the same words).

Inputs are sized for a cheap phone: numeric keyboards for codes and PINs, autocomplete hints,
and a maximum length on everything.
"""

from __future__ import annotations

import datetime
import gettext as gettext_module
from functools import cache
from typing import Any

import pycountry
from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import get_language, get_language_info
from django.utils.translation import gettext_lazy as _

from . import rules
from .models import TravelMode
from .rules import WELFARE_KEYS
from .welfare import WELFARE_ANSWER_LABELS, WELFARE_QUESTIONS

ADDRESS_MAX = 254
PIN_MAX = 12

# Where travellers of the coalition's countries live and go to work: a short list keeps the
# page small on a slow connection. Any valid IANA name is accepted if posted.
TIME_ZONES = (
    "UTC Europe/London Europe/Dublin Europe/Lisbon Europe/Madrid Europe/Paris Europe/Brussels "
    "Europe/Amsterdam Europe/Berlin Europe/Rome Europe/Vienna Europe/Prague Europe/Warsaw "
    "Europe/Stockholm Europe/Budapest Europe/Bucharest Europe/Chisinau Europe/Kyiv Europe/Sofia "
    "Europe/Athens Europe/Vilnius Europe/Riga Europe/Helsinki Europe/Istanbul Europe/Minsk "
    "Europe/Moscow Asia/Tbilisi Asia/Yerevan Asia/Baku Asia/Almaty Asia/Tashkent Asia/Jerusalem "
    "Asia/Beirut Asia/Amman Asia/Riyadh Asia/Kuwait Asia/Qatar Asia/Dubai Africa/Cairo "
    "Africa/Lagos Africa/Nairobi Africa/Johannesburg Asia/Karachi Asia/Kolkata Asia/Kathmandu "
    "Asia/Dhaka Asia/Bangkok Asia/Kuala_Lumpur Asia/Singapore Asia/Manila Asia/Shanghai "
    "Asia/Seoul Asia/Tokyo Australia/Sydney America/New_York America/Chicago America/Denver "
    "America/Los_Angeles America/Mexico_City America/Bogota America/Lima America/Sao_Paulo "
    "America/Argentina/Buenos_Aires"
).split()

# Grace periods offered (minutes after the due time when contacts are alerted).
GRACE_CHOICES_MINUTES = (60, 90, 120, 180, 240, 360, 720, 1440)
NEXT_DUE_CHOICES_HOURS = (1, 2, 4, 6, 8, 12, 24, 48)
EXTEND_CHOICES_HOURS = (1, 2, 3, 4, 6, 8, 12, 24, 48)


def language_choices() -> list[tuple[str, Any]]:
    """Each language named in itself, so that anyone finds their own."""
    return [(code, get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES]


def _utc_offset(name: str) -> str:
    offset = timezone.now().astimezone(rules.zone(name)).utcoffset() or datetime.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "−"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def time_zone_choices(current: str = "") -> list[tuple[str, str]]:
    """'Europe/Kyiv' → 'Kyiv (UTC+02:00)', sorted by offset; the current zone is always in."""
    names = list(TIME_ZONES)
    if current and current not in names and rules.is_time_zone(current):
        names.append(current)

    def offset_minutes(name: str) -> int:
        offset = timezone.now().astimezone(rules.zone(name)).utcoffset()
        return int(offset.total_seconds() // 60) if offset else 0

    names.sort(key=lambda n: (offset_minutes(n), n))
    return [
        (name, f"{name.rsplit('/', 1)[-1].replace('_', ' ')} ({_utc_offset(name)})")
        for name in names
    ]


@cache
def _country_translation(language: str) -> gettext_module.NullTranslations:
    return gettext_module.translation(
        "iso3166-1", pycountry.LOCALES_DIR, languages=[language], fallback=True
    )


@cache
def _countries(language: str) -> tuple[tuple[str, str], ...]:
    translate = _country_translation(language).gettext
    names = [(c.alpha_2, translate(c.name)) for c in pycountry.countries]
    return tuple(sorted(names, key=lambda pair: pair[1].casefold()))


def country_choices() -> list[tuple[str, str]]:
    """Every country, named in the page's language (pycountry's translations)."""
    return [("", str(_("— choose —"))), *_countries((get_language() or "en").split("-")[0])]


def country_label(code: str | None) -> str:
    if not code:
        return ""
    return dict(_countries((get_language() or "en").split("-")[0])).get(code.upper(), code)


def travel_mode_suggestions() -> list[str]:
    return [str(label) for value, label in TravelMode.choices if value != TravelMode.OTHER]


def _numeric(autocomplete: str, maxlength: int) -> dict[str, str]:
    return {
        "inputmode": "numeric",
        "pattern": "[0-9]*",
        "autocomplete": autocomplete,
        "maxlength": str(maxlength),
    }


class PinInput(forms.PasswordInput):
    def __init__(self, autocomplete: str = "current-password") -> None:
        super().__init__(attrs=_numeric(autocomplete, PIN_MAX))


def address_field() -> forms.CharField:
    return forms.CharField(
        label=_("Phone number or email"),
        help_text=_("A phone number with its country code, like +380 67 123 4567, or an email."),
        max_length=ADDRESS_MAX,
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )


class StartForm(forms.Form):
    """Sign up, or choose a new PIN: where to send the code."""

    address = address_field()


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        help_text=_("The 6 digits in the message we sent."),
        max_length=12,
        widget=forms.TextInput(attrs=_numeric("one-time-code", 12)),
    )


class SignInForm(forms.Form):
    address = address_field()
    pin = forms.CharField(label=_("PIN"), max_length=PIN_MAX, widget=PinInput(), strip=False)


class TotpForm(forms.Form):
    code = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=12,
        widget=forms.TextInput(attrs=_numeric("one-time-code", 12)),
    )


# --- the account form: what the services clean (labels, hints, widgets only) -----------------

PIN_FIELDS: dict[str, dict[str, Any]] = {
    "pin": {
        "label": _("Your PIN"),
        "hint": _("6 to 12 digits that others cannot guess. Not your birthday, not 123456."),
        "autocomplete": "new-password",
    },
    "pin_again": {"label": _("Your PIN again"), "hint": "", "autocomplete": "new-password"},
    "duress_pin": {
        "label": _("Your duress PIN"),
        "hint": _(
            "A second PIN for when someone forces you to check in. It works exactly like your "
            "PIN and shows the same screens, but it quietly alerts your contacts and the "
            "hotline. Make it differ from your PIN in at least two digits."
        ),
        "autocomplete": "new-password",
    },
    "duress_pin_again": {
        "label": _("Your duress PIN again"),
        "hint": "",
        "autocomplete": "new-password",
    },
}

PROFILE_LABELS: dict[str, Any] = {
    "display_name": _("Your name"),
    "language": _("Language for our messages"),
    "time_zone": _("Your time zone"),
    "usual_activity_opt_in": _("Count my usual activity as a check-in"),
    "welfare_consent": _("Ask me three short welfare questions when I check in"),
}
PROFILE_HINTS: dict[str, Any] = {
    "display_name": _(
        "How your contacts know you. It is in the alerts they receive. A first name is enough."
    ),
    "time_zone": _("Check-in times are in this time zone. Choose where you will be."),
    "usual_activity_opt_in": _(
        "Signing in here, or any text message from your phone number, then counts as a check-in."
    ),
    "welfare_consent": _(
        "Do you hold your passport? Have you been paid as promised? Can you leave when you "
        "want? If an answer is worrying, the anti-trafficking hotline is told, so that it can "
        "help. You can skip any question."
    ),
}

# --- trips and contacts ----------------------------------------------------------------------

TRIP_LABELS: dict[str, Any] = {
    "destination_country": _("Country you are going to"),
    "destination_city": _("City or town"),
    "start_date": _("Departure date"),
    "end_date": _("Expected return date"),
    "employer": _("Employer"),
    "recruiter": _("Recruiter or agency"),
    "address_abroad": _("Address where you will live or work"),
    "travel_mode": _("How you travel"),
    "notes": _("Anything else your contacts should know"),
    "schedule_kind": _("When you check in"),
    "interval_hours": _("Every how many hours"),
    "fixed_times": _("Times of day"),
    "grace_minutes": _("Alert my contacts after"),
    "is_test": _("This is a test trip"),
}
TRIP_HINTS: dict[str, Any] = {
    "employer": _("The company or person you will work for, as they told you."),
    "recruiter": _("Who found you the job, if anyone: a person or an agency."),
    "travel_mode": _("Bus, car, plane… and with whom, if you like."),
    "interval_hours": _("From 1 to 72 hours."),
    "fixed_times": _("24-hour clock, separated by commas, like 08:00, 20:00."),
    "grace_minutes": _("How long after a missed check-in your contacts are alerted."),
    "is_test": _("Everything works, and every message says it is a test."),
    "notes": _("Your contacts receive this with an alert."),
}
CONTACT_LABELS: dict[str, Any] = {
    "name": _("Their name"),
    "phone": _("Their phone number"),
    "email": _("Their email"),
    "language": _("Their language"),
}
CONTACT_HINTS: dict[str, Any] = {
    "phone": _("With the country code, like +380 67 123 4567."),
    "email": _("A phone number, an email, or both."),
}


def grace_choices() -> list[tuple[str, str]]:
    from .validation import grace_bounds

    low, high = grace_bounds()
    return [("", str(_("The usual time")))] + [
        (str(minutes), duration_words(datetime.timedelta(minutes=minutes)))
        for minutes in GRACE_CHOICES_MINUTES
        if low <= minutes <= high
    ]


def duration_words(delta: datetime.timedelta) -> str:
    """'2 hours', '30 minutes', '1 hour 30 minutes', '1 day' in the active language."""
    from django.utils.translation import ngettext

    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = []
    if days:
        parts.append(ngettext("%(n)d day", "%(n)d days", days) % {"n": days})
    if hours:
        parts.append(ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours})
    if minutes or not parts:
        parts.append(ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes})
    return " ".join(parts)


def hour_choices(hours: tuple[int, ...], limit: int | None = None) -> list[tuple[str, str]]:
    return [
        (str(h), duration_words(datetime.timedelta(hours=h)))
        for h in hours
        if limit is None or h <= limit
    ]


def welfare_questions() -> list[dict[str, Any]]:
    return [
        {
            "name": f"welfare_{key}",
            "question": WELFARE_QUESTIONS[key],
            "answers": [(value, WELFARE_ANSWER_LABELS[value]) for value in ("yes", "no", "skip")],
        }
        for key in WELFARE_KEYS
    ]
