"""The choke point for case content: every page and endpoint gets a case file through here.

The case itself comes from `palermo.cases.access.case_for_actor` (NotFound for a case the actor
may not see: 404, never a hint). What of its content the actor sees is decided by the person's
field groups the actor may see (`casefile_groups`, the rule of
`palermo.people.selectors.visible_groups`: the role, the person's consent and, for an
organisation that sees the case through a referral, the groups the sender shared). A section
whose group is withheld is absent; asking for it directly is refused with 403 (the actor
already knows the case exists; it learns nothing about the section's content).

What a receiving organisation may write (a documented decision; see docs/roles/casefile.md):
the owner organisation's members with CASE_EDIT write every section they can see. A member
of an organisation the case is referred to (CASE_EDIT and a live referral) records the help
it gives: care-plan items its own organisation is responsible for and their progress, notes
(if the narrative group is shared with it and its role sees it), and documents of the types
it can see. The needs assessment, the trafficking history and the perpetrators are the
owner's: a receiver reads them (when shared) but does not write them.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from django.utils.translation import gettext_lazy as _

from palermo.accounts.actors import Actor
from palermo.accounts.roles import Perm
from palermo.cases.access import CaseAction, case_for_actor, case_groups_seen, owns_case
from palermo.cases.models import Case
from palermo.errors import ApplicationError, NotFound

from .field_groups import SECTION_GROUPS, Section, document_types_in

# Sections only the owner organisation writes.
OWNER_ONLY_SECTIONS = frozenset({Section.NEEDS, Section.EVENTS, Section.PERPETRATORS})


@dataclass(frozen=True)
class CaseFile:
    """A case as one actor may see its content."""

    case: Case
    actor: Actor
    groups: frozenset[str]
    owner: bool

    @property
    def public_id(self) -> UUID:
        return self.case.public_id

    @property
    def reference(self) -> str:
        return self.case.reference

    def sees(self, section: Section) -> bool:
        if section == Section.DOCUMENTS:
            return bool(self.document_types())
        return SECTION_GROUPS[section] in self.groups

    def document_types(self) -> list[str]:
        return document_types_in(self.groups)

    def may_write(self, section: Section) -> bool:
        """Whether the actor may add to this section (see the module's docstring)."""
        if not self.actor.can(Perm.CASE_EDIT) or not self.case.is_open:
            return False
        if not self.sees(section):
            return False
        return self.owner or section not in OWNER_ONLY_SECTIONS

    def withheld_sections(self) -> list[Section]:
        return [s for s in Section if not self.sees(s)]


def group_withheld() -> ApplicationError:
    return ApplicationError(
        _("This part of the case file is not shared with you."),
        code="group_withheld",
        status=403,
    )


def write_refused() -> ApplicationError:
    return ApplicationError(
        _("You may not add to this part of the case file."), code="forbidden", status=403
    )


def case_closed() -> ApplicationError:
    return ApplicationError(
        _("The case is closed: its file can be read but not changed."), code="case_closed"
    )


def casefile_groups(actor: Actor, case: Case) -> frozenset[str]:
    """The field groups of the case's person the actor may see, over every group
    (`palermo.people.selectors.personal_groups_seen`)."""
    return case_groups_seen(actor, case)


def casefile_for_actor(
    actor: Actor, public_id: UUID | str, action: CaseAction = "view"
) -> CaseFile:
    """The case file with this case id as the actor may see it.

    NotFound (404) for a case the actor may not see; Forbidden (403) when it may see the case
    but not perform `action` on it.
    """
    case = case_for_actor(actor, public_id, action)
    return CaseFile(
        case=case,
        actor=actor,
        groups=casefile_groups(actor, case),
        owner=owns_case(actor, case),
    )


def require_section(casefile: CaseFile, section: Section) -> None:
    """403 when the section's group is withheld from the actor."""
    if not casefile.sees(section):
        raise group_withheld()


def require_write(casefile: CaseFile, section: Section) -> None:
    """The checks every write makes, whoever calls it: the permission, the group, the rule."""
    require_section(casefile, section)
    if not casefile.actor.can(Perm.CASE_EDIT):
        raise write_refused()
    if not casefile.case.is_open:
        raise case_closed()
    if not casefile.may_write(section):
        raise write_refused()


def item_key(public_id: UUID | str) -> UUID:
    """A public id of an item from a URL; anything that is not a UUID is simply not found."""
    if isinstance(public_id, UUID):
        return public_id
    if len(public_id) > 36:
        raise NotFound()
    try:
        return UUID(public_id)
    except ValueError as exc:
        raise NotFound() from exc


def casefile_of(actor: Actor, case: Case) -> CaseFile:
    """The case file of a case the caller already got through `case_for_actor`."""
    return CaseFile(
        case=case,
        actor=actor,
        groups=casefile_groups(actor, case),
        owner=owns_case(actor, case),
    )
