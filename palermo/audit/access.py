"""Who may read the audit log, and which events: the choke point for every audit read.

Strict on purpose: a holder of the audit permission sees the events of the organisation it
is acting for, and the events about that organisation's records (subject_organisation)
whoever caused them, so an owner sees when other organisations read its persons. Nothing
else, whatever its role. Anyone else sees nothing, and pages answer 404 so that the log's
existence is not advertised.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from palermo.accounts.actors import Actor
from palermo.accounts.roles import Perm

from .models import AuditEvent


def may_view_audit(actor: Actor | None) -> bool:
    """Whether the actor may open the audit log at all (a signed-in member with the permission)."""
    return (
        actor is not None
        and actor.user is not None
        and actor.organisation is not None
        and actor.can(Perm.AUDIT_VIEW)
    )


def audit_events_visible_to(actor: Actor | None) -> QuerySet[AuditEvent]:
    """The events the actor may read: its organisation's, and those about its organisation's
    records; none when it may not read the log."""
    if actor is None or actor.organisation is None or not may_view_audit(actor):
        return AuditEvent.objects.none()
    return AuditEvent.objects.filter(
        Q(organisation=actor.organisation) | Q(subject_organisation=actor.organisation)
    )
