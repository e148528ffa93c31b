"""The text-message grammar: unit examples in every UI language, and properties over any input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from palermo.safetravel.sms_commands import (
    MAX_BODY_CHARS,
    MAX_DURATION,
    Problem,
    SmsCommand,
    Verb,
    parse_sms,
)

H = timedelta(hours=1)
M = timedelta(minutes=1)


@pytest.mark.parametrize(
    ("body", "verb", "duration", "pin"),
    [
        ("OK", Verb.CHECK_IN, None, None),
        ("ok", Verb.CHECK_IN, None, None),
        (" Ok. ", Verb.CHECK_IN, None, None),
        ("OK!", Verb.CHECK_IN, None, None),
        ("OK 12h", Verb.CHECK_IN, 12 * H, None),
        ("ok12h", Verb.CHECK_IN, 12 * H, None),
        ("OK 12 h", Verb.CHECK_IN, 12 * H, None),
        ("OK 12", Verb.CHECK_IN, 12 * H, None),
        ("ok 1h30", Verb.CHECK_IN, 90 * M, None),
        ("ok 1h30m", Verb.CHECK_IN, 90 * M, None),
        ("ok 1.5h", Verb.CHECK_IN, 90 * M, None),
        ("ok 1,5 ore", Verb.CHECK_IN, 90 * M, None),
        ("OK 45 min", Verb.CHECK_IN, 45 * M, None),
        ("OK 2 days", Verb.CHECK_IN, 48 * H, None),
        ("OK 123456", Verb.CHECK_IN, None, "123456"),
        ("OK 12h 123456", Verb.CHECK_IN, 12 * H, "123456"),
        ("ok 123456 12h", Verb.CHECK_IN, 12 * H, "123456"),
        ("123456 OK", Verb.CHECK_IN, None, "123456"),
        ("123456", Verb.CHECK_IN, None, "123456"),
        ("12h", Verb.CHECK_IN, 12 * H, None),
        ("Yes", Verb.CHECK_IN, None, None),
        ("check in", Verb.CHECK_IN, None, None),
        ("check-in", Verb.CHECK_IN, None, None),
        ("I'm OK", Verb.CHECK_IN, None, None),
        ("I am ok 123456", Verb.CHECK_IN, None, "123456"),
        ("ok thanks", Verb.CHECK_IN, None, None),
        # Ukrainian: Cyrillic "ОК", "так", "добре", "ДА" and units
        ("ОК", Verb.CHECK_IN, None, None),
        ("ДА 123456", Verb.CHECK_IN, None, "123456"),
        ("Так", Verb.CHECK_IN, None, None),
        ("все добре", Verb.CHECK_IN, None, None),
        ("так 12 год 123456", Verb.CHECK_IN, 12 * H, "123456"),
        ("продовжити 2 год", Verb.EXTEND, 2 * H, None),
        ("Продовжити 30 хв 123456", Verb.EXTEND, 30 * M, "123456"),
        ("стоп", Verb.STOP, None, None),
        ("СТОП 123456", Verb.STOP, None, "123456"),
        ("допомога", Verb.HELP, None, None),
        ("ні", Verb.NO, None, None),
        # Romanian, Spanish, Portuguese, French
        ("Da", Verb.CHECK_IN, None, None),
        ("sunt bine", Verb.CHECK_IN, None, None),
        ("Prelungește 3 ore", Verb.EXTEND, 3 * H, None),
        ("gata 123456", Verb.STOP, None, "123456"),
        ("Sí", Verb.CHECK_IN, None, None),
        ("ampliar 2 horas", Verb.EXTEND, 2 * H, None),
        ("Sim", Verb.CHECK_IN, None, None),
        ("prolongar 1 dia", Verb.EXTEND, 24 * H, None),
        ("Oui", Verb.CHECK_IN, None, None),
        ("prolonger 2 heures", Verb.EXTEND, 2 * H, None),
        ("Arrêt", Verb.STOP, None, None),
        # extend and stop
        ("EXTEND 2h", Verb.EXTEND, 2 * H, None),
        ("extend 2H 123456", Verb.EXTEND, 2 * H, "123456"),
        ("EXT 90m", Verb.EXTEND, 90 * M, None),
        ("STOP", Verb.STOP, None, None),
        ("stop 123456", Verb.STOP, None, "123456"),
        ("HELP", Verb.HELP, None, None),
        ("?", Verb.HELP, None, None),
        ("NO", Verb.NO, None, None),
        ("not ok", Verb.NO, None, None),
        # Full-width digits and letters, as some phone keyboards send them.
        ("ＯＫ　１２ｈ", Verb.CHECK_IN, 12 * H, None),
    ],
)
def test_understood_commands(
    body: str, verb: Verb, duration: timedelta | None, pin: str | None
) -> None:
    command = parse_sms(body)
    assert command == SmsCommand(verb, duration=duration, pin=pin), body
    assert command.understood


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("", Problem.UNKNOWN_WORDS),
        ("   ", Problem.UNKNOWN_WORDS),
        ("hello", Problem.UNKNOWN_WORDS),
        ("where are you", Problem.UNKNOWN_WORDS),
        ("ok but they took my passport", Problem.UNKNOWN_WORDS),
        ("EXTEND", Problem.MISSING_DURATION),
        ("extend 123456", Problem.MISSING_DURATION),
        ("EXTEND 0h", Problem.BAD_DURATION),
        ("ok 40 days", Problem.BAD_DURATION),
        ("OK 1000", None),  # four digits: a (wrong) PIN, not hours
        ("STOP 2h", Problem.UNEXPECTED_DURATION),
        ("OK 123456 654321", Problem.TWO_PINS),
        ("x" * (MAX_BODY_CHARS + 1), Problem.TOO_LONG),
        ("OK <script>alert(1)</script>", Problem.UNKNOWN_WORDS),
        ("OK'; DROP TABLE trips; --", Problem.UNKNOWN_WORDS),
    ],
)
def test_refused_commands(body: str, problem: Problem | None) -> None:
    command = parse_sms(body)
    if problem is None:
        assert command == SmsCommand(Verb.CHECK_IN, pin="1000")
        return
    assert command.problem is problem, command
    assert not command.understood
    assert command.duration is None


def test_negations_are_never_check_ins() -> None:
    for body in ("not ok", "NO", "ні", "nu", "non", "não", "no ok", "not ok 123456"):
        assert parse_sms(body).verb is Verb.NO, body


# --- properties -------------------------------------------------------------------------

CHECK_IN_WORDS = ["OK", "ok", "Ok", "ОК", "yes", "ДА", "Так", "da", "Sí", "sim", "oui"]
EXTEND_WORDS = ["EXTEND", "extend", "Ext", "продовжити", "prelungește", "ampliar", "prolonger"]
STOP_WORDS = ["STOP", "stop", "стоп", "gata", "fin", "parar", "arrêt"]
UNITS = {"h": 3600, "H": 3600, "m": 60, "min": 60, "hours": 3600, "год": 3600, "d": 86400}

pins = st.text(alphabet="0123456789", min_size=6, max_size=12)
separators = st.sampled_from([" ", "  ", "\t", ", ", " . ", "\n"])


@st.composite
def durations(draw: st.DrawFn) -> tuple[str, timedelta]:
    unit = draw(st.sampled_from(sorted(UNITS)))
    most = MAX_DURATION.total_seconds() // UNITS[unit]
    amount = draw(st.integers(min_value=1, max_value=int(min(most, 999))))
    space = draw(st.sampled_from(["", " "]))
    return f"{amount}{space}{unit}", timedelta(seconds=amount * UNITS[unit])


@given(body=st.text(max_size=600))
@example(body="\x00\x01")
@example(body="9" * 5000)
@example(body="ok " + "1h " * 200)
def test_parse_never_raises_and_stays_in_bounds(body: str) -> None:
    command = parse_sms(body)
    assert isinstance(command.verb, Verb)
    if command.duration is not None:
        assert timedelta(0) < command.duration <= MAX_DURATION
        assert command.problem is Problem.NONE
    if command.pin is not None:
        assert command.pin.isdigit()
    if command.problem is not Problem.NONE:
        assert command.duration is None


@settings(max_examples=300)
@given(
    word=st.sampled_from(CHECK_IN_WORDS),
    duration=st.none() | durations(),
    pin=st.none() | pins,
    sep=separators,
    shout=st.booleans(),
)
def test_check_in_round_trip(
    word: str, duration: tuple[str, timedelta] | None, pin: str | None, sep: str, shout: bool
) -> None:
    parts = [word] + ([duration[0]] if duration else []) + ([pin] if pin else [])
    body = sep.join(parts)
    body = body.upper() if shout else body
    assert parse_sms(body) == SmsCommand(
        Verb.CHECK_IN, duration=duration[1] if duration else None, pin=pin
    )


@settings(max_examples=200)
@given(word=st.sampled_from(EXTEND_WORDS), duration=durations(), pin=st.none() | pins)
def test_extend_round_trip(word: str, duration: tuple[str, timedelta], pin: str | None) -> None:
    body = " ".join([word, duration[0]] + ([pin] if pin else []))
    assert parse_sms(body) == SmsCommand(Verb.EXTEND, duration=duration[1], pin=pin)


@given(word=st.sampled_from(STOP_WORDS), pin=st.none() | pins, lower=st.booleans())
def test_stop_round_trip(word: str, pin: str | None, lower: bool) -> None:
    body = " ".join([word] + ([pin] if pin else []))
    body = body.lower() if lower else body.upper()
    assert parse_sms(body) == SmsCommand(Verb.STOP, pin=pin)


@given(word=st.sampled_from(CHECK_IN_WORDS), extra=st.text(alphabet="qwzxjv", min_size=3))
def test_unknown_words_after_a_check_in_are_not_a_check_in(word: str, extra: str) -> None:
    """'OK' followed by anything we do not understand may be a cry for help, not a check-in."""
    assert not parse_sms(f"{word} {extra}").understood
