"""Properties of the AES-GCM envelope: it opens only as sealed, with the right key and context."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from palermo.vault import ciphers
from palermo.vault.ciphers import Keyring, VaultError

K1 = bytes(range(32))
K2 = bytes(range(32, 64))
RING = Keyring(keys={"k1": K1, "k2": K2}, active_id="k1")
AD = "people_person.first_name"

texts = st.text()  # any unicode text, surrogates excluded (they cannot be UTF-8 encoded)
associated = st.text(min_size=1, max_size=40)


@given(plaintext=texts, associated_data=associated)
def test_round_trip(plaintext: str, associated_data: str) -> None:
    envelope = ciphers.encrypt(RING, plaintext, associated_data)
    assert envelope.startswith("pv1:k1:")
    assert ciphers.key_id_of(envelope) == "k1"
    assert ciphers.decrypt(RING, envelope, associated_data) == plaintext


@given(plaintext=texts)
def test_same_plaintext_gives_different_envelopes(plaintext: str) -> None:
    # A fresh nonce every time: equal values must not be recognisable as equal.
    assert ciphers.encrypt(RING, plaintext, AD) != ciphers.encrypt(RING, plaintext, AD)


@given(plaintext=texts, data=st.data())
def test_flipping_any_bit_of_the_sealed_bytes_fails(plaintext: str, data: st.DataObject) -> None:
    envelope = ciphers.encrypt(RING, plaintext, AD)
    head, token = envelope.rsplit(":", 1)
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    index = data.draw(st.integers(0, len(raw) - 1), label="byte")
    raw[index] ^= 1 << data.draw(st.integers(0, 7), label="bit")
    tampered = head + ":" + base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    with pytest.raises(VaultError):
        ciphers.decrypt(RING, tampered, AD)


@given(plaintext=texts, data=st.data())
def test_changing_any_character_of_the_envelope_fails(plaintext: str, data: st.DataObject) -> None:
    envelope = ciphers.encrypt(RING, plaintext, AD)
    index = data.draw(st.integers(0, len(envelope) - 1), label="position")
    replacement = data.draw(st.characters().filter(lambda c: c != envelope[index]), label="char")
    tampered = envelope[:index] + replacement + envelope[index + 1 :]
    with pytest.raises(VaultError):
        ciphers.decrypt(RING, tampered, AD)


@given(plaintext=texts, extra=st.text(min_size=1, max_size=4))
def test_truncated_or_extended_envelopes_fail(plaintext: str, extra: str) -> None:
    envelope = ciphers.encrypt(RING, plaintext, AD)
    with pytest.raises(VaultError):
        ciphers.decrypt(RING, envelope[:-1], AD)
    with pytest.raises(VaultError):
        ciphers.decrypt(RING, envelope + extra, AD)


@given(plaintext=texts, other=associated.filter(lambda a: a != AD))
def test_wrong_associated_data_fails(plaintext: str, other: str) -> None:
    # A value copied into another column (or table) does not open there.
    envelope = ciphers.encrypt(RING, plaintext, AD)
    with pytest.raises(VaultError, match="integrity"):
        ciphers.decrypt(RING, envelope, other)


def test_unknown_key_id_fails_clearly() -> None:
    envelope = ciphers.encrypt(Keyring(keys={"gone": K1}, active_id="gone"), "Олена", AD)
    with pytest.raises(VaultError, match="Unknown key id 'gone'"):
        ciphers.decrypt(RING, envelope, AD)


def test_a_value_sealed_with_an_older_key_still_opens() -> None:
    envelope = ciphers.encrypt(RING, "Олена", AD)
    newer = Keyring(keys=RING.keys, active_id="k2")
    assert ciphers.decrypt(newer, envelope, AD) == "Олена"
    assert ciphers.encrypt(newer, "x", AD).startswith("pv1:k2:")


@pytest.mark.parametrize("value", ["", "Олена", "pv1:k1", "pv2:k1:AAAA", "plain text"])
def test_non_envelopes_are_refused(value: str) -> None:
    with pytest.raises(VaultError):
        ciphers.decrypt(RING, value, AD)


@pytest.mark.parametrize(
    ("keys", "active", "message"),
    [
        ({}, "k1", "No encryption keys"),
        ({"k1": K1}, "k2", "active key id 'k2'"),
        ({"k1": b"short"}, "k1", "must be 32 bytes"),
        ({"k:1": K1}, "k:1", "may not contain"),
        ({"": K1}, "", "may not be empty"),
    ],
)
def test_keyring_refuses_bad_configurations(
    keys: dict[str, bytes], active: str, message: str
) -> None:
    with pytest.raises(VaultError, match=message):
        Keyring(keys=keys, active_id=active)


def test_parse_key_list() -> None:
    text = f" k1:{base64.b64encode(K1).decode()} , k2:{base64.b64encode(K2).decode()},"
    assert ciphers.parse_key_list(text) == {"k1": K1, "k2": K2}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("k1:not base64!", "not valid base64"),
        (f"k1:{base64.b64encode(K1).decode()},k1:{base64.b64encode(K2).decode()}", "twice"),
    ],
)
def test_parse_key_list_refuses(text: str, message: str) -> None:
    with pytest.raises(VaultError, match=message):
        ciphers.parse_key_list(text)


def test_new_keys_are_fresh_and_the_right_size() -> None:
    first, second = ciphers.new_key(), ciphers.new_key()
    assert first != second
    assert len(base64.b64decode(first)) == ciphers.KEY_BYTES
