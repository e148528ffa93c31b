"""`palermo demo-data`: what it loads, that it is deterministic, and that its logins work."""

from __future__ import annotations

import io
import stat
import unicodedata
from pathlib import Path

import phonenumbers
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django_otp.plugins.otp_totp.models import TOTPDevice

from palermo.accounts.models import Membership, Organisation, OrganisationType, User
from palermo.accounts.roles import Role, requires_second_factor
from palermo.audit.models import AuditEvent
from palermo.demo.catalogue import USERS
from palermo.demo.loader import DEFAULT_SEED, demo_password
from palermo.people.field_groups import person_blind_indexes
from palermo.people.models import Person
from palermo.people.validation import clean_person_input
from palermo.testing import UserFactory

pytestmark = pytest.mark.django_db

PLAINTEXT_FIELDS = (
    "first_name",
    "middle_name",
    "second_name",
    "birthdate",
    "identity_number",
    "email",
    "mobile_phone",
    "home_phone",
    "mailing_street",
    "mailing_city",
    "mailing_state",
    "mailing_postal_code",
    "mailing_country",
    "mailing_latitude",
    "mailing_longitude",
    "gender",
    "marital_status",
    "number_of_children",
    "primary_language",
    "secondary_language",
    "highest_education",
    "citizenship",
    "deceased",
)


@pytest.fixture(autouse=True)
def var_dir(tmp_path: Path, settings) -> Path:
    settings.VAR_DIR = tmp_path
    return tmp_path


