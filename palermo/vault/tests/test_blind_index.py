"""Blind-index normalisers: equal for what a person would call the same value, keyed digests."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from palermo.vault.blind_index import (
    DIGEST_HEX_CHARS,
    digest,
    normalise_email,
    normalise_identifier,
    normalise_name,
    normalise_phone,
)

KEY = b"k" * 32


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Олена", "olena"),
        ("ОЛЕНА", "Olena"),
        ("Коваленко", "kovalenko"),
        ("  José   María ", "jose maria"),
        ("Müller-Lüdenscheidt", "muller ludenscheidt"),
        ("Ａｎｎａ", "anna"),  # full-width letters
        ("O'Brien", "o brien"),
        ("Ștefan", "stefan"),  # Romanian comma-below
        ("Ştefan", "stefan"),  # and the cedilla form typed in its place
    ],
)
def test_names_equal_across_case_accents_and_scripts(a: str, b: str) -> None:
    assert normalise_name(a) == normalise_name(b)


@given(st.text())
def test_name_normalisation_is_idempotent_and_plain(value: str) -> None:
    once = normalise_name(value)
    assert normalise_name(once) == once
    assert once == once.strip()
    assert "  " not in once
    assert once == once.lower()
    assert once.isascii()


@pytest.mark.parametrize(
    ("value", "region", "expected"),
    [
        ("+380 67 123 45 67", None, "+380671234567"),
        ("+380 (67) 123-45-67", "MD", "+380671234567"),
        ("067 123 45 67", "UA", "+380671234567"),
        ("0671234567", "UA", "+380671234567"),
        ("069 123 456", "MD", "+37369123456"),
        ("00380671234567", "DE", "+380671234567"),  # international prefix from Germany
        ("0671234567", None, "0671234567"),  # no region: digits only, no guessing
        ("+12", None, "+12"),  # unparseable as a number: its digits, with the plus kept
    ],
)
def test_phone_numbers_normalise_to_e164(value: str, region: str | None, expected: str) -> None:
    assert normalise_phone(value, region) == expected


@given(
    separators=st.lists(st.sampled_from([" ", "-", ".", ""]), min_size=9, max_size=9),
)
def test_phone_formatting_does_not_matter(separators: list[str]) -> None:
    digits = "671234567"
    formatted = "+380 " + "".join(d + s for d, s in zip(digits, separators, strict=True))
    assert normalise_phone(formatted) == "+380671234567"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ab 123-456", "AB123456"),
        ("AB/123 456", "AB123456"),
        ("  fp 0012 ", "FP0012"),
        ("ВА123456", "VA123456"),  # Cyrillic series letters are transliterated
    ],
)
def test_identifiers_keep_letters_and_digits_only(value: str, expected: str) -> None:
    assert normalise_identifier(value) == expected


def test_emails_fold_case_and_space() -> None:
    assert normalise_email("  Olena.K@Example.ORG ") == "olena.k@example.org"


def test_digests_are_keyed_per_domain_and_fixed_length() -> None:
    name = digest(KEY, "name", "olena")
    assert len(name) == DIGEST_HEX_CHARS
    assert name == digest(KEY, "name", "olena")
    assert name != digest(KEY, "full_name", "olena")  # same text, another column: unrelated
    assert name != digest(b"x" * 32, "name", "olena")  # another key: unrelated
    assert digest(KEY, "name", "") == ""  # nothing to find for an empty value
