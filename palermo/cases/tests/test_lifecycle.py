"""The lifecycle files: the shipped ones load, malformed ones are refused with "file: reason",
PALERMO_COUNTRY picks the file, and deadlines count the country's public holidays."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest

from palermo.cases import lifecycle
from palermo.cases.lifecycle import LIFECYCLE_DIR, LifecycleError, load_lifecycle

DEFAULT_TEXT = (LIFECYCLE_DIR / "default.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize("path", lifecycle.available_lifecycles(), ids=lambda p: p.name)
def test_every_shipped_file_loads(path: Path) -> None:
    loaded = load_lifecycle(path)
    keys = [s.key for s in loaded.ordered_stages()]
    assert keys[0] == "referral" and "recovery" in keys and loaded.closure.stage in keys
    recovery = next(s for s in loaded.stages if s.recovery)
    assert recovery.minimum_days >= 30
    for stage in loaded.stages:
        assert set(stage.labels) == set(lifecycle.LANGUAGES)


def test_the_default_rules() -> None:
    loaded = load_lifecycle(LIFECYCLE_DIR / "default.toml")
    referral = loaded.stage("referral")
    assert referral is not None and referral.deadline is not None
    assert referral.deadline.working and referral.deadline.days == 5
    assert referral.decision is not None and referral.decision.positive == "recovery"
    assert loaded.stage("recovery").minimum_days == 30  # type: ignore[union-attr]
    assert loaded.stage("closed").status == "Closed"  # type: ignore[union-attr]
    assert loaded.adult_consent is True
    described = loaded.describe("ro")
    assert described["stages"][0]["label"] == "Referire"


def test_palermo_country_picks_the_file(settings: Any) -> None:
    settings.PALERMO_COUNTRY = "GB"
    assert lifecycle.lifecycle_in_force().name == "gb"
    settings.PALERMO_COUNTRY = "MD"
    assert lifecycle.lifecycle_in_force().name == "md"
    settings.PALERMO_COUNTRY = "FR"  # no file: the default, with France's public holidays
    in_force = lifecycle.lifecycle_in_force()
    assert in_force.name == "default" and in_force.country == "FR"
    assert not in_force.calendar.is_working_day(datetime.date(2026, 7, 14))
    settings.PALERMO_COUNTRY = ""
    assert lifecycle.lifecycle_in_force().country == ""
    settings.PALERMO_COUNTRY = "../etc"
    assert lifecycle.lifecycle_in_force().name == "default"


def test_the_reasonable_grounds_deadline_skips_the_easter_bank_holidays_in_england() -> None:
    gb = load_lifecycle(LIFECYCLE_DIR / "gb.toml")
    referral = gb.stage("referral")
    assert referral is not None
    thursday = datetime.date(2026, 4, 2)  # before Good Friday (3rd) and Easter Monday (6th)
    assert gb.deadlines_on_entry(referral, thursday) == [("due", datetime.date(2026, 4, 13))]
    recovery = gb.stage("recovery")
    assert recovery is not None
    assert gb.deadlines_on_entry(recovery, thursday) == [("period_end", datetime.date(2026, 5, 2))]


def test_extra_holidays_in_the_file_count() -> None:
    md = load_lifecycle(LIFECYCLE_DIR / "md.toml")
    assert not md.calendar.is_working_day(datetime.date(2026, 12, 31))  # listed in the file
    assert not md.calendar.is_working_day(datetime.date(2026, 8, 27))  # Independence Day
    assert md.calendar.is_working_day(datetime.date(2026, 12, 30))


def _write(tmp_path: Path, text: str, name: str = "xx.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


BAD_FILES = [
    ("not toml [[[", "is not valid TOML"),
    (
        DEFAULT_TEXT.replace('entry_stage = "referral"', 'entry_stage = "nowhere"'),
        "there is no stage 'nowhere'",
    ),
    (DEFAULT_TEXT.replace("minimum_days = 30", "minimum_days = 20"), "lasts at least 30 days"),
    (
        DEFAULT_TEXT.replace(
            "deadline = { working_days = 5 }", "deadline = { working_days = 5, calendar_days = 7 }"
        ),
        "exactly one of working_days or calendar_days",
    ),
    (
        DEFAULT_TEXT.replace("deadline = { working_days = 5 }", "deadline = { working_days = -1 }"),
        "must be between 1 and 3650",
    ),
    (
        DEFAULT_TEXT.replace(
            "deadline = { working_days = 5 }", 'deadline = { working_days = "five" }'
        ),
        "must be a whole number",
    ),
    (
        DEFAULT_TEXT.replace('roles = ["competent_authority"]', 'roles = ["janitor"]', 1),
        "unknown value 'janitor'",
    ),
    (
        DEFAULT_TEXT.replace('roles = ["competent_authority"]', 'roles = ["case_worker"]', 1),
        "lacks the case.decide permission",
    ),
    (DEFAULT_TEXT.replace(', fr = "Orientation"', ""), "missing language(s) fr"),
    (
        DEFAULT_TEXT.replace('positive = "recovery"', 'positive = "heaven"', 1),
        "there is no stage 'heaven'",
    ),
    (DEFAULT_TEXT.replace('status = "FollowUp"', 'status = "Sleeping"'), "status must be one of"),
    (DEFAULT_TEXT.replace('"LostContact",', '"Vanished",'), "unknown value 'Vanished'"),
    (
        DEFAULT_TEXT.replace("[calendar]", '[calendar]\ncountry = "ZZ"'),
        "no public holidays known for ZZ",
    ),
    (
        DEFAULT_TEXT.replace("extra_holidays = []", 'extra_holidays = ["2026-02-30"]'),
        "is not a date",
    ),
    (
        DEFAULT_TEXT.replace(
            'weekend = ["saturday", "sunday"]',
            "weekend = ["
            '"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]',
        ),
        "leaves no working day",
    ),
    (DEFAULT_TEXT.replace("adult_consent = true", "adult_consent = 1"), "must be true or false"),
    (
        DEFAULT_TEXT.replace("reminder_days = 2", "reminder_days = 2\nsurprise = 1"),
        "unknown key(s) surprise",
    ),
    (
        DEFAULT_TEXT.replace('key = "assistance"', 'key = "referral"'),
        "stage key(s) used twice: referral",
    ),
    (
        DEFAULT_TEXT.replace('key = "follow_up"', 'key = "Follow Up!"').replace(
            'next = "follow_up"', ""
        ),
        "must be lower-case letters",
    ),
    (
        DEFAULT_TEXT.replace("recovery = true", "recovery = false"),
        "exactly one stage must be the recovery period",
    ),
    (
        DEFAULT_TEXT.replace(
            'title = "Default national referral mechanism"', 'title = "bad\\u0007title"'
        ),
        "control characters",
    ),
    (DEFAULT_TEXT.replace('next = "follow_up"', 'next = "closed"'), "close a case with a reason"),
]


@pytest.mark.parametrize(("text", "reason"), BAD_FILES, ids=[r for _, r in BAD_FILES])
def test_a_malformed_file_is_refused_with_file_and_reason(
    tmp_path: Path, text: str, reason: str
) -> None:
    assert text != DEFAULT_TEXT or reason == "is not valid TOML"
    with pytest.raises(LifecycleError) as refused:
        load_lifecycle(_write(tmp_path, text))
    message = str(refused.value)
    assert message.startswith("xx.toml: "), message
    assert reason in message, message


def test_oversized_missing_and_binary_files_are_refused(tmp_path: Path) -> None:
    big = _write(tmp_path, DEFAULT_TEXT + "#" * (lifecycle.MAX_FILE_BYTES + 1))
    with pytest.raises(LifecycleError, match=r"^xx.toml: is larger than"):
        load_lifecycle(big)
    with pytest.raises(LifecycleError, match=r"^missing.toml: cannot be read"):
        load_lifecycle(tmp_path / "missing.toml")
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\xff\xfe\x00 not utf-8")
    with pytest.raises(LifecycleError, match=r"^bin.toml: is not UTF-8"):
        load_lifecycle(binary)
