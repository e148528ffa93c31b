"""Demo data for intake: the hotline's campaigns and a few hundred contacts of recent months.

Deterministic for a seed: the same narratives, categories, channels and times (relative to
now) every load. Narratives are written in the languages the demo hotline hears (Romanian,
Russian, Ukrainian, English, Nepali, Vietnamese, Spanish, Portuguese) and name phone numbers,
plates, places, accounts and amounts, so the identifiers, the queue and the statistics all
have something to show. Called by `palermo demo-data` (palermo/demo/loader.py).
"""

from __future__ import annotations

import datetime
import random
from typing import Any

import phonenumbers
from django.db import transaction
from django.utils import timezone

from palermo.vault.fields import blind_index

from . import identifiers as extraction
from .field_groups import IDENTIFIER_DOMAINS, reporter_indexes
from .models import (
    Campaign,
    Category,
    Contact,
    ContactChannel,
    Escalation,
    EscalationBasis,
    Identifier,
    IdentifierSource,
    Situation,
    Tip,
)

HOTLINE_KEY = "hotline"
POLICE_KEY = "police"
DAYS = 150
RECENT = 18

CAMPAIGNS: tuple[dict[str, Any], ...] = (
    {
        "name": "Short number 527",
        "description": "The toll-free short number shared by the three mobile operators.",
        "numbers": ["527"],
    },
    {
        "name": "Landline 0 800 77777",
        "description": "The long landline number printed on leaflets.",
        "numbers": ["080077777"],
    },
    {
        "name": "Bus station posters",
        "description": "Posters with a QR code to the tip form in Chișinău, Bălți and Cahul.",
        "codes": ["BUS24"],
        "posters": "Chișinău central bus station; Bălți north station; Cahul bus station.",
    },
    {
        "name": "Truck stop stickers",
        "description": "Stickers for truckers at fuel stations on the E58 and E581.",
        "numbers": ["527"],
        "codes": ["TRUCK"],
        "posters": "Leușeni and Sculeni border crossings, fuel stations on the E58.",
    },
    {"name": "Public tip form", "description": "The web form at /tip/.", "web_tips": True},
)

