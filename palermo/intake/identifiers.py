"""Identifiers in free text: what a narrative or a message names that can link it to others.

Pure (no Django import): `extract(text, region=...)` returns every phone number, email
address, URL, social-media handle, money amount, vehicle plate and place name it finds, each
with its span in the text and a normalised value ready for exact matching:

| kind   | normalised value                               | found by                              |
|--------|------------------------------------------------|---------------------------------------|
| phone  | E.164: +37369123456                            | phonenumbers' matcher, region-aware    |
| email  | lower case: olena.k@example.org                | a pattern                             |
| url    | scheme://host/path?query, host in lower case   | a pattern (scheme or www. or a TLD)   |
| social | platform:handle, or @handle when unknown       | profile URLs and @handles             |
| money  | "1200 UAH" (amount, ISO 4217 code)             | money.py                              |
| plate  | MDABC123-style, without spaces (country apart) | plate_formats.py, per country         |
| place  | geonames:<id> (country and name apart)         | gazetteer.py (offline GeoNames)       |

Where two findings overlap, the more specific kind wins (an email's domain is not also a URL,
a plate is not read inside an amount), in the order of KINDS.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import phonenumbers
from phonenumbers import Leniency, PhoneNumberFormat, PhoneNumberMatcher

from .gazetteer import find_places
from .money import find_money
from .plate_formats import find_plates

KINDS = ("email", "social", "url", "money", "phone", "plate", "place")
KIND_ORDER = {kind: rank for rank, kind in enumerate(KINDS)}


@dataclass(frozen=True)
class Found:
    """One identifier in a text: its kind, where it is, and its normalised value."""

    kind: str
    start: int
    end: int
    text: str
    value: str
    country: str = ""
    detail: Mapping[str, Any] = field(default_factory=dict)

    def overlaps(self, other: Found) -> bool:
        return self.start < other.end and other.start < self.end


# The countries whose numbers callers of a region write without the country code, where their
# local form cannot be mistaken for one of the region's own (different lengths or prefixes).
PHONE_NEIGHBOURS: dict[str, tuple[str, ...]] = {
    "MD": ("UA",),
    "UA": ("MD",),
    "RO": ("MD",),
    "RU": ("UA",),
    "NP": ("IN",),
}


def regions_for(region: str | None, extra: Iterable[str] = ()) -> list[str]:
    """The channel's region first, then the regions its callers most often mention."""
    ordered = [region] if region else []
    for candidate in (*extra, *PHONE_NEIGHBOURS.get(region or "", ())):
        if candidate and candidate not in ordered:
            ordered.append(candidate)
    return ordered


# --- emails --------------------------------------------------------------------------------

_EMAIL = re.compile(
    r"(?<![\w.+\-@])([\w+\-]+(?:\.[\w+\-]+)*@[\w\-]+(?:\.[\w\-]+)*\.[^\W\d_]{2,24})(?![\w\-@])"
)


# Written to dodge address harvesters: "olena [at] gmail.com", "olena(at)gmail.com".
_OBFUSCATED_EMAIL = re.compile(
    r"(?<![\w.+\-@])([\w+\-]+(?:\.[\w+\-]+)*)\s?[\[(]at[\])]\s?"
    r"([\w\-]+(?:\.[\w\-]+)*\.[^\W\d_]{2,24})(?![\w\-@])",
    re.IGNORECASE,
)


def _emails(text: str) -> list[Found]:
    found = [
        Found("email", m.start(1), m.end(1), m.group(1), m.group(1).lower())
        for m in _EMAIL.finditer(text)
    ]
    found += [
        Found("email", m.start(), m.end(), m.group(), f"{m.group(1)}@{m.group(2)}".lower())
        for m in _OBFUSCATED_EMAIL.finditer(text)
    ]
    return found


# --- social-media handles ----------------------------------------------------------------

