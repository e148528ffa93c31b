"""The rule table of consent, as pure functions: no database."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from palermo.consent.rules import (
    PERSONAL_GROUPS,
    REFUSAL_MINIMUM,
    Basis,
    ConsentEntry,
    ConsentPurpose,
    ConsentState,
    Decision,
    GivenBy,
    LegalBasisEntry,
    is_child_on,
    permitted_groups,
)

OWN, OTHER = 1, 2


def entry(purpose: str, decision: str, by: str = "person", org: int | None = None, order: int = 0):
    return ConsentEntry(ConsentPurpose(purpose), Decision(decision), GivenBy(by), org, order)


def allowed(state: ConsentState, purpose: str, *, own: bool = True, org: int = OWN):
    return permitted_groups(state, purpose=purpose, own_organisation=own, organisation_id=org)


@pytest.mark.parametrize(
    ("purpose", "own", "groups", "basis"),
    [
        ("assistance", True, PERSONAL_GROUPS, Basis.PENDING),
        ("assistance", False, PERSONAL_GROUPS, Basis.PENDING),
        ("referral", True, PERSONAL_GROUPS, Basis.PENDING),
        ("referral", False, frozenset(), Basis.NOT_COVERED),
        ("administration", False, frozenset(), Basis.NOT_COVERED),
        ("law_enforcement", True, frozenset(), Basis.NOT_COVERED),
        ("law_enforcement", False, frozenset(), Basis.NOT_COVERED),
        ("evidence", False, frozenset(), Basis.NOT_COVERED),
        ("research", True, frozenset(), Basis.NOT_COVERED),
        ("marketing", True, frozenset(), Basis.NOT_COVERED),
    ],
)
def test_before_any_decision(purpose: str, own: bool, groups: frozenset[str], basis: Basis) -> None:
    permission = allowed(ConsentState(), purpose, own=own, org=OWN if own else OTHER)
    assert (permission.groups, permission.basis) == (groups, basis)


def test_law_enforcement_needs_its_own_consent_or_a_legal_basis() -> None:
    assistance_only = ConsentState(entries=(entry("assistance", "given"),))
    assert allowed(assistance_only, "law_enforcement", own=False, org=OTHER).refused
    given_ = ConsentState(entries=(entry("law_enforcement", "given"),))
    assert allowed(given_, "law_enforcement", own=False, org=OTHER).basis == Basis.CONSENT
    refused = ConsentState(
        entries=(entry("law_enforcement", "refused"),),
        legal_bases=(LegalBasisEntry(ConsentPurpose.LAW_ENFORCEMENT),),
    )
    permission = allowed(refused, "law_enforcement", own=False, org=OTHER)
    assert (permission.groups, permission.basis) == (PERSONAL_GROUPS, Basis.LEGAL_BASIS)


def test_a_legal_basis_for_one_organisation_allows_that_one_only() -> None:
    state = ConsentState(legal_bases=(LegalBasisEntry(ConsentPurpose.LAW_ENFORCEMENT, OTHER),))
    assert allowed(state, "law_enforcement", own=False, org=OTHER).basis == Basis.LEGAL_BASIS
    assert allowed(state, "law_enforcement", own=False, org=3).refused
    # A legal basis never stands in for research.
    research = ConsentState(legal_bases=(LegalBasisEntry(ConsentPurpose.RESEARCH),))
    assert allowed(research, "research").refused


def test_an_adult_refusing_assistance_leaves_the_owner_the_identity_only() -> None:
    state = ConsentState(entries=(entry("assistance", "refused"),), is_child=False)
    assert allowed(state, "assistance").groups == REFUSAL_MINIMUM
    assert allowed(state, "assistance").basis == Basis.REFUSED
    assert allowed(state, "assistance", own=False, org=OTHER).groups == frozenset()


def test_the_latest_decision_wins_and_withdrawal_ends_consent() -> None:
    state = ConsentState(
        entries=(entry("assistance", "refused", order=1), entry("assistance", "given", order=2))
    )
    assert allowed(state, "assistance").basis == Basis.CONSENT
    withdrawn = ConsentState(
        entries=(
            entry("law_enforcement", "given", order=1),
            entry("law_enforcement", "withdrawn", order=2),
        )
    )
    assert allowed(withdrawn, "law_enforcement", own=False, org=OTHER).refused


def test_a_referral_consent_names_its_organisation() -> None:
    state = ConsentState(entries=(entry("referral", "given", org=OTHER),))
    assert allowed(state, "referral", own=False, org=OTHER).basis == Basis.CONSENT
    assert allowed(state, "referral", own=False, org=3).refused


def test_for_a_child_a_best_interest_decision_stands_over_a_guardian() -> None:
    state = ConsentState(
        entries=(
            entry("assistance", "given", by="best_interest", order=1),
            entry("assistance", "refused", by="guardian", order=2),
        ),
        is_child=True,
    )
    assert allowed(state, "assistance").basis == Basis.BEST_INTEREST
    # An adult's own later word wins: the same history for an adult is a refusal.
    adult = ConsentState(entries=state.entries, is_child=False)
    assert allowed(adult, "assistance").basis == Basis.REFUSED


def test_without_a_date_of_birth_a_best_interest_decision_presumes_a_child() -> None:
    state = ConsentState(entries=(entry("assistance", "given", by="best_interest"),))
    assert state.presumed_child
    assert not ConsentState(entries=(entry("assistance", "given"),)).presumed_child


def test_age() -> None:
    today = datetime.date(2026, 6, 1)
    assert is_child_on(datetime.date(2008, 6, 2), today) is True
    assert is_child_on(datetime.date(2008, 6, 1), today) is False
    assert is_child_on(None, today) is None


_entries = st.lists(
    st.builds(
        ConsentEntry,
        st.sampled_from(list(ConsentPurpose)),
        st.sampled_from(list(Decision)),
        st.sampled_from(list(GivenBy)),
        st.sampled_from([None, OWN, OTHER]),
        st.integers(0, 50),
    ),
    max_size=8,
)
_purposes = st.sampled_from(
    ["assistance", "referral", "administration", "law_enforcement", "evidence", "research"]
)


@given(_entries, _purposes, st.booleans(), st.sampled_from([True, False, None]))
def test_a_refusal_added_last_never_widens_access(entries, purpose, own, is_child) -> None:
    state = ConsentState(entries=tuple(entries), is_child=is_child)
    before = allowed(state, purpose, own=own, org=OWN if own else OTHER).groups
    later = max((e.order for e in entries), default=0) + 1
    refusals = tuple(
        ConsentEntry(p, Decision.REFUSED, GivenBy.BEST_INTEREST, o, later + i)
        for i, (p, o) in enumerate((p, o) for p in ConsentPurpose for o in (None, OWN, OTHER))
    )
    after_state = ConsentState(entries=tuple(entries) + refusals, is_child=is_child)
    after = allowed(after_state, purpose, own=own, org=OWN if own else OTHER).groups
    assert after <= before


@given(_entries, st.sampled_from(["law_enforcement", "evidence", "research"]), st.booleans())
def test_these_purposes_never_go_ahead_without_a_decision_or_a_basis(entries, purpose, own) -> None:
    state = ConsentState(entries=tuple(e for e in entries if e.purpose != ConsentPurpose(purpose)))
    assert allowed(state, purpose, own=own, org=OWN if own else OTHER).groups == frozenset()
