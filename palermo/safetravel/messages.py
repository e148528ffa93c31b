"""What each message says, in its recipient's language.

Texts are composed when a step is handled (and stored encrypted on the Notification), so a
retry sends exactly the same words. Every text is built under `translation.override` with the
recipient's language; test trips carry a test label in the subject and the first line.

A contact learns what the alert gives them and nothing more: the traveller's name, the trip's
summary, the last known access point (IP address, where it resolves to, when), what to do,
the hotline's number and the reference to quote.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from . import geo, rules
from .models import StepKind, Traveller, Trip


@dataclass(frozen=True)
class Text:
    subject: str
    body: str


def supported_language(code: str) -> str:
    codes = [c for c, _name in settings.LANGUAGES]
    code = (code or "").split("-")[0].lower()
    return code if code in codes else settings.LANGUAGE_CODE


def local_time(value: datetime.datetime | None, time_zone: str) -> str:
    """'2025-03-01 20:00 (Europe/Rome)' — an unambiguous time for any reader."""
    if value is None:
        return ""
    zone = rules.zone(time_zone)
    return f"{value.astimezone(zone):%Y-%m-%d %H:%M} ({zone.key})"


def hotline_phone() -> str:
    from .hotline import hotline_organisation

    phone: str = settings.PALERMO_TRAVEL_HOTLINE_PHONE
    if phone:
        return phone
    organisation = hotline_organisation()
    return organisation.phone if organisation is not None else ""


def _test_label(trip: Trip) -> str:
    return _("[TEST] ") if trip.is_test else ""


def _test_note(trip: Trip) -> str:
    return "\n" + _("This is a test alert. No action is needed.") if trip.is_test else ""


def traveller_name(traveller: Traveller) -> str:
    return traveller.display_name or _("The traveller")


def trip_summary(trip: Trip) -> str:
    """One line: where, when, for whom, through whom, how."""
    from .validation import country_name

    parts = []
    where = ", ".join(
        p for p in (trip.destination_city or "", country_name(trip.destination_country)) if p
    )
    if where:
        parts.append(where)
    if trip.start_date or trip.end_date:
        parts.append(
            _("%(start)s to %(end)s")
            % {"start": trip.start_date or "?", "end": trip.end_date or "?"}
        )
    if trip.employer:
        parts.append(_("employer: %(name)s") % {"name": trip.employer})
    if trip.recruiter:
        parts.append(_("recruiter or agency: %(name)s") % {"name": trip.recruiter})
    if trip.address_abroad:
        parts.append(_("address: %(address)s") % {"address": trip.address_abroad})
    if trip.travel_mode:
        parts.append(_("travelling by: %(mode)s") % {"mode": trip.travel_mode})
    return "; ".join(parts)


def access_point(trip: Trip, time_zone: str, language: str) -> str:
    if not trip.last_access_ip:
        return _("No internet connection recorded yet.")
    place = geo.resolve(trip.last_access_ip, language)
    where = place.label or _("place unknown")
    return _("Last connected from IP address %(ip)s (%(place)s) at %(time)s.") % {
        "ip": trip.last_access_ip,
        "place": where,
        "time": local_time(trip.last_access_at, time_zone),
    }


def _what_to_do(reference: str) -> str:
    phone = hotline_phone()
    if phone:
        return _(
            "Call the hotline on %(phone)s and quote the reference %(reference)s. This "
            "information can be given to the police."
        ) % {"phone": phone, "reference": reference}
    return _(
        "Contact the anti-trafficking hotline and quote the reference %(reference)s. This "
        "information can be given to the police."
    ) % {"reference": reference}


def compose_step(
    kind: str,
    *,
    trip: Trip,
    language: str,
    episode_due_at: datetime.datetime,
    at: datetime.datetime,
    fresh_until: datetime.datetime | None = None,
) -> Text:
    """The message of one step for one recipient language."""
    with translation.override(supported_language(language)):
        return _compose_step(kind, trip, episode_due_at, at, fresh_until)


def _compose_step(
    kind: str,
    trip: Trip,
    episode_due_at: datetime.datetime,
    at: datetime.datetime,
    fresh_until: datetime.datetime | None,
) -> Text:
    traveller = trip.traveller
    tz = traveller.time_zone
    name = traveller_name(traveller)
    test = _test_label(trip)
    due = local_time(episode_due_at, tz)
    reference = trip.reference
    if kind in (StepKind.REMINDER, StepKind.SECOND_REMINDER):
        subject = test + _("Please check in")
        body = _(
            "Palermo Safe Travel: your check-in was due at %(due)s. Reply OK and your PIN, "
            "or check in on the website. If we do not hear from you, your trusted contacts "
            "will be alerted."
        ) % {"due": due}
    elif kind == StepKind.OUTAGE_NOTICE:
        subject = test + _("Please check in")
        body = _(
            "Palermo Safe Travel: our service was interrupted for a while, and your check-in "
            "due at %(due)s is missing. Please check in before %(until)s (reply OK and your "
            "PIN). If we do not hear from you by then, your trusted contacts will be alerted."
        ) % {"due": due, "until": local_time(fresh_until, tz)}
    elif kind == StepKind.CONTACTS_ALERT:
        subject = test + _("%(name)s has not checked in") % {"name": name}
        body = "\n".join(
            [
                _(
                    "Palermo Safe Travel: %(name)s named you as a trusted contact and has not "
                    "checked in since the check-in due at %(due)s."
                )
                % {"name": name, "due": due},
                _("Trip: %(summary)s") % {"summary": trip_summary(trip)},
                access_point(trip, tz, translation.get_language() or "en"),
                _("Try to reach them. If you cannot, or if you are worried:"),
                _what_to_do(reference),
            ]
        )
    elif kind == StepKind.URGENT_ALERT:
        subject = test + _("URGENT: %(name)s has still not checked in") % {"name": name}
        body = "\n".join(
            [
                _(
                    "URGENT — Palermo Safe Travel: %(name)s has still not checked in since the "
                    "check-in due at %(due)s. The anti-trafficking hotline has been alerted."
                )
                % {"name": name, "due": due},
                _("Trip: %(summary)s") % {"summary": trip_summary(trip)},
                access_point(trip, tz, translation.get_language() or "en"),
                _what_to_do(reference),
            ]
        )
    elif kind == StepKind.DURESS_ALERT:
        subject = test + _("URGENT: silent alarm from %(name)s") % {"name": name}
        body = "\n".join(
            [
                _(
                    "URGENT — Palermo Safe Travel: %(name)s has raised a silent alarm at "
                    "%(time)s. They may not be free to speak: do not mention this alert to "
                    "them or to anyone who could be with them."
                )
                % {"name": name, "time": local_time(at, tz)},
                _("Trip: %(summary)s") % {"summary": trip_summary(trip)},
                access_point(trip, tz, translation.get_language() or "en"),
                _what_to_do(reference),
            ]
        )
    elif kind == StepKind.ALL_CLEAR:
        subject = test + _("All clear: %(name)s is in touch") % {"name": name}
        body = _(
            "Palermo Safe Travel: all clear. %(name)s was in touch again at %(time)s. There is "
            "no need to act on the earlier alert (reference %(reference)s)."
        ) % {"name": name, "time": local_time(at, tz), "reference": reference}
    else:
        raise ValueError(f"no message for step {kind!r}")
    return Text(subject=subject, body=test + body + _test_note(trip))


def compose_invitation(*, trip: Trip, language: str, confirm_url: str) -> Text:
    """The invitation asking a contact to confirm, by link or by answering YES."""
    with translation.override(supported_language(language)):
        name = traveller_name(trip.traveller)
        body = _(
            "Palermo Safe Travel: %(name)s asks you to be a trusted contact while they work "
            "abroad. If they stop checking in, you will be alerted with what we know. To "
            "accept, open %(url)s or reply YES to this message. Reply NO to decline."
        ) % {"name": name, "url": confirm_url}
        return Text(
            subject=_test_label(trip)
            + _("%(name)s asks you to be a trusted contact") % {"name": name},
            body=_test_label(trip) + body,
        )
