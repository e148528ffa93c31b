"""Generate the labelled narratives for the identifier-extraction quality test.

    .venv/bin/python palermo/intake/tests/data/generate_narratives.py

writes narratives.jsonl beside this file: one synthetic hotline narrative per line, in
Ukrainian, Russian, Romanian, English, Spanish, Portuguese, Vietnamese or Nepali, with the
region of the channel it came through and every identifier in it (kind, span, normalised
value). The output is deterministic (fixed seed): commit it, and re-run this script after
changing it.

Each narrative is a few sentences drawn from templates of its language; each slot of a
template is filled by a generator that knows the gold value of what it writes (a phone number
is made from its country code and national digits, then written the way people write them:
with a trunk 0, spaces, brackets, hyphens, a "+", "00" or Devanagari digits). Sentences also
carry distractors that an extractor must leave alone: dates, times, ages, document and order
numbers, counts, house numbers and amounts without a currency.

The templates are written for realism, not for the extractor: some forms are ones a simple
extractor misses (inflected place names, handles without an @, URLs of unusual TLDs), so the
measured recall is an honest one.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from pathlib import Path

import phonenumbers

SEED = 20001115  # the Palermo Protocol was adopted on 15 November 2000
PER_LANGUAGE = 30
OUTPUT = Path(__file__).resolve().parent / "narratives.jsonl"

Segment = tuple[str, tuple[str, str] | None]  # (text, (kind, normalised value) or None)

# --- phone numbers ---------------------------------------------------------------------------

# Country → (calling code, national mobile prefixes, digits after the prefix, trunk prefix)
MOBILE_PLANS: dict[str, tuple[str, tuple[str, ...], int, str]] = {
    "UA": ("380", ("50", "63", "66", "67", "68", "73", "93", "95", "96", "97", "98", "99"), 7, "0"),
    "MD": ("373", ("60", "62", "68", "69", "78", "79"), 6, "0"),
    "RO": ("40", ("722", "723", "744", "745", "755", "766", "788"), 6, "0"),
    "NP": ("977", ("984", "985", "986", "980", "981", "982"), 7, ""),
    "VN": ("84", ("912", "913", "903", "983", "988", "977", "868"), 6, "0"),
    "PH": ("63", ("917", "918", "927", "935", "945", "956", "966", "998"), 7, "0"),
    "CO": ("57", ("300", "301", "310", "311", "312", "313", "315", "320"), 7, ""),
    "BR": ("55", ("8598", "8599", "9198", "1199", "2198"), 7, "0"),
    "ZA": ("27", ("82", "83", "72", "73", "61"), 7, "0"),
    "NG": ("234", ("803", "806", "813", "816", "703", "706"), 7, "0"),
    "PK": ("92", ("300", "301", "321", "333", "345"), 7, "0"),
    "PL": ("48", ("501", "502", "600", "601", "691", "730"), 6, ""),
    "IT": ("39", ("320", "328", "333", "338", "347"), 7, ""),
    "RU": ("7", ("903", "905", "916", "925", "926"), 7, "8"),
    "TR": ("90", ("530", "532", "542", "555"), 7, "0"),
    "GB": ("44", ("7700", "7911", "7400"), 6, "0"),
    "IL": ("972", ("50", "52", "54"), 7, "0"),
}


def valid_national(rng: random.Random, country: str) -> tuple[str, str]:
    """A valid mobile number of `country`: (calling code, national significant number)."""
    code, prefixes, tail, _trunk = MOBILE_PLANS[country]
    for _ in range(200):
        national = rng.choice(prefixes) + "".join(rng.choice("0123456789") for _ in range(tail))
        number = phonenumbers.parse("+" + code + national)
        if phonenumbers.is_valid_number(number):
            return code, national
    raise RuntimeError(f"no valid number found for {country}")


def _group(digits: str, sizes: tuple[int, ...], sep: str = " ") -> str:
    parts, i = [], 0
    for size in sizes:
        parts.append(digits[i : i + size])
        i += size
    if i < len(digits):
        parts.append(digits[i:])
    return sep.join(p for p in parts if p)


def written_local(rng: random.Random, country: str, national: str) -> str:
    """The national number as people of `country` write it at home."""
    trunk = MOBILE_PLANS[country][3]
    if country == "UA":
        operator, rest = national[:2], national[2:]
        return rng.choice(
            [
                f"0{operator} {rest[:3]} {rest[3:]}",
                f"(0{operator}) {rest[:3]}-{rest[3:5]}-{rest[5:]}",
                f"0{operator}{rest}",
                f"0{operator} {rest[:3]} {rest[3:5]} {rest[5:]}",
            ]
        )
    if country == "MD":
        operator, rest = national[:2], national[2:]
        return rng.choice(
            [
                f"0 {operator} {rest[:3]} {rest[3:]}",
                f"0{operator} {rest[:3]} {rest[3:]}",
                f"0{national}",
            ]
        )
    if country == "NP":
        return rng.choice([national, f"{national[:3]}-{national[3:]}", national])
    if country == "CO":
        return rng.choice([f"{national[:3]} {national[3:6]} {national[6:]}", national])
    if country == "BR":
        area, rest = national[:2], national[2:]
        return rng.choice([f"({area}) {rest[:5]}-{rest[5:]}", f"{area} {rest[:5]}-{rest[5:]}"])
    if country == "RU":
        return f"8 {national[:3]} {national[3:6]}-{national[6:8]}-{national[8:]}"
    local = trunk + national
    sizes = {11: (4, 3, 4), 10: (4, 3, 3), 9: (3, 3, 3)}.get(len(local), (3, 3, 4))
    return rng.choice([_group(local, sizes), local])


def written_international(rng: random.Random, country: str, code: str, national: str) -> str:
    if country == "MD":
        return rng.choice(
            [
                f"+373 {national[:2]} {national[2:]}",
                f"+373 {national[:2]} {national[2:5]} {national[5:]}",
                f"00373 {national[:2]} {national[2:5]} {national[5:]}",
                f"+373{national}",
            ]
        )
    if country == "UA":
        return rng.choice(
            [
                f"+380 {national[:2]} {national[2:5]} {national[5:7]} {national[7:]}",
                f"+38 0{national[:2]} {national[2:5]} {national[5:7]} {national[7:]}",
                f"+380{national}",
            ]
        )
    if country == "NP":
        return rng.choice([f"+977 {national}", f"+977-{national}"])
    return rng.choice([f"+{code} {_group(national, (3, 3, 4))}", f"+{code}{national}"])


DEVANAGARI = str.maketrans("0123456789", "०१२३४५६७८९")


def phone(rng: random.Random, country: str, *, local_ok: bool = True) -> list[Segment]:
    code, national = valid_national(rng, country)
    gold = "+" + code + national
    if local_ok and rng.random() < 0.6:
        text = written_local(rng, country, national)
        if country == "NP" and rng.random() < 0.3:
            text = national.translate(DEVANAGARI)
    else:
        text = written_international(rng, country, code, national)
    return [(text, ("phone", gold))]


# --- emails, URLs, handles -------------------------------------------------------------------

FIRST = [
    "olena",
    "ion",
    "maria",
    "andrii",
    "natalia",
    "victor",
    "ana",
    "sergiu",
    "ramesh",
    "sita",
    "nguyen.van",
    "juan",
    "ana.lucia",
    "joao",
    "grace",
    "thabo",
]
LAST = [
    "koval",
    "popescu",
    "rusu",
    "moraru",
    "shrestha",
    "tran",
    "garcia",
    "silva",
    "dube",
    "ceban",
]
MAIL_DOMAINS = [
    "gmail.com",
    "ukr.net",
    "mail.ru",
    "yandex.ru",
    "yahoo.com",
    "outlook.com",
    "mail.md",
    "hotmail.com",
    "i.ua",
    "euro-jobs-agency.com",
    "work-in-poland.pl",
]
SITES = [
    "euro-work-agency.com",
    "jobs-abroad.md",
    "rabota-v-polshe.ua",
    "work-dubai-now.com",
    "model-casting-milano.it",
    "seasonal-jobs.eu",
    "nepal-foreign-jobs.com.np",
    "trabajo-espana.es",
    "empregos-europa.com.br",
    "viec-lam-nhat-ban.vn",
]


def email(rng: random.Random) -> list[Segment]:
    user = rng.choice(FIRST) + rng.choice([".", "_", ""]) + rng.choice(LAST)
    if rng.random() < 0.4:
        user += str(rng.randint(1, 99))
    domain = rng.choice(MAIL_DOMAINS)
    address = f"{user}@{domain}"
    written = address.title() if rng.random() < 0.15 else address
    if rng.random() < 0.08:  # written to dodge spam harvesters
        written = f"{user} {rng.choice(['[at]', '(at)'])} {domain}"
    return [(written, ("email", address.lower()))]


def url(rng: random.Random) -> list[Segment]:
    if rng.random() < 0.1:  # link shorteners, often without a scheme
        code = "".join(rng.choice("abcdefghkmnpqrstuvwxyzABCDEFGH23456789") for _ in range(7))
        host = rng.choice(["bit.ly", "tinyurl.com", "cutt.ly"])
        text = f"{host}/{code}"
        return [(text, ("url", f"http://{host}/{code}"))]
    site = rng.choice(SITES)
    path = rng.choice(["", "/vacancies", f"/job/{rng.randint(100, 9999)}", "/apply?ref=fb"])
    form = rng.random()
    if form < 0.4:
        scheme = rng.choice(["https", "http"])
        text = f"{scheme}://{site}{path}"
        value = f"{scheme}://{site}{path}"
    elif form < 0.6:
        text = f"www.{site}{path}"
        value = f"http://www.{site}{path}"
    else:
        text = f"{site}{path}"
        value = f"http://{site}{path}"
    return [(text, ("url", value))]


HANDLES = [
    "ionel_recrutor",
    "rabota_evropa",
    "olga_jobs",
    "dream_work_eu",
    "model_agency_md",
    "sergei.driver",
    "viec_lam_han",
    "maria.manager",
    "job_in_dubai",
    "agent_bogdan",
]


def social(rng: random.Random, platform_word: str) -> list[Segment]:
    handle = rng.choice(HANDLES) + (str(rng.randint(1, 99)) if rng.random() < 0.3 else "")
    form = rng.random()
    if form < 0.35:
        host, platform = rng.choice(
            [
                ("t.me", "telegram"),
                ("instagram.com", "instagram"),
                ("vk.com", "vk"),
                ("facebook.com", "facebook"),
            ]
        )
        text = f"{rng.choice(['', 'https://'])}{host}/{handle}"
        return [(text, ("social", f"{platform}:{handle.lower()}"))]
    if form < 0.45:
        text = f"tiktok.com/@{handle}"
        return [(text, ("social", f"tiktok:{handle.lower()}"))]
    if form < 0.55:
        profile = str(rng.randint(100000000000, 100099999999))
        text = f"https://www.facebook.com/profile.php?id={profile}"
        return [(text, ("social", f"facebook:{profile}"))]
    if form < 0.85:
        word, platform = rng.choice(
            [
                ("Telegram", "telegram"),
                ("Instagram", "instagram"),
                (platform_word, "telegram"),
                ("TikTok", "tiktok"),
            ]
        )
        return [(f"{word} ", None), (f"@{handle}", ("social", f"{platform}:{handle.lower()}"))]
    if rng.random() < 0.5:
        return [(f"@{handle}", ("social", f"@{handle.lower()}"))]
    # Written without the @ after the platform's name: found only by a reader who knows.
    return [("Telegram: ", None), (handle, ("social", f"telegram:{handle.lower()}"))]


# --- money ---------------------------------------------------------------------------------


def _thousands(amount: int, sep: str) -> str:
    return f"{amount:,}".replace(",", sep)


def money(rng: random.Random, style: str) -> list[Segment]:
    """An amount as written in `style` (a language-and-region style)."""
    amount = rng.choice([150, 300, 450, 500, 800, 1200, 1500, 2000, 3000, 5000, 10000])
    forms: list[tuple[str, int, str]] = []
    if style == "uk":
        big = amount * rng.choice([1, 10])
        forms = [
            (f"{_thousands(big, ' ')} грн", big, "UAH"),
            (f"{amount} євро", amount, "EUR"),
            (f"{amount} €", amount, "EUR"),
            (f"${amount}", amount, "USD"),
            (f"{amount} доларів", amount, "USD"),
            (f"{amount} UAH", amount, "UAH"),
        ]
    elif style == "ru":
        forms = [
            (f"{amount} евро", amount, "EUR"),
            (f"{amount} долларов", amount, "USD"),
            (f"{_thousands(amount * 10, ' ')} лей", amount * 10, "MDL"),
            (f"{amount * 100} руб", amount * 100, "RUB"),
            (f"€{amount}", amount, "EUR"),
        ]
    elif style == "ro":
        forms = [
            (f"{amount} euro", amount, "EUR"),
            (f"{_thousands(amount * 10, '.')} lei", amount * 10, "MDL"),
            (f"{amount} €", amount, "EUR"),
            (f"{amount * 10} MDL", amount * 10, "MDL"),
            (f"{amount // 500 or 1} mii lei", (amount // 500 or 1) * 1000, "MDL"),
        ]
    elif style == "ro_RO":
        forms = [
            (f"{_thousands(amount * 5, '.')} lei", amount * 5, "RON"),
            (f"{amount} euro", amount, "EUR"),
            (f"{amount} RON", amount, "RON"),
        ]
    elif style == "en":
        forms = [
            (f"${_thousands(amount, ',')}", amount, "USD"),
            (f"{amount} USD", amount, "USD"),
            (f"€{amount}", amount, "EUR"),
            (f"{amount} euros", amount, "EUR"),
            (f"₱{_thousands(amount * 50, ',')}", amount * 50, "PHP"),
            (f"R {amount * 10}", amount * 10, "ZAR"),
            (f"₦{_thousands(amount * 1000, ',')}", amount * 1000, "NGN"),
        ]
    elif style == "es":
        big = amount * 1000
        forms = [
            (f"{_thousands(big, '.')} pesos", big, "COP"),
            (f"COP {_thousands(big, '.')}", big, "COP"),
            (f"${_thousands(big, '.')}", big, "COP"),
            (f"{amount} dólares", amount, "USD"),
            (f"{amount} euros", amount, "EUR"),
        ]
    elif style == "pt":
        forms = [
            (f"R$ {_thousands(amount, '.')}", amount, "BRL"),
            (f"{amount} reais", amount, "BRL"),
            (f"{amount} euros", amount, "EUR"),
            (f"US$ {amount}", amount, "USD"),
        ]
    elif style == "vi":
        big = amount * 10000
        forms = [
            (f"{_thousands(big, '.')} đồng", big, "VND"),
            (f"{_thousands(big, '.')} ₫", big, "VND"),
            (f"{_thousands(big, '.')} VND", big, "VND"),
            (f"{amount} USD", amount, "USD"),
            (f"{big // 1_000_000 or 1} triệu đồng", (big // 1_000_000 or 1) * 1_000_000, "VND"),
        ]
    elif style == "ne":
        big = amount * 100
        lakh = (
            f"{big // 100000},{(big // 1000) % 100:02d},{big % 1000:03d}"
            if big >= 100000
            else _thousands(big, ",")
        )
        forms = [
            (f"रु {lakh}", big, "NPR"),
            (f"रु {_thousands(big, ',').translate(DEVANAGARI)}", big, "NPR"),
            (f"NPR {big}", big, "NPR"),
            (f"Rs. {_thousands(big, ',')}", big, "NPR"),
            (f"{amount} USD", amount, "USD"),
        ]
    text, value, currency = rng.choice(forms)
    return [(text, ("money", f"{value} {currency}"))]


# --- plates --------------------------------------------------------------------------------

LATIN = "ABCEHIKMOPTX"
CYRILLIC_FOR = dict(zip("ABCEHIKMOPTX", "АВСЕНІКМОРТХ", strict=True))


def plate(rng: random.Random, country: str, cyrillic: bool = False) -> list[Segment]:
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    if country == "MD":
        head = "".join(rng.choice(letters) for _ in range(3))
        digits = f"{rng.randint(100, 999)}"
        text = rng.choice([f"{head} {digits}", f"{head}{digits}"])
        value = head + digits
    elif country == "UA":
        region = rng.choice(["AA", "BH", "KA", "BC", "AX", "BI", "CE", "HH"])
        series = "".join(rng.choice(LATIN) for _ in range(2))
        digits = f"{rng.randint(1000, 9999)}"
        value = region + digits + series
        shown_region, shown_series = region, series
        if cyrillic:
            shown_region = "".join(CYRILLIC_FOR[c] for c in region)
            shown_series = "".join(CYRILLIC_FOR[c] for c in series)
        text = rng.choice(
            [f"{shown_region} {digits} {shown_series}", f"{shown_region}{digits}{shown_series}"]
        )
    elif country == "RO":
        county = rng.choice(["B", "IS", "CJ", "BT", "VS", "GL", "SV"])
        digits = f"{rng.randint(10, 99):02d}" if county != "B" else f"{rng.randint(10, 999)}"
        tail = "".join(rng.choice(letters) for _ in range(3))
        text = f"{county} {digits} {tail}"
        value = county + digits + tail
    elif country == "NP":
        number = f"{rng.randint(1000, 9999)}"
        zone = rng.randint(1, 9)
        if rng.random() < 0.5:
            text = f"बा {zone} प {number}".translate(DEVANAGARI)
            value = f"बा{zone}प{number}"
        else:
            text = f"Ba {zone} Pa {number}"
            value = f"BA{zone}PA{number}"
    elif country == "VN":
        province = rng.choice(["29", "30", "51", "43", "24"])
        series = rng.choice("ABCDEFGHK")
        number = f"{rng.randint(100, 999)}.{rng.randint(10, 99)}"
        text = f"{province}{series}-{number}"
        value = f"{province}{series}{number.replace('.', '')}"
    elif country == "PH":
        head = "".join(rng.choice(letters) for _ in range(3))
        digits = f"{rng.randint(1000, 9999)}"
        text = f"{head} {digits}"
        value = head + digits
    elif country == "BR":
        head = "".join(rng.choice(letters) for _ in range(3))
        value = f"{head}{rng.randint(1, 9)}{rng.choice(letters)}{rng.randint(10, 99)}"
        text = value
    elif country == "CO":
        head = "".join(rng.choice(letters) for _ in range(3))
        digits = f"{rng.randint(100, 999)}"
        text = rng.choice([f"{head} {digits}", f"{head}-{digits}"])
        value = head + digits
    else:
        raise ValueError(country)
    return [(text, ("plate", value))]


# --- places --------------------------------------------------------------------------------

GEONAMES = {
    "Kyiv": 703448,
    "Odesa": 698740,
    "Lviv": 702550,
    "Kharkiv": 706483,
    "Chisinau": 618426,
    "Balti": 618605,
    "Cahul": 618456,
    "Orhei": 617638,
    "Ungheni": 617180,
    "Tiraspol": 617239,
    "Soroca": 617367,
    "Bucharest": 683506,
    "Iasi": 675810,
    "Constanta": 680963,
    "Warsaw": 756135,
    "Krakow": 3094802,
    "Berlin": 2950159,
    "Milan": 3173435,
    "Rome": 3169070,
    "Moscow": 524901,
    "Istanbul": 745044,
    "Dubai": 292223,
    "Tel Aviv": 293397,
    "Kathmandu": 1283240,
    "Pokhara": 1282898,
    "Biratnagar": 1283582,
    "Delhi": 1273294,
    "Doha": 290030,
    "Kuala Lumpur": 1735161,
    "Hanoi": 1581130,
    "Lao Cai": 1576303,
    "Ho Chi Minh City": 1566083,
    "Haiphong": 1581298,
    "Manila": 1701668,
    "Cebu City": 1717512,
    "Davao": 1715348,
    "Fortaleza": 3399415,
    "Belem": 3405870,
    "Sao Paulo": 3448439,
    "Cucuta": 3685533,
    "Bogota": 3688689,
    "Medellin": 3674962,
    "Madrid": 3117735,
    "Lisbon": 2267057,
    "Durban": 1007311,
    "Johannesburg": 993800,
    "Mutare": 884979,
    "Harare": 890299,
    "Lagos": 2332459,
    "Benin City": 2347283,
    "Athens": 264371,
    "Paris": 2988507,
    "London": 2643743,
}

# Language → (surface form as written in a sentence, canonical key), incl. inflected forms.
PLACE_FORMS: dict[str, list[tuple[str, str]]] = {
    "uk": [
        ("Одеса", "Odesa"),
        ("Одеси", "Odesa"),
        ("Одесі", "Odesa"),
        ("Київ", "Kyiv"),
        ("Києві", "Kyiv"),
        ("Львів", "Lviv"),
        ("Львові", "Lviv"),
        ("Харків", "Kharkiv"),
        ("Варшава", "Warsaw"),
        ("Варшави", "Warsaw"),
        ("Кишинів", "Chisinau"),
        ("Кишинева", "Chisinau"),
        ("Стамбул", "Istanbul"),
        ("Берлін", "Berlin"),
        ("Дубай", "Dubai"),
        ("Мілан", "Milan"),
    ],
    "ru": [
        ("Кишинёв", "Chisinau"),
        ("Кишинев", "Chisinau"),
        ("Кишинёве", "Chisinau"),
        ("Тирасполь", "Tiraspol"),
        ("Бельцы", "Balti"),
        ("Москва", "Moscow"),
        ("Москве", "Moscow"),
        ("Одесса", "Odesa"),
        ("Одессу", "Odesa"),
        ("Стамбул", "Istanbul"),
        ("Тель-Авив", "Tel Aviv"),
        ("Москву", "Moscow"),
        ("Дубай", "Dubai"),
    ],
    "ro": [
        ("Chișinău", "Chisinau"),
        ("Chisinau", "Chisinau"),
        ("Chișinăului", "Chisinau"),
        ("Bălți", "Balti"),
        ("Balti", "Balti"),
        ("Cahul", "Cahul"),
        ("Orhei", "Orhei"),
        ("Ungheni", "Ungheni"),
        ("Soroca", "Soroca"),
        ("Iași", "Iasi"),
        ("București", "Bucharest"),
        ("Constanța", "Constanta"),
        ("Milano", "Milan"),
        ("Roma", "Rome"),
        ("Istanbul", "Istanbul"),
        ("Moscova", "Moscow"),
        ("Varșovia", "Warsaw"),
    ],
    "en": [
        ("Manila", "Manila"),
        ("Cebu City", "Cebu City"),
        ("Davao", "Davao"),
        ("Durban", "Durban"),
        ("Johannesburg", "Johannesburg"),
        ("Mutare", "Mutare"),
        ("Harare", "Harare"),
        ("Lagos", "Lagos"),
        ("Benin City", "Benin City"),
        ("Dubai", "Dubai"),
        ("Doha", "Doha"),
        ("Kuala Lumpur", "Kuala Lumpur"),
        ("London", "London"),
        ("Athens", "Athens"),
        ("Chisinau", "Chisinau"),
    ],
    "es": [
        ("Cúcuta", "Cucuta"),
        ("Bogotá", "Bogota"),
        ("Medellín", "Medellin"),
        ("Madrid", "Madrid"),
        ("Lisboa", "Lisbon"),
        ("París", "Paris"),
        ("Estambul", "Istanbul"),
    ],
    "pt": [
        ("Fortaleza", "Fortaleza"),
        ("Belém", "Belem"),
        ("São Paulo", "Sao Paulo"),
        ("Lisboa", "Lisbon"),
        ("Madri", "Madrid"),
        ("Paris", "Paris"),
        ("Londres", "London"),
    ],
    "vi": [
        ("Hà Nội", "Hanoi"),
        ("Lào Cai", "Lao Cai"),
        ("Hải Phòng", "Haiphong"),
        ("Thành phố Hồ Chí Minh", "Ho Chi Minh City"),
        ("Kuala Lumpur", "Kuala Lumpur"),
        ("Moscow", "Moscow"),
    ],
    "ne": [
        ("काठमाडौं", "Kathmandu"),
        ("पोखरा", "Pokhara"),
        ("विराटनगर", "Biratnagar"),
        ("दोहा", "Doha"),
        ("दुबई", "Dubai"),
        ("दिल्ली", "Delhi"),
        ("कुआलालम्पुर", "Kuala Lumpur"),
    ],
}


def place(rng: random.Random, language: str) -> list[Segment]:
    surface, key = rng.choice(PLACE_FORMS[language])
    return [(surface, ("place", f"geonames:{GEONAMES[key]}"))]


# --- distractors (never identifiers) ---------------------------------------------------------


def distractor(rng: random.Random, language: str) -> str:
    day, month, year = rng.randint(1, 28), rng.randint(1, 12), rng.choice([2023, 2024, 2025])
    return rng.choice(
        [
            f"{day:02d}.{month:02d}.{year}",
            f"{year}-{month:02d}-{day:02d}",
            f"{rng.randint(6, 22):02d}:{rng.choice(['00', '15', '30', '45'])}",
            f"{rng.choice(['AB', 'MD', 'FA', 'EK'])}{rng.randint(1000000, 9999999)}",
            f"№ {rng.randint(100000, 999999)}",
            f"#{rng.randint(1000, 9999)}",
            f"{rng.randint(2, 40)}",
            f"{rng.randint(1000, 99999)}",
            f"MD{rng.randint(10, 99)}AG{rng.randint(10**17, 10**18 - 1)}",  # an IBAN
            f"4{rng.randint(100, 999)} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)} "
            f"{rng.randint(1000, 9999)}",  # a card number
            f"{day:02d}.{month:02d}.{year} {rng.randint(6, 22):02d}:30",
            f"W6 {rng.randint(1000, 9999)}",  # a flight
            f"{rng.randint(1, 99)}/{rng.randint(1, 9)}",  # a house number
            f"{rng.randint(1, 9)} {rng.randint(100, 999)} {rng.randint(100, 999)}",
        ]
    )


# --- templates -----------------------------------------------------------------------------

# Slots: {phone} {phone_intl} {phone_neighbour} {email} {url} {social} {money} {plate}
# {plate_neighbour} {place} {x} (a distractor). Everything else is plain text.
TEMPLATES: dict[str, list[str]] = {
    "uk": [
        "Мені дзвонила жінка з номера {phone}, каже, що її сестра в {place} не може повернутися.",
        "Роботодавець забрав паспорт {x} і вимагає {money} за «борг».",
        "Оголошення було на {url}, контакт у Telegram {social}.",
        "Пишіть на {email} або дзвоніть {phone_intl}.",
        "Мікроавтобус {plate} забирав дівчат біля вокзалу о {x}.",
        "Їх везли через {place} до {place}, платили по {money} на місяць.",
        "Вербувальниця дала номер {phone} і пошту {email}.",
        "Брат працює на будові, там ще {x} чоловіків, житло на вулиці Садовій {x}.",
        "Сторінка агенції {social}, вони просять аванс {money}.",
        "Машина з молдовськими номерами {plate_neighbour} стояла біля кафе {x}.",
        "Ще є номер {phone_neighbour}, це номер з Молдови.",
    ],
    "ru": [
        "Звонила мать, дочь уехала в {place} по объявлению {url}.",
        "Номер вербовщика {phone}, второй номер {phone_intl}.",
        "Им обещали {money} в месяц, но забрали документы {x}.",
        "Пишите на почту {email}, ответят до {x}.",
        "Девушек увозили на машине {plate} в сторону {place}.",
        "Связь только через {social}, оплата {money} наличными.",
        "Парень из {place} сказал, что их там {x} человек.",
        "Украинский номер водителя {phone_neighbour}, машина {plate_neighbour}.",
    ],
    "ro": [
        "M-a sunat o femeie de pe numărul {phone}, fiica ei e la {place} și nu poate pleca.",
        "Angajatorul a luat pașaportul {x} și cere {money} pentru transport.",
        "Anunțul era pe {url}, iar recrutorul scria pe {social}.",
        "Scrieți-mi la {email} sau sunați la {phone_intl}.",
        "Microbuzul {plate} a plecat din {place} spre {place} la ora {x}.",
        "Au promis {money} pe lună, dar au plătit doar {money}.",
        "Numărul ucrainean al șoferului este {phone_neighbour}.",
        "Mașina cu numere românești {plate_neighbour} venea în fiecare vineri, apartamentul {x}.",
        "Femeia din {place} are {x} ani și lucrează fără contract.",
        "A dat și un număr de pe Viber: {phone}.",
    ],
    "en": [
        "A truck driver called from {phone} about a van {plate} dropping girls at truck "
        "after truck.",
        "The recruiter asked for {money} as a placement fee and kept her ID {x}.",
        "They advertised on {url} and answered only on {social}.",
        "Contact the agent at {email} or {phone_intl}.",
        "She was moved from {place} to {place} and told she owes {money}.",
        "The caller's cousin works in {place}; there are {x} other workers in the house.",
        "Another number she gave was {phone}, call after {x}.",
        "The manager's email is {email}; he posts on {social}.",
    ],
    "es": [
        "Me llamó una señora desde el {phone}, su hija está en {place} y no la dejan salir.",
        "Le cobraron {money} por el viaje y le quitaron el pasaporte {x}.",
        "La oferta estaba en {url} y el contacto es {social}.",
        "Escriba a {email} o llame al {phone_intl}.",
        "La camioneta de placa {plate} sale de {place} hacia {place} a las {x}.",
        "Les pagan {money} al mes, son {x} personas en la finca.",
    ],
    "pt": [
        "Uma mulher ligou do número {phone}, a filha está em {place} sem documentos.",
        "Cobraram {money} pela viagem e ficaram com o passaporte {x}.",
        "O anúncio estava em {url} e o aliciador respondia em {social}.",
        "Mande e-mail para {email} ou ligue para {phone_intl}.",
        "O carro de placa {plate} leva os trabalhadores de {place} até a fazenda, km {x}.",
        "Prometeram {money} por mês, mas são {x} pessoas num quarto.",
    ],
    "vi": [
        "Một phụ nữ gọi từ số {phone}, con gái bà đang ở {place} và không thể về.",
        "Họ thu {money} phí môi giới và giữ hộ chiếu {x}.",
        "Quảng cáo trên {url}, liên hệ qua {social}.",
        "Gửi email tới {email} hoặc gọi {phone_intl}.",
        "Xe biển số {plate} chở người từ {place} đi {place} lúc {x}.",
        "Họ hứa trả {money} mỗi tháng, có {x} người trong nhà.",
    ],
    "ne": [
        "एक महिलाले {phone} बाट फोन गरिन्, उनकी छोरी {place} मा फसेकी छिन्।",
        "एजेन्टले {money} लियो र राहदानी {x} राख्यो।",
        "विज्ञापन {url} मा थियो, सम्पर्क {social} मा।",
        "इमेल {email} वा फोन {phone_intl} मा सम्पर्क गर्नुहोस्।",
        "गाडी {plate} ले मानिसहरूलाई {place} बाट {place} लग्यो, समय {x}।",
        "उनीहरूलाई महिनाको {money} भनिएको थियो, कोठामा {x} जना छन्।",
    ],
}

# Language → (regions of the channels that hear it, money styles, neighbour phone and plate
# countries, the local word for Telegram).
PROFILES: dict[str, tuple[list[str], list[str], str, str, str]] = {
    "uk": (["UA", "MD"], ["uk"], "MD", "MD", "телеграм"),
    "ru": (["MD", "UA"], ["ru"], "UA", "UA", "телеграм"),
    "ro": (["MD", "RO"], ["ro"], "UA", "RO", "Telegram"),
    "en": (["PH", "ZA", "NG", "MD"], ["en"], "", "", "Telegram"),
    "es": (["CO"], ["es"], "", "", "Telegram"),
    "pt": (["BR"], ["pt"], "", "", "Telegram"),
    "vi": (["VN"], ["vi"], "", "", "Telegram"),
    "ne": (["NP"], ["ne"], "", "", "Telegram"),
}
FOREIGN = ["PL", "IT", "TR", "GB", "IL", "RU", "UA", "MD", "RO"]
PLATE_COUNTRY = {
    "UA": "UA",
    "MD": "MD",
    "RO": "RO",
    "NP": "NP",
    "VN": "VN",
    "PH": "PH",
    "BR": "BR",
    "CO": "CO",
}


def fill(rng: random.Random, language: str, region: str, template: str) -> list[Segment]:
    _regions, styles, neighbour_phone, neighbour_plate, telegram_word = PROFILES[language]
    fillers: dict[str, Callable[[], list[Segment]]] = {
        "phone": lambda: phone(rng, region),
        "phone_intl": lambda: phone(rng, rng.choice(FOREIGN), local_ok=False),
        # People write a neighbouring country's number locally only where the lengths
        # cannot be confused: Ukrainian ones (10 digits) to Moldova, Moldovan (9) elsewhere.
        "phone_neighbour": lambda: phone(rng, "UA" if region == "MD" else "MD"),
        "email": lambda: email(rng),
        "url": lambda: url(rng),
        "social": lambda: social(rng, telegram_word),
        "money": lambda: money(rng, "ro_RO" if region == "RO" else rng.choice(styles)),
        "plate": lambda: plate(
            rng,
            PLATE_COUNTRY.get(region, "MD"),
            cyrillic=language in ("uk", "ru") and rng.random() < 0.5,
        ),
        "plate_neighbour": lambda: plate(rng, neighbour_plate or "MD"),
        "place": lambda: place(rng, language),
        "x": lambda: [(distractor(rng, language), None)],
    }
    segments: list[Segment] = []
    position = 0
    for match in re.finditer(r"\{(\w+)\}", template):
        segments.append((template[position : match.start()], None))
        segments += fillers[match.group(1)]()
        position = match.end()
    segments.append((template[position:], None))
    return segments


def sms_style(piece: str, label: tuple[str, str] | None) -> str:
    """As typed on a phone in a hurry: lower case, no diacritics (values are kept as gold)."""
    if label is not None and label[0] not in ("place", "plate"):
        return piece
    import unicodedata

    folded = unicodedata.normalize("NFD", piece.lower())
    if any("\u0900" <= c <= "\u097f" for c in folded):
        return piece
    return unicodedata.normalize(
        "NFC", "".join(c for c in folded if unicodedata.category(c) != "Mn")
    )


def narrative(rng: random.Random, language: str, number: int) -> dict[str, object]:
    regions = PROFILES[language][0]
    region = regions[number % len(regions)]
    templates = TEMPLATES[language]
    chosen = rng.sample(templates, k=min(len(templates), rng.randint(2, 4)))
    sms = rng.random() < 0.12
    text = ""
    entities = []
    for sentence_number, template in enumerate(chosen):
        if sentence_number:
            text += " "
        for piece, label in fill(rng, language, region, template):
            if sms:
                piece = sms_style(piece, label)
            if label is not None:
                entities.append(
                    {
                        "kind": label[0],
                        "start": len(text),
                        "end": len(text) + len(piece),
                        "value": label[1],
                    }
                )
            text += piece
    for entity in entities:
        assert entity["start"] < entity["end"]
    return {
        "id": f"{language}-{number:03d}",
        "language": language,
        "region": region,
        "text": text,
        "entities": entities,
    }


def generate() -> list[dict[str, object]]:
    rng = random.Random(SEED)
    return [
        narrative(rng, language, number) for language in TEMPLATES for number in range(PER_LANGUAGE)
    ]


def main() -> None:
    rows = generate()
    with OUTPUT.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    kinds: dict[str, int] = {}
    for row in rows:
        for entity in row["entities"]:  # type: ignore[attr-defined]
            kinds[entity["kind"]] = kinds.get(entity["kind"], 0) + 1
    print(f"wrote {len(rows)} narratives to {OUTPUT}: {dict(sorted(kinds.items()))}")


if __name__ == "__main__":
    main()
