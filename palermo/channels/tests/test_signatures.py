"""The gateways' signature algorithms, against the domain file's vector and the official
Twilio validator."""

from __future__ import annotations

import hashlib
import string

from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from palermo.channels.signatures import (
    generic_signature,
    generic_signature_header,
    generic_valid,
    twilio_signature,
    twilio_url_variants,
    twilio_valid,
    url_secret_valid,
)

VECTOR_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
VECTOR_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+12349013030",
    "Digits": "1234",
    "From": "+12349013030",
    "To": "+18005551212",
}
VECTOR_SIGNATURE = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


def test_domain_test_vector() -> None:
    assert twilio_signature(VECTOR_URL, VECTOR_PARAMS.items(), "12345") == VECTOR_SIGNATURE
    assert twilio_valid(
        url=VECTOR_URL,
        params=VECTOR_PARAMS.items(),
        body=b"",
        json_body=False,
        signature=VECTOR_SIGNATURE,
        auth_token="12345",
    )


def test_vector_fails_with_another_token_url_or_value() -> None:
    def valid(url: str, params: dict[str, str], token: str) -> bool:
        return twilio_valid(
            url=url,
            params=params.items(),
            body=b"",
            json_body=False,
            signature=VECTOR_SIGNATURE,
            auth_token=token,
        )

    assert not valid(VECTOR_URL, VECTOR_PARAMS, "12346")
    assert not valid(VECTOR_URL + "&baz=3", VECTOR_PARAMS, "12345")
    assert not valid(VECTOR_URL, {**VECTOR_PARAMS, "Digits": "1235"}, "12345")
    assert not valid(VECTOR_URL, {**VECTOR_PARAMS, "Extra": ""}, "12345")


def test_url_is_accepted_with_and_without_the_default_port() -> None:
    assert twilio_url_variants("https://a.example/x?y=1") == [
        "https://a.example/x?y=1",
        "https://a.example:443/x?y=1",
    ]
    assert twilio_url_variants("http://a.example:80/x") == [
        "http://a.example:80/x",
        "http://a.example/x",
    ]
    signed_with_port = twilio_signature(
        "https://mycompany.com:443/myapp.php?foo=1&bar=2", VECTOR_PARAMS.items(), "12345"
    )
    assert twilio_valid(
        url=VECTOR_URL,
        params=VECTOR_PARAMS.items(),
        body=b"",
        json_body=False,
        signature=signed_with_port,
        auth_token="12345",
    )


def test_repeated_parameter_values_are_sorted_like_the_official_validator() -> None:
    from django.utils.datastructures import MultiValueDict

    params = [("b", "2"), ("a", "z"), ("a", "y"), ("a", "y")]
    official = RequestValidator("tok").compute_signature(
        "https://x.example/", MultiValueDict({"a": ["z", "y", "y"], "b": ["2"]})
    )
    assert twilio_signature("https://x.example/", params, "tok") == official


_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30
)


@settings(max_examples=200, deadline=None)
@given(
    params=st.dictionaries(
        st.text(alphabet=string.ascii_letters, min_size=1, max_size=12), _text, max_size=8
    ),
    token=st.text(alphabet=string.ascii_letters + string.digits, min_size=1, max_size=40),
    path=st.text(alphabet=string.ascii_lowercase + "/", max_size=20),
)
def test_agrees_with_the_official_validator(params: dict, token: str, path: str) -> None:
    url = f"https://palermo.example/{path}"
    official = RequestValidator(token).compute_signature(url, params)
    assert twilio_signature(url, params.items(), token) == official
    assert twilio_valid(
        url=url,
        params=params.items(),
        body=b"",
        json_body=False,
        signature=official,
        auth_token=token,
    )
    assert RequestValidator(token).validate(
        url, params, twilio_signature(url, params.items(), token)
    )


def test_json_body_is_checked_through_body_sha256() -> None:
    body = b'{"MessageSid": "SM1"}'
    url = "https://p.example/c?bodySHA256=" + hashlib.sha256(body).hexdigest()
    signature = RequestValidator("tok").compute_signature(url, {})
    assert twilio_valid(
        url=url, params=[], body=body, json_body=True, signature=signature, auth_token="tok"
    )
    assert not twilio_valid(
        url=url, params=[], body=body + b" ", json_body=True, signature=signature, auth_token="tok"
    )
    no_hash = "https://p.example/c"
    assert not twilio_valid(
        url=no_hash,
        params=[],
        body=body,
        json_body=True,
        signature=RequestValidator("tok").compute_signature(no_hash, {}),
        auth_token="tok",
    )


def test_empty_signature_or_token_never_validates() -> None:
    for signature, token in (("", "tok"), ("x", "")):
        assert not twilio_valid(
            url=VECTOR_URL, params=[], body=b"", json_body=False, signature=signature,
            auth_token=token,
        )  # fmt: skip
    assert not generic_valid(body=b"{}", header="", secret="k")
    assert not generic_valid(body=b"{}", header=generic_signature_header("", b"{}"), secret="")
    assert not url_secret_valid(given="", secret="")


def test_generic_signature() -> None:
    import hmac

    body = '{"id": "1", "text": "Привіт"}'.encode()
    expected = hmac.new(b"key", body, hashlib.sha256).hexdigest()
    assert generic_signature("key", body) == expected
    assert generic_signature_header("key", body) == "sha256=" + expected
    assert generic_valid(body=body, header="sha256=" + expected, secret="key")
    assert generic_valid(body=body, header="SHA256=" + expected.upper(), secret="key")
    assert generic_valid(body=body, header=expected, secret="key")
    assert not generic_valid(body=body + b" ", header="sha256=" + expected, secret="key")
    assert not generic_valid(body=body, header="sha256=" + expected, secret="other")
