"""Money amounts with their currency in free text (pure: no Django import).

"€500", "500 EUR", "1 200 грн", "2 mii lei", "रु 50,000", "₱15,000", "15.000.000 ₫", "R 5000",
"Rs. 20,000", "COP 500.000": a number next to a currency symbol, code or word. Thousands
separators are read the way people write them (1,200 · 1.200 · 1 200 · 1,50,000); a final group
of one or two digits is the decimal part. Symbols shared by several currencies ($, lei, Rs, R)
take the channel's region into account.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# Currency markers and the ISO 4217 code they stand for. A value of None means "depends on the
# region": see AMBIGUOUS.
_MARKERS: dict[str, str | None] = {
    "€": "EUR",
    "eur": "EUR",
    "euro": "EUR",
    "euros": "EUR",
    "євро": "EUR",
    "евро": "EUR",
    "us$": "USD",
    "usd": "USD",
    "dollars": "USD",
    "dollar": "USD",
    "долларов": "USD",
    "доллара": "USD",
    "доларів": "USD",
    "долари": "USD",
    "dolari": "USD",
    "dólares": "USD",
    "dolares": "USD",
    "$": None,
    "£": "GBP",
    "gbp": "GBP",
    "₴": "UAH",
    "грн": "UAH",
    "грн.": "UAH",
    "гривень": "UAH",
    "гривні": "UAH",
    "гривен": "UAH",
    "гривня": "UAH",
    "uah": "UAH",
    "hrn": "UAH",
    "lei": None,
    "leu": None,
    "лей": "MDL",
    "леев": "MDL",
    "mdl": "MDL",
    "ron": "RON",
    "₽": "RUB",
    "руб": "RUB",
    "руб.": "RUB",
    "рублей": "RUB",
    "рублів": "RUB",
    "rub": "RUB",
    "रु": "NPR",
    "रू": "NPR",
    "रु.": "NPR",
    "रुपैयाँ": "NPR",
    "npr": "NPR",
    "rs": None,
    "rs.": None,
    "₹": "INR",
    "inr": "INR",
    "pkr": "PKR",
    "₱": "PHP",
    "php": "PHP",
    "piso": "PHP",
    "pesos": None,
    "₫": "VND",
    "đ": "VND",
    "đồng": "VND",
    "dong": "VND",
    "vnd": "VND",
    "r": "ZAR",
    "zar": "ZAR",
    "rand": "ZAR",
    "₦": "NGN",
    "ngn": "NGN",
    "naira": "NGN",
    "cop": "COP",
    "r$": "BRL",
    "brl": "BRL",
    "reais": "BRL",
}

# Markers whose currency depends on where the channel is.
AMBIGUOUS: dict[str, dict[str, str]] = {
    "$": {"CO": "COP", "MX": "MXN", "AR": "ARS", "CL": "CLP", "": "USD"},
    "lei": {"RO": "RON", "": "MDL"},
    "leu": {"RO": "RON", "": "MDL"},
    "rs": {"PK": "PKR", "IN": "INR", "LK": "LKR", "": "NPR"},
    "rs.": {"PK": "PKR", "IN": "INR", "LK": "LKR", "": "NPR"},
    "pesos": {"PH": "PHP", "MX": "MXN", "AR": "ARS", "CL": "CLP", "": "COP"},
}

# Words multiplying the number before them: "5 тис. грн", "2 mii lei", "10k $".
_MULTIPLIERS: dict[str, int] = {
    "k": 1000,
    "тис": 1000,
    "тис.": 1000,
    "тыс": 1000,
    "тыс.": 1000,
    "mii": 1000,
    "mil": 1000,
    "thousand": 1000,
    "million": 1_000_000,
    "millions": 1_000_000,
    "млн": 1_000_000,
    "млн.": 1_000_000,
    "milioane": 1_000_000,
    "milion": 1_000_000,
    "millones": 1_000_000,
    "milhões": 1_000_000,
    "triệu": 1_000_000,
    "लाख": 100_000,
}

# Markers that are plain letters must stand as words; symbols may touch the number.
_WORDLIKE = re.compile(r"^[^\W\d_]", re.UNICODE)


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_NUMBER = r"\d{1,3}(?:[ \u00a0\u202f.,’']\d{2,3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_MARK = _alternation(list(_MARKERS))
_MULT = _alternation(list(_MULTIPLIERS))
_AFTER_WORD = r"(?![\w])"

_BEFORE = re.compile(
    r"(?<![\w$€£₴₽₹₱₫₦])(?P<mark>" + _MARK + r")\s?(?P<num>" + _NUMBER + r")"
    r"(?:\s?(?P<mult>" + _MULT + r")" + _AFTER_WORD + r")?(?![\d])",
    re.IGNORECASE,
)
_AFTER = re.compile(
    r"(?<![\w.,])(?P<num>" + _NUMBER + r")(?:\s?(?P<mult>" + _MULT + r"))?\s?"
    r"(?P<mark>" + _MARK + r")(?=$|[^\w])",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class MoneyMatch:
    start: int
    end: int
    amount: Decimal
    currency: str

    @property
    def value(self) -> str:
        return f"{format_amount(self.amount)} {self.currency}"


def format_amount(amount: Decimal) -> str:
    if amount == amount.to_integral_value():
        return str(int(amount))
    return f"{amount.quantize(Decimal('0.01'))}"


def parse_amount(text: str) -> Decimal | None:
    """'1 200' → 1200, '1.200,50' → 1200.50, '1,50,000' → 150000, '12,5' → 12.5."""
    compact = re.sub(r"[ \u00a0\u202f’']", ",", text.strip())
    parts = re.split(r"[.,]", compact)
    if len(parts) == 1:
        digits = parts[0]
    elif len(parts[-1]) in (1, 2):
        digits = "".join(parts[:-1]) + "." + parts[-1]
    else:
        digits = "".join(parts)
    try:
        return Decimal(digits)
    except InvalidOperation:
        return None


def _currency(mark: str, region: str | None) -> str:
    key = mark.lower()
    code = _MARKERS.get(key)
    if code is not None:
        return code
    choices = AMBIGUOUS[key]
    return choices.get(region or "", choices[""])


def find_money(text: str, region: str | None) -> list[MoneyMatch]:
    found: list[MoneyMatch] = []
    taken: list[tuple[int, int]] = []
    for pattern in (_BEFORE, _AFTER):
        for match in pattern.finditer(text):
            mark = match.group("mark")
            start, end = match.span()
            if _WORDLIKE.match(mark):
                # A letter marker must not be the tail or head of a longer word.
                if pattern is _BEFORE and start > 0 and text[start - 1].isalnum():
                    continue
            if mark.lower() == "r" and (pattern is _AFTER or mark != "R"):
                continue  # "R" for rand only before the number, in capitals
            if any(start < e and s < end for s, e in taken):
                continue
            amount = parse_amount(match.group("num"))
            if amount is None or amount <= 0:
                continue
            multiplier = match.group("mult")
            if multiplier:
                amount *= _MULTIPLIERS[multiplier.lower()]
            taken.append((start, end))
            found.append(MoneyMatch(start, end, amount, _currency(mark, region)))
    return sorted(found, key=lambda m: m.start)
