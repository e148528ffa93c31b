"""The package format on its own (no database): each way a package can be wrong is refused
with its own reason, and a good package opens to exactly what was sealed."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from typing import Any

import pytest

from palermo.partners import packages
from palermo.partners.packages import (
    DeploymentKeys,
    PackageRefused,
    SenderKey,
    b64url,
    encode,
    from_b64url,
    open_package,
    parse_key_string,
    seal,
    sign_envelope,
)

NOW = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)
AGE = datetime.timedelta(minutes=10)
SKEW = datetime.timedelta(minutes=2)
PAYLOAD = {"payload_version": 1, "person": {"first_name": "Олена"}, "note": "ok"}

SENDER = DeploymentKeys.generate()
RECIPIENT = DeploymentKeys.generate()


def _registry(*entries: tuple[DeploymentKeys, bool]) -> Callable[[str], SenderKey | None]:
    known = {
        keys.public.signing_b64: SenderKey(n, active) for n, (keys, active) in enumerate(entries)
    }
    return known.get


def _open(
    raw: bytes,
    *,
    registry: Callable[[str], SenderKey | None] | None = None,
    seen: Callable[[str], bool] = lambda _id: False,
    recipient: DeploymentKeys = RECIPIENT,
    now: datetime.datetime = NOW,
    max_bytes: int = packages.DEFAULT_MAX_BYTES,
) -> packages.OpenedPackage:
    return open_package(
        raw,
        recipient=recipient,
        lookup_sender=registry or _registry((SENDER, True)),
        seen=seen,
        now=now,
        max_age=AGE,
        max_skew=SKEW,
        max_bytes=max_bytes,
    )


def _sealed(**overrides: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "kind": "referral",
        "payload": PAYLOAD,
        "sender": SENDER,
        "recipient": RECIPIENT.public,
        "now": NOW,
    }
    arguments.update(overrides)
    return seal(**arguments)


def _refused(raw: bytes, **kwargs: Any) -> PackageRefused:
    with pytest.raises(PackageRefused) as caught:
        _open(raw, **kwargs)
    return caught.value


def test_a_sealed_package_opens_to_its_payload() -> None:
    envelope = _sealed()
    opened = _open(encode(envelope))
    assert opened.payload == PAYLOAD
    assert opened.kind == "referral"
    assert opened.package_id == envelope["package_id"]
    assert opened.sender_key == SENDER.public.signing_b64
    assert opened.partner_id == 0
    # Nothing of the payload is readable in the envelope.
    assert "Олена" not in encode(envelope).decode() and "person" not in encode(envelope).decode()
    assert set(envelope) == set(packages.ALL_FIELDS)
    assert envelope["recipient"] == RECIPIENT.public.fingerprint


def test_each_package_uses_a_fresh_ephemeral_key_and_nonce() -> None:
    first, second = _sealed(package_id=None), _sealed()
    assert first["ephemeral_key"] != second["ephemeral_key"]
    assert first["nonce"] != second["nonce"]
    assert first["package_id"] != second["package_id"]


def test_tampered_ciphertext_is_refused_by_the_signature() -> None:
    envelope = _sealed()
    raw = bytearray(from_b64url(envelope["ciphertext"]))
    raw[5] ^= 1
    envelope["ciphertext"] = b64url(bytes(raw))
    assert _refused(encode(envelope)).reason == "bad_signature"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("kind", "status"),
        ("created_at", "2026-03-01T12:01:00Z"),
        ("recipient", "0" * 64),
        ("package_id", "3f0c8f52-7d0e-4a43-9d29-1d1b8f0d9c11"),
    ],
)
def test_a_tampered_header_is_refused(field: str, value: str) -> None:
    envelope = _sealed()
    envelope[field] = value
    refusal = _refused(encode(envelope))
    assert refusal.reason == "bad_signature"
    assert refusal.sender == SENDER.public.signing_b64


def test_a_ciphertext_re_signed_by_the_sender_but_altered_does_not_decrypt() -> None:
    # A registered partner that signs garbage (or a header changed after encryption): the
    # authenticated encryption catches what the signature cannot.
    envelope = _sealed()
    envelope["kind"] = "status"  # the header was the associated data of the encryption
    refusal = _refused(encode(sign_envelope(envelope, SENDER)))
    assert refusal.reason == "undecryptable"


def test_a_package_for_another_deployment_is_refused() -> None:
    other = DeploymentKeys.generate()
    envelope = _sealed(recipient=other.public)
    assert _refused(encode(envelope)).reason == "wrong_recipient"


def test_a_package_signed_by_another_key_than_the_sender_it_names_is_refused() -> None:
    impostor = DeploymentKeys.generate()
    envelope = sign_envelope(_sealed(), impostor)  # names SENDER, signed by the impostor
    assert _refused(encode(envelope)).reason == "bad_signature"


def test_an_unknown_sender_is_refused_before_anything_is_decrypted() -> None:
    stranger = DeploymentKeys.generate()
    refusal = _refused(encode(_sealed(sender=stranger)))
    assert refusal.reason == "unknown_sender"
    assert refusal.sender == stranger.public.signing_b64


def test_an_inactive_sender_is_refused() -> None:
    refusal = _refused(encode(_sealed()), registry=_registry((SENDER, False)))
    assert refusal.reason == "inactive_sender"


def test_a_replayed_package_is_refused_even_long_after_the_window() -> None:
    envelope = _sealed()
    seen = {envelope["package_id"]}
    assert _refused(encode(envelope), seen=seen.__contains__).reason == "replay"
    much_later = NOW + datetime.timedelta(days=400)
    refusal = _refused(encode(envelope), seen=seen.__contains__, now=much_later)
    assert refusal.reason == "replay"


def test_an_old_package_is_refused() -> None:
    envelope = _sealed(now=NOW - AGE - datetime.timedelta(seconds=1))
    assert _refused(encode(envelope)).reason == "expired"
    # Within the window it is fine.
    assert _open(encode(_sealed(now=NOW - AGE + datetime.timedelta(seconds=5)))).payload


def test_a_package_from_the_future_is_refused_beyond_the_clock_skew() -> None:
    assert _refused(encode(_sealed(now=NOW + SKEW + datetime.timedelta(seconds=1)))).reason == (
        "from_future"
    )
    assert _open(encode(_sealed(now=NOW + SKEW - datetime.timedelta(seconds=5)))).payload


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"not json",
        b"[1, 2]",
        b"\xff\xfe",
        b'{"version": 1}',
        b'{"version": NaN}',
    ],
)
def test_malformed_packages_are_refused(raw: bytes) -> None:
    assert _refused(raw).reason == "malformed"


def test_a_package_with_an_extra_field_or_bad_values_is_malformed() -> None:
    envelope = _sealed()
    assert _refused(encode({**envelope, "extra": "x"})).reason == "malformed"
    assert _refused(encode({**envelope, "package_id": "not-a-uuid"})).reason == "malformed"
    assert _refused(encode({**envelope, "nonce": 12})).reason == "malformed"
    assert _refused(encode({**envelope, "signature": "!!"})).reason == "malformed"
    assert _refused(encode({**envelope, "kind": "gift"})).reason == "malformed"


def test_an_unknown_version_is_refused() -> None:
    assert _refused(encode({**_sealed(), "version": 2})).reason == "unsupported_version"


def test_an_oversized_package_is_refused_before_it_is_parsed() -> None:
    raw = encode(_sealed())
    assert _refused(raw, max_bytes=len(raw) - 1).reason == "too_large"
    assert _open(raw, max_bytes=len(raw)).payload == PAYLOAD


def test_a_payload_that_is_not_an_object_is_refused() -> None:
    envelope = _sealed(payload={"x": 1})
    # Seal a list by hand through the same primitives: the check is on the plaintext.
    forged = dict(envelope)
    header = {name: forged[name] for name in packages.HEADER_FIELDS}
    ephemeral = packages.X25519PrivateKey.generate()
    ephemeral_public = packages.raw_public(ephemeral.public_key())
    header["ephemeral_key"] = b64url(ephemeral_public)
    shared = ephemeral.exchange(
        packages.X25519PublicKey.from_public_bytes(RECIPIENT.public.encryption)
    )
    key = packages._derive_key(shared, ephemeral_public, RECIPIENT.public.encryption)
    nonce = b"\x00" * 12
    ciphertext = packages.AESGCM(key).encrypt(nonce, b"[1]", packages.canonical(header))
    forged = {**header, "nonce": b64url(nonce), "ciphertext": b64url(ciphertext)}
    refusal = _refused(encode(sign_envelope(forged, SENDER)))
    assert refusal.reason == "bad_payload"


def test_the_key_string_round_trips_and_carries_a_checksum() -> None:
    public = SENDER.public
    text = public.key_string()
    assert text.startswith("palermo-partner-v1.")
    assert parse_key_string(text) == public
    # Line breaks and spaces from an email are tolerated.
    assert parse_key_string(text[:30] + "\n  " + text[30:]) == public
    assert len(public.short_fingerprint.split()) == 8
    assert public.fingerprint.upper().startswith(public.short_fingerprint.replace(" ", ""))


@pytest.mark.parametrize(
    "mangle",
    [
        lambda s: s.replace("palermo-partner-v1", "palermo-partner-v2"),
        lambda s: s[:-1] + ("0" if s[-1] != "0" else "1"),  # checksum
        lambda s: s.replace(".", "", 1),
        lambda s: s.split(".")[0] + "." + s.split(".")[1] + "." + s.split(".")[3],
        lambda s: s[:25] + ("A" if s[25] != "A" else "B") + s[26:],  # a typo in a key
        lambda s: "",
    ],
)
def test_a_mangled_key_string_is_refused(mangle: Callable[[str], str]) -> None:
    with pytest.raises(packages.InvalidKeyString):
        parse_key_string(mangle(SENDER.public.key_string()))


def test_a_weak_encryption_key_is_refused() -> None:
    body = f"palermo-partner-v1.{SENDER.public.signing_b64}.{b64url(bytes(32))}"
    with pytest.raises(packages.InvalidKeyString):
        parse_key_string(f"{body}.{packages._checksum(body)}")


def test_the_signed_serialisation_is_canonical() -> None:
    assert packages.canonical({"b": "1", "a": 2}) == b'{"a":2,"b":"1"}'
    envelope = _sealed()
    # Re-encoding the JSON differently (spaces, order) does not break the signature.
    reordered = json.dumps(dict(reversed(list(envelope.items()))), indent=2).encode()
    assert _open(reordered).payload == PAYLOAD
