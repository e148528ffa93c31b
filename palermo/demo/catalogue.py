"""The demo coalition: its organisations and users (fixed; only phones and secrets vary by seed).

The host coalition is in Moldova and has an organisation of every HTCDS type; partners abroad
are in the countries of the source documents. Every name here is fictional, though written in
the style of the real thing; none is, or should be read as, a real organisation.
"""

from __future__ import annotations

from typing import NamedTuple

from palermo.accounts.models import OrganisationType as T
from palermo.accounts.roles import Role

HOST_COUNTRY = "MD"
DEMO_EMAIL_DOMAIN = "demo.palermo.example"  # RFC 2606: never delivered; marks demo users


class DemoOrganisation(NamedTuple):
    key: str
    name: str
    org_type: str
    country: str
    city: str
    # How many of the host's (or the partner's) persons this organisation owns, relatively.
    owner_weight: float = 0.0
    # The demo user who registers this organisation's persons (`Person.created_by`).
    registrar: str | None = None


class DemoUser(NamedTuple):
    username: str
    first_name: str
    last_name: str
    memberships: tuple[tuple[str, Role], ...]
    preferred_language: str = "ro"


ORGANISATIONS: tuple[DemoOrganisation, ...] = (
    # Host coalition, Moldova: one of every type.
    DemoOrganisation("hotline", "Drum Sigur Hotline", T.NGO, "MD", "Chișinău", 20, "hotline"),
    DemoOrganisation(
        "shelter", "Casa Speranței Shelter", T.NGO, "MD", "Chișinău", 30, "caseworker"
    ),
    DemoOrganisation(
        "wings", "Aripi Deschise Association", T.NGO, "MD", "Bălți", 14, "caseworker2"
    ),
    DemoOrganisation(
        "border",
        "Border Police of Moldova — Leușeni post",
        T.LAW_ENFORCEMENT,
        "MD",
        "Leușeni",
        10,
        "responder",
    ),
    DemoOrganisation(
        "police",
        "Chișinău Police Inspectorate — Anti-Trafficking Section",
        T.LAW_ENFORCEMENT,
        "MD",
        "Chișinău",
        5,
    ),
    DemoOrganisation(
        "clinic", "Sfânta Ana Women's Health Clinic", T.HEALTH_SERVICE, "MD", "Chișinău", 4
    ),
    DemoOrganisation(
        "ministry",
        "Ministry of Social Protection — Victim Identification Unit",
        T.CENTRAL_GOVERNMENT,
        "MD",
        "Chișinău",
    ),
    DemoOrganisation(
        "rapporteur",
        "Office of the National Anti-Trafficking Coordinator",
        T.CENTRAL_GOVERNMENT,
        "MD",
        "Chișinău",
    ),
    # An intergovernmental organisation has no HTCDS type of its own; it is governmental.
    DemoOrganisation(
        "imao",
        "International Migration Assistance Organisation — Moldova Mission",
        T.CENTRAL_GOVERNMENT,
        "MD",
        "Chișinău",
        5,
    ),
    DemoOrganisation(
        "social",
        "Bălți Municipal Social Assistance Directorate",
        T.LOCAL_GOVERNMENT,
        "MD",
        "Bălți",
        9,
        "multirole",
    ),
    DemoOrganisation(
        "migration",
        "Migration and Asylum Inspectorate — Chișinău Office",
        T.IMMIGRATION_SERVICE,
        "MD",
        "Chișinău",
        3,
    ),
    DemoOrganisation("legal", "Lex Aequa Legal Aid Centre", T.LEGAL_SERVICE, "MD", "Chișinău"),
    DemoOrganisation(
        "textile",
        "Codru Textile SRL — Ethical Recruitment Programme",
        T.CORPORATE_BUSINESS,
        "MD",
        "Ungheni",
    ),
    DemoOrganisation(
        "university",
        "Codrii University — Centre for Migration Studies",
        T.SCHOOL_OR_COLLEGE,
        "MD",
        "Chișinău",
    ),
    # Partners abroad, in the countries of the source documents.
    DemoOrganisation("ua_ngo", "Nadiia Foundation", T.NGO, "UA", "Одеса", 3),
    DemoOrganisation(
        "ua_police",
        "National Police of Ukraine — Odesa Region Anti-Trafficking Unit",
        T.LAW_ENFORCEMENT,
        "UA",
        "Одеса",
        1,
    ),
    DemoOrganisation("ro_ngo", "Asociația Pași Noi", T.NGO, "RO", "Iași", 2),
    DemoOrganisation(
        "ro_immigration", "Iași Immigration Office", T.IMMIGRATION_SERVICE, "RO", "Iași", 1
    ),
    DemoOrganisation("np_ngo", "Surakshit Yatra Nepal", T.NGO, "NP", "Kathmandu", 2),
    DemoOrganisation(
        "np_health", "Pokhara Community Health Post", T.HEALTH_SERVICE, "NP", "Pokhara", 1
    ),
    DemoOrganisation("br_ngo", "Instituto Caminho Livre", T.NGO, "BR", "Fortaleza", 2),
    DemoOrganisation(
        "br_social",
        "Secretaria Municipal de Assistência Social — Belém",
        T.LOCAL_GOVERNMENT,
        "BR",
        "Belém",
        1,
    ),
    DemoOrganisation("ng_ngo", "Ireti Women's Initiative", T.NGO, "NG", "Benin City", 2),
    DemoOrganisation(
        "ng_legal", "Benin City Community Legal Aid Clinic", T.LEGAL_SERVICE, "NG", "Benin City", 1
    ),
    DemoOrganisation("ph_ngo", "Bantay Biyahe Foundation", T.NGO, "PH", "Manila", 2),
    DemoOrganisation(
        "ph_immigration",
        "Cebu Port Immigration Help Desk",
        T.IMMIGRATION_SERVICE,
        "PH",
        "Cebu City",
        1,
    ),
    DemoOrganisation("vn_ngo", "Bước Mới Centre", T.NGO, "VN", "Hà Nội", 2),
    DemoOrganisation(
        "vn_border", "Lào Cai Border Guard Station", T.LAW_ENFORCEMENT, "VN", "Lào Cai", 1
    ),
    DemoOrganisation("zw_ngo", "Chiedza Haven Trust", T.NGO, "ZW", "Mutare", 2),
    DemoOrganisation(
        "zw_social",
        "Beitbridge District Social Development Office",
        T.LOCAL_GOVERNMENT,
        "ZW",
        "Beitbridge",
        1,
    ),
    DemoOrganisation("za_ngo", "Ukukhanya Safe House", T.NGO, "ZA", "Durban", 2),
    DemoOrganisation("za_legal", "Musina Migrant Legal Clinic", T.LEGAL_SERVICE, "ZA", "Musina", 1),
    DemoOrganisation("pk_ngo", "Umeed-e-Sahar Foundation", T.NGO, "PK", "Lahore", 2),
    DemoOrganisation(
        "pk_police",
        "Punjab Police — Gujranwala Anti-Human-Smuggling Cell",
        T.LAW_ENFORCEMENT,
        "PK",
        "Gujranwala",
        1,
    ),
    DemoOrganisation(
        "pk_textile", "Sialkot Fair Labour Textile Mills Ltd", T.CORPORATE_BUSINESS, "PK", "Sialkot"
    ),
    DemoOrganisation("co_ngo", "Fundación Rutas de Vida", T.NGO, "CO", "Cúcuta", 2),
    DemoOrganisation(
        "co_university",
        "Universidad Valle Libre — Observatorio de Migraciones",
        T.SCHOOL_OR_COLLEGE,
        "CO",
        "Cali",
    ),
)

