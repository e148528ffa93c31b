"""Does the person's consent allow this referral? Asked when sending and on every transition.

An adult needs a referral consent naming the receiving organisation (the decision in force, see
`palermo.consent.rules.ConsentState.effective`). A child (by the case, or presumed by the
consent rules) needs a best-interest decision for that referral: a guardian's word alone is not
enough, the guardian may be the one the child needs protecting from. A receiver that is not an
organisation of this deployment is named in the consent the same way: a partner deployment
abroad by its registry entry, an organisation outside Palermo by its name (see
`palermo.consent.rules.receiver_key`). Without any of these, only a member allowed to override
consent may send, with a reason, and the referral then rests on that override.
"""

from __future__ import annotations

from dataclasses import dataclass

from palermo.cases.models import Case
from palermo.consent.access import consent_state
from palermo.consent.rules import ConsentPurpose, ConsentState, Decision, GivenBy, receiver_key

from .models import ConsentBasis, Referral


@dataclass(frozen=True)
class ConsentStatus:
    """What consent says about referring a case to one receiver."""

    basis: ConsentBasis | None
    is_child: bool
    # The latest decision for this receiver was a refusal or a withdrawal.
    refused: bool

    @property
    def allowed(self) -> bool:
        return self.basis is not None


def receiver_of(referral: Referral) -> tuple[int | None, str]:
    """How a referral's receiver is named in a consent: (organisation id, receiver key)."""
    if referral.receiving_organisation_id is not None:
        return referral.receiving_organisation_id, ""
    return None, receiver_key(
        partner_id=referral.partner_id, external_name=referral.external_organisation_name
    )


def referral_consent(
    case: Case,
    *,
    organisation_id: int | None,
    receiver: str = "",
    state: ConsentState | None = None,
) -> ConsentStatus:
    """The consent basis for referring `case` to the organisation of this deployment, or (with
    `organisation_id` None) to the partner or outside organisation `receiver` names."""
    state = state if state is not None else consent_state(case.person)
    is_child = bool(case.is_child) or state.presumed_child
    entry = state.effective(ConsentPurpose.REFERRAL, organisation_id, receiver)
    if entry is None:
        return ConsentStatus(None, is_child, refused=False)
    if entry.decision != Decision.GIVEN:
        return ConsentStatus(None, is_child, refused=True)
    if entry.given_by == GivenBy.BEST_INTEREST:
        return ConsentStatus(ConsentBasis.BEST_INTEREST, is_child, refused=False)
    if is_child:
        return ConsentStatus(None, is_child, refused=False)
    return ConsentStatus(ConsentBasis.CONSENT, is_child, refused=False)
