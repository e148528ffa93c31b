"""Safe Travel by text message alone: signing up, setting up a trip and managing it from a basic
phone, through any of the coalition's SMS channel numbers.

`route` is what `sms_commands.handle_inbound_sms` (called by the channels module for every
inbound SMS) runs. In order:

1. a conversation in progress (the sign-up or the set-up questions) takes the answer;
2. a signed-up traveller's account commands (TRIP, CONTACT, START, PAUSE, RESUME, EVERY, NEW,
   LANG, DELETE) are run here, and check-ins (OK, EXTEND, STOP, NO, HELP) by sms_commands;
3. JOIN (or LANG) from any other number starts a sign-up;
4. a trusted contact's YES / NO / STOP goes to sms_commands;
5. a Safe Travel command from a number that is not signed up gets one fixed reply, whatever
   exists or not about that number; anything else returns None and is the hotline's.

**The conversation** (JOIN): a code sent back to the number (echoed to prove the number), the
PIN, the duress PIN — the account is opened there — then the name the contacts know, the
destination ("Wroclaw, Poland"), dates, employer / agency, and the check-in interval ("EVERY
24H"), each with a default or SKIP, and HELP, CANCEL and LANG at every step. The answers are
kept (encrypted) in an `SmsConversation` that expires `SESSION_LIFETIME` after the last
message, and nothing is written to the trip until the traveller sends SAVE and their PIN.

**The PIN goes with every command that reads or changes the account** ("START 482915"): there is
no window after a PIN during which commands work without it. A window would let anyone who picks
up the phone a minute later act as the traveller (a phone is taken, borrowed, or looked at by
an employer); a PIN per command costs a few key presses. A wrong PIN counts towards the same
lockout as on the website (`pins.pin_check`); a locked account answers exactly like a wrong PIN.
The duress PIN does everything the PIN does, with the same reply, and raises the silent alert
exactly as on the website (`public_accounts.duress_signal`, or the services' own alert).

**The number is proved by the SMS itself.** A mobile network delivers a message from the SIM
that holds the number, so the sender's number is as good as the code the website sends to it —
with one limit: some gateways and SIM boxes let a sender forge the number a message claims to
come from. A forger never receives our replies (they go to the real number), so the sign-up
sends a code and goes on only once the code comes back; every later command needs the PIN,
which a forger does not know. Replies go only to the number that sent the message: nothing in
them says anything about another number (a contact added by CONTACT gets the same answer
whether or not that number is known to us).
"""

from __future__ import annotations

import datetime
import gettext as gettext_module
import hmac
import secrets
from enum import StrEnum
from functools import cache
from typing import Any

import phonenumbers
import pycountry
from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _

from palermo.audit.services import audit_record
from palermo.errors import ApplicationError
from palermo.vault.fields import blind_index

from . import forms, pins, public_accounts, public_limits, rules, selectors, services
from . import messages as travel_messages
from . import sms_commands as commands
from .models import (
    ContactStatus,
    ScheduleKind,
    SmsConversation,
    Traveller,
    Trip,
    TripStatus,
    TrustedContact,
)
from .sms_grammar import (
    AccountCommand,
    AccountVerb,
    CommandProblem,
    CountryNames,
    is_skip,
    normalised_name,
    parse_account_command,
    parse_dates,
    parse_destination,
    parse_employer,
    parse_interval_hours,
    parse_language,
    single_number,
)
from .validation import NAME_MAX, TRIP_TEXT_LIMITS, Refused, clean_text

SESSION_LIFETIME = datetime.timedelta(minutes=30)
DELETE_CONFIRM_WINDOW = datetime.timedelta(minutes=10)
CODE_DIGITS = 5  # shorter than any PIN (six digits or more), so the two are never confused
CODE_MAX_ATTEMPTS = 3
DEFAULT_INTERVAL_HOURS = 24
SIGN_UPS_PER_NUMBER = public_limits.Limit("sms-join", 5, 86400)
# A run this long inside a name, a city or an employer is most likely a PIN typed there.
PIN_LIKE_DIGITS = 6


class Step(StrEnum):
    NONE = ""
    CODE = "code"
    PIN = "pin"
    DURESS = "duress"
    NAME = "name"
    DESTINATION = "destination"
    CITY = "city"
    DATES = "dates"
    EMPLOYER = "employer"
    INTERVAL = "interval"
    SAVE = "save"


SIGN_UP_STEPS = frozenset({Step.CODE, Step.PIN, Step.DURESS})
# Verbs that take no words besides the PIN.
_BARE_VERBS = frozenset(
    {
        AccountVerb.TRIP,
        AccountVerb.START,
        AccountVerb.PAUSE,
        AccountVerb.RESUME,
        AccountVerb.NEW,
        AccountVerb.SAVE,
        AccountVerb.DELETE,
        AccountVerb.CANCEL,
    }
)
# How each command is written, in replies that explain it (the same in every language: the
# keywords are international; the translated words work too).
_EXAMPLES = {
    AccountVerb.TRIP: "TRIP",
    AccountVerb.CONTACT: "CONTACT +380501112233 Ivan",
    AccountVerb.START: "START",
    AccountVerb.PAUSE: "PAUSE",
    AccountVerb.RESUME: "RESUME",
    AccountVerb.EVERY: "EVERY 24H",
    AccountVerb.DELETE: "DELETE",
    AccountVerb.SAVE: "SAVE",
    AccountVerb.LANG: "LANG EN",
}
# The language usually spoken where a channel's number is, when its own language is not one
# of ours.
_COUNTRY_LANGUAGES = {
    "UA": "uk", "MD": "ro", "RO": "ro", "ES": "es", "MX": "es", "AR": "es", "CO": "es",
    "PE": "es", "PT": "pt", "BR": "pt", "AO": "pt", "MZ": "pt", "FR": "fr", "BE": "fr",
    "SN": "fr", "CI": "fr", "GB": "en", "IE": "en", "US": "en", "NG": "en", "KE": "en",
    "GH": "en",
}  # fmt: skip
# Names of countries people write that are not in pycountry's list.
_COUNTRY_ALIASES = {
    "uk": "GB", "britain": "GB", "great britain": "GB", "england": "GB", "scotland": "GB",
    "wales": "GB", "northern ireland": "GB", "usa": "US", "america": "US",
    "united states of america": "US", "holland": "NL", "russia": "RU", "czech republic": "CZ",
    "turkey": "TR", "anglia": "GB", "marea britanie": "GB", "olanda": "NL", "cehia": "CZ",
    "angliia": "GB", "velika britaniia": "GB", "inglaterra": "GB", "angleterre": "GB",
}  # fmt: skip


