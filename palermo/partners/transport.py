"""Posting a package to a partner's inbox over HTTPS, with the certificate verified.

The partner's certificate is checked against the system's CA certificates, or against
PALERMO_PARTNER_CA_BUNDLE when set (a national CA, or a test's throw-away one). Redirects are
not followed: a package goes to the registered address or nowhere.
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from .conf import HTTP_TIMEOUT_SECONDS, INBOX_PATH, partner_settings


@dataclass(frozen=True)
class Answer:
    """What came back: the HTTP status (None when nothing did) and an error code."""

    status: int | None
    code: str

    @property
    def delivered(self) -> bool:
        # 409 "replay": the partner already has this package (an earlier attempt got through
        # and its answer was lost) — delivered as far as the sender is concerned.
        return self.status == 202 or (self.status == 409 and self.code == "replay")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def inbox_url(base_url: str) -> str:
    return base_url.rstrip("/") + INBOX_PATH


def tls_context() -> ssl.SSLContext:
    bundle = partner_settings().ca_bundle
    context = ssl.create_default_context(cafile=bundle or None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def post_package(base_url: str, body: bytes) -> Answer:
    """POST the package; never raises for network trouble (the Answer says what happened)."""
    url = inbox_url(base_url)
    scheme = urlsplit(url).scheme
    if scheme not in ("https", "http"):
        return Answer(None, "bad_url")
    if scheme == "http" and not partner_settings().insecure_allow_http:
        return Answer(None, "insecure_url")
    handlers: list[urllib.request.BaseHandler] = [_NoRedirect()]
    if scheme == "https":
        handlers.append(urllib.request.HTTPSHandler(context=tls_context()))
    opener = urllib.request.build_opener(*handlers)
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        url,
        data=body,
        headers={"Content-Type": "application/json", "User-Agent": "Palermo-partners/1"},
        method="POST",
    )
    try:
        with opener.open(request, timeout=HTTP_TIMEOUT_SECONDS) as response:
            return Answer(response.status, _code(response.read(4096)))
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, _code(exc.read(4096)))
    except ssl.SSLCertVerificationError:
        return Answer(None, "tls_verification_failed")
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, ssl.SSLCertVerificationError):
            return Answer(None, "tls_verification_failed")
        return Answer(None, type(reason).__name__[:60])


def _code(body: bytes) -> str:
    """The error code from the partner's answer body ({"error": {"code": …}} or {"status": …})."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return ""
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict) and isinstance(error.get("code"), str):
            return error["code"][:60]
        if isinstance(data.get("status"), str):
            return data["status"][:60]
    return ""
