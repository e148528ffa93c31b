"""What a review decides, in HTCDS terms (pure: no Django import).

A supervisor (or the competent authority) confirms or overrides the outcome of a screening.
The person's HTCDS `vic_TraffickingStatus` and `vic_TraffickingStatusDecisionMakingOrg` follow
from the reviewed outcome and from who reviewed:

- presumed trafficked person: ActualVictimOfTrafficking when the competent authority reviews
  (the formal identification), PossibleVictimOfTrafficking when anyone else does;
- not indicated: NotAVictimOfTrafficking;
- insufficient information: no status (screen again); an earlier status stays.

The decision-making organisation is the reviewer's organisation type mapped to the HTCDS
picklist (`ORGANISATION_TYPE_DECISION_MAKER`). Values are those of the HTCDS 2.0 field standards.
"""

from __future__ import annotations

from enum import StrEnum


class ReviewDecision(StrEnum):
    CONFIRM = "confirm"
    OVERRIDE = "override"


class TraffickingStatus(StrEnum):
    """HTCDS `vic_TraffickingStatus`."""

    POSSIBLE = "PossibleVictimOfTrafficking"
    ACTUAL = "ActualVictimOfTrafficking"
    NOT_A_VICTIM = "NotAVictimOfTrafficking"


class DecisionMakingOrg(StrEnum):
    """HTCDS `vic_TraffickingStatusDecisionMakingOrg`."""

    POLICE = "Police"
    NGO = "NGO"
    COURT_OR_PROSECUTION = "CourtOrProsecution"
    NON_POLICE_GOVERNMENTAL = "NonPoliceGovernmentalOrganization"
    OTHER = "Other"


# HTCDS `org_Type` (accounts.OrganisationType values) → the decision-maker picklist. No
# organisation type is a court or prosecution office yet; such a deployment adds one here.
ORGANISATION_TYPE_DECISION_MAKER: dict[str, DecisionMakingOrg] = {
    "LawEnforcement": DecisionMakingOrg.POLICE,
    "NGO": DecisionMakingOrg.NGO,
    "CentralGovernmentOrganisation": DecisionMakingOrg.NON_POLICE_GOVERNMENTAL,
    "LocalGovernmentOrganisation": DecisionMakingOrg.NON_POLICE_GOVERNMENTAL,
    "ImmigrationService": DecisionMakingOrg.NON_POLICE_GOVERNMENTAL,
    "HealthServiceOrganisation": DecisionMakingOrg.OTHER,
    "LegalService": DecisionMakingOrg.OTHER,
    "CorporateBusiness": DecisionMakingOrg.OTHER,
    "SchoolOrCollege": DecisionMakingOrg.OTHER,
}

OUTCOMES = ("presumed_trafficked", "not_indicated", "insufficient_information")


def trafficking_status(outcome: str, *, formal_identification: bool) -> TraffickingStatus | None:
    """The HTCDS status a reviewed outcome gives the person (None: no status yet)."""
    if outcome == "presumed_trafficked":
        return TraffickingStatus.ACTUAL if formal_identification else TraffickingStatus.POSSIBLE
    if outcome == "not_indicated":
        return TraffickingStatus.NOT_A_VICTIM
    return None


def decision_making_org(organisation_type: str) -> DecisionMakingOrg:
    return ORGANISATION_TYPE_DECISION_MAKER.get(organisation_type, DecisionMakingOrg.OTHER)