# --- languages -------------------------------------------------------------------------------


def available_languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def _available(code: str | None) -> str | None:
    code = (code or "").split("-")[0].lower()
    return code if code in available_languages() else None


def language_for_sender(body: str, channel: Any, hint: str | None = None) -> str:
    """The language to answer someone we do not know yet: what they asked for (a LANG, the
    language of the word they used), the language of their message, the channel's language,
    the language of the channel's country; else the site's. Nothing stored about the number
    is used (see `_not_signed_up`)."""
    from palermo.channels.languages import guess_language

    candidates = [hint, guess_language(body or "", available_languages())]
    if channel is not None:
        candidates.append(getattr(channel, "language", None))
        candidates.append(_COUNTRY_LANGUAGES.get(str(getattr(channel, "country", "")).upper()))
    for candidate in candidates:
        code = _available(candidate)
        if code:
            return code
    return travel_messages.supported_language(settings.LANGUAGE_CODE)


def _language_name(code: str) -> str:
    return str(get_language_info(code)["name_local"])


def _language_codes() -> str:
    return ", ".join(code.upper() for code in available_languages())


# --- the conversation row --------------------------------------------------------------------


def _conversation(digest: str, now: datetime.datetime) -> SmsConversation | None:
    """The number's conversation, locked; an expired one is deleted and None returned."""
    conversation = SmsConversation.objects.select_for_update().filter(bidx_phone=digest).first()
    if conversation is not None and conversation.expires_at <= now:
        conversation.delete()
        return None
    return conversation


def _keep(conversation: SmsConversation, now: datetime.datetime) -> SmsConversation:
    conversation.expires_at = now + SESSION_LIFETIME
    conversation.save()
    return conversation


def _conversation_with(digest: str, now: datetime.datetime, **fields: Any) -> SmsConversation:
    """The number's conversation (created if needed), with `fields` set, kept alive."""
    conversation = _conversation(digest, now)
    if conversation is None:
        try:
            with transaction.atomic():
                return SmsConversation.objects.create(
                    bidx_phone=digest, expires_at=now + SESSION_LIFETIME, **fields
                )
        except IntegrityError:  # another message of the same number created it meanwhile
            conversation = SmsConversation.objects.select_for_update().get(bidx_phone=digest)
    for name, value in fields.items():
        setattr(conversation, name, value)
    return _keep(conversation, now)


def expire_conversations(*, now: datetime.datetime | None = None) -> int:
    """Delete the conversations nobody answered in time (the worker, every few minutes)."""
    now = now or timezone.now()
    deleted, _detail = SmsConversation.objects.filter(expires_at__lte=now).delete()
    return deleted


# --- routing ---------------------------------------------------------------------------------


def route(*, from_number: str, body: str, channel: Any = None) -> str | None:
    """The reply to one inbound SMS, or None when it is not Safe Travel's (see the module)."""
    now = timezone.now()
    digest = services.phone_index(from_number)
    if not digest:
        return None
    traveller = selectors.traveller_by_phone(from_number)
    if traveller is not None and traveller.phone_verified_at is None:
        traveller = None
    account = parse_account_command(body)
    hint: str | None = None
    with transaction.atomic():
        conversation = _conversation(digest, now)
        owner = traveller.pk if traveller is not None else None
        if conversation is not None and conversation.traveller_id != owner:
            if conversation.traveller_id is not None or owner is not None:
                # Signed up on the website meanwhile, or the account was deleted.
                conversation.delete()
                conversation = None
        if conversation is not None and conversation.step:
            reply = _continue(conversation, traveller, from_number, body, account, now)
            if reply is not None:
                return reply
        elif conversation is not None and traveller is None:
            hint = conversation.language or None
    if traveller is not None:
        if account is not None and _is_account_command(account):
            return traveller_command(traveller, account, from_number=from_number, now=now)
        return commands.answer_known_traveller(traveller, from_number, body)
    if account is not None and account.verb in (AccountVerb.JOIN, AccountVerb.LANG):
        if _is_sign_up_word(account):
            return _before_sign_up(from_number, digest, body, account, channel, hint, now)
    contacts = commands.contacts_for(from_number)
    if contacts:
        return commands.answer_contact(from_number, body, contacts)
    if _looks_like_travel_command(body, account):
        return _not_signed_up(body, channel, hint)
    return None