# (language, weight, region for phone numbers)
LANGUAGES = (
    ("ro", 40, "MD"),
    ("ru", 22, "MD"),
    ("uk", 14, "UA"),
    ("en", 8, "MD"),
    ("ne", 4, "NP"),
    ("vi", 4, "VN"),
    ("es", 4, "CO"),
    ("pt", 4, "BR"),
)
CHANNELS = (
    (ContactChannel.PHONE, 45),
    (ContactChannel.SMS, 20),
    (ContactChannel.WEB_FORM, 14),
    (ContactChannel.CHAT, 9),
    (ContactChannel.EMAIL, 7),
    (ContactChannel.WALK_IN, 5),
)
CATEGORIES = (
    (Category.TIP, 30),
    (Category.REFERRAL_REQUEST, 20),
    (Category.GENERAL_INFORMATION, 18),
    (Category.HIGH_RISK, 13),
    (Category.CRISIS, 9),
    (Category.TRAINING, 5),
    (Category.TO_TRIAGE, 5),
)
CALLERS = (
    ("person_concerned", 25),
    ("family", 25),
    ("community", 25),
    ("professional", 10),
    ("anonymous", 15),
)
PLACES = {
    "ro": ["Chișinău", "Bălți", "Cahul", "Ungheni", "Orhei", "Iași", "Milano", "Istanbul"],
    "ru": ["Кишинёв", "Тирасполь", "Бельцы", "Москва", "Стамбул", "Одесса"],
    "uk": ["Одеса", "Київ", "Варшава", "Кишинів", "Берлін"],
    "en": ["Chisinau", "Dubai", "London", "Athens"],
    "ne": ["काठमाडौं", "पोखरा", "दोहा"],
    "vi": ["Hà Nội", "Lào Cai", "Kuala Lumpur"],
    "es": ["Cúcuta", "Bogotá", "Madrid"],
    "pt": ["Fortaleza", "Belém", "Lisboa"],
}
TEMPLATES = {
    "ro": [
        "Sună mama unei fete de 17 ani plecate la {place}. Recrutorul are numărul {phone} "
        "și a cerut {money}.",
        "Un șofer de camion a văzut microbuzul {plate} lăsând femei la camioane lângă {place}.",
        "Anunț de muncă în {place} pe {url}; scrie pe Telegram {social}. Pașapoartele sunt luate.",
        "Bărbat din {place} întreabă unde poate primi ajutor juridic; număr de contact {phone}.",
        "Asistentă socială cere o instruire despre indicatorii de trafic pentru echipa "
        "din {place}.",
    ],
    "ru": [
        "Звонит сестра: девушку увезли в {place}, телефон вербовщика {phone}, обещали {money}.",
        "Машина {plate} каждую пятницу забирает людей у рынка в {place}.",
        "Объявление на {url}, связь только через {social}. Документы забрали.",
        "Мужчина из {place} спрашивает о юридической помощи, его номер {phone}.",
    ],
    "uk": [
        "Телефонує брат: сестра в {place}, роботодавець забрав паспорт і вимагає {money}. "
        "Номер {phone}.",
        "Автобус {plate} вивозить жінок з {place}, оголошення на {url}.",
        "Вербувальниця пише з {social}, пошта {email}.",
    ],
    "en": [
        "A teacher reports a student recruited for work in {place}; the agent's email is {email}.",
        "Truck driver: van {plate} dropping girls at truck after truck near {place}. "
        "Call back {phone}.",
        "Caller asks for shelter for a woman who left an employer in {place}; "
        "fee demanded {money}.",
    ],
    "ne": [
        "एक महिलाले {phone} बाट फोन गरिन्, उनकी छोरी {place} मा फसेकी छिन्। एजेन्टले {money} लियो।",
        "विज्ञापन {url} मा थियो, सम्पर्क {social} मा।",
    ],
    "vi": [
        "Một phụ nữ gọi từ số {phone}, con gái bà đang ở {place}. Họ thu {money} phí môi giới.",
        "Xe biển số {plate} chở người từ {place} đi Lào Cai.",
    ],
    "es": [
        "Me llamó una señora desde el {phone}, su hija está en {place}; le cobraron {money}.",
        "La oferta estaba en {url} y el contacto es {social}.",
    ],
    "pt": [
        "Uma mulher ligou do número {phone}, a filha está em {place} sem documentos; "
        "cobraram {money}.",
        "O anúncio estava em {url} e o aliciador respondia em {social}.",
    ],
}
MONEY = {
    "ro": ["500 euro", "2 mii lei", "800 €"],
    "ru": ["1000 евро", "500 долларов", "5 000 лей"],
    "uk": ["15 000 грн", "300 євро", "$800"],
    "en": ["$1,500", "€700", "900 euros"],
    "ne": ["रु 1,50,000", "NPR 80000"],
    "vi": ["15.000.000 đồng", "2 triệu đồng"],
    "es": ["500.000 pesos", "COP 1.200.000"],
    "pt": ["R$ 1.500", "800 reais"],
}
HANDLES = ["@rabota_evropa", "t.me/job_in_dubai", "instagram.com/model_agency_md", "@agent_bogdan"]
SITES = ["https://euro-work-agency.com/vacancies", "jobs-abroad.md", "www.seasonal-jobs.eu/apply"]
MOBILE_PREFIXES = {
    "MD": ("373", ("60", "68", "69", "78", "79"), 6, "0"),
    "UA": ("380", ("50", "67", "68", "93", "97"), 7, "0"),
    "NP": ("977", ("984", "985", "980"), 7, ""),
    "VN": ("84", ("912", "913", "988"), 6, "0"),
    "CO": ("57", ("300", "310", "315"), 7, ""),
    "BR": ("55", ("8598", "9198"), 7, "0"),
}


def _weighted(rng: random.Random, options: tuple[tuple[Any, int], ...]) -> Any:
    return rng.choices([o for o, _w in options], weights=[w for _o, w in options])[0]


def _phone(rng: random.Random, region: str) -> str:
    code, prefixes, tail, trunk = MOBILE_PREFIXES[region]
    for _ in range(100):
        national = rng.choice(prefixes) + "".join(rng.choice("0123456789") for _ in range(tail))
        if phonenumbers.is_valid_number(phonenumbers.parse(f"+{code}{national}")):
            return trunk + national if rng.random() < 0.6 else f"+{code} {national}"
    return f"+{code} {rng.choice(prefixes)}{'0' * tail}"