_PLATFORM_HOSTS = {
    "t.me": "telegram",
    "telegram.me": "telegram",
    "telegram.dog": "telegram",
    "facebook.com": "facebook",
    "fb.com": "facebook",
    "m.facebook.com": "facebook",
    "instagram.com": "instagram",
    "tiktok.com": "tiktok",
    "vk.com": "vk",
    "ok.ru": "ok",
    "twitter.com": "x",
    "x.com": "x",
    "linkedin.com": "linkedin",
    "youtube.com": "youtube",
}
_PROFILE_URL = re.compile(
    r"(?<![\w.\-@/])(?:https?://)?(?:www\.|m\.)?"
    r"(?P<host>t\.me|telegram\.me|telegram\.dog|facebook\.com|fb\.com|instagram\.com|"
    r"tiktok\.com|vk\.com|ok\.ru|twitter\.com|x\.com|linkedin\.com/in|youtube\.com)"
    r"/(?P<path>[^\s<>\"'«»“”]+)",
    re.IGNORECASE,
)
_WHATSAPP = re.compile(r"(?<![\w.\-@/])(?:https?://)?wa\.me/\+?(?P<digits>\d{7,15})", re.I)
_HANDLE = re.compile(r"(?<![\w@.\-/])@(?P<handle>[A-Za-z0-9_](?:[A-Za-z0-9_.]{1,30}[A-Za-z0-9_]))")
# Words that name the platform of a bare @handle when they come shortly before it.
_PLATFORM_WORDS = {
    "telegram": "telegram",
    "телеграм": "telegram",
    "телеграмі": "telegram",
    "телеграме": "telegram",
    "телеграмм": "telegram",
    "tg": "telegram",
    "тг": "telegram",
    "instagram": "instagram",
    "insta": "instagram",
    "інстаграм": "instagram",
    "инстаграм": "instagram",
    "інстаграмі": "instagram",
    "инстаграме": "instagram",
    "tiktok": "tiktok",
    "тікток": "tiktok",
    "тикток": "tiktok",
    "facebook": "facebook",
    "фейсбук": "facebook",
    "viber": "viber",
    "вайбер": "viber",
    "twitter": "x",
    "vk": "vk",
    "вк": "vk",
    "вконтакте": "vk",
}
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_CONTEXT_CHARS = 40
_TRAILING = ".,;:!?)]}»\"'’”"


def _trim_url(raw: str) -> str:
    while raw and raw[-1] in _TRAILING:
        if raw[-1] == ")" and raw.count("(") >= raw.count(")"):
            break
        raw = raw[:-1]
    return raw


def _social(text: str) -> list[Found]:
    found: list[Found] = []
    for m in _PROFILE_URL.finditer(text):
        raw = _trim_url(m.group())
        host = m.group("host").lower()
        path = raw[raw.lower().find(host) + len(host) + 1 :]
        platform = _PLATFORM_HOSTS.get(host.split("/")[0], "linkedin")
        handle = _profile_handle(platform, path)
        if handle:
            found.append(
                Found("social", m.start(), m.start() + len(raw), raw, f"{platform}:{handle}")
            )
    for m in _HANDLE.finditer(text):
        handle = m.group("handle").lower()
        before = text[max(0, m.start() - _CONTEXT_CHARS) : m.start()].lower()
        words = _WORD.findall(before)
        platform = next((_PLATFORM_WORDS[w] for w in reversed(words) if w in _PLATFORM_WORDS), "")
        value = f"{platform}:{handle}" if platform else f"@{handle}"
        found.append(Found("social", m.start(), m.end(), m.group(), value, detail={}))
    return found + _named_handles(text)


# "Telegram: olga_jobs" — a username after the platform's name, without the @. Only names that
# look like usernames (with _ . or a digit) are taken: plain words are not.
_NAMED_HANDLE = re.compile(
    r"(?P<word>telegram|телеграм|instagram|insta|інстаграм|инстаграм|tiktok|viber|вайбер|tg|тг)"
    r"\s?:\s?(?P<handle>[A-Za-z][A-Za-z0-9_.]{3,30}[A-Za-z0-9_])(?![\w@])",
    re.IGNORECASE,
)