def _is_account_command(account: AccountCommand) -> bool:
    """Whether a traveller's message starting with an account word is meant as that command:
    not "Continue tomorrow…" or "New job, all fine" (those go on as ordinary texts)."""
    if account.verb in _BARE_VERBS or account.verb is AccountVerb.JOIN:
        return not account.words or account.pin is not None
    return True


def _is_sign_up_word(account: AccountCommand) -> bool:
    """JOIN alone (or with a language), LANG with a language: from a number we do not know,
    anything longer is someone writing to the hotline."""
    if account.pin is not None:
        return False
    if not account.words:
        return True
    return parse_language(account.rest, available_languages()) is not None


def _command_shaped(account: AccountCommand | None) -> bool:
    return (
        account is not None
        and account.problem is CommandProblem.NONE
        and (account.pin is not None or (not account.words and not account.phone))
    )


def _looks_like_travel_command(body: str, account: AccountCommand | None) -> bool:
    """A Safe Travel command, from a number that is not signed up: an account word alone or
    with a PIN, a check-in with a PIN, an EXTEND. A bare OK, YES, STOP or HELP is left to the
    hotline (it may be an answer to a counsellor, or a cry for help)."""
    if _command_shaped(account):
        return True
    command = commands.parse_sms(body)
    if not command.understood:
        return False
    if command.verb is commands.Verb.EXTEND:
        return True
    return command.pin is not None and command.verb in (
        commands.Verb.CHECK_IN,
        commands.Verb.STOP,
    )


def _not_signed_up(body: str, channel: Any, hint: str | None) -> str:
    """The one reply to a Safe Travel command from a number without an account: the same
    whether the number has never been seen, began a sign-up on the website or by SMS, had an
    account that was deleted, or anything else."""
    with translation.override(language_for_sender(body, channel, hint)):
        return _with_hotline(
            _(
                "This phone number has no Palermo Safe Travel account. To sign up by text "
                "message, send JOIN."
            )
        )


def _with_hotline(text: str) -> str:
    phone = travel_messages.hotline_phone()
    if phone:
        return text + " " + _("Hotline: %(phone)s") % {"phone": phone}
    return text


# --- before the account: JOIN, LANG and the sign-up steps ------------------------------------


def _before_sign_up(
    from_number: str,
    digest: str,
    body: str,
    account: AccountCommand,
    channel: Any,
    hint: str | None,
    now: datetime.datetime,
) -> str:
    chosen = parse_language(account.rest, available_languages()) if account.words else None
    language = chosen or language_for_sender(body, channel, account.language or hint)
    if account.verb is AccountVerb.LANG:
        with transaction.atomic():
            _conversation_with(digest, now, language=language, step=Step.NONE, traveller=None)
        with translation.override(language):
            return (
                _("We will write to you in %(language)s.") % {"language": _language_name(language)}
                + " "
                + _("To sign up by text message, send JOIN.")
            )
    with transaction.atomic():
        return _start_sign_up(from_number, digest, language, now)


def _code_hash(salt: str, code: str) -> str:
    return blind_index("travel-sms-code", f"{salt}:{code}")


def _start_sign_up(from_number: str, digest: str, language: str, now: datetime.datetime) -> str:
    """A new code to this number; the sign-up waits for it to come back."""
    with translation.override(language):
        if not public_limits.allow(SIGN_UPS_PER_NUMBER, public_limits.identifier_key(from_number)):
            return _(
                "Too many sign-ups from this number today. Try again tomorrow, or sign up on "
                "the Palermo Safe Travel website."
            )
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        salt = secrets.token_hex(8)
        conversation = _conversation_with(
            digest,
            now,
            traveller=None,
            language=language,
            step=Step.CODE,
            code_hash=_code_hash(salt, code),
            code_attempts=0,
            delete_requested_at=None,
            state_text=None,
        )
        conversation.state = {"salt": salt}
        _keep(conversation, now)
        audit_record(
            actor=public_accounts.PUBLIC,
            action="traveller.sms_code_sent",
            object_type="sms_conversation",
            object_id=str(conversation.pk),
            details={"language": language},
        )
        return _(
            "Palermo Safe Travel: to sign up this phone number, reply with the code %(code)s. "
            "At any step: HELP for help, CANCEL to stop, LANG and a language (%(languages)s) "
            "to change the language."
        ) % {"code": code, "languages": _language_codes()}


def _continue(
    conversation: SmsConversation,
    traveller: Traveller | None,
    from_number: str,
    body: str,
    account: AccountCommand | None,
    now: datetime.datetime,
) -> str | None:
    """The answer to the question the conversation is at, or None when the message is a
    command to run as usual (the question then waits)."""
    language = traveller.language if traveller is not None else conversation.language
    with translation.override(travel_messages.supported_language(language)):
        verb = account.verb if account is not None else None
        if verb is AccountVerb.CANCEL:
            conversation.delete()
            if traveller is None:
                return _("Sign-up stopped; nothing was kept. Send JOIN to start again.")
            return _("The trip was not saved. Send NEW to set up a trip.")
        if traveller is None and verb is AccountVerb.JOIN:
            return _start_sign_up(from_number, conversation.bidx_phone, language, now)
        if traveller is None and verb is AccountVerb.LANG and account is not None:
            chosen = parse_language(account.rest, available_languages())
            if chosen is None:
                return _("Write LANG and one of: %(codes)s.") % {"codes": _language_codes()}
            conversation.language = chosen
            _keep(conversation, now)
            with translation.override(chosen):
                return (
                    _("We will write to you in %(language)s.")
                    % {"language": _language_name(chosen)}
                    + " "
                    + _question(conversation)
                )
        sms = commands.parse_sms(body)
        if sms.verb is commands.Verb.HELP and sms.understood and sms.pin is None:
            return _("Answer the question, or send CANCEL to stop.") + " " + _question(conversation)
        if traveller is None:
            return _sign_up_answer(conversation, from_number, body, now)
        if _is_command_during_questions(conversation, body, account):
            return None
        return _trip_answer(conversation, traveller, body, account, now)


