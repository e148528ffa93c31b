"""The referrals section of the case page and the "referrals waiting for me" dashboard panel."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from palermo.accounts.roles import Perm

from . import selectors

if TYPE_CHECKING:
    from django.http import HttpRequest

    from palermo.accounts.actors import Actor
    from palermo.cases.models import Case


def case_section(request: HttpRequest, actor: Actor, case: Case) -> dict[str, Any] | None:
    """The case's referrals the actor may see, and the "refer" button when it may refer."""
    if not actor.can(Perm.CASE_VIEW):
        return None
    return {
        "referrals": selectors.case_referrals(actor, case),
        "can_refer": selectors.may_refer(actor, case),
        "case": case,
    }


def dashboard_panel(request: HttpRequest, actor: Actor) -> dict[str, Any] | None:
    """Referrals waiting for the actor's organisation's answer, soonest deadline first."""
    if not actor.can(Perm.REFERRAL_RESPOND):
        return None
    rows, total = selectors.waiting_for(actor)
    return {"waiting": rows, "waiting_total": total}
