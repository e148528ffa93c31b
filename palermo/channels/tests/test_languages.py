from __future__ import annotations

import pytest

from palermo.channels.languages import guess_language
from palermo.channels.urns import InvalidAddress, tel_urn, urn_path

LANGUAGES = ["en", "uk", "ro", "es", "pt", "fr"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Допоможіть, будь ласка", "uk"),
        ("Мне нужна помощь", "uk"),  # Cyrillic without Russian on offer: the closest we have
        ("Vă rog, am nevoie de ajutor", "ro"),
        ("Preciso de ajuda, não tenho o meu passaporte", "pt"),
        ("¿Dónde estoy? Necesito ayuda por favor", "es"),
        ("Je suis bloquée, aidez-moi s'il vous plaît, très vite", "fr"),
        ("Please help me, I am locked in", "en"),
        ("12345 !!!", None),
        ("", None),
    ],
)
def test_guess_language(text: str, expected: str | None) -> None:
    assert guess_language(text, LANGUAGES) == expected


def test_only_available_languages_are_guessed() -> None:
    assert guess_language("Допоможіть, будь ласка", ["en", "ro"]) is None
    assert guess_language("Please help me", ["ro", "uk"]) is None


@pytest.mark.parametrize(
    ("address", "region", "urn"),
    [
        ("+373 69 123 456", None, "tel:+37369123456"),
        ("069123456", "MD", "tel:+37369123456"),
        ("tel:+380671234567", None, "tel:+380671234567"),
        ("0671234567", "ua", "tel:+380671234567"),
        ("527", "MD", "tel:527"),
        ("MPESA", "KE", "tel:MPESA"),
    ],
)
def test_tel_urn(address: str, region: str | None, urn: str) -> None:
    assert tel_urn(address, region) == urn
    assert urn_path(urn) == urn[4:]


@pytest.mark.parametrize("address", ["", "   ", "not a number!", "tel:", "a" * 40])
def test_tel_urn_refuses_what_is_not_an_address(address: str) -> None:
    with pytest.raises(InvalidAddress):
        tel_urn(address, "MD")