def _is_command_during_questions(
    conversation: SmsConversation, body: str, account: AccountCommand | None
) -> bool:
    """A signed-up traveller answering the set-up questions may still check in or run any
    command: a check-in with its PIN ("OK 482915"), or an account word alone or with a PIN."""
    if account is not None:
        if account.verb is AccountVerb.SAVE and conversation.step == Step.SAVE:
            return False
        if account.verb is AccountVerb.EVERY and conversation.step == Step.INTERVAL:
            return False  # the answer, even with a PIN added: EVERY 24H
        if account.verb in (AccountVerb.LANG, AccountVerb.JOIN, AccountVerb.NEW):
            return True
        return _command_shaped(account)
    command = commands.parse_sms(body)
    return (
        command.understood
        and command.pin is not None
        and command.verb in (commands.Verb.CHECK_IN, commands.Verb.EXTEND, commands.Verb.STOP)
        and bool(commands.tokens_of(body))
        and not commands.tokens_of(body)[0].isdigit()
    )


def _pin_prompt() -> str:
    return _(
        "Choose your PIN: 6 to 12 digits that are not easy to guess. You will send it with "
        "every command. Reply with the PIN only."
    )


def _duress_prompt() -> str:
    return _(
        "Now choose a duress PIN that differs from your PIN in at least two digits. If someone "
        "forces you to check in, use it: everything looks normal, but the hotline and your "
        "contacts are alerted silently. Reply with the duress PIN only."
    )


def _question(conversation: SmsConversation) -> str:
    """The question the conversation is at, in the active language."""
    step = conversation.step
    state = conversation.state
    if step == Step.CODE:
        return _("Reply with the %(digits)d-digit code from our last message.") % {
            "digits": CODE_DIGITS
        }
    if step == Step.PIN:
        return _pin_prompt()
    if step == Step.DURESS:
        return _duress_prompt()
    if step == Step.NAME:
        return _("What name do the people you trust know you by?")
    if step == Step.DESTINATION:
        return _(
            "Where are you going to work? Write the city and the country, like: Wroclaw, Poland."
        )
    if step == Step.CITY:
        return _("Which city or town in %(country)s?") % {
            "country": forms.country_label(state.get("destination_country"))
        }
    if step == Step.DATES:
        return _(
            "When do you leave and when do you expect to come back? Write two dates like "
            "01.05.2025 30.09.2025, or SKIP."
        )
    if step == Step.EMPLOYER:
        return _(
            "Who is your employer, and who found you the job (recruiter or agency)? Write "
            "them separated by /, like: Agro Fields / Fast Jobs. Or SKIP."
        )
    if step == Step.INTERVAL:
        return _(
            "How often will you check in? Write EVERY and the hours, like EVERY 24H (from "
            "%(low)d to %(high)d hours). SKIP keeps every 24 hours."
        ) % {"low": rules.INTERVAL_HOURS_BOUNDS[0], "high": rules.INTERVAL_HOURS_BOUNDS[1]}
    if step == Step.SAVE:
        return _("Your trip: %(summary)s. Send SAVE and your PIN to keep it, or CANCEL.") % {
            "summary": _draft_summary(state)
        }
    return ""


def _sign_up_answer(
    conversation: SmsConversation, from_number: str, body: str, now: datetime.datetime
) -> str:
    state = conversation.state
    if conversation.step == Step.CODE:
        code = single_number(body)
        right = (
            len(code) == CODE_DIGITS
            and bool(conversation.code_hash)
            and hmac.compare_digest(
                _code_hash(str(state.get("salt", "")), code), conversation.code_hash
            )
        )
        if not right:
            conversation.code_attempts += 1
            if conversation.code_attempts >= CODE_MAX_ATTEMPTS:
                conversation.delete()
                return _("That code is not right. Send JOIN to get a new code.")
            _keep(conversation, now)
            return _("That code is not right. Reply with the code from our last message.")
        conversation.step, conversation.code_hash, conversation.state = Step.PIN, "", {}
        _keep(conversation, now)
        return _("Thank you, this number is confirmed.") + " " + _pin_prompt()
    if conversation.step == Step.PIN:
        pin = single_number(body)
        if not pin:
            return _("Reply with the digits of your PIN only.") + " " + _pin_prompt()
        problems = public_accounts.pin_rule_problems(pin, "").get("pin")
        if problems:
            return str(problems[0]) + " " + _pin_prompt()
        conversation.step, conversation.state = Step.DURESS, {"pin": pin}
        _keep(conversation, now)
        return _duress_prompt()
    # the duress PIN, and the account is opened
    duress = single_number(body)
    if not duress:
        return _("Reply with the digits of your duress PIN only.") + " " + _duress_prompt()
    pin = str(state.get("pin", ""))
    problems = public_accounts.pin_rule_problems(pin, duress).get("duress_pin")
    if problems:
        return str(problems[0]) + " " + _duress_prompt()
    try:
        traveller = public_accounts.traveller_create_by_sms(
            phone=from_number,
            pin=pin,
            duress_pin=duress,
            language=conversation.language or settings.LANGUAGE_CODE,
            time_zone=_time_zone_for(from_number),
            at=now,
        )
    except ApplicationError:
        conversation.delete()
        return (
            _("This step has expired. Please start again.") + " " + _("Send HELP for the commands.")
        )
    conversation.traveller = traveller
    conversation.step, conversation.state = Step.NAME, {}
    _keep(conversation, now)
    return (
        _("Your account is ready. Delete the messages with your PINs from this phone.")
        + " "
        + _question(conversation)
    )


