"""Roles, permissions and field groups: who may do what, declared in one place.

Pure data (no Django models): `access.py` modules and views ask `role_can` and
`role_field_groups`; nothing else decides by role.
"""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class Role(StrEnum):
    HOTLINE_OPERATOR = "hotline_operator"
    FIRST_RESPONDER = "first_responder"
    CASE_WORKER = "case_worker"
    SUPERVISOR = "supervisor"
    SERVICE_PROVIDER = "service_provider"
    COMPETENT_AUTHORITY = "competent_authority"
    INVESTIGATOR = "investigator"
    NATIONAL_COORDINATOR = "national_coordinator"
    RESEARCHER = "researcher"
    PROGRAMME_OFFICER = "programme_officer"
    ADMINISTRATOR = "administrator"


ROLE_LABELS = {
    Role.HOTLINE_OPERATOR: _("Hotline operator"),
    Role.FIRST_RESPONDER: _("First responder"),
    Role.CASE_WORKER: _("Case worker"),
    Role.SUPERVISOR: _("Supervisor"),
    Role.SERVICE_PROVIDER: _("Service provider"),
    Role.COMPETENT_AUTHORITY: _("Competent authority"),
    Role.INVESTIGATOR: _("Investigator / prosecutor"),
    Role.NATIONAL_COORDINATOR: _("National coordinator"),
    Role.RESEARCHER: _("Researcher"),
    Role.PROGRAMME_OFFICER: _("Programme officer"),
    Role.ADMINISTRATOR: _("Administrator"),
}


class Perm(StrEnum):
    PERSON_VIEW = "person.view"
    PERSON_CREATE = "person.create"
    PERSON_EDIT = "person.edit"
    AUDIT_VIEW = "audit.view"
    ORGANISATION_MANAGE = "organisation.manage"
    TOKEN_MANAGE = "token.manage"  # noqa: S105 - a permission name, not a secret
    # intake
    CONTACT_VIEW = "contact.view"
    CONTACT_CREATE = "contact.create"
    CONTACT_ESCALATE = "contact.escalate"
    INTAKE_STATISTICS = "intake.statistics"
    CHANNEL_MANAGE = "channel.manage"
    CAMPAIGN_MANAGE = "campaign.manage"
    # identification and consent
    SCREENING_CONDUCT = "screening.conduct"
    SCREENING_REVIEW = "screening.review"
    CONSENT_RECORD = "consent.record"
    CONSENT_OVERRIDE = "consent.override"
    # safe travel
    TRAVEL_ALERT_VIEW = "travel_alert.view"
    # referral mechanism
    CASE_VIEW = "case.view"
    CASE_OPEN = "case.open"
    CASE_EDIT = "case.edit"
    CASE_DECIDE = "case.decide"
    CASE_CLOSE = "case.close"
    REFERRAL_SEND = "referral.send"
    REFERRAL_RESPOND = "referral.respond"
    DIRECTORY_MANAGE = "directory.manage"
    PARTNER_MANAGE = "partner.manage"


class FieldGroup(StrEnum):
    """Groups of personal fields; each is shown, shared and audited as a unit."""

    IDENTITY = "identity"
    CONTACT = "contact"
    LOCATION = "location"
    HEALTH = "health"
    LEGAL = "legal"
    NARRATIVE = "narrative"


FIELD_GROUP_LABELS = {
    FieldGroup.IDENTITY: _("Identity"),
    FieldGroup.CONTACT: _("Contact"),
    FieldGroup.LOCATION: _("Location"),
    FieldGroup.HEALTH: _("Health"),
    FieldGroup.LEGAL: _("Legal"),
    FieldGroup.NARRATIVE: _("Narrative"),
}