ORGANISATIONS_BY_KEY = {org.key: org for org in ORGANISATIONS}

USERS: tuple[DemoUser, ...] = (
    DemoUser("hotline", "Mariana", "Ceban", (("hotline", Role.HOTLINE_OPERATOR),)),
    DemoUser("responder", "Victor", "Lungu", (("border", Role.FIRST_RESPONDER),)),
    DemoUser("caseworker", "Elena", "Rusu", (("shelter", Role.CASE_WORKER),)),
    DemoUser("supervisor", "Natalia", "Munteanu", (("shelter", Role.SUPERVISOR),)),
    DemoUser("provider", "Irina", "Cojocaru", (("clinic", Role.SERVICE_PROVIDER),)),
    DemoUser("authority", "Sergiu", "Botnaru", (("ministry", Role.COMPETENT_AUTHORITY),)),
    DemoUser("investigator", "Andrei", "Guțu", (("police", Role.INVESTIGATOR),)),
    DemoUser("coordinator", "Tatiana", "Sîrbu", (("rapporteur", Role.NATIONAL_COORDINATOR),)),
    DemoUser("researcher", "Ion", "Rotaru", (("university", Role.RESEARCHER),), "en"),
    DemoUser("programme", "Olga", "Moraru", (("imao", Role.PROGRAMME_OFFICER),), "en"),
    DemoUser("administrator", "Vadim", "Țurcan", (("rapporteur", Role.ADMINISTRATOR),), "en"),
    # A case worker of another organisation: sees none of Casa Speranței's persons.
    DemoUser("caseworker2", "Ludmila", "Bivol", (("wings", Role.CASE_WORKER),)),
    # One person, two hats: social assistance by day, the hotline at night.
    DemoUser(
        "multirole",
        "Cristina",
        "Popa",
        (
            ("social", Role.CASE_WORKER),
            ("hotline", Role.HOTLINE_OPERATOR),
        ),
    ),
)

# Users to whom some persons of other organisations are assigned (referrals, decisions,
# investigations, grants), so that every role that may view persons has some to see.
ASSIGNEES: tuple[tuple[str, float], ...] = (
    ("provider", 0.03),
    ("authority", 0.02),
    ("investigator", 0.02),
    ("programme", 0.02),
)
