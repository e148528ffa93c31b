"""Which consent each use of a person's record needs: the rule table, in one place.

Pure (no Django import), so the table can be read, tested and explained on its own. The access
layer (`palermo.consent.access`) feeds it the person's consent history and legal bases and the
actor's purpose, and narrows the field groups the actor's role would otherwise see.

The table (also in docs/roles/consent.md), by the actor's purpose:

- assistance: assistance consent covers it (for a child, a best-interest decision). Before any
  decision the work goes on; after a refusal or withdrawal the owner keeps the identity group
  only and other organisations see nothing.
- referral: for the owner's own members as assistance; other organisations need a referral
  consent naming their organisation. Before a decision, the owner only.
- administration: the owner as assistance; other organisations nothing.
- law enforcement, evidence: the consent for that purpose, or a recorded legal basis. Nothing
  before a decision, nothing after a refusal (unless a legal basis).
- research: research consent; nothing otherwise.

"Nothing" means the record is shown as its reference only, and the attempt is audited.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

ADULT_AGE = 18

PERSONAL_GROUPS: frozenset[str] = frozenset(
    {"identity", "contact", "location", "health", "legal", "narrative"}
)
# What the owner organisation keeps after an adult refuses (or withdraws) assistance consent:
# who the person is, so the refusal itself is honoured and the record of the identification
# that the law requires is kept. Everything that reaches, locates or describes them is withheld.
REFUSAL_MINIMUM: frozenset[str] = frozenset({"identity"})
NOTHING: frozenset[str] = frozenset()


class ConsentPurpose(StrEnum):
    """What a person consents (or not) to; the values are those of `accounts.roles.Purpose`."""

    ASSISTANCE = "assistance"
    REFERRAL = "referral"
    LAW_ENFORCEMENT = "law_enforcement"
    EVIDENCE = "evidence"
    RESEARCH = "research"


class Decision(StrEnum):
    GIVEN = "given"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


class GivenBy(StrEnum):
    """Who decided: the person, a guardian, or a best-interest decision for a child."""

    PERSON = "person"
    GUARDIAN = "guardian"
    BEST_INTEREST = "best_interest"


# Purposes a recorded legal basis (a court order, a provision of law) may stand in for.
LEGAL_BASIS_PURPOSES: frozenset[ConsentPurpose] = frozenset(
    {ConsentPurpose.LAW_ENFORCEMENT, ConsentPurpose.EVIDENCE}
)


class Basis(StrEnum):
    """Why the actor sees what it sees: recorded in the audit event of a refused read."""

    PENDING = "pending"  # no decision yet: the work that has to happen to ask goes on
    CONSENT = "consent"
    BEST_INTEREST = "best_interest"
    LEGAL_BASIS = "legal_basis"
    REFUSED = "refused"  # refused or withdrawn: the minimum the law allows
    NOT_COVERED = "not_covered"  # no consent, no legal basis for this purpose


@dataclass(frozen=True)
class PurposeRule:
    """One row of the table: what covers a use of the record for one of the actor's purposes."""

    # The consent the owner organisation's members need (None: they never act on consent).
    owner_consent: ConsentPurpose | None
    # The consent members of other organisations with record access need.
    others_consent: ConsentPurpose | None
    # The owner may work before any decision is recorded (it must, to ask for it).
    owner_while_pending: bool
    # Other organisations with record access may, too.
    others_while_pending: bool
    # A consent for others must name the actor's organisation (referral to a named organisation).
    named_organisation: bool = False
    # A recorded legal basis stands in for the consent.
    legal_basis: bool = False


PURPOSE_RULES: dict[str, PurposeRule] = {
    "assistance": PurposeRule(
        owner_consent=ConsentPurpose.ASSISTANCE,
        others_consent=ConsentPurpose.ASSISTANCE,
        owner_while_pending=True,
        others_while_pending=True,
    ),
    "referral": PurposeRule(
        owner_consent=ConsentPurpose.ASSISTANCE,
        others_consent=ConsentPurpose.REFERRAL,
        owner_while_pending=True,
        others_while_pending=False,
        named_organisation=True,
    ),
    "administration": PurposeRule(
        owner_consent=ConsentPurpose.ASSISTANCE,
        others_consent=None,
        owner_while_pending=True,
        others_while_pending=False,
    ),
    "law_enforcement": PurposeRule(
        owner_consent=ConsentPurpose.LAW_ENFORCEMENT,
        others_consent=ConsentPurpose.LAW_ENFORCEMENT,
        owner_while_pending=False,
        others_while_pending=False,
        legal_basis=True,
    ),
    "evidence": PurposeRule(
        owner_consent=ConsentPurpose.EVIDENCE,
        others_consent=ConsentPurpose.EVIDENCE,
        owner_while_pending=False,
        others_while_pending=False,
        legal_basis=True,
    ),
    "research": PurposeRule(
        owner_consent=ConsentPurpose.RESEARCH,
        others_consent=ConsentPurpose.RESEARCH,
        owner_while_pending=False,
        others_while_pending=False,
    ),
}


@dataclass(frozen=True)
class ConsentEntry:
    """One recorded decision, in the order it was recorded (`order` grows with time)."""

    purpose: ConsentPurpose
    decision: Decision
    given_by: GivenBy
    organisation_id: int | None = None  # for a referral: the organisation named
    order: int = 0
    # For a referral to a receiver outside this deployment: `receiver_key(...)`; "" otherwise.
    receiver: str = ""