def _time_zone_for(number: str) -> str:
    """The time zone of the number's country when it has only one (else UTC): times in our
    replies always name their zone, and the website lets the traveller change it."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return "UTC"
    from phonenumbers import timezone as number_zones

    zones = [z for z in number_zones.time_zones_for_number(parsed) if rules.is_time_zone(z)]
    return zones[0] if len(zones) == 1 else "UTC"


# --- the set-up questions of a trip ----------------------------------------------------------


@cache
def _country_names() -> CountryNames:
    """Every country's name, in English and in each UI language (pycountry's translations),
    plus the names people commonly write."""
    names: dict[str, str] = {}
    countries = list(pycountry.countries)

    def add(name: str | None, code: str) -> None:
        key = normalised_name(name or "")
        if key:
            names.setdefault(key, code)

    for country in countries:
        for attribute in ("name", "common_name", "official_name"):
            add(getattr(country, attribute, None), country.alpha_2)
    for language in available_languages():
        translate = gettext_module.translation(
            "iso3166-1", pycountry.LOCALES_DIR, languages=[language], fallback=True
        ).gettext
        for country in countries:
            for attribute in ("name", "common_name", "official_name"):
                value = getattr(country, attribute, None)
                if value:
                    add(translate(value), country.alpha_2)
    for alias, code in _COUNTRY_ALIASES.items():
        names.setdefault(alias, code)
    codes = {c.alpha_2: c.alpha_2 for c in countries} | {c.alpha_3: c.alpha_2 for c in countries}
    return CountryNames(names=names, codes=codes)


def _has_pin_like(text: str) -> bool:
    run = 0
    for char in text:
        run = run + 1 if char.isdigit() else 0
        if run >= PIN_LIKE_DIGITS:
            return True
    return False


def _text_answer(body: str, limit: int) -> str:
    """A name, a city, an employer: clean text without a PIN in it; Refused otherwise."""
    text = clean_text(body, limit)
    if _has_pin_like(text):
        raise Refused(_("Do not write your PIN here."))
    return text


def _trip_answer(
    conversation: SmsConversation,
    traveller: Traveller,
    body: str,
    account: AccountCommand | None,
    now: datetime.datetime,
) -> str:
    state = conversation.state
    step = conversation.step
    if step == Step.SAVE:
        return _save_trip(conversation, traveller, body, account, now)
    try:
        if step == Step.NAME:
            name = _text_answer(body, NAME_MAX)
            if not name:
                raise Refused(_("Write your name."))
            state["display_name"] = name
            step = Step.DESTINATION
        elif step == Step.DESTINATION:
            if _has_pin_like(body):
                raise Refused(_("Do not write your PIN here."))
            destination = parse_destination(body, _country_names())
            if not destination.country:
                raise Refused(_("We did not recognise the country."))
            state["destination_country"] = destination.country
            if destination.city:
                state["destination_city"] = _text_answer(
                    destination.city, TRIP_TEXT_LIMITS["destination_city"]
                )
                step = Step.DATES
            else:
                step = Step.CITY
        elif step == Step.CITY:
            city = _text_answer(body, TRIP_TEXT_LIMITS["destination_city"])
            if not city:
                raise Refused(_("Enter the city or town you are going to."))
            state["destination_city"] = city
            step = Step.DATES
        elif step == Step.DATES:
            if is_skip(body):
                state.pop("start_date", None)
                state.pop("end_date", None)
            else:
                dates = parse_dates(body, timezone.localdate(now))
                if dates is None:
                    raise Refused(_("We could not read these dates."))
                if dates.start and dates.end and dates.end < dates.start:
                    raise Refused(_("The return date must not be before the departure date."))
                state["start_date"] = dates.start.isoformat() if dates.start else ""
                state["end_date"] = dates.end.isoformat() if dates.end else ""
            step = Step.EMPLOYER
        elif step == Step.EMPLOYER:
            employer, recruiter = ("", "") if is_skip(body) else parse_employer(body)
            state["employer"] = _text_answer(employer, TRIP_TEXT_LIMITS["employer"])
            state["recruiter"] = _text_answer(recruiter, TRIP_TEXT_LIMITS["recruiter"])
            step = Step.INTERVAL
        elif step == Step.INTERVAL:
            if account is not None and account.verb is AccountVerb.EVERY:
                hours = parse_interval_hours(account.rest)
            else:
                hours = DEFAULT_INTERVAL_HOURS if is_skip(body) else parse_interval_hours(body)
            low, high = rules.INTERVAL_HOURS_BOUNDS
            if hours is None or not low <= hours <= high:
                raise Refused(_("We could not read this number of hours."))
            state["interval_hours"] = hours
            step = Step.SAVE
    except Refused as exc:
        return exc.message + " " + _question(conversation)
    conversation.step, conversation.state = step, state
    _keep(conversation, now)
    return _question(conversation)


def _draft_summary(state: dict[str, Any]) -> str:
    parts = []
    if state.get("display_name"):
        parts.append(str(state["display_name"]))
    parts.extend(
        _summary_parts(
            country=state.get("destination_country"),
            city=state.get("destination_city"),
            start=state.get("start_date") or None,
            end=state.get("end_date") or None,
            employer=state.get("employer"),
            recruiter=state.get("recruiter"),
        )
    )
    hours = int(state.get("interval_hours") or DEFAULT_INTERVAL_HOURS)
    parts.append(_every(hours))
    return "; ".join(parts)


def _every(hours: int) -> str:
    return _("Every %(time)s") % {"time": forms.duration_words(datetime.timedelta(hours=hours))}


def _summary_parts(
    *,
    country: str | None,
    city: str | None,
    start: Any,
    end: Any,
    employer: str | None,
    recruiter: str | None,
) -> list[str]:
    parts = []
    where = ", ".join(p for p in (city or "", forms.country_label(country)) if p)
    if where:
        parts.append(where)
    if start or end:
        parts.append(_("%(start)s to %(end)s") % {"start": start or "?", "end": end or "?"})
    if employer:
        parts.append(_("employer: %(name)s") % {"name": employer})
    if recruiter:
        parts.append(_("recruiter or agency: %(name)s") % {"name": recruiter})
    return parts


def _save_trip(
    conversation: SmsConversation,
    traveller: Traveller,
    body: str,
    account: AccountCommand | None,
    now: datetime.datetime,
) -> str:
    """SAVE and the PIN (or the PIN alone): the answers become a draft trip."""
    if account is not None and account.verb is AccountVerb.SAVE:
        pin = account.pin if account.problem is CommandProblem.NONE and not account.words else None
    else:
        pin = single_number(body) or None
    if pin is None:
        return _question(conversation)
    kind = _check_pin(traveller, pin, now)
    if kind is None:
        return commands.wrong_pin_reply()
    state = conversation.state
    data = {
        "destination_country": state.get("destination_country", ""),
        "destination_city": state.get("destination_city", ""),
        "start_date": state.get("start_date", ""),
        "end_date": state.get("end_date", ""),
        "employer": state.get("employer", ""),
        "recruiter": state.get("recruiter", ""),
        "schedule_kind": ScheduleKind.INTERVAL,
        "interval_hours": str(state.get("interval_hours") or DEFAULT_INTERVAL_HOURS),
    }
    try:
        services.trip_create(traveller=traveller, data=data)
        if state.get("display_name"):
            services.traveller_settings_update(
                traveller=traveller, data={"display_name": state["display_name"]}
            )
    except ApplicationError as exc:
        return _("Sorry, that did not work: %(reason)s") % {"reason": commands.first_message(exc)}
    conversation.delete()
    _after_pin(traveller, kind, now)
    return _(
        "Your trip is saved. Now add the people you trust: CONTACT, their number and name, and "
        "your PIN, like CONTACT +380501112233 Ivan and your PIN. They confirm by answering YES. "
        "Then send START and your PIN."
    )


# --- a signed-up traveller's commands --------------------------------------------------------


def _check_pin(traveller: Traveller, pin: str, now: datetime.datetime) -> str | None:
    """'normal', 'duress', or None for a wrong PIN or a locked account (it counts)."""
    checked = pins.pin_check(traveller=traveller, pin=pin, at=now)
    if checked == pins.PinResult.NORMAL:
        return services.NORMAL
    if checked == pins.PinResult.DURESS:
        return services.DURESS
    return None


def _after_pin(
    traveller: Traveller, kind: str, now: datetime.datetime, *, alerted: bool = False
) -> None:
    """What a right PIN does besides the command, as on the website's sign-in: usual activity
    with the PIN; with the duress PIN the silent alert (unless the service raised it already),
    and nothing the traveller sees differs."""
    if kind == services.DURESS:
        if not alerted:
            public_accounts.duress_signal(traveller=traveller, at=now, as_activity=True)
    else:
        services.activity_record(traveller=traveller, at=now)


def _usage(verb: AccountVerb) -> str:
    """The short help of one command."""
    if verb is AccountVerb.CONTACT:
        return _(
            "Write it like this: CONTACT, the number with its country code, the name, and your "
            "PIN. For example: CONTACT +380501112233 Ivan and your PIN."
        )
    if verb is AccountVerb.EVERY:
        low, high = rules.INTERVAL_HOURS_BOUNDS
        return _("Write it like this: EVERY 24H and your PIN (from %(low)d to %(high)d hours).") % {
            "low": low,
            "high": high,
        }
    if verb is AccountVerb.LANG:
        return _("Write LANG and one of: %(codes)s.") % {"codes": _language_codes()}
    return _("Write it like this: %(example)s and your PIN.") % {"example": _EXAMPLES[verb]}


def _current_trip(traveller: Traveller, statuses: tuple[str, ...]) -> Trip | None:
    return (
        Trip.objects.filter(traveller=traveller, status__in=statuses)
        .order_by("-created_at", "-id")
        .first()
    )


_NOT_ENDED = (TripStatus.DRAFT, TripStatus.ARMED, TripStatus.PAUSED)


def traveller_command(
    traveller: Traveller,
    account: AccountCommand,
    *,
    from_number: str,
    now: datetime.datetime | None = None,
) -> str:
    """Run a signed-up traveller's account command; the reply, in their language."""
    now = now or timezone.now()
    verb = account.verb
    language = travel_messages.supported_language(traveller.language)
    if verb is AccountVerb.LANG:
        chosen = parse_language(account.rest, available_languages())
        if chosen is not None:
            language = chosen
    with translation.override(language):
        if verb is AccountVerb.JOIN:
            return _(
                "This phone number already has an account. Send NEW to set up a trip, or HELP "
                "for the commands."
            )
        if verb is AccountVerb.CANCEL:
            return (
                _("No question is waiting for an answer.") + " " + _("Send HELP for the commands.")
            )
        if verb is AccountVerb.NEW:
            return _new_trip_questions(traveller, services.phone_index(from_number), now)
        if verb is AccountVerb.SAVE:
            return _("Nothing to save. Send NEW to set up a trip.")
        if not _well_formed(account):
            return _usage(verb)
        if account.pin is None:
            services.activity_record(traveller=traveller, at=now)
            return _("Please add your PIN, like this: %(example)s and your PIN.") % {
                "example": _example(account)
            }
        kind = _check_pin(traveller, account.pin, now)
        if kind is None:
            return commands.wrong_pin_reply()
        try:
            return _run(traveller, account, kind, services.phone_index(from_number), now)
        except ApplicationError as exc:
            return _("Sorry, that did not work: %(reason)s") % {
                "reason": commands.first_message(exc)
            }