_ALL_GROUPS = frozenset(FieldGroup)
_CASEWORK = frozenset({Perm.PERSON_VIEW, Perm.PERSON_CREATE, Perm.PERSON_EDIT})
_SCREENING = frozenset({Perm.SCREENING_CONDUCT, Perm.CONSENT_RECORD})
_HOTLINE = frozenset(
    {Perm.CONTACT_VIEW, Perm.CONTACT_CREATE, Perm.CONTACT_ESCALATE, Perm.TRAVEL_ALERT_VIEW}
)
# Opening a case is referring a person into the national referral mechanism.
_REFERRING = frozenset({Perm.CASE_VIEW, Perm.CASE_OPEN, Perm.REFERRAL_SEND})
_CASE_MANAGEMENT = _REFERRING | {
    Perm.CASE_EDIT,
    Perm.CASE_CLOSE,
    Perm.REFERRAL_RESPOND,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Perm]] = {
    Role.HOTLINE_OPERATOR: _CASEWORK
    | _SCREENING
    | _HOTLINE
    | _REFERRING
    | {Perm.INTAKE_STATISTICS},
    Role.FIRST_RESPONDER: _CASEWORK | _SCREENING | _REFERRING | {Perm.CONTACT_CREATE},
    Role.CASE_WORKER: _CASEWORK | _SCREENING | _CASE_MANAGEMENT | {Perm.CONTACT_VIEW},
    Role.SUPERVISOR: _CASEWORK
    | _SCREENING
    | _HOTLINE
    | _CASE_MANAGEMENT
    | {
        Perm.AUDIT_VIEW,
        Perm.SCREENING_REVIEW,
        Perm.CONSENT_OVERRIDE,
        Perm.INTAKE_STATISTICS,
        Perm.CAMPAIGN_MANAGE,
    },
    # A provider sees a case only through a referral to it; it records the help it gives, may
    # refer on, and keeps its own services in the directory.
    Role.SERVICE_PROVIDER: frozenset(
        {
            Perm.PERSON_VIEW,
            Perm.CASE_VIEW,
            Perm.CASE_EDIT,
            Perm.REFERRAL_SEND,
            Perm.REFERRAL_RESPOND,
            Perm.DIRECTORY_MANAGE,
        }
    ),
    Role.COMPETENT_AUTHORITY: frozenset(
        {
            Perm.PERSON_VIEW,
            Perm.SCREENING_REVIEW,
            Perm.CASE_VIEW,
            Perm.CASE_DECIDE,
            Perm.REFERRAL_RESPOND,
        }
    ),
    Role.INVESTIGATOR: frozenset({Perm.PERSON_VIEW, Perm.CASE_VIEW, Perm.REFERRAL_RESPOND}),
    Role.NATIONAL_COORDINATOR: frozenset({Perm.AUDIT_VIEW, Perm.INTAKE_STATISTICS}),
    Role.RESEARCHER: frozenset(),
    Role.PROGRAMME_OFFICER: frozenset({Perm.PERSON_VIEW}),
    Role.ADMINISTRATOR: frozenset(
        {
            Perm.AUDIT_VIEW,
            Perm.ORGANISATION_MANAGE,
            Perm.TOKEN_MANAGE,
            Perm.CHANNEL_MANAGE,
            Perm.CAMPAIGN_MANAGE,
            Perm.DIRECTORY_MANAGE,
            Perm.PARTNER_MANAGE,
        }
    ),
}

# The field groups a role may see at most; consent or a legal basis may narrow this further.
ROLE_FIELD_GROUPS: dict[Role, frozenset[FieldGroup]] = {
    Role.HOTLINE_OPERATOR: frozenset(
        {FieldGroup.IDENTITY, FieldGroup.CONTACT, FieldGroup.LOCATION, FieldGroup.NARRATIVE}
    ),
    Role.FIRST_RESPONDER: frozenset(
        {FieldGroup.IDENTITY, FieldGroup.CONTACT, FieldGroup.LOCATION, FieldGroup.NARRATIVE}
    ),
    Role.CASE_WORKER: _ALL_GROUPS,
    Role.SUPERVISOR: _ALL_GROUPS,
    Role.SERVICE_PROVIDER: frozenset({FieldGroup.IDENTITY, FieldGroup.CONTACT, FieldGroup.HEALTH}),
    Role.COMPETENT_AUTHORITY: frozenset(
        {FieldGroup.IDENTITY, FieldGroup.LEGAL, FieldGroup.NARRATIVE}
    ),
    Role.INVESTIGATOR: frozenset({FieldGroup.IDENTITY, FieldGroup.LEGAL, FieldGroup.NARRATIVE}),
    Role.NATIONAL_COORDINATOR: frozenset(),
    Role.RESEARCHER: frozenset(),
    Role.PROGRAMME_OFFICER: frozenset({FieldGroup.IDENTITY, FieldGroup.CONTACT}),
    Role.ADMINISTRATOR: frozenset(),
}


def role_can(role: Role | None, permission: Perm) -> bool:
    return role is not None and permission in ROLE_PERMISSIONS[role]


