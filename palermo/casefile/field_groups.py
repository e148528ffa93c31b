"""Which personal field group each kind of case content belongs to (a documented decision).

Needs assessment and care plan → health; notes and historic trafficking events → narrative;
perpetrator context → legal; a document carries the group of its type (identity papers →
identity, medical → health, legal or court papers → legal, anything else → narrative). An
actor sees a section only when its group is among the groups it may see of the case's person
(`access.casefile_groups`, the rule of `people.selectors.visible_groups`: role, consent, and
for a receiving organisation the groups the referral shares).
"""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from palermo.accounts.roles import FieldGroup

from .models import DocumentType


class Section(StrEnum):
    NEEDS = "needs"
    CARE_PLAN = "care_plan"
    NOTES = "notes"
    EVENTS = "events"
    PERPETRATORS = "perpetrators"
    DOCUMENTS = "documents"


SECTION_GROUPS: dict[Section, str] = {
    Section.NEEDS: FieldGroup.HEALTH,
    Section.CARE_PLAN: FieldGroup.HEALTH,
    Section.NOTES: FieldGroup.NARRATIVE,
    Section.EVENTS: FieldGroup.NARRATIVE,
    Section.PERPETRATORS: FieldGroup.LEGAL,
}

SECTION_LABELS = {
    Section.NEEDS: _("Needs assessment"),
    Section.CARE_PLAN: _("Care plan"),
    Section.NOTES: _("Notes"),
    Section.EVENTS: _("Trafficking history"),
    Section.PERPETRATORS: _("Perpetrators"),
    Section.DOCUMENTS: _("Documents"),
}

DOCUMENT_GROUPS: dict[str, str] = {
    DocumentType.IDENTITY: FieldGroup.IDENTITY,
    DocumentType.MEDICAL: FieldGroup.HEALTH,
    DocumentType.LEGAL: FieldGroup.LEGAL,
    DocumentType.OTHER: FieldGroup.NARRATIVE,
}

# Every group some case-file content belongs to.
CASEFILE_GROUPS = frozenset(SECTION_GROUPS.values()) | frozenset(DOCUMENT_GROUPS.values())


def document_group(document_type: str) -> str:
    return DOCUMENT_GROUPS[document_type]


def document_types_in(groups: frozenset[str]) -> list[str]:
    """The document types whose group is among `groups`, in the order of `DocumentType`."""
    return [t.value for t in DocumentType if DOCUMENT_GROUPS[t] in groups]
