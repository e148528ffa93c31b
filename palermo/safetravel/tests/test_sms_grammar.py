"""The words of the SMS conversation: account commands and the answers to the set-up questions
(pure functions; the country names are the real ones the conversation builds)."""

from __future__ import annotations

import datetime

import pytest

from palermo.safetravel.sms_conversation import _country_names
from palermo.safetravel.sms_grammar import (
    AccountVerb,
    CommandProblem,
    Dates,
    Destination,
    is_skip,
    parse_account_command,
    parse_dates,
    parse_destination,
    parse_employer,
    parse_interval_hours,
    parse_language,
    single_number,
)

LANGUAGES = ["en", "uk", "ro", "es", "pt", "fr"]
TODAY = datetime.date(2025, 3, 1)


@pytest.mark.parametrize(
    ("body", "verb", "pin", "language"),
    [
        ("JOIN", AccountVerb.JOIN, None, None),
        ("join", AccountVerb.JOIN, None, None),
        ("Sign up", AccountVerb.JOIN, None, None),
        ("ÎNSCRIERE", AccountVerb.JOIN, None, "ro"),
        ("реєстрація", AccountVerb.JOIN, None, "uk"),
        ("S'inscrire", AccountVerb.JOIN, None, "fr"),
        ("TRIP 482915", AccountVerb.TRIP, "482915", None),
        ("482915 start", AccountVerb.START, "482915", None),
        ("Почати 482915", AccountVerb.START, "482915", "uk"),
        ("pauză 482915", AccountVerb.PAUSE, "482915", None),
        ("RESUME 482915", AccountVerb.RESUME, "482915", None),
        ("EVERY 24H 482915", AccountVerb.EVERY, "482915", None),
        ("șterge 482915", AccountVerb.DELETE, "482915", "ro"),
        ("CANCEL", AccountVerb.CANCEL, None, None),
        ("SAVE 482915", AccountVerb.SAVE, "482915", None),
        ("NEW", AccountVerb.NEW, None, None),
        ("LANG RO", AccountVerb.LANG, None, None),
    ],
)
def test_account_commands(
    body: str, verb: AccountVerb, pin: str | None, language: str | None
) -> None:
    command = parse_account_command(body)
    assert command is not None
    assert (command.verb, command.pin, command.language) == (verb, pin, language)


@pytest.mark.parametrize("body", ["OK 482915", "EXTEND 2h 482915", "hello", "", "   ", "x" * 500])
def test_other_messages_are_not_account_commands(body: str) -> None:
    assert parse_account_command(body) is None


@pytest.mark.parametrize(
    ("body", "phone", "name", "pin"),
    [
        (
            "CONTACT +380 50 111 22 33 Ivan Kovalenko 482915",
            "+380 50 111 22 33",
            "Ivan Kovalenko",
            "482915",
        ),
        # A PIN typed right after the number is not read as more of the number.
        ("CONTACT +380501112233 482915 Ivan", "+380501112233", "Ivan", "482915"),
        ("contact 069123456 482915 Maria Rusu", "069123456", "Maria Rusu", "482915"),
        ("CONTACT (050) 111-22-33 Олена", "050 111-22-33", "Олена", None),
    ],
)
def test_contact_command(body: str, phone: str, name: str, pin: str | None) -> None:
    command = parse_account_command(body)
    assert command is not None and command.problem is CommandProblem.NONE
    assert (command.phone, command.name, command.pin) == (phone, name, pin)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("CONTACT", CommandProblem.NO_PHONE),
        ("CONTACT Ivan 482915", CommandProblem.NO_PHONE),
        ("CONTACT +380501112233 482915", CommandProblem.NO_NAME),
        ("CONTACT +380501112233 Ivan 482915 739164", CommandProblem.TWO_PINS),
    ],
)
def test_malformed_contact_commands(body: str, problem: CommandProblem) -> None:
    command = parse_account_command(body)
    assert command is not None and command.problem is problem


def test_two_pins_are_a_problem() -> None:
    command = parse_account_command("TRIP 482915 739164")
    assert command is not None and command.problem is CommandProblem.TWO_PINS


@pytest.mark.parametrize(
    ("body", "hours"),
    [
        ("EVERY 24H", 24),
        ("24", 24),
        ("12 hours", 12),
        ("1 day", 24),
        ("кожні 12 год", 12),
        ("la fiecare 6 ore", 6),
        ("cada 8 horas", 8),
        ("1.5h", None),
        ("banana", None),
        ("", None),
    ],
)
def test_interval(body: str, hours: int | None) -> None:
    assert parse_interval_hours(body) == hours


@pytest.mark.parametrize(
    ("body", "dates"),
    [
        ("01.05.2025 30.09.2025", Dates(datetime.date(2025, 5, 1), datetime.date(2025, 9, 30))),
        ("2025-05-01 - 2025-09-30", Dates(datetime.date(2025, 5, 1), datetime.date(2025, 9, 30))),
        ("1/5/25 to 30/9/25", Dates(datetime.date(2025, 5, 1), datetime.date(2025, 9, 30))),
        # Without a year: the next such day; a return before the departure is next year.
        ("1.11 31.1", Dates(datetime.date(2025, 11, 1), datetime.date(2026, 1, 31))),
        ("15.02", Dates(datetime.date(2025, 2, 15), None)),
        ("10.01", Dates(datetime.date(2026, 1, 10), None)),
        ("31.02.2025", None),
        ("soon", None),
        ("1.1 2.2 3.3", None),
    ],
)
def test_dates(body: str, dates: Dates | None) -> None:
    assert parse_dates(body, TODAY) == dates


@pytest.mark.parametrize(
    ("body", "country", "city"),
    [
        ("Wrocław, Poland", "PL", "Wrocław"),
        ("Poland Wroclaw", "PL", "Wroclaw"),
        ("Вроцлав Польща", "PL", "Вроцлав"),
        ("Foggia, Italia", "IT", "Foggia"),
        ("Huelva España", "ES", "Huelva"),
        ("Plzeň Czech Republic", "CZ", "Plzeň"),
        ("London, United Kingdom", "GB", "London"),
        ("Peterborough UK", "GB", "Peterborough"),
        ("Tel Aviv, Israel", "IL", "Tel Aviv"),
        ("Leipzig DE", "DE", "Leipzig"),
        ("Poland", "PL", ""),
        ("Nice", "", "Nice"),  # not a country code in small letters
        ("Atlantis", "", "Atlantis"),
    ],
)
def test_destination(body: str, country: str, city: str) -> None:
    assert parse_destination(body, _country_names()) == Destination(country, city)


def test_small_answers() -> None:
    assert parse_employer("Agro Fields / Fast Jobs") == ("Agro Fields", "Fast Jobs")
    assert parse_employer("Agro Fields") == ("Agro Fields", "")
    assert parse_employer("- / Fast Jobs") == ("", "Fast Jobs")
    assert all(is_skip(w) for w in ("SKIP", "-", "пропустити", "sari", "nada", "passer"))
    assert not is_skip("Skip Logistics Ltd")
    assert parse_language("Українська", LANGUAGES) == "uk"
    assert parse_language("română", LANGUAGES) == "ro"
    assert parse_language("klingon", LANGUAGES) is None
    assert parse_language("de", LANGUAGES) is None
    assert single_number("482915") == "482915" and single_number("PIN 482915") == "482915"
    assert single_number("my PIN is 482915") == "" and single_number("4821 3") == ""