def role_field_groups(role: Role | None) -> frozenset[FieldGroup]:
    return ROLE_FIELD_GROUPS[role] if role is not None else frozenset()


def role_sees_personal_data(role: Role) -> bool:
    """Roles that can see personal data must sign in with a second factor."""
    return bool(ROLE_FIELD_GROUPS[role])


def requires_second_factor(roles: set[Role]) -> bool:
    # Administrators manage tokens and organisations, and whoever reads the audit log sees who
    # looked at which record: they get a second factor too.
    return any(
        role_sees_personal_data(r) or r == Role.ADMINISTRATOR or role_can(r, Perm.AUDIT_VIEW)
        for r in roles
    )


class Purpose(StrEnum):
    """Why personal data is being processed; recorded with every audit event."""

    ASSISTANCE = "assistance"
    REFERRAL = "referral"
    LAW_ENFORCEMENT = "law_enforcement"
    EVIDENCE = "evidence"
    RESEARCH = "research"
    ADMINISTRATION = "administration"


PURPOSE_LABELS = {
    Purpose.ASSISTANCE: _("Assistance"),
    Purpose.REFERRAL: _("Referral"),
    Purpose.LAW_ENFORCEMENT: _("Law enforcement"),
    Purpose.EVIDENCE: _("Evidence"),
    Purpose.RESEARCH: _("Research"),
    Purpose.ADMINISTRATION: _("Administration"),
}

ROLE_DEFAULT_PURPOSE: dict[Role, Purpose] = {
    Role.HOTLINE_OPERATOR: Purpose.ASSISTANCE,
    Role.FIRST_RESPONDER: Purpose.ASSISTANCE,
    Role.CASE_WORKER: Purpose.ASSISTANCE,
    Role.SUPERVISOR: Purpose.ASSISTANCE,
    Role.SERVICE_PROVIDER: Purpose.REFERRAL,
    Role.COMPETENT_AUTHORITY: Purpose.ASSISTANCE,
    Role.INVESTIGATOR: Purpose.LAW_ENFORCEMENT,
    Role.NATIONAL_COORDINATOR: Purpose.ADMINISTRATION,
    Role.RESEARCHER: Purpose.RESEARCH,
    Role.PROGRAMME_OFFICER: Purpose.ASSISTANCE,
    Role.ADMINISTRATOR: Purpose.ADMINISTRATION,
}

# The purposes a member in each role may give an API token (a token acts in that member's own
# role, and its purpose decides what consent or a legal basis lets it see). Law enforcement and
# evidence belong to the police and the authorities that identify victims; research only to
# researchers; administration to the roles that administer or coordinate and see no records.
# Every role's default purpose is one of its own.
ROLE_ALLOWED_PURPOSES: dict[Role, frozenset[Purpose]] = {
    Role.HOTLINE_OPERATOR: frozenset({Purpose.ASSISTANCE, Purpose.REFERRAL}),
    Role.FIRST_RESPONDER: frozenset({Purpose.ASSISTANCE, Purpose.REFERRAL}),
    Role.CASE_WORKER: frozenset({Purpose.ASSISTANCE, Purpose.REFERRAL}),
    Role.SUPERVISOR: frozenset({Purpose.ASSISTANCE, Purpose.REFERRAL}),
    Role.SERVICE_PROVIDER: frozenset({Purpose.REFERRAL, Purpose.ASSISTANCE}),
    Role.COMPETENT_AUTHORITY: frozenset(
        {Purpose.ASSISTANCE, Purpose.LAW_ENFORCEMENT, Purpose.EVIDENCE}
    ),
    Role.INVESTIGATOR: frozenset({Purpose.LAW_ENFORCEMENT, Purpose.EVIDENCE}),
    Role.NATIONAL_COORDINATOR: frozenset({Purpose.ADMINISTRATION}),
    Role.RESEARCHER: frozenset({Purpose.RESEARCH}),
    Role.PROGRAMME_OFFICER: frozenset({Purpose.ASSISTANCE, Purpose.REFERRAL}),
    Role.ADMINISTRATOR: frozenset({Purpose.ADMINISTRATION}),
}


def role_allowed_purposes(role: Role | None) -> list[Purpose]:
    """The purposes `role` may give a token, in the order of `Purpose` (for choice lists)."""
    allowed = ROLE_ALLOWED_PURPOSES[role] if role is not None else frozenset()
    return [p for p in Purpose if p in allowed]
