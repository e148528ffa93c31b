"""Vehicle registration plate formats per country (pure data and matching: no Django import).

Truckers and tipsters write plates as they see them: with or without spaces or hyphens, and in
Ukraine, Russia or Bulgaria often with Cyrillic letters that look like Latin ones. A pattern
here is matched on a copy of the text where those look-alikes are folded to Latin and
Devanagari digits to ASCII, so one pattern covers both spellings. Patterns are written for
upper-case plates: lower-case words and numbers in prose are far too common to be plates.

Adding a country: give its patterns below (a plate must match one in full, between
non-alphanumeric characters). Order within a country does not matter; between countries, the
region of the channel (or organisation) and its neighbours are tried first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Cyrillic capitals that plates share with Latin ones (ГОСТ / ДСТУ / БДС alphabets).
CYRILLIC_LOOKALIKES = str.maketrans(
    {
        "А": "A",
        "В": "B",
        "Е": "E",
        "І": "I",
        "К": "K",
        "М": "M",
        "Н": "H",
        "О": "O",
        "Р": "P",
        "С": "C",
        "Т": "T",
        "У": "Y",
        "Х": "X",
    }
)
CYRILLIC_LOOKALIKES.update(
    {
        ord(k.lower()): v.lower()
        for k, v in (
            ("А", "a"),
            ("В", "b"),
            ("Е", "e"),
            ("І", "i"),
            ("К", "k"),
            ("М", "m"),
            ("Н", "h"),
            ("О", "o"),
            ("Р", "p"),
            ("С", "c"),
            ("Т", "t"),
            ("У", "y"),
            ("Х", "x"),
        )
    }
)
DEVANAGARI_DIGITS = str.maketrans("०१२३४५६७८९", "0123456789")

# A plate typed in lower case (an SMS in a hurry) is taken only after a word that announces a
# vehicle or its number, within a few words: lower-case letters and digits are too common.
PLATE_CUES = (
    "nr",
    "numar",
    "număr",
    "numarul",
    "numărul",
    "numere",
    "numerele",
    "номер",
    "номера",
    "номером",
    "номерами",
    "номери",
    "plate",
    "reg",
    "placa",
    "plates",
    "biển",
    "xe",
    "машина",
    "машины",
    "машине",
    "машину",
    "машиной",
    "машині",
    "авто",
    "автомобіль",
    "автомобиль",
    "автобус",
    "мікроавтобус",
    "микроавтобус",
    "masina",
    "mașina",
    "masinii",
    "microbuz",
    "microbuzul",
    "auto",
    "car",
    "van",
    "truck",
    "bus",
    "carro",
    "camioneta",
    "caminhão",
    "गाडी",
)
_CUE_WINDOW = 30
_CUE_WORD = re.compile(r"[^\W\d_]+")

_RO_COUNTIES = (
    "AB|AR|AG|BC|BH|BN|BT|BV|BR|BZ|CS|CL|CJ|CT|CV|DB|DJ|GL|GR|GJ|HR|HD|IL|IS|IF|MM|MH|MS|NT|"
    "OT|PH|SM|SJ|SB|SV|TR|TM|TL|VS|VL|VN"
)
_BG_REGIONS = "A|B|BH|BP|BT|C|CA|CB|CH|CM|CO|CC|CT|E|EB|EH|H|K|KH|M|OB|P|PA|PB|PK|PP|T|TX|X|Y"
_NP_ZONES_LATIN = "Ba|Ko|Sa|Ja|Na|Ga|Lu|Dha|Ra|Bhe|Ma|Se|Me|Ka|Pra"
_NP_CLASSES_LATIN = "Pa|Kha|Cha|Ja|Ga"
_UA_LETTERS = "[ABCEHIKMOPTX]"
_RU_LETTERS = "[ABEKMHOPCTYX]"
_SEP = r"[ \-]?"

# Country → regular expressions (matched in full against the folded text).
PLATE_PATTERNS: dict[str, tuple[str, ...]] = {
    # Moldova: ABC 123 since 2015; older district plates such as "C AB 123".
    "MD": (r"[A-Z]{3}" + _SEP + r"\d{3}", r"[A-Z]{1,2} [A-Z]{2} \d{3}"),
    # Ukraine: AA 1234 BB (region, number, series).
    "UA": (_UA_LETTERS + "{2}" + _SEP + r"\d{4}" + _SEP + _UA_LETTERS + "{2}",),
    # Romania: B 123 ABC (Bucharest) and CJ 12 ABC (counties).
    "RO": (
        r"B" + _SEP + r"\d{2,3}" + _SEP + r"[A-Z]{3}",
        r"(?:" + _RO_COUNTIES + r")" + _SEP + r"\d{2}" + _SEP + r"[A-Z]{3}",
    ),
    # Russia: A 123 BC 77 (letter, number, series, region).
    "RU": (_RU_LETTERS + _SEP + r"\d{3}" + _SEP + _RU_LETTERS + "{2}" + _SEP + r"\d{2,3}",),
    # Bulgaria: CA 1234 AB.
    "BG": (r"(?:" + _BG_REGIONS + r")" + _SEP + r"\d{4}" + _SEP + _RU_LETTERS + "{2}",),
    # Nepal: "Ba 2 Pa 1234" in Latin letters, or the same in Devanagari (बा २ प १२३४).
    "NP": (
        r"(?:" + _NP_ZONES_LATIN + r") ?\d{1,2} ?(?:" + _NP_CLASSES_LATIN + r") ?\d{4}",
        r"[\u0900-\u097F]{1,3} ?\d{1,2} ?[\u0900-\u097F]{1,3} ?\d{4}",
    ),
    # Viet Nam: 29A-123.45 or 51F 12345.
    "VN": (r"\d{2}[A-Z]\d?" + _SEP + r"\d{3}\.?\d{2}",),
    # Philippines: ABC 1234.
    "PH": (r"[A-Z]{3}" + _SEP + r"\d{4}",),
    # Brazil: ABC-1234 (old) and ABC1D23 (Mercosul).
    "BR": (r"[A-Z]{3}-?\d{4}", r"[A-Z]{3}\d[A-Z]\d{2}"),
    # Colombia: ABC 123 (cars) and ABC 12D (motorcycles).
    "CO": (r"[A-Z]{3}" + _SEP + r"\d{3}", r"[A-Z]{3}" + _SEP + r"\d{2}[A-Z]"),
}

# Which countries' plates (and phone numbers) a channel in one country most often hears of.
NEIGHBOURS: dict[str, tuple[str, ...]] = {
    "MD": ("UA", "RO", "RU", "BG"),
    "UA": ("MD", "RO", "RU", "BG", "PL"),
    "RO": ("MD", "UA", "BG"),
    "RU": ("UA", "MD"),
    "BG": ("RO", "MD", "UA"),
    "NP": ("IN",),
    "VN": ("CN", "LA", "KH"),
    "PH": (),
    "BR": ("CO",),
    "CO": ("BR",),
}

# Letters and digits of the scripts plates use (the Devanagari danda "।" ends a sentence).
_BOUNDARY_BEFORE = r"(?<![0-9A-Za-z\u0900-\u0963\u0966-\u097F])"
_BOUNDARY_AFTER = r"(?![0-9A-Za-z\u0900-\u0963\u0966-\u097F])"


@dataclass(frozen=True)
class PlateMatch:
    start: int
    end: int
    value: str  # without spaces, hyphens or dots; Latin letters; ASCII digits
    country: str


def fold(text: str) -> str:
    """The text with Cyrillic plate letters as Latin and Devanagari digits as ASCII.

    Every character maps to exactly one, so offsets in the folded text are offsets in the
    original.
    """
    return text.translate(CYRILLIC_LOOKALIKES).translate(DEVANAGARI_DIGITS)


def country_order(region: str | None) -> list[str]:
    """The countries to try, the region and its neighbours first."""
    first = [region] if region in PLATE_PATTERNS else []
    first += [c for c in NEIGHBOURS.get(region or "", ()) if c in PLATE_PATTERNS]
    return first + [c for c in PLATE_PATTERNS if c not in first]


_COMPILED: dict[str, list[re.Pattern[str]]] = {
    country: [re.compile(_BOUNDARY_BEFORE + p + _BOUNDARY_AFTER) for p in patterns]
    for country, patterns in PLATE_PATTERNS.items()
}
_COMPILED_ANY_CASE: dict[str, list[re.Pattern[str]]] = {
    country: [re.compile(_BOUNDARY_BEFORE + p + _BOUNDARY_AFTER, re.I) for p in patterns]
    for country, patterns in PLATE_PATTERNS.items()
}


def normalise_plate(raw: str) -> str:
    return re.sub(r"[\s\-.]", "", fold(raw)).upper()


def _announced(text: str, start: int) -> bool:
    before = text[max(0, start - _CUE_WINDOW) : start].lower()
    return any(word in PLATE_CUES for word in _CUE_WORD.findall(before)[-3:])


def find_plates(text: str, region: str | None) -> list[PlateMatch]:
    """Plates in `text`, each attributed to the first country (in `country_order`) it fits:
    upper-case ones anywhere, lower-case ones only after a word such as "номер" or "placa"."""
    folded = fold(text)
    taken: list[tuple[int, int]] = []
    found: list[PlateMatch] = []
    for patterns in (_COMPILED, _COMPILED_ANY_CASE):
        for country in country_order(region):
            for pattern in patterns[country]:
                for match in pattern.finditer(folded):
                    start, end = match.span()
                    if any(start < e and s < end for s, e in taken):
                        continue
                    if patterns is _COMPILED_ANY_CASE and not _announced(text, start):
                        continue
                    taken.append((start, end))
                    found.append(PlateMatch(start, end, normalise_plate(text[start:end]), country))
    return sorted(found, key=lambda m: m.start)