def _well_formed(account: AccountCommand) -> bool:
    if account.problem is not CommandProblem.NONE:
        return False
    if account.verb in _BARE_VERBS:
        return not account.words
    if account.verb is AccountVerb.EVERY:
        hours = parse_interval_hours(account.rest)
        low, high = rules.INTERVAL_HOURS_BOUNDS
        return hours is not None and low <= hours <= high
    if account.verb is AccountVerb.LANG:
        return parse_language(account.rest, available_languages()) is not None
    return True


def _example(account: AccountCommand) -> str:
    if account.verb in (AccountVerb.CONTACT, AccountVerb.EVERY, AccountVerb.LANG):
        label = " ".join(p for p in (account.verb.value.upper(), account.phone, account.rest) if p)
        return label
    return _EXAMPLES.get(account.verb, account.verb.value.upper())


def _run(
    traveller: Traveller,
    account: AccountCommand,
    kind: str,
    digest: str,
    now: datetime.datetime,
) -> str:
    verb = account.verb
    if verb is AccountVerb.DELETE:
        return _delete(traveller, kind, digest, now)
    if verb is AccountVerb.LANG:
        chosen = parse_language(account.rest, available_languages()) or traveller.language
        services.traveller_settings_update(traveller=traveller, data={"language": chosen})
        _after_pin(traveller, kind, now)
        return _("We will write to you in %(language)s.") % {"language": _language_name(chosen)}
    if verb is AccountVerb.TRIP:
        _after_pin(traveller, kind, now)
        return _trip_reply(traveller)
    if verb is AccountVerb.CONTACT:
        return _add_contact(traveller, account, kind, now)
    if verb is AccountVerb.START:
        return _start(traveller, kind, now)
    if verb is AccountVerb.PAUSE:
        trip = _current_trip(traveller, (TripStatus.ARMED,))
        if trip is None:
            _after_pin(traveller, kind, now)
            return commands.no_trip_reply()
        services.trip_pause(traveller=traveller, trip=trip, pin_kind=kind, at=now)
        _after_pin(traveller, kind, now, alerted=True)
        return _("Check-ins are paused. No reminders or alerts until you resume.")
    if verb is AccountVerb.RESUME:
        trip = _current_trip(traveller, (TripStatus.PAUSED,))
        if trip is None:
            _after_pin(traveller, kind, now)
            return _("No trip is paused. Send TRIP and your PIN to see your trip.")
        services.trip_resume(traveller=traveller, trip=trip, pin_kind=kind, at=now)
        _after_pin(traveller, kind, now, alerted=True)
        trip.refresh_from_db()
        return _("Check-ins have resumed. Your next check-in is due by %(time)s.") % {
            "time": travel_messages.local_time(trip.next_due_at, traveller.time_zone)
        }
    # EVERY
    hours = parse_interval_hours(account.rest) or DEFAULT_INTERVAL_HOURS
    trip = _current_trip(traveller, _NOT_ENDED)
    if trip is None:
        _after_pin(traveller, kind, now)
        return _no_trip_yet()
    services.trip_update(
        traveller=traveller,
        trip=trip,
        data={"schedule_kind": ScheduleKind.INTERVAL, "interval_hours": str(hours)},
    )
    _after_pin(traveller, kind, now)
    trip.refresh_from_db()
    done = _("Done: you will check in every %(time)s.") % {
        "time": forms.duration_words(datetime.timedelta(hours=hours))
    }
    if trip.status == TripStatus.ARMED and trip.next_due_at is not None:
        done += " " + _("Your next check-in is due by %(time)s.") % {
            "time": travel_messages.local_time(trip.next_due_at, traveller.time_zone)
        }
    return done


