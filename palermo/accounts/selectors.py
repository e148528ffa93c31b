"""Reads for the account pages, already restricted to what the actor may see."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet
from django.http import HttpRequest

from palermo.errors import NotFound

from .actors import Actor
from .models import ApiToken, Membership, User
from .roles import Perm
from .signin import prefetched_memberships

SESSION_MEMBERSHIP_KEY = "palermo_membership_id"


def active_memberships(user: User) -> QuerySet[Membership]:
    """The user's memberships of organisations that are still active: the only ones that act.

    A deactivated organisation's members keep their account (and may hold other memberships)
    but nothing they do is on its behalf any more.
    """
    return user.memberships.filter(organisation__is_active=True).select_related("organisation")


def session_membership(request: HttpRequest) -> Membership | None:
    """The membership the signed-in user works for: the one chosen in the session, or the first.

    Only memberships of active organisations, for active users: the actor of anyone else has
    no organisation, so every module's access rules show them nothing.
    """
    user = request.user
    if not user.is_authenticated or not user.is_active:
        return None
    assert isinstance(user, User)  # noqa: S101 - AUTH_USER_MODEL
    prefetched = prefetched_memberships(user)
    memberships = prefetched if prefetched is not None else list(active_memberships(user))
    request._active_membership_count = len(memberships)  # type: ignore[attr-defined]
    if not memberships:
        return None
    chosen = request.session.get(SESSION_MEMBERSHIP_KEY)
    return next((m for m in memberships if m.pk == chosen), memberships[0])


def may_switch_membership(request: HttpRequest) -> bool:
    """Whether the signed-in user works for more than one organisation (counted when the
    request's membership was chosen, so the page header asks the database nothing more)."""
    count = getattr(request, "_active_membership_count", None)
    if count is None:
        user = request.user
        if not user.is_authenticated or not user.is_active:
            return False
        count = active_memberships(user).count()  # type: ignore[arg-type]
    return bool(count > 1)


def api_tokens_for(actor: Actor) -> QuerySet[ApiToken]:
    """The tokens the actor may see, newest first.

    A member sees the tokens acting as themself in their current organisation; an
    administrator (TOKEN_MANAGE) sees every token of their organisation.
    """
    if actor.user is None or actor.organisation is None or actor.token is not None:
        return ApiToken.objects.none()
    tokens = ApiToken.objects.filter(membership__organisation=actor.organisation)
    if not actor.can(Perm.TOKEN_MANAGE):
        tokens = tokens.filter(membership__user=actor.user)
    return tokens.select_related("membership__user")


def api_token_for(actor: Actor, public_id: UUID | str) -> ApiToken:
    """One token the actor may see by its public id; anything else is NotFound."""
    try:
        key = UUID(str(public_id))
    except ValueError as exc:
        raise NotFound() from exc
    token = api_tokens_for(actor).filter(public_id=key).first()
    if token is None:
        raise NotFound()
    return token
