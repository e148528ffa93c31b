"""Attach the Actor to each request, and hold back anyone who still owes a second factor."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from .actors import Actor
from .roles import ROLE_DEFAULT_PURPOSE, Role, requires_second_factor

SESSION_MEMBERSHIP_KEY = "palermo_membership_id"

# Paths a signed-in user may reach before completing the second factor.
_OPEN_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/api/", "/favicon")


def actor_for_session(request: HttpRequest) -> Actor | None:
    user = request.user
    if not user.is_authenticated:
        return None
    memberships = list(user.memberships.select_related("organisation"))  # type: ignore[union-attr]
    if not memberships:
        return Actor(user=user, organisation=None, role=None, purpose="")  # type: ignore[arg-type]
    chosen = request.session.get(SESSION_MEMBERSHIP_KEY)
    membership = next((m for m in memberships if m.pk == chosen), memberships[0])
    role = Role(membership.role)
    return Actor(
        user=user,  # type: ignore[arg-type]
        organisation=membership.organisation,
        role=role,
        purpose=ROLE_DEFAULT_PURPOSE[role],
    )


def needs_second_factor(request: HttpRequest) -> bool:
    user = request.user
    # Right after login() the user is not yet wrapped by OTPMiddleware: unverified.
    if not user.is_authenticated or getattr(user, "is_verified", lambda: False)():
        return False
    roles = {Role(m.role) for m in user.memberships.all()}  # type: ignore[union-attr]
    return requires_second_factor(roles)


class ActorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.actor = None  # type: ignore[attr-defined]
        if request.user.is_authenticated:
            if needs_second_factor(request):
                if not request.path.startswith(_OPEN_PREFIXES):
                    return HttpResponseRedirect(reverse("accounts:second_factor"))
            else:
                request.actor = actor_for_session(request)  # type: ignore[attr-defined]
        return self.get_response(request)
