"""API authentication: the pages' own session (with CSRF), or a bearer token for machines."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer
from ninja.security.apikey import APIKeyCookie

from .actors import Actor
from .models import ApiToken
from .roles import Role

TOKEN_PREFIX = "plm_"  # noqa: S105 - marks Palermo tokens so secret scanners can spot leaks


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class SessionActorAuth(APIKeyCookie):
    """The signed-in user of the pages, once the second factor is done; CSRF is checked."""

    param_name: str = settings.SESSION_COOKIE_NAME

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        actor = getattr(request, "actor", None)
        return actor if actor is not None else None


class TokenAuth(HttpBearer):
    """`Authorization: Bearer plm_…`: acts as the token's membership, for the token's purpose."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
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
        if record.last_used_at is None or now - record.last_used_at > timedelta(minutes=5):
            ApiToken.objects.filter(pk=record.pk).update(last_used_at=now)
        actor = Actor(
            user=membership.user,
            organisation=membership.organisation,
            role=Role(membership.role),
            purpose=record.purpose,
            token=record,
        )
        request.actor = actor  # type: ignore[attr-defined]
        return actor
