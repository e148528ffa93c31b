"""API authentication: the pages' own session (with CSRF), or a bearer token for machines."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer
from ninja.security.apikey import APIKeyCookie
from ninja.utils import check_csrf

from palermo.errors import ApplicationError

from .actors import Actor
from .models import ApiToken
from .roles import ROLE_ALLOWED_PURPOSES, Role

TOKEN_PREFIX = "plm_"  # noqa: S105 - marks Palermo tokens so secret scanners can spot leaks
_TOKEN_MAX_LENGTH = 200

CSRF_REFUSED = _(
    "The request was refused because it lacks the page's CSRF token. Send the X-CSRFToken "
    "header, or use an API token."
)


def token_digest(secret: str) -> str:
    """The SHA-256 hex digest stored for a token secret (the secret itself never is)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class SessionActorAuth(APIKeyCookie):
    """The signed-in user of the pages, once the second factor is done; CSRF is checked."""

    param_name: str = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        # Only a session that would authenticate is held to CSRF: anyone else gets the plain
        # 401, and a refused CSRF check gets our envelope with a translated message.
        key = request.COOKIES.get(self.param_name)
        if key is None or getattr(request, "actor", None) is None:
            return None
        if self.csrf and not getattr(request, "_ninja_csrf_exempt", False):
            if check_csrf(request) is not None:
                raise ApplicationError(CSRF_REFUSED, code="csrf_failed", status=403)
        return key

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if key is None:
            return None
        return getattr(request, "actor", None)


class TokenAuth(HttpBearer):
    """`Authorization: Bearer plm_…`: acts as the token's membership, for the token's purpose.

    A bearer token that is sent but not valid (malformed, unknown, expired, revoked) is
    refused outright: it never falls back to the session that may come with it.
    """

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        actor = self._actor_for(token)
        if actor is None:
            raise AuthenticationError()
        request.actor = actor  # type: ignore[attr-defined]
        return actor

    def _actor_for(self, token: str) -> Actor | None:
        if not token.startswith(TOKEN_PREFIX) or len(token) > _TOKEN_MAX_LENGTH:
            return None
        record = (
            ApiToken.objects.select_related("membership__user", "membership__organisation")
            .filter(digest=token_digest(token), revoked_at__isnull=True)
            .first()
        )
        now = timezone.now()
        if record is None or (record.expires_at is not None and record.expires_at <= now):
            return None
        membership = record.membership
        if not membership.user.is_active or not membership.organisation.is_active:
            return None
        role = Role(membership.role)
        # Only tokens that could be made today act: for a purpose of the member's role, and
        # made by the member themself (or by an operator's command, which names no user).
        # Tokens an administrator once made to act as someone else stay refused.
        if record.purpose not in ROLE_ALLOWED_PURPOSES[role]:
            return None
        if record.created_by_id is not None and record.created_by_id != membership.user_id:
            return None
        if record.last_used_at is None or now - record.last_used_at > timedelta(minutes=5):
            ApiToken.objects.filter(pk=record.pk).update(last_used_at=now)
        return Actor(
            user=membership.user,
            organisation=membership.organisation,
            role=role,
            purpose=record.purpose,
            token=record,
        )
