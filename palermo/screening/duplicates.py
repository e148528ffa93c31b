"""Finding persons already registered before registering one from a screening.

Two passes, neither decrypting the whole table:

1. exact: the blind indexes of the identity document number, the phones, the email, and the
   full name together with the date of birth;
2. sound-alike: the blind-indexed phonetic keys (`people.field_groups.phonetic_digests`) of the
   names paired with each other and with the birth year pre-select a few persons, which are
   then decrypted (audited as a read of identity) and scored with rapidfuzz and jellyfish on the
   transliterated names and the date of birth.

Only persons the actor may see are searched (`people.access.persons_visible_to`), and a
candidate's name is shown only if the actor may see that person's identity (consent included).
Each candidate carries the reasons it was found, in plain words.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

import jellyfish
from django.db.models import Q
from django.utils.translation import gettext as _
from rapidfuzz import fuzz

from palermo.accounts.actors import Actor
from palermo.audit.services import audit_record
from palermo.consent.access import consent_states
from palermo.people.access import persons_visible_to
from palermo.people.field_groups import person_blind_indexes
from palermo.people.models import Person
from palermo.people.selectors import visible_groups
from palermo.vault.blind_index import normalise_name

# How many sound-alike persons at most are decrypted and scored for one registration.
MAX_FUZZY_CANDIDATES = 200
MAX_EXACT_CANDIDATES = 50
MAX_SHOWN = 10
# A sound-alike candidate is shown from this score (0–100) up.
SHOW_FROM_SCORE = 75

_IDENTITY_FIELDS = ("first_name", "middle_name", "second_name", "birthdate", "identity_number")
_EXACT_COLUMNS = (
    "bidx_identity_number",
    "bidx_email",
    "bidx_mobile_phone",
    "bidx_home_phone",
)


@dataclass
class Candidate:
    """A person who may be the one being registered, and why."""

    person: Person
    score: int
    exact: bool
    reasons: list[str] = field(default_factory=list)
    shows_identity: bool = False

    @property
    def reference(self) -> str:
        return self.person.reference

    @property
    def display_name(self) -> str:
        if not self.shows_identity:
            return self.person.reference
        name = " ".join(filter(None, [self.person.first_name, self.person.second_name]))
        return name or self.person.reference

    @property
    def birthdate(self) -> datetime.date | None:
        return self.person.birthdate if self.shows_identity else None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.person.public_id),
            "reference": self.reference,
            "score": self.score,
            "exact": self.exact,
            "reasons": list(self.reasons),
        }
        if self.shows_identity:
            data["first_name"] = self.person.first_name
            data["second_name"] = self.person.second_name
            data["birthdate"] = self.person.birthdate
        return data


def _exact_reason(column: str) -> str:
    return {
        "bidx_identity_number": _("the same identity document number"),
        "bidx_email": _("the same email address"),
        "bidx_mobile_phone": _("the same phone number"),
        "bidx_home_phone": _("the same phone number"),
        "full_name_birthdate": _("the same full name and date of birth"),
    }[column]


def name_similarity(a_first: str, a_last: str, b_first: str, b_last: str) -> int:
    """0–100: how alike two names are, in any script, in either order."""
    a = normalise_name(f"{a_first} {a_last}")
    b = normalise_name(f"{b_first} {b_last}")
    if not a or not b:
        return 0
    whole = fuzz.token_sort_ratio(a, b)

    def parts(first_a: str, last_a: str, first_b: str, last_b: str) -> float:
        pairs = [
            (normalise_name(x), normalise_name(y))
            for x, y in ((first_a, first_b), (last_a, last_b))
            if x and y
        ]
        if not pairs:
            return 0.0
        return sum(jellyfish.jaro_winkler_similarity(x, y) for x, y in pairs) / len(pairs) * 100

    by_parts = max(parts(a_first, a_last, b_first, b_last), parts(a_first, a_last, b_last, b_first))
    return round(max(whole, by_parts))


def _birthdate_match(a: datetime.date | None, b: datetime.date | None) -> tuple[int, str | None]:
    """(0–100, the reason) for two dates of birth."""
    if a is None or b is None:
        return 50, None
    if a == b:
        return 100, _("the same date of birth")
    if a.year == b.year and a.month == b.day and a.day == b.month:
        return 85, _("a date of birth with day and month swapped")
    if a.year == b.year:
        return 70, _("the same year of birth")
    if abs(a.year - b.year) == 1 and (a.month, a.day) == (b.month, b.day):
        return 60, _("a date of birth one year apart")
    return 0, None


def registration_candidates(
    *, actor: Actor, values: dict[str, Any], screening_id: str = ""
) -> list[Candidate]:
    """Persons the actor may see who may be the person about to be registered.

    `values` are cleaned person fields (`people.validation.clean_person_input`). Exact
    matches come first, then sound-alike ones by score. Decrypting the pre-selected persons is
    audited as one read of their identity group.
    """
    region = actor.organisation.country if actor.organisation else None
    digests = person_blind_indexes(values, region)
    visible = persons_visible_to(actor)

    exact_condition = Q()
    for column in _EXACT_COLUMNS:
        if digests.get(column):
            exact_condition |= Q(**{column: digests[column]})
    if digests.get("bidx_full_name") and digests.get("bidx_birthdate"):
        exact_condition |= Q(
            bidx_full_name=digests["bidx_full_name"], bidx_birthdate=digests["bidx_birthdate"]
        )
    fuzzy_condition = Q()
    if digests.get("bidx_phonetic_names"):
        fuzzy_condition |= Q(bidx_phonetic_names=digests["bidx_phonetic_names"])
    year_keys = [
        d
        for d in (digests.get("bidx_phonetic_first_year"), digests.get("bidx_phonetic_last_year"))
        if d
    ]
    if year_keys:
        fuzzy_condition |= Q(bidx_phonetic_first_year__in=year_keys) | Q(
            bidx_phonetic_last_year__in=year_keys
        )

    fields = (
        "pk",
        "public_id",
        "owner_organisation",
        *_IDENTITY_FIELDS,
        *_EXACT_COLUMNS,
        "bidx_full_name",
        "bidx_birthdate",
    )
    found: dict[int, Person] = {}
    if exact_condition:
        for person in visible.filter(exact_condition).only(*fields)[:MAX_EXACT_CANDIDATES]:
            found[person.pk] = person
    exact_ids = set(found)
    if fuzzy_condition:
        for person in (visible.filter(fuzzy_condition).exclude(pk__in=exact_ids).only(*fields))[
            :MAX_FUZZY_CANDIDATES
        ]:
            found[person.pk] = person
    if not found:
        return []

    first, last = values.get("first_name") or "", values.get("second_name") or ""
    birthdate = values.get("birthdate")
    candidates: list[Candidate] = []
    for person in found.values():
        reasons: list[str] = []
        exact = person.pk in exact_ids
        if exact:
            for column in _EXACT_COLUMNS:
                if digests.get(column) and getattr(person, column) == digests[column]:
                    reason = _exact_reason(column)
                    if reason not in reasons:
                        reasons.append(reason)
            if (
                digests.get("bidx_full_name")
                and person.bidx_full_name == digests["bidx_full_name"]
                and person.bidx_birthdate == digests.get("bidx_birthdate")
            ):
                reasons.append(_exact_reason("full_name_birthdate"))
        similarity = name_similarity(first, last, person.first_name or "", person.second_name or "")
        date_score, date_reason = _birthdate_match(birthdate, person.birthdate)
        # Names weigh more than dates of birth: documents of trafficked persons are often false,
        # and ages estimated, so the same name with another date is still worth a look.
        score = 100 if exact else round(0.75 * similarity + 0.25 * date_score)
        if not exact and score < SHOW_FROM_SCORE:
            continue
        if similarity >= 90:
            reasons.append(
                _("a name that is nearly the same (%(score)d%% alike)") % {"score": similarity}
            )
        elif similarity >= 70:
            reasons.append(
                _("a name that sounds alike (%(score)d%% alike)") % {"score": similarity}
            )
        if date_reason and (date_score >= 60):
            reasons.append(date_reason)
        candidates.append(Candidate(person, score, exact, reasons))

    audit_record(
        actor=actor,
        action="person.duplicate_check",
        object_type="person",
        field_groups={"identity"},
        details={
            "persons_compared": sorted(str(p.public_id) for p in found.values()),
            "screening": screening_id,
        },
    )
    candidates.sort(key=lambda c: (not c.exact, -c.score, c.person.pk))
    shown = candidates[:MAX_SHOWN]
    states = consent_states([c.person for c in shown])
    for candidate in shown:
        groups = visible_groups(actor, candidate.person, states[candidate.person.pk])
        candidate.shows_identity = "identity" in groups
    return shown