def _named_handles(text: str) -> list[Found]:
    found = []
    for m in _NAMED_HANDLE.finditer(text):
        handle = m.group("handle")
        if not re.search(r"[_.\d]", handle):
            continue
        platform = _PLATFORM_WORDS.get(m.group("word").lower(), "")
        value = f"{platform}:{handle.lower()}" if platform else f"@{handle.lower()}"
        found.append(Found("social", m.start("handle"), m.end("handle"), handle, value))
    return found


def _profile_handle(platform: str, path: str) -> str:
    """The account named by the path of a profile URL ('' when it names none)."""
    parsed = urlsplit("https://x/" + path)
    if platform == "facebook" and parsed.path.startswith("/profile.php"):
        ids = parse_qs(parsed.query).get("id", [])
        return ids[0] if ids and ids[0].isdigit() else ""
    first = parsed.path.strip("/").split("/")[0]
    if platform == "tiktok" and not first.startswith("@"):
        return ""
    first = first.lstrip("@")
    if not re.fullmatch(r"[\w.\-]{2,64}", first) or first.lower() in {"share", "joinchat"}:
        return ""
    return first.lower()


# --- URLs ----------------------------------------------------------------------------------

# Top-level domains recognised without a scheme: generic ones, the countries of the coalition and
# of common destinations, and those of link shorteners (bit.ly, cutt.ly). Two-letter domains
# that are also common words (to, no, be, at, am, my, us, se, id) need a scheme or "www.".
_TLDS = (
    "com|net|org|info|biz|eu|md|ua|ro|ru|by|bg|pl|de|it|es|pt|fr|uk|tr|np|in|pk|ph|vn|br|co|"
    "za|zw|ng|io|me|site|online|top|xyz|work|jobs|club|shop|store|app|live|pro|world|agency|"
    "ly|gl|gd|cc|su|kz|ge|az|lt|lv|ee|cz|sk|hu|ch|nl|dk|fi|ie|gr|il|ae|qa|sa|th|jp|kr|cn|ca|"
    "mx|ar|cl|pe|ke|gh|link|click|ws"
)
_URL = re.compile(
    r"(?<![\w@.\-/])(?:(?:https?://|www\.)[^\s<>\"'«»“”]+|"
    r"[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)*\.(?:" + _TLDS + r")"
    r"(?:/[^\s<>\"'«»“”]*)?(?![\w\-]))",
    re.IGNORECASE,
)


def canonical_url(raw: str) -> str:
    """Scheme and host in lower case (http:// when none was written), no default port, no
    fragment, no trailing slash on an empty path."""
    candidate = raw if re.match(r"^[a-z][a-z0-9+.\-]*://", raw, re.I) else "http://" + raw
    parts = urlsplit(candidate)
    host = (parts.hostname or "").lower().rstrip(".")
    try:
        host = host.encode("idna").decode("ascii") if host else host
    except UnicodeError:
        pass
    port = parts.port if parts.port and parts.port not in (80, 443) else None
    netloc = f"{host}:{port}" if port else host
    path = parts.path if parts.path not in ("", "/") else ""
    return urlunsplit((parts.scheme.lower(), netloc, path, parts.query, ""))


def _urls(text: str) -> list[Found]:
    found = []
    for m in _URL.finditer(text):
        raw = _trim_url(m.group())
        if "." not in raw or _WHATSAPP.fullmatch(raw):
            continue  # a WhatsApp link is the phone number it names
        try:
            value = canonical_url(raw)
        except ValueError:
            continue
        found.append(Found("url", m.start(), m.start() + len(raw), raw, value))
    return found


# --- phone numbers -------------------------------------------------------------------------


def _phone(found: Any, region: str) -> Found:
    number = found.number
    return Found(
        "phone",
        found.start,
        found.end,
        found.raw_string,
        phonenumbers.format_number(number, PhoneNumberFormat.E164),
        country=phonenumbers.region_code_for_number(number) or region,
    )