def demo_data(*args: str) -> str:
    out = io.StringIO()
    call_command("demo-data", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def plaintexts() -> list[tuple[object, ...]]:
    return [
        (p.owner_organisation.name, *(getattr(p, f) for f in PLAINTEXT_FIELDS))
        for p in Person.objects.select_related("owner_organisation").order_by("pk")
    ]


def printed_logins(output: str) -> dict[str, tuple[str, str, str]]:
    """username -> (password, TOTP secret, code) from the printed table."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("username")) + 2
    logins = {}
    for line in lines[start:]:
        if not line.strip():
            break
        cells = line.split()
        logins[cells[0]] = (cells[-3], cells[-2], cells[-1])
    return logins


def test_loads_every_organisation_type_and_role_and_exactly_n_persons() -> None:
    output = demo_data("--size", "40")

    assert "Loaded" in output
    assert set(Organisation.objects.values_list("org_type", flat=True)) == set(
        OrganisationType.values
    )
    assert set(Organisation.objects.values_list("country", flat=True)) >= {
        "MD",
        "UA",
        "RO",
        "NP",
        "BR",
        "NG",
        "PH",
        "VN",
        "ZW",
        "ZA",
        "PK",
        "CO",
    }
    assert set(Membership.objects.values_list("role", flat=True)) == {str(r) for r in Role}
    assert Person.objects.count() == 40
    multirole = User.objects.get(username="multirole")
    assert multirole.memberships.count() == 2
    caseworker_orgs = set(
        Membership.objects.filter(role=Role.CASE_WORKER).values_list(
            "organisation__name", flat=True
        )
    )
    assert len(caseworker_orgs) >= 2


def test_persons_are_encrypted_decrypt_and_are_indexed() -> None:
    demo_data("--size", "40")

    with connection.cursor() as cursor:
        cursor.execute("SELECT first_name FROM people_person")
        assert all(row[0].startswith("pv1:") for row in cursor.fetchall())
    for person in Person.objects.select_related("owner_organisation"):
        assert person.first_name
        values = {f: getattr(person, f) for f in PLAINTEXT_FIELDS}
        expected = person_blind_indexes(values, person.owner_organisation.country)
        assert {c: getattr(person, c) for c in expected} == expected
        # What the forms would accept: the demo rows are valid input, unchanged by cleaning.
        cleaned = clean_person_input(
            {k: v for k, v in values.items() if v not in (None, "")}, default_region=None
        )
        assert {k: v for k, v in cleaned.items() if k in values} == {
            k: v for k, v in values.items() if v not in (None, "")
        }


def test_ukrainian_persons_are_named_in_cyrillic() -> None:
    demo_data("--size", "40")

    ukrainians = [p for p in Person.objects.all() if p.citizenship == ["UA"]]
    assert ukrainians
    for person in ukrainians:
        name = " ".join(filter(None, [person.first_name, person.middle_name, person.second_name]))
        # U+02BC, the Ukrainian apostrophe (Мар'яна), is a letter of no script.
        letters = [c for c in name if c.isalpha() and c != "\u02bc"]
        assert letters and all("CYRILLIC" in unicodedata.name(c) for c in letters), name


def test_phones_are_valid_numbers_of_the_persons_countries() -> None:
    demo_data("--size", "40")

    phones = 0
    for person in Person.objects.all():
        for number in filter(None, [person.mobile_phone, person.home_phone]):
            parsed = phonenumbers.parse(number)
            assert phonenumbers.is_valid_number(parsed), number
            places = set(person.citizenship) | {person.mailing_country}
            if person.citizenship and person.mailing_country:
                assert phonenumbers.region_code_for_number(parsed) in places, number
            phones += 1
    assert phones > 20
    for organisation in Organisation.objects.all():
        parsed = phonenumbers.parse(organisation.phone)
        assert phonenumbers.is_valid_number(parsed)
        assert phonenumbers.region_code_for_number(parsed) == organisation.country


def test_the_same_seed_gives_the_same_data_and_logins() -> None:
    first_output = demo_data("--size", "40")
    first = plaintexts()
    first_keys = dict(TOTPDevice.objects.values_list("user__username", "key"))

    demo_data("--size", "40", "--reset")

    assert plaintexts() == first
    assert dict(TOTPDevice.objects.values_list("user__username", "key")) == first_keys
    for username, (password, secret, _) in printed_logins(first_output).items():
        assert User.objects.get(username=username).check_password(password)
        assert (secret != "—") == (username in first_keys)


def test_another_seed_gives_other_data() -> None:
    demo_data("--size", "10")
    first = plaintexts()

    demo_data("--size", "10", "--seed", "1949", "--reset")

    assert plaintexts() != first
    assert not User.objects.get(username="caseworker").check_password(
        demo_password(DEFAULT_SEED, "caseworker")
    )


def test_printed_codes_verify_against_the_devices() -> None:
    output = demo_data("--size", "0")

    logins = printed_logins(output)
    assert set(logins) == {spec.username for spec in USERS}
    for spec in USERS:
        password, secret, code = logins[spec.username]
        roles = {role for _, role in spec.memberships}
        if requires_second_factor(roles):
            device = TOTPDevice.objects.get(user__username=spec.username, confirmed=True)
            assert device.verify_token(code), spec.username
        else:
            assert (secret, code) == ("—", "—")
            assert not TOTPDevice.objects.filter(user__username=spec.username).exists()


def test_logins_file_is_written_for_its_owner_only(var_dir: Path) -> None:
    demo_data("--size", "0")

    path = var_dir / "demo-logins.txt"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text(encoding="utf-8")
    for spec in USERS:
        assert spec.username in text
        assert demo_password(DEFAULT_SEED, spec.username) in text


def test_running_again_is_a_no_op_and_another_size_is_refused() -> None:
    demo_data("--size", "12")

    assert "already loaded" in demo_data("--size", "12")
    assert Person.objects.count() == 12
    with pytest.raises(CommandError, match="--reset"):
        demo_data("--size", "13")
    with pytest.raises(CommandError, match="--reset"):
        demo_data("--size", "12", "--seed", "7")
    demo_data("--size", "13", "--reset")
    assert Person.objects.count() == 13


def test_one_audit_event_records_the_load() -> None:
    demo_data("--size", "15")

    event = AuditEvent.objects.get(action="demo.load")
    assert event.actor is None
    assert event.details["persons"] == 15
    assert event.details["seed"] == DEFAULT_SEED
    assert sum(event.details["persons_by_citizenship"].values()) >= 15
    assert not AuditEvent.objects.filter(action="person.create").exists()


def test_registrations_are_spread_over_time() -> None:
    demo_data("--size", "30")

    dates = {p.created_at.date() for p in Person.objects.all()}
    assert len(dates) > 10


def test_a_real_user_with_a_demo_name_stops_the_load() -> None:
    UserFactory(username="supervisor", email="someone@example.org")

    with pytest.raises(CommandError, match="supervisor"):
        demo_data("--size", "5")
    assert not Organisation.objects.exists()
    assert not Person.objects.exists()


def test_production_settings_are_refused_unless_allowed(settings) -> None:
    settings.SETTINGS_MODULE = "config.settings.production"

    with pytest.raises(CommandError, match="production"):
        demo_data("--size", "1")
    demo_data("--size", "1", "--allow-production")
    assert Person.objects.count() == 1


def test_bad_size_is_refused() -> None:
    with pytest.raises(CommandError, match="--size"):
        demo_data("--size", "lots")


def test_missing_keys_are_reported_before_anything_is_written(settings, tmp_path: Path) -> None:
    settings.PALERMO_KEYS = ""
    settings.PALERMO_KEY_FILE = str(tmp_path / "missing.json")

    with pytest.raises(CommandError, match="init-keys"):
        demo_data("--size", "3")
    assert not Organisation.objects.exists()