def _no_trip_yet() -> str:
    return _("You have no trip yet. Send NEW to set one up.")


def _new_trip_questions(traveller: Traveller, digest: str, now: datetime.datetime) -> str:
    step = Step.DESTINATION if traveller.display_name else Step.NAME
    with transaction.atomic():
        conversation = _conversation_with(
            digest,
            now,
            traveller=traveller,
            step=step,
            state_text=None,
            code_hash="",
            code_attempts=0,
            language="",
        )
    return (
        _("Let us set up your trip. Answer each question; send CANCEL to stop.")
        + " "
        + _question(conversation)
    )


def _contact_status_label(contact: TrustedContact) -> str:
    return str(ContactStatus(contact.status).label)


def _trip_reply(traveller: Traveller) -> str:
    """The latest trip that has not ended: what, where, when, the schedule, the contacts."""
    trip = _current_trip(traveller, _NOT_ENDED)
    if trip is None:
        return _no_trip_yet()
    parts = _summary_parts(
        country=trip.destination_country,
        city=trip.destination_city,
        start=trip.start_date,
        end=trip.end_date,
        employer=trip.employer,
        recruiter=trip.recruiter,
    )
    if trip.schedule_kind == ScheduleKind.FIXED_TIMES:
        parts.append(
            _("Every day at %(times)s (%(zone)s)")
            % {"times": ", ".join(trip.fixed_times or []), "zone": traveller.time_zone}
        )
    else:
        parts.append(_every(trip.interval_hours or DEFAULT_INTERVAL_HOURS))
    lines = [f"{trip.reference} ({trip.get_status_display()}): " + "; ".join(parts) + "."]
    if trip.status == TripStatus.ARMED and trip.next_due_at is not None:
        lines.append(
            _("Your next check-in is due by %(time)s.")
            % {"time": travel_messages.local_time(trip.next_due_at, traveller.time_zone)}
        )
    contacts = list(trip.contacts.all())
    if contacts:
        lines.append(
            _("Contacts: %(contacts)s.")
            % {"contacts": ", ".join(f"{c.name} ({_contact_status_label(c)})" for c in contacts)}
        )
    elif trip.status == TripStatus.DRAFT:
        lines.append(_usage(AccountVerb.CONTACT))
    return " ".join(lines)


