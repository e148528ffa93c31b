"""Demo directory: the provider-like demo organisations and some providers outside Palermo.

Deterministic: public ids derive from fixed keys (reloading updates the same rows, so demo
referrals keep their services); capacities and availability vary by seed, and availability
reports are timed relative to the load (some are out of date on purpose). Shelters for women,
for men and for children, some with a confidential address. Names are fictional; cities,
administrative areas and coordinates are real, so distances mean something.
"""

from __future__ import annotations

import datetime
import random
import uuid
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import transaction
from django.utils import timezone

from palermo.accounts.models import OrganisationType as T

from .models import Provider, Service
from .models import ServiceType as S

_NAMESPACE = uuid.UUID("0b8d7c52-3f8e-4c8e-9a59-6d1c2b7de0a1")
WEEKDAYS_9_17 = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
WEEKDAYS_8_20 = {d: [["08:00", "20:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
CLINIC_HOURS = {
    **{d: [["08:00", "13:00"], ["14:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    "sat": [["09:00", "13:00"]],
}
WOMEN = ["Feminine", "TransgenderFeminine"]
MEN = ["Masculine", "TransgenderMasculine"]


class Place(NamedTuple):
    city: str
    area: str
    latitude: str
    longitude: str


PLACES = {
    "chisinau": Place("Chișinău", "Municipiul Chișinău", "47.01050", "28.86380"),
    "balti": Place("Bălți", "Municipiul Bălți", "47.76170", "27.92890"),
    "cahul": Place("Cahul", "Raionul Cahul", "45.90750", "28.19440"),
    "ungheni": Place("Ungheni", "Raionul Ungheni", "47.21080", "27.80060"),
    "comrat": Place("Comrat", "UTA Găgăuzia", "46.29560", "28.65500"),
    "soroca": Place("Soroca", "Raionul Soroca", "48.15580", "28.29750"),
    "odesa": Place("Одеса", "Одеська область", "46.48250", "30.72330"),
    "iasi": Place("Iași", "Județul Iași", "47.15850", "27.60140"),
    "kathmandu": Place("Kathmandu", "Bagmati", "27.71720", "85.32400"),
    "pokhara": Place("Pokhara", "Gandaki", "28.20960", "83.98560"),
    "fortaleza": Place("Fortaleza", "Ceará", "-3.73190", "-38.52670"),
    "belem": Place("Belém", "Pará", "-1.45580", "-48.49020"),
    "benin": Place("Benin City", "Edo", "6.33500", "5.60370"),
    "manila": Place("Manila", "National Capital Region", "14.59950", "120.98420"),
    "hanoi": Place("Hà Nội", "Hà Nội", "21.02780", "105.83420"),
    "mutare": Place("Mutare", "Manicaland", "-18.97070", "32.67090"),
    "beitbridge": Place("Beitbridge", "Matabeleland South", "-22.21670", "30.00000"),
    "durban": Place("Durban", "KwaZulu-Natal", "-29.85870", "31.02180"),
    "musina": Place("Musina", "Limpopo", "-22.35000", "30.03330"),
    "lahore": Place("Lahore", "Punjab", "31.52040", "74.35870"),
    "cucuta": Place("Cúcuta", "Norte de Santander", "7.89390", "-72.50780"),
}


class DemoService(NamedTuple):
    service_type: str
    place: str
    languages: tuple[str, ...]
    description: str
    capacity: int | None = None
    genders: tuple[str, ...] = ()
    ages: tuple[int | None, int | None] = (None, None)
    nationalities: tuple[str, ...] = ()
    hours: dict[str, list[list[str]]] | None = None
    always_open: bool = False
    address: str = ""
    confidential: bool = False
    phone: str = ""


class DemoProvider(NamedTuple):
    key: str
    organisation: str | None  # a demo organisation's key, or None: outside Palermo
    name: str
    org_type: str
    country: str
    phone: str
    services: tuple[DemoService, ...]
    public: bool = True
    email: str = ""
    website: str = ""


PROVIDERS: tuple[DemoProvider, ...] = (
    DemoProvider(
        "hotline",
        "hotline",
        "Drum Sigur Hotline",
        T.NGO,
        "MD",
        "+373 22 100 200",
        (
            DemoService(
                S.HOTLINE,
                "chisinau",
                ("ro", "ru", "uk", "en"),
                "Free, anonymous national anti-trafficking hotline: advice before going abroad, "
                "help for anyone exploited at home or abroad.",
                always_open=True,
                phone="+373 800 12 345",
            ),
            DemoService(
                S.INTERPRETATION,
                "chisinau",
                ("ro", "ru", "uk", "en", "tr"),
                "Telephone interpreting for partner organisations, by appointment.",
                hours=WEEKDAYS_9_17,
            ),
        ),
        email="help@drumsigur.demo.palermo.example",
    ),
    DemoProvider(
        "shelter",
        "shelter",
        "Casa Speranței Shelter",
        T.NGO,
        "MD",
        "+373 22 300 410",
        (
            DemoService(
                S.SHELTER,
                "chisinau",
                ("ro", "ru"),
                "Safe accommodation for women and their children, with a social worker on duty "
                "day and night. Admission through a referral or the hotline.",
                capacity=24,
                genders=tuple(WOMEN),
                ages=(18, None),
                always_open=True,
                address="str. Teilor 14, MD-2001 Chișinău",
                confidential=True,
            ),
            DemoService(
                S.PSYCHOLOGICAL,
                "chisinau",
                ("ro", "ru"),
                "Individual counselling and trauma-informed group sessions.",
                capacity=30,
                hours=WEEKDAYS_9_17,
                address="bd. Dacia 27, of. 4, MD-2060 Chișinău",
            ),
            DemoService(
                S.SOCIAL_CARE,
                "chisinau",
                ("ro", "ru"),
                "Case management, documents, and accompaniment to public services.",
                hours=WEEKDAYS_9_17,
                address="bd. Dacia 27, of. 4, MD-2060 Chișinău",
            ),
        ),
    ),
    DemoProvider(
        "wings",
        "wings",
        "Aripi Deschise Association",
        T.NGO,
        "MD",
        "+373 231 5 44 10",
        (
            DemoService(
                S.SHELTER,
                "balti",
                ("ro", "ru", "uk"),
                "Small supported house for young women leaving care and survivors aged 16 to 25.",
                capacity=8,
                genders=("Feminine", "TransgenderFeminine", "NonConforming"),
                ages=(16, 25),
                always_open=True,
                address="str. Ștefan cel Mare 112, Bălți",
                confidential=True,
            ),
            DemoService(
                S.LIVELIHOOD,
                "balti",
                ("ro", "ru"),
                "Vocational courses (tailoring, IT basics, cooking) and job placement.",
                capacity=40,
                ages=(16, None),
                hours=WEEKDAYS_9_17,
                address="str. Independenței 5, Bălți",
            ),
        ),
    ),
    DemoProvider(
        "clinic",
        "clinic",
        "Sfânta Ana Women's Health Clinic",
        T.HEALTH_SERVICE,
        "MD",
        "+373 22 555 016",
        (
            DemoService(
                S.HEALTH,
                "chisinau",
                ("ro", "ru", "en"),
                "General and reproductive health care, testing, free of charge for referred "
                "survivors of trafficking.",
                capacity=60,
                hours=CLINIC_HOURS,
                address="str. Alexei Mateevici 60, Chișinău",
            ),
            DemoService(
                S.PSYCHOLOGICAL,
                "chisinau",
                ("ro", "ru"),
                "Psychiatric assessment and follow-up.",
                capacity=12,
                hours=WEEKDAYS_9_17,
                address="str. Alexei Mateevici 60, Chișinău",
            ),
        ),
    ),
    DemoProvider(
        "legal",
        "legal",
        "Lex Aequa Legal Aid Centre",
        T.LEGAL_SERVICE,
        "MD",
        "+373 22 210 333",
        (
            DemoService(
                S.LEGAL,
                "chisinau",
                ("ro", "ru", "en"),
                "Free legal aid: victim status, compensation claims, representation in criminal "
                "proceedings, labour disputes.",
                capacity=50,
                hours=WEEKDAYS_9_17,
                address="str. București 67, Chișinău",
            ),
        ),
    ),
    DemoProvider(
        "social",
        "social",
        "Bălți Municipal Social Assistance Directorate",
        T.LOCAL_GOVERNMENT,
        "MD",
        "+373 231 2 33 00",
        (
            DemoService(
                S.SOCIAL_CARE,
                "balti",
                ("ro", "ru"),
                "Social benefits, emergency financial help and housing support.",
                hours=WEEKDAYS_8_20,
                address="Piața Independenței 1, Bălți",
            ),
            DemoService(
                S.CHILD_PROTECTION,
                "balti",
                ("ro", "ru"),
                "Child protection unit: emergency placement and best-interest assessment.",
                capacity=10,
                ages=(0, 17),
                always_open=True,
                address="Piața Independenței 1, Bălți",
            ),
            DemoService(
                S.FINANCIAL,
                "balti",
                ("ro", "ru"),
                "One-off emergency grants for survivors returning to the municipality.",
                hours=WEEKDAYS_9_17,
            ),
        ),
    ),
    DemoProvider(
        "imao",
        "imao",
        "International Migration Assistance Organisation — Moldova Mission",
        T.CENTRAL_GOVERNMENT,
        "MD",
        "+373 22 230 950",
        (
            DemoService(
                S.RETURN,
                "chisinau",
                ("ro", "ru", "en", "uk"),
                "Assisted voluntary return from abroad and reintegration grants.",
                capacity=100,
                hours=WEEKDAYS_9_17,
                address="str. Ciuflea 36/1, Chișinău",
            ),
            DemoService(
                S.HEALTH,
                "chisinau",
                ("ro", "ru", "en"),
                "Medical assistance for returned migrants in vulnerable situations.",
                capacity=20,
                hours=WEEKDAYS_9_17,
            ),
        ),
        public=True,
    ),
    # Outside Palermo, Moldova.
    DemoProvider(
        "md_men",
        None,
        "Adăpostul Sf. Pantelimon — men's shelter",
        T.NGO,
        "MD",
        "+373 236 2 71 15",
        (
            DemoService(
                S.SHELTER,
                "ungheni",
                ("ro", "ru"),
                "Shelter for men and transgender men exploited in labour, at home or abroad.",
                capacity=10,
                genders=tuple(MEN),
                ages=(18, None),
                always_open=True,
                address="str. Decebal 3, Ungheni",
                confidential=True,
            ),
        ),
    ),
    DemoProvider(
        "md_cahul",
        None,
        "Centrul de Plasament Temporar Cahul",
        T.LOCAL_GOVERNMENT,
        "MD",
        "+373 299 2 40 18",
        (
            DemoService(
                S.SHELTER,
                "cahul",
                ("ro", "ru"),
                "Temporary placement centre for adults and families in crisis.",
                capacity=18,
                always_open=True,
                address="str. Republicii 8, Cahul",
                confidential=True,
            ),
            DemoService(
                S.SOCIAL_CARE,
                "cahul",
                ("ro", "ru"),
                "Community social worker; home visits across the district.",
                hours=WEEKDAYS_8_20,
            ),
        ),
    ),
    DemoProvider(
        "md_comrat",
        None,
        "Centrul Comunitar Comrat",
        T.NGO,
        "MD",
        "+373 298 2 25 60",
        (
            DemoService(
                S.PSYCHOLOGICAL,
                "comrat",
                ("ru", "gag", "bg"),
                "Counselling in Russian, Gagauz and Bulgarian.",
                capacity=15,
                hours={"mon": [["10:00", "18:00"]], "wed": [["10:00", "18:00"]]},
                address="str. Lenin 150, Comrat",
            ),
            DemoService(
                S.EDUCATION,
                "comrat",
                ("ru", "gag"),
                "Catch-up schooling and Romanian language classes.",
                capacity=25,
                ages=(12, None),
                hours=WEEKDAYS_9_17,
            ),
        ),
    ),
    DemoProvider(
        "md_soroca",
        None,
        "Soroca Children's Refuge",
        T.NGO,
        "MD",
        "+373 230 2 35 90",
        (
            DemoService(
                S.CHILD_PROTECTION,
                "soroca",
                ("ro", "ru", "rom"),
                "Emergency care for unaccompanied and trafficked children.",
                capacity=12,
                ages=(0, 17),
                always_open=True,
                address="str. Independenței 40, Soroca",
                confidential=True,
            ),
        ),
        public=False,
    ),
    # Partners abroad.
    DemoProvider(
        "ua_ngo",
        "ua_ngo",
        "Nadiia Foundation",
        T.NGO,
        "UA",
        "+380 48 700 1020",
        (
            DemoService(
                S.SHELTER,
                "odesa",
                ("uk", "ru"),
                "Shelter for women and children fleeing exploitation.",
                capacity=20,
                genders=tuple(WOMEN),
                always_open=True,
                address="вул. Дерибасівська 10, Одеса",
                confidential=True,
            ),
            DemoService(
                S.HOTLINE,
                "odesa",
                ("uk", "ru", "en"),
                "Counter-trafficking helpline.",
                always_open=True,
                phone="+380 800 500 335",
            ),
        ),
    ),
    DemoProvider(
        "ro_ngo",
        "ro_ngo",
        "Asociația Pași Noi",
        T.NGO,
        "RO",
        "+40 232 210 300",
        (
            DemoService(
                S.SOCIAL_CARE,
                "iasi",
                ("ro", "en"),
                "Reintegration support for returning Moldovan and Romanian survivors.",
                capacity=30,
                hours=WEEKDAYS_9_17,
                address="Str. Lăpușneanu 7, Iași",
            ),
            DemoService(
                S.HOTLINE,
                "iasi",
                ("ro", "en"),
                "Regional helpline.",
                hours=WEEKDAYS_8_20,
                phone="+40 800 800 678",
            ),
        ),
    ),
    DemoProvider(
        "np_ngo",
        "np_ngo",
        "Surakshit Yatra Nepal",
        T.NGO,
        "NP",
        "+977 1 4400 123",
        (
            DemoService(
                S.SHELTER,
                "kathmandu",
                ("ne", "en", "hi"),
                "Transit home for returnee migrant workers.",
                capacity=30,
                always_open=True,
                confidential=True,
                address="Ward 10, Baneshwor, Kathmandu",
            ),
        ),
    ),
    DemoProvider(
        "np_health",
        "np_health",
        "Pokhara Community Health Post",
        T.HEALTH_SERVICE,
        "NP",
        "+977 61 520 100",
        (DemoService(S.HEALTH, "pokhara", ("ne",), "Primary care.", hours=CLINIC_HOURS),),
    ),
    DemoProvider(
        "br_ngo",
        "br_ngo",
        "Instituto Caminho Livre",
        T.NGO,
        "BR",
        "+55 85 3200 1100",
        (
            DemoService(
                S.LEGAL,
                "fortaleza",
                ("pt", "es"),
                "Assistência jurídica gratuita.",
                hours=WEEKDAYS_9_17,
                address="Rua Barão do Rio Branco 100, Fortaleza",
            ),
        ),
    ),
    DemoProvider(
        "br_social",
        "br_social",
        "Secretaria Municipal de Assistência Social — Belém",
        T.LOCAL_GOVERNMENT,
        "BR",
        "+55 91 3000 4000",
        (
            DemoService(
                S.SOCIAL_CARE,
                "belem",
                ("pt",),
                "Centro de Referência Especializado de Assistência Social.",
                hours=WEEKDAYS_8_20,
            ),
        ),
    ),
    DemoProvider(
        "ng_ngo",
        "ng_ngo",
        "Ireti Women's Initiative",
        T.NGO,
        "NG",
        "+234 803 250 1000",
        (
            DemoService(
                S.SHELTER,
                "benin",
                ("en", "bin", "yo"),
                "Shelter and counselling for women returned from Europe and Libya.",
                capacity=16,
                genders=tuple(WOMEN),
                always_open=True,
                confidential=True,
                address="Sapele Road 22, Benin City",
            ),
        ),
    ),
    DemoProvider(
        "ng_legal",
        "ng_legal",
        "Benin City Community Legal Aid Clinic",
        T.LEGAL_SERVICE,
        "NG",
        "+234 805 254 2000",
        (DemoService(S.LEGAL, "benin", ("en",), "Free legal clinic.", hours=WEEKDAYS_9_17),),
    ),
    DemoProvider(
        "ph_ngo",
        "ph_ngo",
        "Bantay Biyahe Foundation",
        T.NGO,
        "PH",
        "+63 2 8123 4567",
        (
            DemoService(
                S.HOTLINE,
                "manila",
                ("tl", "en"),
                "24/7 helpline for overseas workers and their families.",
                always_open=True,
                phone="+63 2 8123 4500",
            ),
        ),
    ),
    DemoProvider(
        "vn_ngo",
        "vn_ngo",
        "Bước Mới Centre",
        T.NGO,
        "VN",
        "+84 24 3822 1100",
        (
            DemoService(
                S.LIVELIHOOD,
                "hanoi",
                ("vi", "en"),
                "Vocational training and small-business start-up support.",
                capacity=40,
                ages=(15, None),
                hours=WEEKDAYS_9_17,
            ),
        ),
    ),
    DemoProvider(
        "zw_ngo",
        "zw_ngo",
        "Chiedza Haven Trust",
        T.NGO,
        "ZW",
        "+263 20 206 0100",
        (
            DemoService(
                S.SHELTER,
                "mutare",
                ("sn", "en"),
                "Safe house for women and girls.",
                capacity=12,
                genders=tuple(WOMEN),
                always_open=True,
                confidential=True,
                address="Herbert Chitepo St 55, Mutare",
            ),
        ),
    ),
    DemoProvider(
        "zw_social",
        "zw_social",
        "Beitbridge District Social Development Office",
        T.LOCAL_GOVERNMENT,
        "ZW",
        "+263 286 222 100",
        (
            DemoService(
                S.CHILD_PROTECTION,
                "beitbridge",
                ("sn", "nd", "en", "ve"),
                "Reception of unaccompanied children at the border.",
                ages=(0, 17),
                always_open=True,
            ),
        ),
    ),
    DemoProvider(
        "za_ngo",
        "za_ngo",
        "Ukukhanya Safe House",
        T.NGO,
        "ZA",
        "+27 31 300 1000",
        (
            DemoService(
                S.SHELTER,
                "durban",
                ("zu", "en"),
                "Safe house for adults of any gender.",
                capacity=14,
                ages=(18, None),
                always_open=True,
                confidential=True,
                address="Florida Road 80, Durban",
            ),
        ),
    ),
    DemoProvider(
        "za_legal",
        "za_legal",
        "Musina Migrant Legal Clinic",
        T.LEGAL_SERVICE,
        "ZA",
        "+27 15 534 0100",
        (DemoService(S.LEGAL, "musina", ("en", "ve", "sn"), "Legal aid.", hours=WEEKDAYS_9_17),),
    ),
    DemoProvider(
        "pk_ngo",
        "pk_ngo",
        "Umeed-e-Sahar Foundation",
        T.NGO,
        "PK",
        "+92 42 3571 0000",
        (
            DemoService(
                S.SHELTER,
                "lahore",
                ("ur", "pa", "en"),
                "Shelter for bonded labourers and their families.",
                capacity=40,
                always_open=True,
                confidential=True,
                address="Ferozepur Road 12, Lahore",
            ),
        ),
    ),
    DemoProvider(
        "co_ngo",
        "co_ngo",
        "Fundación Rutas de Vida",
        T.NGO,
        "CO",
        "+57 607 571 0000",
        (
            DemoService(
                S.PSYCHOLOGICAL,
                "cucuta",
                ("es",),
                "Atención psicosocial para personas migrantes y sobrevivientes.",
                capacity=25,
                hours=WEEKDAYS_8_20,
            ),
        ),
    ),
)


def _public_id(kind: str, key: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, f"{kind}:{key}")


def demo_provider_ids() -> list[uuid.UUID]:
    return [_public_id("provider", p.key) for p in PROVIDERS]


def _availability(
    rng: random.Random, capacity: int | None, now: datetime.datetime
) -> tuple[int | None, datetime.datetime | None]:
    if capacity is None:
        return None, None
    roll = rng.random()
    if roll < 0.12:
        return None, None  # never reported
    places = 0 if roll < 0.3 else rng.randint(1, max(1, capacity // 3))
    # Most reports are fresh; about one in five is out of date.
    hours = rng.randint(12 * 24, 40 * 24) if rng.random() < 0.2 else rng.randint(1, 72)
    return places, now - datetime.timedelta(hours=hours)


def load_demo(context: Any) -> dict[str, int]:
    """Providers and services (upserted by deterministic public ids)."""
    rng = random.Random(context.seed + 5)  # noqa: S311 - demo data, not secrets
    now = timezone.now().replace(microsecond=0)
    made = {"providers": 0, "services": 0, "confidential_addresses": 0}
    with transaction.atomic():
        for spec in PROVIDERS:
            organisation = (
                context.organisations.get(spec.organisation) if spec.organisation else None
            )
            if spec.organisation and organisation is None:
                continue
            provider, _created = Provider.objects.update_or_create(
                public_id=_public_id("provider", spec.key),
                defaults={
                    "organisation": organisation,
                    "name": spec.name,
                    "org_type": str(spec.org_type),
                    "country": spec.country,
                    "phone": spec.phone,
                    "email": spec.email,
                    "website": spec.website,
                    "public": spec.public,
                },
            )
            made["providers"] += 1
            for n, item in enumerate(spec.services):
                place = PLACES[item.place]
                places, reported = _availability(rng, item.capacity, now)
                Service.objects.update_or_create(
                    public_id=_public_id("service", f"{spec.key}:{n}"),
                    defaults={
                        "provider": provider,
                        "service_type": str(item.service_type),
                        "description": item.description,
                        "languages": list(item.languages),
                        "genders": list(item.genders),
                        "min_age": item.ages[0],
                        "max_age": item.ages[1],
                        "nationalities": list(item.nationalities),
                        "capacity": item.capacity,
                        "available_places": places,
                        "availability_updated_at": reported,
                        "opening_hours": item.hours or {},
                        "open_24_hours": item.always_open,
                        "phone": item.phone,
                        "admin_area": place.area,
                        "city": place.city,
                        "latitude": Decimal(place.latitude),
                        "longitude": Decimal(place.longitude),
                        "address": item.address or None,
                        "confidential_address": item.confidential,
                        "active": True,
                    },
                )
                made["services"] += 1
                made["confidential_addresses"] += int(item.confidential)
    return made


def reset_demo() -> None:
    """Remove the demo providers (their services go with them)."""
    Provider.objects.filter(public_id__in=demo_provider_ids()).delete()
