"""Webhook signatures of the gateways (pure: no Django import).

* Twilio: ``X-Twilio-Signature`` is base64(HMAC-SHA1(auth token, URL + sorted params)); for a
  JSON body the URL carries ``bodySHA256`` (hex SHA-256 of the body) and the params are empty.
  The URL is accepted with and without the scheme's default port, as Twilio's own validator
  does.
* Generic: ``X-Palermo-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>``.
* Africa's Talking signs nothing: the channel's URL carries a secret (``?secret=…``).

Every comparison is constant-time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from urllib.parse import parse_qs, urlsplit, urlunsplit

TWILIO_SIGNATURE_HEADER = "X-Twilio-Signature"
GENERIC_SIGNATURE_HEADER = "X-Palermo-Signature"
GENERIC_SIGNATURE_PREFIX = "sha256="
AFRICASTALKING_SECRET_PARAM = "secret"  # noqa: S105 - the name of a query parameter
_DEFAULT_PORTS = {"https": 443, "http": 80}


def constant_time_equal(left: str, right: str) -> bool:
    return hmac.compare_digest(left.encode("utf-8"), right.encode("utf-8"))


def twilio_signature(url: str, params: Iterable[tuple[str, str]], auth_token: str) -> str:
    """The signature Twilio sends for a request to `url` with form `params`.

    Names sorted; for a name given several times its distinct values sorted, each appended
    after the name (as the official validator computes it).
    """
    by_name: dict[str, set[str]] = {}
    for name, value in params:
        by_name.setdefault(name, set()).add(value)
    payload = url + "".join(
        name + value for name in sorted(by_name) for value in sorted(by_name[name])
    )
    digest = hmac.new(auth_token.encode("utf-8"), payload.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def _with_port(url: str) -> str:
    parts = urlsplit(url)
    if parts.port is not None or parts.scheme not in _DEFAULT_PORTS:
        return url
    return urlunsplit(parts._replace(netloc=f"{parts.netloc}:{_DEFAULT_PORTS[parts.scheme]}"))


def _without_port(url: str) -> str:
    parts = urlsplit(url)
    if parts.port is None:
        return url
    host = parts.netloc.rsplit(":", 1)[0]
    return urlunsplit(parts._replace(netloc=host))


def twilio_url_variants(url: str) -> list[str]:
    """The URL as requested, with the default port and without it."""
    variants = [url, _with_port(url), _without_port(url)]
    return list(dict.fromkeys(variants))


def twilio_valid(
    *,
    url: str,
    params: Iterable[tuple[str, str]],
    body: bytes,
    json_body: bool,
    signature: str,
    auth_token: str,
) -> bool:
    """Whether a Twilio request is authentic (form or JSON body)."""
    if not signature or not auth_token:
        return False
    pairs: list[tuple[str, str]] = []
    if json_body:
        expected_hash = hashlib.sha256(body).hexdigest()
        given = parse_qs(urlsplit(url).query).get("bodySHA256", [""])[0]
        if not given or not constant_time_equal(expected_hash, given.lower()):
            return False
    else:
        pairs = list(params)
    valid = False
    for candidate in twilio_url_variants(url):
        # No early exit: every variant is checked, so timing says nothing about which matched.
        valid |= constant_time_equal(twilio_signature(candidate, pairs, auth_token), signature)
    return valid


def generic_signature(secret: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of the raw body, keyed with the channel's secret."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def generic_signature_header(secret: str, body: bytes) -> str:
    """The ``X-Palermo-Signature`` header value for `body`."""
    return GENERIC_SIGNATURE_PREFIX + generic_signature(secret, body)


def generic_valid(*, body: bytes, header: str, secret: str) -> bool:
    """Whether the ``X-Palermo-Signature`` header signs `body` with `secret`."""
    if not header or not secret:
        return False
    value = header.strip()
    if value.lower().startswith(GENERIC_SIGNATURE_PREFIX):
        value = value[len(GENERIC_SIGNATURE_PREFIX) :]
    return constant_time_equal(generic_signature(secret, body), value.lower())


def url_secret_valid(*, given: str, secret: str) -> bool:
    """Africa's Talking: the secret in the callback URL matches the channel's."""
    return bool(given) and bool(secret) and constant_time_equal(given, secret)
