"""Check-in by text message: a pure parser of what travellers send, and the inbound handler.

The parser (`parse_sms` and the functions above the handler) is pure: no database, no settings,
no translation; it turns "OK", "ok 12h 123456", "EXTEND 2h", "Так",
"стоп 123456" into an `SmsCommand`, and never raises. Words are compared after transliteration
to ASCII (anyascii), so Cyrillic "ОК" and Latin "OK" are the same word, and accents do not
matter ("prelungește" = "prelungeste").

The grammar, in order:

    [PIN] VERB [DURATION] [PIN] [filler words]

- VERB: a check-in word (ok, yes, da, так, sí, oui …), extend (extend, prelungeste, продовжити …),
  stop (stop, end, gata, fin …), help (help, ?, ajutor, допомога …) or no (no, nu, ні, non …).
  A message that starts with a duration or a PIN is a check-in ("12h", "123456").
- DURATION: numbers with units ("12h", "1h30m", "45 min", "2 дні"); a bare number of up to three
  digits counts as hours, and a bare number right after hours counts as minutes ("1h30").
- PIN: any run of four or more digits (PINs have at least six; a shorter run is a wrong PIN,
  not a duration, so that it counts towards the lockout).

`handle_inbound_sms` (at the end of this module) is what the channels module calls for every text
that arrives: it answers travellers and trusted contacts, runs signing up and managing a trip by
SMS (sms_conversation.py, whose words are in sms_grammar.py), and returns None for anything that
is the hotline's.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from anyascii import anyascii
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from palermo.errors import ApplicationError

from . import messages as travel_messages
from . import pins, public_limits, services
from .models import CheckInChannel, Traveller, Trip, TripStatus, TrustedContact

MAX_BODY_CHARS = 480  # three SMS segments: anything longer is not a command
MAX_DURATION = timedelta(days=31)
MIN_PIN_TOKEN_DIGITS = 4
MAX_BARE_HOURS_DIGITS = 3


class Verb(StrEnum):
    CHECK_IN = "check_in"  # also "yes" when a trusted contact answers an invitation
    EXTEND = "extend"
    STOP = "stop"
    HELP = "help"
    NO = "no"  # a trusted contact declining; from a traveller, a sign that something is wrong
    UNKNOWN = "unknown"


class Problem(StrEnum):
    NONE = ""
    UNKNOWN_WORDS = "unknown_words"
    BAD_DURATION = "bad_duration"
    MISSING_DURATION = "missing_duration"
    UNEXPECTED_DURATION = "unexpected_duration"
    TWO_PINS = "two_pins"
    TOO_LONG = "too_long"


@dataclass(frozen=True)
class SmsCommand:
    verb: Verb
    duration: timedelta | None = None
    pin: str | None = None
    problem: Problem = Problem.NONE

    @property
    def understood(self) -> bool:
        return self.verb is not Verb.UNKNOWN and self.problem is Problem.NONE


# Words after transliteration to lower-case ASCII, apostrophes dropped. The languages are the
# deployment's UI languages (en, uk, ro, es, pt, fr) plus the obvious international ones.
_VERB_WORDS: dict[str, Verb] = {
    **dict.fromkeys(
        """ok okay okey okej oki k yes y checkin safe fine tak dobre garazd da bine si sim oui
        bien bem""".split(),
        Verb.CHECK_IN,
    ),
    **dict.fromkeys(
        """extend ext later more prodovzhiti prodovzhi prodovzhennia prelungeste prelungire
        prelungi extender extiende ampliar prolongar prorrogar prolonger prolonge plus prodlit
        prodli""".split(),
        Verb.EXTEND,
    ),
    **dict.fromkeys(
        """stop end finish finished done home kinets zavershiti zaversheno vdoma gata sfarsit
        terminat acasa fin fim parar terminar termine arret arreter casa""".split(),
        Verb.STOP,
    ),
    **dict.fromkeys("help info dopomoga dopomogti ajutor ayuda ajuda aide".split(), Verb.HELP),
    **dict.fromkeys("no not n ni ne nu non nao nein net".split(), Verb.NO),
}
# Two- and three-word verbs, tried before single words.
_VERB_PHRASES: dict[tuple[str, ...], Verb] = {
    ("check", "in"): Verb.CHECK_IN,
    ("i", "am", "ok"): Verb.CHECK_IN,
    ("im", "ok"): Verb.CHECK_IN,
    ("all", "good"): Verb.CHECK_IN,
    ("vse", "dobre"): Verb.CHECK_IN,
    ("sunt", "bine"): Verb.CHECK_IN,
    ("estoy", "bien"): Verb.CHECK_IN,
    ("estou", "bem"): Verb.CHECK_IN,
    ("ca", "va"): Verb.CHECK_IN,
    ("not", "ok"): Verb.NO,
    ("ne", "ok"): Verb.NO,
    ("no", "ok"): Verb.NO,
}
_FILLER_WORDS = frozenset(
    """please pls thanks thank you thx pin code dyakuiu diakuiu multumesc mersi gracias obrigado
    obrigada merci""".split()
)
_MINUTE_UNITS = frozenset(
    """m mn min mins minute minutes minuto minutos minut khv khvilin khvilini khvilina
    khvilinu""".split()
)
_HOUR_UNITS = frozenset(
    """h hr hrs hour hours ora ore hora horas heure heures g god godin godini godina godinu chas
    chasu chasiv""".split()
)
_DAY_UNITS = frozenset("d day days zi zile dia dias j jour jours den dni dniv".split())
_UNIT_SECONDS = {
    **dict.fromkeys(_MINUTE_UNITS, 60),
    **dict.fromkeys(_HOUR_UNITS, 3600),
    **dict.fromkeys(_DAY_UNITS, 86400),
}
_TOKEN = re.compile(r"[0-9]+(?:[.,][0-9]+)?|[a-z?]+")
_HELP_MARKS = frozenset(["?", "??", "???"])


def normalise_body(body: str) -> str:
    """Lower-case ASCII words and numbers, whatever script or width the message used."""
    text = unicodedata.normalize("NFKC", body)
    text = anyascii(text).lower().replace("'", "").replace("`", "")
    return text


def tokens_of(body: str) -> list[str]:
    """The words and numbers of a message ("OK,12h!" → ["ok", "12", "h"])."""
    return _TOKEN.findall(normalise_body(body))


def _is_number(token: str) -> bool:
    return token[0].isdigit()


def _is_pin(token: str) -> bool:
    return token.isdigit() and len(token) >= MIN_PIN_TOKEN_DIGITS


def _number_value(token: str) -> float:
    return float(token.replace(",", "."))


def _take_verb(tokens: list[str]) -> tuple[Verb | None, int]:
    """The verb at the start of `tokens`, and how many tokens it used."""
    for length in (3, 2):
        phrase = tuple(tokens[:length])
        if len(phrase) == length and phrase in _VERB_PHRASES:
            return _VERB_PHRASES[phrase], length
    if tokens and tokens[0] in _VERB_WORDS:
        return _VERB_WORDS[tokens[0]], 1
    if tokens and tokens[0] in _HELP_MARKS:
        return Verb.HELP, 1
    return None, 0


@dataclass
class _Rest:
    seconds: float = 0.0
    has_duration: bool = False
    bad_duration: bool = False
    pins: list[str] | None = None
    unknown: bool = False
    last_unit: int = 0  # seconds per unit of the last number read, to read "1h30" as 1 h 30 min


def _read_rest(tokens: list[str]) -> _Rest:
    """Durations, PINs and filler words after the verb."""
    rest = _Rest(pins=[])
    assert rest.pins is not None  # noqa: S101 - for the type checker
    index = 0
    while index < len(tokens):
        token = tokens[index]
        following = tokens[index + 1] if index + 1 < len(tokens) else ""
        if _is_pin(token):
            rest.pins.append(token)
            index += 1
        elif _is_number(token):
            value = _number_value(token)
            if following in _UNIT_SECONDS:
                unit = _UNIT_SECONDS[following]
                index += 2
            else:
                # A bare number: hours, or minutes right after an hour count ("1h30").
                if len(token.split(".")[0].split(",")[0]) > MAX_BARE_HOURS_DIGITS:
                    rest.bad_duration = True
                unit = 60 if rest.last_unit == 3600 else 3600
                index += 1
            rest.seconds += value * unit
            rest.has_duration = True
            rest.last_unit = unit
        elif token in _FILLER_WORDS:
            index += 1
        else:
            rest.unknown = True
            index += 1
    return rest


def parse_sms(body: str) -> SmsCommand:
    """What a text message asks for. Never raises: anything unclear is UNKNOWN or has a problem."""
    if not isinstance(body, str) or len(body) > MAX_BODY_CHARS:
        return SmsCommand(Verb.UNKNOWN, problem=Problem.TOO_LONG)
    tokens = tokens_of(body)
    if not tokens:
        return SmsCommand(Verb.UNKNOWN, problem=Problem.UNKNOWN_WORDS)
    leading_pins: list[str] = []
    # A PIN may come first ("123456 OK").
    if _is_pin(tokens[0]) and len(tokens) > 1 and _take_verb(tokens[1:])[0] is not None:
        leading_pins.append(tokens[0])
        tokens = tokens[1:]
    verb, used = _take_verb(tokens)
    if verb is None:
        if _is_number(tokens[0]):
            verb, used = Verb.CHECK_IN, 0  # "12h" or "123456" alone: a check-in
        else:
            return SmsCommand(Verb.UNKNOWN, problem=Problem.UNKNOWN_WORDS)
    rest = _read_rest(tokens[used:])
    pins = leading_pins + (rest.pins or [])
    pin = pins[0] if pins else None
    duration: timedelta | None = None
    problem = Problem.NONE
    if rest.has_duration:
        if rest.bad_duration or rest.seconds <= 0 or rest.seconds > MAX_DURATION.total_seconds():
            problem = Problem.BAD_DURATION
        else:
            duration = timedelta(seconds=round(rest.seconds))
    if rest.unknown:
        problem = Problem.UNKNOWN_WORDS
    elif len(pins) > 1:
        problem = Problem.TWO_PINS
    elif verb is Verb.EXTEND and not rest.has_duration:
        problem = Problem.MISSING_DURATION
    elif verb in (Verb.STOP, Verb.HELP, Verb.NO) and rest.has_duration:
        problem = Problem.UNEXPECTED_DURATION
        duration = None
    if problem is not Problem.NONE:
        duration = None
    return SmsCommand(verb, duration=duration, pin=pin, problem=problem)


# --- the inbound handler (Django from here on) -----------------------------------------------

SMS_REPLIES_PER_NUMBER = public_limits.Limit("sms-reply", 30, 3600)


def pin_required() -> bool:
    """Whether SMS commands need the PIN (the default; a deployment may relax it)."""
    return bool(getattr(settings, "PALERMO_TRAVEL_SMS_PIN_REQUIRED", True))


def handle_inbound_sms(*, from_number: str, body: str, channel: object = None) -> str | None:
    """Answer a text that arrived from `from_number` on `channel`: a traveller's check-in or
    account command, a step of signing up or setting up a trip by SMS, or a trusted contact's
    YES / NO / STOP. Returns the reply to send back on the same channel, or None when the
    message is not Safe Travel's (it is then the hotline's: intake files it).

    The channels module calls this for every inbound SMS; the routing is in
    `sms_conversation.route`. A reply never depends on which PIN was used: a duress PIN
    answers exactly like the normal one.
    """
    from .sms_conversation import route

    if not isinstance(from_number, str) or not from_number.strip():
        return None
    body = body if isinstance(body, str) else ""
    reply = route(from_number=from_number, body=body, channel=channel)
    return _limited(from_number, reply) if reply is not None else None


def answer_known_traveller(traveller: Traveller, from_number: str, body: str) -> str:
    """A signed-up traveller's check-in, EXTEND, STOP, NO or HELP (or anything else) — unless
    it is a bare YES from a number also invited as a trusted contact who has not answered."""
    command = parse_sms(body)
    contacts = contacts_for(from_number)
    if contacts and command.pin is None and command.verb in (Verb.CHECK_IN, Verb.NO):
        if any(c.confirmed_at is None and c.declined_at is None for c in contacts):
            return _answer_as_contact(from_number, command, contacts)
    return _answer_traveller(traveller, command)


def answer_contact(from_number: str, body: str, contacts: list[TrustedContact]) -> str:
    """A trusted contact's YES, NO or STOP; anything else gets the contacts' help."""
    return _answer_as_contact(from_number, parse_sms(body), contacts)


def _limited(from_number: str, reply: str) -> str | None:
    """The reply, unless this number has had many already (no reply loops with robots)."""
    key = public_limits.identifier_key(from_number)
    return reply if public_limits.allow(SMS_REPLIES_PER_NUMBER, key) else None


def contacts_for(from_number: str) -> list[TrustedContact]:
    """The trusted contacts invited at this number, on trips that have not ended."""
    digest = services.phone_index(from_number)
    if not digest:
        return []
    return list(
        TrustedContact.objects.select_related("trip", "trip__traveller")
        .filter(bidx_phone=digest, invited_at__isnull=False)
        .exclude(trip__status=TripStatus.ENDED)
        .order_by("created_at", "id")
    )


def _names(contacts: list[TrustedContact]) -> str:
    names: list[str] = []
    for contact in contacts:
        name = travel_messages.traveller_name(contact.trip.traveller)
        if name not in names:
            names.append(name)
    return ", ".join(names)


def _answer_as_contact(
    from_number: str, command: SmsCommand, contacts: list[TrustedContact]
) -> str:
    language = travel_messages.supported_language(contacts[-1].language)
    with translation.override(language):
        if command.verb is Verb.CHECK_IN and command.pin is None and command.understood:
            answered = services.contact_answer_by_sms(phone=from_number, accept=True)
            if not answered:
                return _("Thank you. Nothing is waiting for your answer.")
            return _(
                "Thank you. You are now a trusted contact for %(names)s. If they stop checking "
                "in, we will tell you. Reply STOP at any time to stop these messages."
            ) % {"names": _names(answered)}
        if command.verb in (Verb.NO, Verb.STOP) and command.understood:
            answered = services.contact_answer_by_sms(phone=from_number, accept=False)
            return _(
                "You will receive no more messages about %(names)s. Thank you for letting us know."
            ) % {"names": _names(answered or contacts)}
        return _contact_help()


def _contact_help() -> str:
    phone = travel_messages.hotline_phone()
    text = _(
        "Palermo Safe Travel sends this number alerts about someone who named you as a trusted "
        "contact. Reply YES to accept, or STOP to receive nothing more."
    )
    if phone:
        text += " " + _("If you are worried about someone, call the hotline on %(phone)s.") % {
            "phone": phone
        }
    return text


def _answer_traveller(traveller: Traveller, command: SmsCommand) -> str:
    now = timezone.now()
    with translation.override(travel_messages.supported_language(traveller.language)):
        if not command.understood or command.verb is Verb.HELP:
            # Any text from their own number is usual activity (if they opted in): a sign of
            # life, even when we do not understand it.
            if command.verb is not Verb.NO:
                services.activity_record(traveller=traveller, at=now)
            return _traveller_help(understood=command.verb is Verb.HELP)
        if command.verb is Verb.NO:
            return _not_ok_reply()
        kind = services.NORMAL
        if command.pin is not None or pin_required():
            if command.pin is None:
                services.activity_record(traveller=traveller, at=now)
                return _("Please add your PIN after the word, like this: OK and your PIN.")
            checked = pins.pin_check(traveller=traveller, pin=command.pin, at=now)
            if checked == pins.PinResult.DURESS:
                kind = services.DURESS
            elif checked != pins.PinResult.NORMAL:
                return wrong_pin_reply()
        return _run(traveller, command, kind, now)


def wrong_pin_reply() -> str:
    """The one answer to a wrong PIN and to a locked account (they must look alike)."""
    return _(
        "That PIN is not right, or there were too many tries. Wait %(minutes)d "
        "minutes and try again."
    ) % {"minutes": settings.PALERMO_TRAVEL_PIN_LOCKOUT_MINUTES}


def _run(traveller: Traveller, command: SmsCommand, kind: str, now: datetime) -> str:
    time_zone = traveller.time_zone
    if command.verb is Verb.STOP:
        trips = Trip.objects.filter(
            traveller=traveller, status__in=[TripStatus.ARMED, TripStatus.PAUSED]
        ).order_by("id")
        ended = [
            services.trip_end(traveller=traveller, trip=t, pin_kind=kind, at=now) for t in trips
        ]
        if not ended:
            return no_trip_reply()
        return _("Your trip has ended and no more check-ins are needed. Welcome back!")
    armed = list(Trip.objects.filter(traveller=traveller, status=TripStatus.ARMED).order_by("id"))
    if not armed:
        return no_trip_reply()
    try:
        if command.verb is Verb.EXTEND:
            assert command.duration is not None  # noqa: S101 - the parser requires one
            extended = [
                services.trip_extend(
                    traveller=traveller, trip=t, by=command.duration, pin_kind=kind, at=now
                )
                for t in armed
            ]
            due = min(t.next_due_at for t in extended if t.next_due_at is not None)
            return _("Done. Your next check-in is due by %(time)s.") % {
                "time": travel_messages.local_time(due, time_zone)
            }
        results = [
            services.checkin_record(
                trip=t,
                channel=CheckInChannel.SMS,
                pin_kind=kind,
                at=now,
                next_due_in=command.duration,
            )
            for t in armed
        ]
    except ApplicationError as exc:
        return _("Sorry, that did not work: %(reason)s") % {"reason": first_message(exc)}
    due = min(r.next_due_at for r in results if r.next_due_at is not None)
    return _("Thank you, you are checked in. Your next check-in is due by %(time)s.") % {
        "time": travel_messages.local_time(due, time_zone)
    }


def first_message(exc: Exception) -> str:
    """The first translated message of an ApplicationError, for a one-line SMS reply."""
    fields = getattr(exc, "fields", {}) or {}
    for messages_ in fields.values():
        if messages_:
            return str(messages_[0])
    return str(getattr(exc, "message", exc))


def no_trip_reply() -> str:
    return _(
        "You have no active trip right now. Send TRIP and your PIN to see your trip, or NEW to "
        "set one up."
    )


def _not_ok_reply() -> str:
    phone = travel_messages.hotline_phone()
    if phone:
        return _(
            "If you are in danger or need help, call the hotline on %(phone)s. When you can, "
            "send OK and your PIN to check in."
        ) % {"phone": phone}
    return _("If you are in danger or need help, call the anti-trafficking hotline.")


def _traveller_help(*, understood: bool) -> str:
    lines = [] if understood else [_("Sorry, we did not understand.")]
    lines.append(
        _(
            "Send OK and your PIN to check in (OK 12h and your PIN: next check-in in 12 hours), "
            "EXTEND 2h and your PIN to move your next check-in later, STOP and your PIN to end "
            "your trip."
        )
    )
    lines.append(
        _(
            "Also, each with your PIN: TRIP (your trip), CONTACT +number name, START, PAUSE, "
            "RESUME, EVERY 24H, LANG, DELETE. NEW sets up a new trip."
        )
    )
    phone = travel_messages.hotline_phone()
    if phone:
        lines.append(_("Hotline: %(phone)s") % {"phone": phone})
    return " ".join(lines)
