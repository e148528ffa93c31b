"""The words of the SMS conversation beyond check-ins: signing up and managing a trip by text.

Pure, like the check-in parser in `sms_commands.py`: no database, no settings, no translation,
and nothing here raises on what a person typed. Words are compared after transliteration to
lower-case ASCII (`sms_commands.normalise_body`), so "ÎNSCRIERE", "inscriere", "РЕЄСТРАЦІЯ"
and "reiestratsiya" are found alike.

    JOIN                                   start signing up this number
    LANG RO                                the language of our replies
    TRIP 482915                            a summary of the trip
    CONTACT +380501112233 Ivan 482915      add a trusted contact (invited by SMS)
    START 482915                           start the check-ins
    PAUSE 482915 / RESUME 482915           pause or resume them
    EVERY 24H 482915                       check in every 24 hours
    NEW                                    set up a new trip by answering questions
    SAVE 482915                            keep the trip those answers describe
    DELETE 482915                          delete the account (asked twice)
    CANCEL                                 stop the questions

`parse_account_command` returns None for anything that does not start with one of these words
(check-ins, contacts' answers and everything else keep going through `parse_sms`). The other
functions read the answers to the set-up questions: a destination, dates, an employer and an
agency, an interval, a language.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from .sms_commands import MAX_BODY_CHARS, normalise_body, tokens_of


class AccountVerb(StrEnum):
    JOIN = "join"
    LANG = "lang"
    TRIP = "trip"
    CONTACT = "contact"
    START = "start"
    PAUSE = "pause"
    RESUME = "resume"
    EVERY = "every"
    NEW = "new"
    SAVE = "save"
    DELETE = "delete"
    CANCEL = "cancel"


class CommandProblem(StrEnum):
    NONE = ""
    TWO_PINS = "two_pins"
    NO_PHONE = "no_phone"
    NO_NAME = "no_name"


@dataclass(frozen=True)
class AccountCommand:
    """One account command: its verb, the PIN if one was given, and the rest of the words."""

    verb: AccountVerb
    pin: str | None = None
    words: tuple[str, ...] = ()  # the other words, as typed (without the PIN)
    phone: str = ""  # CONTACT: the number as typed
    name: str = ""  # CONTACT: the contact's name as typed
    language: str | None = None  # the language the verb was written in, when it tells
    problem: CommandProblem = CommandProblem.NONE

    @property
    def rest(self) -> str:
        return " ".join(self.words)


def _words(
    spec: str, verb: AccountVerb, language: str | None = None
) -> dict[str, tuple[AccountVerb, str | None]]:
    return {word: (verb, language) for word in spec.split()}


# Verb words after `normalise_body` (lower-case ASCII, apostrophes dropped). A language is
# attached where the word belongs to one language only; JOIN, REGISTER and the like are the
# international keywords printed on posters and say nothing about the sender's language.
_ACCOUNT_WORDS: dict[str, tuple[AccountVerb, str | None]] = {
    **_words("join register signup subscribe", AccountVerb.JOIN),
    **_words("inscriere inregistrare inscrie", AccountVerb.JOIN, "ro"),
    **_words("reiestratsiya reiestratsiia zareiestruvatisya priiednatisya", AccountVerb.JOIN, "uk"),
    **_words("registro registrarse inscribirse alta", AccountVerb.JOIN, "es"),
    **_words("cadastro registar cadastrar inscricao", AccountVerb.JOIN, "pt"),
    **_words("inscription inscrire sinscrire", AccountVerb.JOIN, "fr"),
    **_words("lang language languages lng", AccountVerb.LANG),
    **_words("limba", AccountVerb.LANG, "ro"),
    **_words("mova", AccountVerb.LANG, "uk"),
    **_words("idioma", AccountVerb.LANG, "es"),
    **_words("lingua", AccountVerb.LANG, "pt"),
    **_words("langue", AccountVerb.LANG, "fr"),
    **_words("trip status summary", AccountVerb.TRIP),
    **_words("calatorie calatoria calatoriei", AccountVerb.TRIP, "ro"),
    **_words("podorozh", AccountVerb.TRIP, "uk"),
    **_words("viaje", AccountVerb.TRIP, "es"),
    **_words("viagem", AccountVerb.TRIP, "pt"),
    **_words("voyage", AccountVerb.TRIP, "fr"),
    **_words("contact", AccountVerb.CONTACT),
    **_words("kontakt", AccountVerb.CONTACT, "uk"),
    **_words("contacto", AccountVerb.CONTACT, "es"),
    **_words("contato", AccountVerb.CONTACT, "pt"),
    **_words("start begin arm", AccountVerb.START),
    **_words("porneste incepe", AccountVerb.START, "ro"),
    **_words("pochati rozpochati", AccountVerb.START, "uk"),
    **_words("empezar comenzar", AccountVerb.START, "es"),
    **_words("comecar iniciar", AccountVerb.START, "pt"),
    **_words("commencer demarrer", AccountVerb.START, "fr"),
    **_words("pause pauza pausa", AccountVerb.PAUSE),
    **_words("resume continue", AccountVerb.RESUME),
    **_words("relua reluare", AccountVerb.RESUME, "ro"),
    **_words("vidnoviti", AccountVerb.RESUME, "uk"),
    **_words("reanudar", AccountVerb.RESUME, "es"),
    **_words("retomar", AccountVerb.RESUME, "pt"),
    **_words("reprendre", AccountVerb.RESUME, "fr"),
    **_words("every each", AccountVerb.EVERY),
    **_words("kozhni kozhen kozhnu", AccountVerb.EVERY, "uk"),
    **_words("cada", AccountVerb.EVERY, "es"),
    **_words("tous toutes", AccountVerb.EVERY, "fr"),
    **_words("new", AccountVerb.NEW),
    **_words("nou noua", AccountVerb.NEW, "ro"),
    **_words("novii novyi novyy", AccountVerb.NEW, "uk"),
    **_words("nuevo nueva", AccountVerb.NEW, "es"),
    **_words("novo nova", AccountVerb.NEW, "pt"),
    **_words("nouveau nouvelle", AccountVerb.NEW, "fr"),
    **_words("save keep", AccountVerb.SAVE),
    **_words("salveaza salvare pastreaza", AccountVerb.SAVE, "ro"),
    **_words("zberegti zberehty", AccountVerb.SAVE, "uk"),
    **_words("guardar", AccountVerb.SAVE, "es"),
    **_words("gravar salvar", AccountVerb.SAVE, "pt"),
    **_words("enregistrer sauver garder", AccountVerb.SAVE, "fr"),
    **_words("delete erase", AccountVerb.DELETE),
    **_words("sterge stergere", AccountVerb.DELETE, "ro"),
    **_words("vidaliti", AccountVerb.DELETE, "uk"),
    **_words("borrar eliminar", AccountVerb.DELETE, "es"),
    **_words("apagar excluir", AccountVerb.DELETE, "pt"),
    **_words("supprimer effacer", AccountVerb.DELETE, "fr"),
    **_words("cancel quit exit", AccountVerb.CANCEL),
    **_words("anuleaza anulare renunt", AccountVerb.CANCEL, "ro"),
    **_words("skasuvati skasuvaty", AccountVerb.CANCEL, "uk"),
    **_words("cancelar", AccountVerb.CANCEL, "es"),
    **_words("annuler", AccountVerb.CANCEL, "fr"),
}
_ACCOUNT_PHRASES: dict[tuple[str, ...], tuple[AccountVerb, str | None]] = {
    ("sign", "up"): (AccountVerb.JOIN, None),
    ("s", "inscrire"): (AccountVerb.JOIN, "fr"),
}
_PIN_RUN = re.compile(r"^[0-9]{4,}$")
_PHONE_CHARS = re.compile(r"^[+0-9()./-]+$")
_EDGE_PUNCTUATION = " \t,;:.!?\"'()[]{}<>«»"
MAX_PHONE_DIGITS = 15


def _word_key(word: str) -> str:
    """A typed word as the tables above spell it: 'ÎNSCRIERE,' → 'inscriere'."""
    return re.sub(r"[^a-z0-9]", "", normalise_body(word))


def raw_words(body: str) -> list[str]:
    """The words of a message as typed (NFKC), without punctuation around them."""
    text = unicodedata.normalize("NFKC", body)
    return [w.strip(_EDGE_PUNCTUATION) for w in text.split() if w.strip(_EDGE_PUNCTUATION)]


def _is_pin(word: str) -> bool:
    return bool(_PIN_RUN.match(word))


def _take_account_verb(words: list[str]) -> tuple[AccountVerb | None, str | None, int]:
    keys = [_word_key(w) for w in words[:2]]
    if len(keys) == 2 and tuple(keys) in _ACCOUNT_PHRASES:
        verb, language = _ACCOUNT_PHRASES[(keys[0], keys[1])]
        return verb, language, 2
    if keys and keys[0] in _ACCOUNT_WORDS:
        verb, language = _ACCOUNT_WORDS[keys[0]]
        return verb, language, 1
    return None, None, 0


def parse_account_command(body: str) -> AccountCommand | None:
    """The account command a message starts with, or None (then it is not one)."""
    if not isinstance(body, str) or len(body) > MAX_BODY_CHARS:
        return None
    words = raw_words(body)
    if not words:
        return None
    leading_pin: str | None = None
    if _is_pin(words[0]) and len(words) > 1:  # "482915 START"
        leading_pin, words = words[0], words[1:]
    verb, language, used = _take_account_verb(words)
    if verb is None:
        return None
    rest = words[used:]
    if verb is AccountVerb.CONTACT:
        return _contact_command(rest, leading_pin, language)
    pins = ([leading_pin] if leading_pin else []) + [w for w in rest if _is_pin(w)]
    others = tuple(w for w in rest if not _is_pin(w))
    problem = CommandProblem.TWO_PINS if len(pins) > 1 else CommandProblem.NONE
    return AccountCommand(
        verb, pin=pins[0] if pins else None, words=others, language=language, problem=problem
    )


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def _contact_command(
    rest: list[str], leading_pin: str | None, language: str | None
) -> AccountCommand:
    """CONTACT +380 50 111 22 33 Ivan Kovalenko 482915: the number is the run of number-like
    words at the start (at most 15 digits, and a run of six digits or more after eight digits
    is the PIN, not more of the number), the PIN a run of digits after it, the name every
    other word."""
    phone_words: list[str] = []
    index = 0
    while index < len(rest) and _PHONE_CHARS.match(rest[index]):
        candidate = "".join(phone_words + [rest[index]])
        if phone_words and len(_digits(candidate)) > MAX_PHONE_DIGITS:
            break
        if phone_words and rest[index].startswith("+"):
            break
        if len(_digits("".join(phone_words))) >= 8 and len(_digits(rest[index])) >= 6:
            break  # a whole number already, then a PIN-long run: the PIN
        phone_words.append(rest[index])
        index += 1
    remaining = rest[index:]
    pins = ([leading_pin] if leading_pin else []) + [w for w in remaining if _is_pin(w)]
    name_words = [w for w in remaining if not _is_pin(w)]
    phone = " ".join(phone_words)
    problem = CommandProblem.NONE
    if len(_digits(phone)) < 6:
        problem = CommandProblem.NO_PHONE
    elif not name_words:
        problem = CommandProblem.NO_NAME
    elif len(pins) > 1:
        problem = CommandProblem.TWO_PINS
    return AccountCommand(
        AccountVerb.CONTACT,
        pin=pins[0] if pins else None,
        words=tuple(name_words),
        phone=phone,
        name=" ".join(name_words),
        language=language,
        problem=problem,
    )


# --- answers to the set-up questions ---------------------------------------------------------

_SKIP_WORDS = frozenset(
    """skip none no nothing pass next sari nimic nu ni nemaie propustiti propustyty
    nada saltar pular passer rien aucun""".split()
)


def is_skip(body: str) -> bool:
    """'SKIP', '-', 'no' and their translations: leave this answer empty."""
    text = body.strip() if isinstance(body, str) else ""
    if text in {"-", "--", "—", "0"}:
        return True
    keys = [_word_key(w) for w in raw_words(text)]
    return len(keys) == 1 and keys[0] in _SKIP_WORDS


def single_number(body: str, *, filler: Iterable[str] = ("pin", "code", "kod", "cod")) -> str:
    """The one run of digits a message is made of ('482915', 'PIN 482915'), or '' when it
    holds anything else ('4821 3', 'my PIN is 482915')."""
    if not isinstance(body, str) or len(body) > 100:
        return ""
    allowed = set(filler)
    numbers = []
    for word in raw_words(body):
        if word.isascii() and word.isdigit():
            numbers.append(word)
        elif _word_key(word) not in allowed:
            return ""
    return numbers[0] if len(numbers) == 1 else ""


def pins_in(body: str) -> list[str]:
    """Every run of four digits or more in a message."""
    return [w for w in raw_words(body) if _is_pin(w)] if isinstance(body, str) else []


_INTERVAL_FILLER = frozenset(
    """every each la fiecare kozhni kozhen kozhnu cada tous toutes les a o""".split()
)
_HOURS = frozenset(
    "h hr hrs hour hours ora ore hora horas heure heures g god godin godini chas chasiv".split()
)
_DAYS = frozenset("d day days zi zile dia dias j jour jours den dni dniv doba".split())


def parse_interval_hours(body: str) -> int | None:
    """'EVERY 24H', '24', '12 hours', '1 day', 'кожні 12 год' → whole hours; None otherwise."""
    tokens = tokens_of(body) if isinstance(body, str) and len(body) <= 100 else []
    total = 0.0
    seen = False
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token in _INTERVAL_FILLER:
            index += 1
            continue
        if not token[0].isdigit():
            return None
        value = float(token.replace(",", "."))
        following = tokens[index + 1] if index + 1 < len(tokens) else ""
        if following in _DAYS:
            value, index = value * 24, index + 2
        elif following in _HOURS:
            index += 2
        else:
            index += 1
        total += value
        seen = True
    if not seen or total != int(total):
        return None
    return int(total)


# Language names as people write them, in each UI language and in itself.
_LANGUAGE_WORDS: dict[str, str] = {
    **dict.fromkeys("en eng english engleza anglais ingles angliiska angliyska".split(), "en"),
    **dict.fromkeys(
        "uk ua ukr ukrainian ukraineana ukrainska ukrainien ucraniano ukrainskoiu".split(), "uk"
    ),
    **dict.fromkeys("ro rom romanian romana roumain rumano romeno rumunska".split(), "ro"),
    **dict.fromkeys("es spa spanish espanol spaniola espagnol ispanska castellano".split(), "es"),
    **dict.fromkeys("pt por portuguese portugues portugheza portugais portugalska".split(), "pt"),
    **dict.fromkeys("fr fra french francais franceza frances frantsuzka".split(), "fr"),
}


def parse_language(text: str, available: Iterable[str]) -> str | None:
    """'RO', 'română', 'Українська' → a language code among `available`, or None."""
    choices = {code.split("-")[0].lower() for code in available}
    keys = [_word_key(w) for w in raw_words(text)] if isinstance(text, str) else []
    if len(keys) != 1:
        return None
    code = _LANGUAGE_WORDS.get(keys[0])
    return code if code in choices else None


_DATE_ISO = re.compile(r"^([0-9]{4})[-./]([0-9]{1,2})[-./]([0-9]{1,2})$")
_DATE_DAY_FIRST = re.compile(r"^([0-9]{1,2})[-./]([0-9]{1,2})(?:[-./]([0-9]{2}|[0-9]{4}))?$")
_DATE_SEPARATORS = re.compile(r"\s+(?:-|–|—|to|till|until|la|pana|do|po|a|hasta|ate|au)\s+|\s+")


@dataclass(frozen=True)
class Dates:
    start: datetime.date | None
    end: datetime.date | None


def _one_date(text: str, today: datetime.date) -> datetime.date | None:
    try:
        match = _DATE_ISO.match(text)
        if match:
            year, month, day = (int(g) for g in match.groups())
            return datetime.date(year, month, day)
        match = _DATE_DAY_FIRST.match(text)
        if match:
            day, month = int(match.group(1)), int(match.group(2))
            year_text = match.group(3)
            if year_text is None:
                year = today.year
                if datetime.date(year, month, day) < today - datetime.timedelta(days=31):
                    year += 1
            else:
                year = int(year_text) + (2000 if len(year_text) == 2 else 0)
            return datetime.date(year, month, day)
    except ValueError:
        return None
    return None


def parse_dates(body: str, today: datetime.date) -> Dates | None:
    """'01.05.2025 30.09.2025', '2025-05-01 - 2025-09-30', '1/5 30/9' (day first; without a
    year, the next such day), or one date (the departure). None when it is not that."""
    if not isinstance(body, str) or len(body) > 100:
        return None
    parts = [p for p in _DATE_SEPARATORS.split(body.strip().lower()) if p]
    if not 1 <= len(parts) <= 2:
        return None
    dates = [_one_date(part, today) for part in parts]
    if any(d is None for d in dates):
        return None
    start = dates[0]
    end = dates[1] if len(dates) == 2 else None
    if start is not None and end is not None and end < start and len(parts[1]) <= 5:
        end = end.replace(year=end.year + 1)  # "1.11 31.1": the return is next year
    return Dates(start, end)


def parse_employer(body: str) -> tuple[str, str]:
    """'Agro Fields / Fast Jobs' → employer and recruiter or agency ('-' or nothing: empty)."""
    text = body.strip() if isinstance(body, str) else ""
    employer, _sep, recruiter = text.partition("/")
    cleaned = []
    for part in (employer, recruiter):
        part = part.strip()
        cleaned.append("" if part in {"", "-", "—"} or is_skip(part) else part)
    return cleaned[0], cleaned[1]


@dataclass(frozen=True)
class Destination:
    country: str  # ISO 3166 alpha-2, '' when not recognised
    city: str


@dataclass
class CountryNames:
    """Country names (normalised, see `normalised_name`) and ISO codes (alpha-2 and alpha-3,
    upper case) to alpha-2 codes: built by the caller from pycountry and its translations, so
    that this module stays free of data loading."""

    names: dict[str, str] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)

    def find(self, words: list[str]) -> str:
        key = " ".join(_word_key(w) for w in words if _word_key(w))
        if not key:
            return ""
        # A code only in capitals ("PL", "POL"), so that no city is read as one.
        if len(words) == 1 and words[0].isupper() and key.upper() in self.codes:
            return self.codes[key.upper()]
        return self.names.get(key, "")


def normalised_name(name: str) -> str:
    """How CountryNames keys a name: 'Moldova, Republic of' → 'moldova republic of'."""
    return " ".join(k for k in (_word_key(w) for w in raw_words(name.replace(",", " "))) if k)


MAX_COUNTRY_WORDS = 5


def parse_destination(body: str, countries: CountryNames) -> Destination:
    """'Wrocław, Poland', 'Poland Wroclaw', 'Вроцлав Польща', 'PL' → country and city.

    The country is the longest run of words at the end (or else at the start) that names one;
    the city is what remains. An unrecognised country gives Destination('', text)."""
    text = body.strip() if isinstance(body, str) else ""
    plain = raw_words(text.replace(",", " "))
    for size in range(min(MAX_COUNTRY_WORDS, len(plain)), 0, -1):
        code = countries.find(plain[-size:])
        if code:
            return Destination(code, _city(plain[:-size]))
        code = countries.find(plain[:size])
        if code:
            return Destination(code, _city(plain[size:]))
    return Destination("", _city(plain))


def _city(words: list[str]) -> str:
    return " ".join(words).strip(_EDGE_PUNCTUATION + "-–—")