@dataclass(frozen=True)
class LegalBasisEntry:
    """A legal basis in force (the caller leaves out revoked and expired ones)."""

    purpose: ConsentPurpose
    organisation_id: int | None = None  # None: any organisation with access to the record


@dataclass(frozen=True)
class ConsentState:
    """Everything the rules need to know about one person."""

    entries: tuple[ConsentEntry, ...] = ()
    legal_bases: tuple[LegalBasisEntry, ...] = ()
    # True/False from the date of birth; None when it is not recorded.
    is_child: bool | None = None

    @property
    def presumed_child(self) -> bool:
        """A child by date of birth; with no date, a child if anyone took a best-interest
        decision (when the age is uncertain the person is presumed a child until shown not)."""
        if self.is_child is not None:
            return self.is_child
        return any(e.given_by == GivenBy.BEST_INTEREST for e in self.entries)

    def effective(
        self, purpose: ConsentPurpose, organisation_id: int | None = None, receiver: str = ""
    ) -> ConsentEntry | None:
        """The decision in force for a purpose (and, for a referral, an organisation).

        The latest decision wins; for a child, the latest best-interest decision wins over any
        later word of the child or a guardian (a guardian may be the one the child needs
        protecting from).
        """
        relevant = [
            e
            for e in self.entries
            if e.purpose == purpose
            and (
                purpose != ConsentPurpose.REFERRAL
                or (e.organisation_id == organisation_id and e.receiver == receiver)
            )
        ]
        if not relevant:
            return None
        if self.presumed_child:
            best_interest = [e for e in relevant if e.given_by == GivenBy.BEST_INTEREST]
            if best_interest:
                return max(best_interest, key=lambda e: e.order)
        return max(relevant, key=lambda e: e.order)

    def has_legal_basis(self, purpose: ConsentPurpose, organisation_id: int | None) -> bool:
        return any(
            b.purpose == purpose and b.organisation_id in (None, organisation_id)
            for b in self.legal_bases
        )


@dataclass(frozen=True)
class Permission:
    """The personal field groups a use of the record may touch, and why."""

    groups: frozenset[str]
    basis: Basis
    consent_purpose: ConsentPurpose | None = None

    @property
    def refused(self) -> bool:
        return self.basis in (Basis.REFUSED, Basis.NOT_COVERED)


def permitted_groups(
    state: ConsentState,
    *,
    purpose: str,
    own_organisation: bool,
    organisation_id: int | None,
) -> Permission:
    """The groups consent (or a legal basis) permits for this use of the record.

    `own_organisation`: the actor acts for the organisation that owns the record.
    The result is then intersected with what the actor's role may see at most.
    """
    rule = PURPOSE_RULES.get(purpose)
    if rule is None:
        return Permission(NOTHING, Basis.NOT_COVERED)
    needed = rule.owner_consent if own_organisation else rule.others_consent
    if needed is None:
        return Permission(NOTHING, Basis.NOT_COVERED)
    named = organisation_id if (rule.named_organisation and not own_organisation) else None
    entry = state.effective(needed, named)
    if entry is not None and entry.decision == Decision.GIVEN:
        basis = Basis.BEST_INTEREST if entry.given_by == GivenBy.BEST_INTEREST else Basis.CONSENT
        return Permission(PERSONAL_GROUPS, basis, needed)
    if rule.legal_basis and state.has_legal_basis(needed, organisation_id):
        return Permission(PERSONAL_GROUPS, Basis.LEGAL_BASIS, needed)
    if entry is None:
        pending = rule.owner_while_pending if own_organisation else rule.others_while_pending
        if pending:
            return Permission(PERSONAL_GROUPS, Basis.PENDING, needed)
        return Permission(NOTHING, Basis.NOT_COVERED, needed)
    # Refused or withdrawn.
    if own_organisation and needed == ConsentPurpose.ASSISTANCE:
        return Permission(REFUSAL_MINIMUM, Basis.REFUSED, needed)
    return Permission(NOTHING, Basis.REFUSED, needed)


def is_child_on(birthdate: datetime.date | None, today: datetime.date) -> bool | None:
    """Under 18 on `today`; None when the date of birth is not known."""
    if birthdate is None:
        return None
    years = (
        today.year - birthdate.year - ((today.month, today.day) < (birthdate.month, birthdate.day))
    )
    return years < ADULT_AGE


def receiver_key(*, partner_id: int | None = None, external_name: str = "") -> str:
    """How a referral consent names a receiver that is not an organisation of this deployment:
    a partner deployment by its id, an outside organisation by its name (case-insensitive)."""
    if partner_id is not None:
        return f"partner:{partner_id}"
    if external_name.strip():
        return "external:" + " ".join(external_name.split()).casefold()
    return ""


def current_decisions(
    entries: Iterable[ConsentEntry], *, is_child: bool | None
) -> dict[tuple[ConsentPurpose, int | None, str], ConsentEntry]:
    """The decision in force per (purpose, organisation or receiver named), for a summary."""
    state = ConsentState(entries=tuple(entries), is_child=is_child)
    keys = {
        (e.purpose, e.organisation_id, e.receiver)
        if e.purpose == ConsentPurpose.REFERRAL
        else (e.purpose, None, "")
        for e in state.entries
    }
    result: dict[tuple[ConsentPurpose, int | None, str], ConsentEntry] = {}
    for purpose, organisation_id, receiver in keys:
        entry = state.effective(purpose, organisation_id, receiver)
        if entry is not None:
            result[(purpose, organisation_id, receiver)] = entry
    return result