def _plate(rng: random.Random, language: str) -> str:
    letters = "ABCEHKMOPTX"
    if language == "uk":
        return f"BH {rng.randint(1000, 9999)} {rng.choice(letters)}{rng.choice(letters)}"
    if language == "vi":
        return f"29{rng.choice('ABCDE')}-{rng.randint(100, 999)}.{rng.randint(10, 99)}"
    return "".join(rng.choice(letters) for _ in range(3)) + f" {rng.randint(100, 999)}"


def _narrative(rng: random.Random, language: str, region: str) -> str:
    template = rng.choice(TEMPLATES[language])
    return template.format(
        place=rng.choice(PLACES[language]),
        phone=_phone(rng, region),
        money=rng.choice(MONEY[language]),
        plate=_plate(rng, language),
        url=rng.choice(SITES),
        social=rng.choice(HANDLES),
        email=f"recruiter{rng.randint(1, 99)}@euro-jobs-agency.com",
    )


def _campaigns(hotline: Any) -> dict[str, Campaign]:
    result = {}
    for spec in CAMPAIGNS:
        campaign, _created = Campaign.objects.update_or_create(
            owner_organisation=hotline,
            name=spec["name"],
            defaults={
                "description": spec.get("description", ""),
                "numbers": spec.get("numbers", []),
                "codes": spec.get("codes", []),
                "posters": spec.get("posters", ""),
                "receives_web_tips": bool(spec.get("web_tips")),
                "active": True,
            },
        )
        result[spec["name"]] = campaign
    return result


def load_demo(context: Any) -> dict[str, int]:
    """Campaigns and contacts for the demo hotline; returns counts for the load's audit event."""
    hotline = context.organisations.get(HOTLINE_KEY)
    if hotline is None:
        return {}
    police = context.organisations.get(POLICE_KEY)
    operators = [u for name, u in context.users.items() if name in ("hotline", "multirole")]
    rng = random.Random(f"palermo-demo:{context.seed}:intake")  # noqa: S311 - demo data
    size = 360 if context.size <= 10_000 else 2000
    now = timezone.now()
    with transaction.atomic():
        # Loading again replaces the demo contacts of an earlier load, never adds to them.
        earlier = Contact.objects.filter(owner_organisation=hotline, source_key__startswith="demo:")
        Escalation.objects.filter(contact__in=earlier).delete()
        earlier.delete()
        # Their situations, left without contacts (a real situation keeps its real ones).
        Situation.objects.filter(owner_organisation=hotline, contacts__isnull=True).delete()
        campaigns = _campaigns(hotline)
        contacts: list[Contact] = []
        texts: list[tuple[str, str]] = []
        for number in range(size):
            language, region = _weighted(rng, tuple(((lang, r), w) for lang, w, r in LANGUAGES))
            channel = _weighted(rng, CHANNELS)
            category = _weighted(rng, CATEGORIES)
            age = datetime.timedelta(days=DAYS * rng.random() ** 1.5, minutes=rng.randint(0, 600))
            if number < RECENT:  # the queue of a working day: some arrived in the last hours
                age = datetime.timedelta(minutes=rng.randint(3, 20 * 60))
            received_at = now - age
            campaign = None
            via_number = ""
            if channel in (ContactChannel.PHONE, ContactChannel.SMS):
                campaign = campaigns[
                    rng.choice(
                        ["Short number 527"] * 3 + ["Landline 0 800 77777", "Truck stop stickers"]
                    )
                ]
                via_number = campaign.numbers[0]
            elif channel == ContactChannel.WEB_FORM:
                campaign = campaigns[rng.choice(["Public tip form"] * 3 + ["Bus station posters"])]
                category = Category.TIP
            if age > datetime.timedelta(days=3):
                status = "closed"
            elif age > datetime.timedelta(hours=12):
                status = rng.choice(["claimed", "in_progress", "closed"])
            else:
                status = rng.choice(["new", "new", "claimed"])
            assigned = rng.choice(operators) if operators and status != "new" else None
            narrative = _narrative(rng, language, region)
            reporter_phone = None
            if rng.random() < 0.4:
                reporter_phone = phonenumbers.format_number(
                    phonenumbers.parse(_phone(rng, region), region),
                    phonenumbers.PhoneNumberFormat.E164,
                )
            contacts.append(
                Contact(
                    owner_organisation=hotline,
                    channel=channel,
                    campaign=campaign,
                    via_number=via_number,
                    caller_type=_weighted(rng, CALLERS),
                    language=language,
                    category=category,
                    urgency=4 if category == Category.CRISIS else rng.choice([1, 2, 2, 2, 3]),
                    status=status,
                    narrative=narrative,
                    reporter_phone=reporter_phone,
                    assigned_to=assigned,
                    created_by=assigned
                    if channel in (ContactChannel.PHONE, ContactChannel.WALK_IN)
                    else None,
                    source_key=f"demo:{context.seed}:{number}",
                    received_at=received_at,
                    last_activity_at=received_at,
                    claimed_at=received_at if status != "new" else None,
                    closed_at=received_at + datetime.timedelta(hours=2)
                    if status == "closed"
                    else None,
                    **reporter_indexes(reporter_phone, None, region),
                )
            )
            texts.append((narrative, region))
        Contact.objects.bulk_create(contacts, batch_size=200)
        rows = []
        for contact, (narrative, region) in zip(contacts, texts, strict=True):
            for found in extraction.extract(narrative, region=region):
                rows.append(
                    Identifier(
                        contact=contact,
                        source=IdentifierSource.NARRATIVE,
                        kind=found.kind,
                        value=found.value,
                        value_index=blind_index(IDENTIFIER_DOMAINS[found.kind], found.value),
                        country=found.country,
                        start=found.start,
                        end=found.end,
                        detail={"currency": found.detail.get("currency", "")}
                        if found.kind == "money"
                        else {
                            "name": found.detail.get("name", ""),
                            "geonames_id": found.detail.get("geonames_id"),
                        }
                        if found.kind == "place"
                        else {},
                    )
                )
        Identifier.objects.bulk_create(rows, batch_size=500)
        escalations = 0
        if police is not None:
            crisis = [c for c in contacts if c.category == Category.CRISIS][:12]
            for contact in crisis:
                Escalation.objects.create(
                    contact=contact,
                    to_organisation=police,
                    basis=rng.choice(list(EscalationBasis.values)),
                    escalated_by=contact.assigned_to,
                    escalated_at=contact.received_at + datetime.timedelta(minutes=30),
                )
                escalations += 1
        situations = _situations(hotline, contacts, rng)
    return {
        "campaigns": len(campaigns),
        "contacts": len(contacts),
        "identifiers": len(rows),
        "escalations": escalations,
        "situations": situations,
    }


