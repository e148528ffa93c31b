"""Reads for the account pages, already restricted to what the actor may see."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet
from django.http import HttpRequest

from palermo.errors import NotFound

from .actors import Actor
from .models import ApiToken, Membership
from .roles import Perm

SESSION_MEMBERSHIP_KEY = "palermo_membership_id"


def session_membership(request: HttpRequest) -> Membership | None:
    """The membership the signed-in user works for: the one chosen in the session, or the first."""
    if not request.user.is_authenticated:
        return None
    memberships = list(request.user.memberships.select_related("organisation"))  # type: ignore[union-attr]
    if not memberships:
        return None
    chosen = request.session.get(SESSION_MEMBERSHIP_KEY)
    return next((m for m in memberships if m.pk == chosen), memberships[0])


def api_tokens_for(actor: Actor) -> QuerySet[ApiToken]:
    """Every token of the actor's organisation, newest first; none unless they manage tokens."""
    if actor.organisation is None or not actor.can(Perm.TOKEN_MANAGE):
        return ApiToken.objects.none()
    return ApiToken.objects.filter(membership__organisation=actor.organisation).select_related(
        "membership__user", "created_by"
    )


def api_token_for(actor: Actor, public_id: UUID | str) -> ApiToken:
    """One token of the actor's organisation by its public id; anything else is NotFound."""
    try:
        key = UUID(str(public_id))
    except ValueError as exc:
        raise NotFound() from exc
    token = api_tokens_for(actor).filter(public_id=key).first()
    if token is None:
        raise NotFound()
    return token


def token_memberships(actor: Actor) -> QuerySet[Membership]:
    """The memberships of the actor's organisation a token may act for (active users)."""
    if actor.organisation is None or not actor.can(Perm.TOKEN_MANAGE):
        return Membership.objects.none()
    return (
        Membership.objects.filter(organisation=actor.organisation, user__is_active=True)
        .select_related("user", "organisation")
        .order_by("user__username", "role")
    )


def token_membership(actor: Actor, membership_id: str) -> Membership | None:
    """The membership chosen on the token form, if it is one the actor may pick."""
    try:
        pk = int(membership_id)
    except (TypeError, ValueError):
        return None
    if not 0 < pk < 2**63:  # beyond the database's integers
        return None
    return token_memberships(actor).filter(pk=pk).first()
