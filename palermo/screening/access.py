"""The choke point for screenings: every page and endpoint gets screenings through here.

Who sees a screening:

- its owner organisation's members who conduct or review screenings; a draft only by its
  interviewer (and the organisation's reviewers, read only);
- a reviewer of another organisation (the competent authority) when the screening's person is
  visible to it (assigned), once the screening is completed.

Anything else is NotFound (404), never a hint that it exists. What the screening says about
the person (answers, explanation) is shown only when the actor may also see the person's
narrative group, consent included: `may_read_answers`.
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from palermo.accounts.actors import Actor
from palermo.accounts.roles import Perm
from palermo.consent.access import permission_for
from palermo.errors import ApplicationError, Forbidden, NotFound
from palermo.people.access import persons_visible_to

from .models import Screening, ScreeningStatus

Action = Literal["view", "answer", "register", "review"]


def may_screen(actor: Actor) -> bool:
    return (
        actor.user is not None
        and actor.organisation is not None
        and (actor.can(Perm.SCREENING_CONDUCT) or actor.can(Perm.SCREENING_REVIEW))
    )


def require_conduct(actor: Actor) -> None:
    if actor.user is None or actor.organisation is None or not actor.can(Perm.SCREENING_CONDUCT):
        raise Forbidden()


def screenings_visible_to(actor: Actor) -> QuerySet[Screening]:
    """Screenings the actor may see; an empty queryset when none."""
    if not may_screen(actor):
        return Screening.objects.none()
    own = Q(owner_organisation=actor.organisation)
    if not actor.can(Perm.SCREENING_REVIEW):
        # Conducting alone: the organisation's finished screenings, and one's own drafts.
        own &= ~Q(status=ScreeningStatus.DRAFT) | Q(interviewer=actor.user)
        return Screening.objects.filter(own)
    others = Q(person__in=persons_visible_to(actor)) & ~Q(status=ScreeningStatus.DRAFT)
    return Screening.objects.filter(own | others).distinct()


def _public_key(public_id: UUID | str) -> UUID:
    if isinstance(public_id, UUID):
        return public_id
    if len(public_id) > 36:
        raise NotFound()
    try:
        return UUID(public_id)
    except ValueError as exc:
        raise NotFound() from exc


def not_a_draft() -> ApplicationError:
    return ApplicationError(
        _("This screening is completed: its answers can no longer change."),
        code="not_a_draft",
        status=409,
    )


def screening_for_actor(actor: Actor, public_id: UUID | str, action: Action = "view") -> Screening:
    """The screening if the actor may perform `action` on it.

    NotFound when the actor may not see it; Forbidden when it may see it but not do this;
    409 for answering a screening that is no longer a draft, or reviewing one that is.
    """
    key = _public_key(public_id)
    screening = (
        screenings_visible_to(actor)
        .select_related("person", "owner_organisation", "interviewer")
        .filter(public_id=key)
        .first()
    )
    if screening is None:
        raise NotFound()
    if action == "answer":
        if screening.interviewer_id != actor.user.pk or not actor.can(Perm.SCREENING_CONDUCT):  # type: ignore[union-attr]
            raise Forbidden(_("Only the interviewer can change the answers of a draft."))
        if screening.status != ScreeningStatus.DRAFT:
            raise not_a_draft()
    elif action == "register":
        if screening.owner_organisation_id != actor.organisation_id or not actor.can(
            Perm.SCREENING_CONDUCT
        ):
            raise Forbidden()
    elif action == "review":
        if not actor.can(Perm.SCREENING_REVIEW):
            raise Forbidden()
        if screening.status == ScreeningStatus.DRAFT:
            raise ApplicationError(
                _("Complete the screening before reviewing it."), code="draft", status=409
            )
    return screening


def may_read_answers(actor: Actor, screening: Screening) -> bool:
    """Whether the actor may see what the screening says about the person (its narrative).

    With a person linked, the person's consent decides, as for the person's own narrative
    group; before registration, only the owner organisation sees the screening at all.
    """
    if "narrative" not in actor.field_groups():
        return False
    if screening.person is None:
        return screening.owner_organisation_id == actor.organisation_id
    return "narrative" in permission_for(actor, screening.person).groups