def confirm_url(token: str) -> str:
    """The link in an invitation sent from an SMS command (no request to build it from)."""
    base = str(getattr(settings, "PALERMO_BASE_URL", "") or "").rstrip("/")
    return base + reverse("safetravel:confirm", args=[token])


def _add_contact(
    traveller: Traveller, account: AccountCommand, kind: str, now: datetime.datetime
) -> str:
    trip = _current_trip(traveller, _NOT_ENDED)
    if trip is None:
        _after_pin(traveller, kind, now)
        return _no_trip_yet()
    contact = services.contact_add(
        traveller=traveller,
        trip=trip,
        data={"name": account.name, "phone": account.phone, "language": traveller.language},
    )
    services.contact_invite(
        traveller=traveller, contact=contact, confirm_url_for=confirm_url, at=now
    )
    _after_pin(traveller, kind, now)
    follow = (
        _("Then send START and your PIN.")
        if trip.status == TripStatus.DRAFT
        else _("Send TRIP and your PIN to see who has confirmed.")
    )
    return (
        _("We asked %(name)s to confirm. Check-ins can start once someone confirms.")
        % {"name": contact.name}
        + " "
        + _("They confirm by answering YES to our message.")
        + " "
        + follow
    )


def _start(traveller: Traveller, kind: str, now: datetime.datetime) -> str:
    trip = _current_trip(traveller, (TripStatus.DRAFT,))
    if trip is None:
        _after_pin(traveller, kind, now)
        if _current_trip(traveller, (TripStatus.ARMED, TripStatus.PAUSED)) is not None:
            return _("Check-ins have already started. Send TRIP and your PIN to see your trip.")
        return _no_trip_yet()
    contacts = list(trip.contacts.all())
    if not any(c.is_confirmed for c in contacts):
        _after_pin(traveller, kind, now)
        if not contacts:
            return _("Add a trusted contact first.") + " " + _usage(AccountVerb.CONTACT)
        return _(
            "No trusted contact has confirmed yet. Waiting for: %(names)s. They confirm by "
            "answering YES to our message."
        ) % {"names": ", ".join(c.name for c in contacts)}
    trip = services.trip_arm(traveller=traveller, trip=trip, at=now)
    _after_pin(traveller, kind, now)
    trip.refresh_from_db()
    reply = _("Check-ins have started. Your next check-in is due by %(time)s.") % {
        "time": travel_messages.local_time(trip.next_due_at, traveller.time_zone)
    }
    waiting = [c.name for c in contacts if c.status == ContactStatus.PENDING]
    if waiting:
        reply += " " + _("Still waiting for: %(names)s.") % {"names": ", ".join(waiting)}
    return reply + " " + _("Send OK and your PIN to check in.")


def _delete(traveller: Traveller, kind: str, digest: str, now: datetime.datetime) -> str:
    """DELETE and the PIN, twice within DELETE_CONFIRM_WINDOW: the account goes. A duress PIN
    at either step makes it a duress deletion (silent alert, no all clear)."""
    with transaction.atomic():
        conversation = _conversation(digest, now)
        requested = conversation.delete_requested_at if conversation is not None else None
        if (
            conversation is not None
            and requested is not None
            and now - requested <= DELETE_CONFIRM_WINDOW
        ):
            duress = bool(conversation.state.get("delete_duress")) or kind == services.DURESS
            public_accounts.account_delete(
                traveller=traveller,
                pin_kind=services.DURESS if duress else services.NORMAL,
                at=now,
            )
            SmsConversation.objects.filter(bidx_phone=digest).delete()
            return _("Your account and all your trips are deleted.")
        conversation = _conversation_with(
            digest,
            now,
            traveller=traveller,
            step=Step.NONE,
            delete_requested_at=now,
            code_hash="",
        )
        conversation.state = {"delete_duress": kind == services.DURESS}
        _keep(conversation, now)
    if kind == services.DURESS:
        public_accounts.duress_signal(traveller=traveller, at=now)
    else:
        services.activity_record(traveller=traveller, at=now)
    return _(
        "This deletes your account and all your trips, contacts and check-ins. It cannot be "
        "undone. To confirm, send DELETE and your PIN again within %(minutes)d minutes."
    ) % {"minutes": int(DELETE_CONFIRM_WINDOW.total_seconds() // 60)}