# Dates and times look like local numbers to some regions' plans ("05.11.2025").
_DATE_LIKE = re.compile(
    r"^(?:\d{1,2}[./\-]\d{1,2}[./\-]\d{2,4}|\d{4}[./\-]\d{1,2}[./\-]\d{1,2}|\d{1,2}:\d{2})(?!\d)"
)
_DOUBLE_ZERO = re.compile(r"(?<![\d+])00(?P<digits>[1-9][\d ()\-]{6,20}\d)(?!\d)")


def _phones(text: str, regions: list[str]) -> list[Found]:
    """Numbers valid in the channel's region; then, where none was found, numbers valid in a
    neighbouring region ("067 123 4567" to a Moldovan line is Ukrainian); and numbers written
    with a country code that are possible though not (yet) known to be valid."""
    primary = regions[0] if regions else "ZZ"
    found = [_phone(m, primary) for m in PhoneNumberMatcher(text, primary, Leniency.VALID)]
    for m in PhoneNumberMatcher(text, primary, Leniency.POSSIBLE):
        raw = m.raw_string.lstrip("(")
        international = raw.startswith("+") or raw.startswith("00")
        candidate = _phone(m, primary)
        if international and not any(candidate.overlaps(f) for f in found):
            found.append(candidate)
    for region in regions[1:]:
        for m in PhoneNumberMatcher(text, region, Leniency.VALID):
            candidate = _phone(m, region)
            if not any(candidate.overlaps(f) for f in found):
                found.append(candidate)
    # "00" is the international prefix almost everywhere, though not in every region's plan.
    for zero in _DOUBLE_ZERO.finditer(text):
        try:
            number = phonenumbers.parse("+" + zero.group("digits"))
        except phonenumbers.NumberParseException:
            continue
        candidate = Found(
            "phone",
            zero.start(),
            zero.end(),
            zero.group(),
            phonenumbers.format_number(number, PhoneNumberFormat.E164),
            country=phonenumbers.region_code_for_number(number) or "",
        )
        if phonenumbers.is_valid_number(number) and not any(candidate.overlaps(f) for f in found):
            found.append(candidate)
    found = [f for f in found if not _DATE_LIKE.match(f.text.strip())]
    for link in _WHATSAPP.finditer(text):
        try:
            number = phonenumbers.parse("+" + link.group("digits"))
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_possible_number(number):
            value = phonenumbers.format_number(number, PhoneNumberFormat.E164)
            country = phonenumbers.region_code_for_number(number) or ""
            found.append(
                Found("phone", link.start(), link.end(), link.group(), value, country=country)
            )
    return found


# --- the whole text --------------------------------------------------------------------------


def extract(
    text: str, *, region: str | None = None, extra_regions: Iterable[str] = ()
) -> list[Found]:
    """Every identifier in `text`, in text order, overlaps settled by KINDS' order.

    `region` is the ISO 3166 code of the channel's (or the organisation's) country: it decides
    how local phone numbers, "$" or "lei" and ambiguous place names are read.
    """
    if not text:
        return []
    regions = regions_for(region.upper() if region else None, extra_regions)
    candidates: list[Found] = []
    candidates += _emails(text)
    candidates += _social(text)
    candidates += _urls(text)
    candidates += [
        Found(
            "money", m.start, m.end, text[m.start : m.end], m.value, detail={"currency": m.currency}
        )
        for m in find_money(text, regions[0] if regions else None)
    ]
    candidates += _phones(text, regions)
    candidates += [
        Found("plate", p.start, p.end, text[p.start : p.end], p.value, country=p.country)
        for p in find_plates(text, regions[0] if regions else None)
    ]
    candidates += [
        Found(
            "place",
            p.start,
            p.end,
            text[p.start : p.end],
            f"geonames:{p.city.geonames_id}",
            country=p.city.country,
            detail={"name": p.city.name, "geonames_id": p.city.geonames_id},
        )
        for p in find_places(text, regions)
    ]
    kept: list[Found] = []
    for item in sorted(candidates, key=lambda f: (KIND_ORDER[f.kind], f.start, -f.end)):
        if not any(item.overlaps(k) for k in kept):
            kept.append(item)
    return sorted(kept, key=lambda f: (f.start, f.end))