SITUATION_SUMMARIES = (
    "Several callers describe the same white minibus taking young women across the border.",
    "Calls about one 'agency' recruiting farm workers for Italy with no contract.",
    "Neighbours and a relative report the same family: children kept out of school, working.",
    "A recruiter's number that appears in several tips about dancing jobs abroad.",
    "Construction workers whose passports the employer keeps; the same site in each call.",
    "Messages from one truck stop about girls brought to drivers at night.",
)


def _situations(hotline: Any, contacts: list[Contact], rng: random.Random) -> int:
    """Group some contacts about one case of concern into situations: a few contacts each,
    most still open, a quarter closed. The same on every load of the same seed."""
    ordered = sorted(contacts, key=lambda c: c.received_at, reverse=True)
    count = max(6, len(ordered) // 30)
    made = 0
    for number in range(count):
        start = number * 7 + rng.randint(0, 3)
        members = ordered[start : start + rng.randint(2, 4)]
        if len(members) < 2:
            break
        first = min(c.received_at for c in members)
        last = max(c.received_at for c in members)
        closed = number % 4 == 3
        situation = Situation.objects.create(
            owner_organisation=hotline,
            summary=SITUATION_SUMMARIES[number % len(SITUATION_SUMMARIES)],
            status="closed" if closed else "open",
            created_by=members[0].assigned_to,
            updated_at=last,
            closed_at=last + datetime.timedelta(days=2) if closed else None,
        )
        Situation.objects.filter(pk=situation.pk).update(created_at=first)
        Contact.objects.filter(pk__in=[c.pk for c in members]).update(situation=situation)
        made += 1
    return made


def reset_demo() -> None:
    """Remove intake's demo rows (before the demo persons they may point at are deleted)."""
    from palermo.demo.loader import demo_organisations

    organisations = demo_organisations()
    contacts = Contact.objects.filter(owner_organisation__in=organisations)
    with transaction.atomic():
        Escalation.objects.filter(contact__in=contacts).delete()
        Tip.objects.filter(contact__in=contacts).delete()
        contacts.delete()
        Situation.objects.filter(owner_organisation__in=organisations).delete()
        Campaign.objects.filter(owner_organisation__in=organisations).delete()
