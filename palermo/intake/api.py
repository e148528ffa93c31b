"""The intake API: the console's capabilities for other systems (the same services and selectors).

Responses leave out (`exclude_unset`) the fields of groups withheld from the caller, so
"absent" means withheld and null means not recorded.
"""

from __future__ import annotations

import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from palermo.accounts.actors import Actor
from palermo.accounts.roles import Perm
from palermo.errors import invalid
from palermo.people.schemas import ErrorOut

from . import access, selectors, services, statistics
from .models import CallerType, Category, ContactChannel, EscalationBasis, PersonRole
from .statuses import Status as ContactStatus
from .validation import MAX_LENGTHS

router = Router(tags=["intake"])

_READ_ERRORS: dict[int, type[ErrorOut]] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
}
_WRITE_ERRORS: dict[int, type[ErrorOut]] = {**_READ_ERRORS, 409: ErrorOut, 413: ErrorOut}


def _actor(request: HttpRequest) -> Actor:
    actor: Actor = request.auth  # type: ignore[attr-defined]
    return actor


def _text(name: str) -> Any:
    return Field(None, max_length=MAX_LENGTHS[name])


class ContactIn(Schema):
    """Fields of a contact; on PATCH only those sent change (null clears a field)."""

    model_config = ConfigDict(extra="forbid")

    channel: ContactChannel | None = None
    caller_type: CallerType | None = None
    category: Category | None = None
    urgency: StrictInt | None = Field(None, ge=1, le=4, description="1 low … 4 immediate")
    language: StrictStr | None = Field(None, max_length=3, description="ISO 639 code")
    narrative: StrictStr | None = _text("narrative")
    location_text: StrictStr | None = _text("location_text")
    occurred_text: StrictStr | None = _text("occurred_text")
    reporter_name: StrictStr | None = _text("reporter_name")
    reporter_phone: StrictStr | None = _text("reporter_phone")
    reporter_email: StrictStr | None = _text("reporter_email")
    via_number: StrictStr | None = _text("via_number")
    campaign: StrictStr | None = Field(None, max_length=36, description="A campaign's id")

    def submitted(self) -> dict[str, Any]:
        data = self.model_dump(exclude_unset=True)
        for name in ("channel", "caller_type", "category"):
            if data.get(name) is not None:
                data[name] = str(data[name])
        return data


class IdentifierOut(BaseModel):
    kind: str
    value: str
    source: str
    start: int
    end: int
    country: str | None = None


class ContactOut(BaseModel):
    """A contact as the caller may see it; personal fields of withheld groups are absent."""

    id: str
    reference: str
    channel: str
    campaign: str | None = None
    campaign_name: str | None = None
    via_number: str | None = None
    caller_type: str
    language: str | None = None
    category: str
    urgency: int
    status: str
    assigned_to: str | None = None
    situation: str | None = None
    received_at: datetime.datetime
    last_activity_at: datetime.datetime
    visible_groups: list[str]
    narrative: str | None = None
    occurred_text: str | None = None
    location_text: str | None = None
    reporter_name: str | None = None
    reporter_phone: str | None = None
    reporter_email: str | None = None
    identifiers: list[IdentifierOut] | None = None


class QueueItem(BaseModel):
    """A contact in the queue: no personal data."""

    id: str
    reference: str
    channel: str
    category: str
    urgency: int
    status: str
    language: str | None = None
    campaign_name: str | None = None
    via_number: str | None = None
    assigned_to: str | None = None
    received_at: datetime.datetime
    waiting_seconds: int


class QueueFilter(Schema):
    show: Literal["open", "mine", "new", "closed"] = "open"


class AssignIn(Schema):
    model_config = ConfigDict(extra="forbid")
    user: StrictInt | None = Field(None, description="A colleague's user id; none: yourself")


class StatusIn(Schema):
    model_config = ConfigDict(extra="forbid")
    status: ContactStatus


class EscalateIn(Schema):
    model_config = ConfigDict(extra="forbid")
    basis: EscalationBasis
    to_organisation: StrictStr = Field(
        max_length=36, description="A law-enforcement organisation's id"
    )
    note: StrictStr | None = _text("note")


class EscalationOut(BaseModel):
    contact: str
    basis: str
    to_organisation: str
    escalated_at: datetime.datetime


class LinkPersonIn(Schema):
    model_config = ConfigDict(extra="forbid")
    person: StrictStr = Field(max_length=36)
    role: PersonRole = PersonRole.CONCERNED


def _detail(actor: Actor, public_id: str) -> ContactOut:
    view = selectors.contact_detail(actor=actor, public_id=public_id)
    return ContactOut(**view.as_dict())


@router.get("/contacts", response={200: list[QueueItem], **_READ_ERRORS}, summary="The queue")
def list_contacts(request: HttpRequest, filters: Query[QueueFilter]) -> list[QueueItem]:
    """Open contacts, crisis first, then by urgency and waiting time (or `show`: mine, new,
    closed). No personal data: fetch one contact for its narrative."""
    now = datetime.datetime.now(tz=datetime.UTC)
    return [
        QueueItem(
            id=str(c.public_id),
            reference=c.reference,
            channel=c.channel,
            category=c.category,
            urgency=c.urgency,
            status=c.status,
            language=c.language or None,
            campaign_name=c.campaign.name if c.campaign else None,
            via_number=c.via_number or None,
            assigned_to=c.assigned_to.username if c.assigned_to else None,
            received_at=c.received_at,
            waiting_seconds=int((now - c.received_at).total_seconds()),
        )
        for c in selectors.contact_queue(actor=_actor(request), show=filters.show)
    ]


@router.post(
    "/contacts",
    response={201: ContactOut, **_WRITE_ERRORS},
    exclude_unset=True,
    summary="Record a contact",
)
def create_contact(request: HttpRequest, payload: ContactIn) -> Status:
    actor = _actor(request)
    contact = services.contact_create(actor=actor, data=payload.submitted())
    if not actor.can(Perm.CONTACT_VIEW):
        return Status(201, ContactOut(**_minimal(contact)))
    return Status(201, _detail(actor, str(contact.public_id)))


def _minimal(contact: Any) -> dict[str, Any]:
    return {
        "id": str(contact.public_id),
        "reference": contact.reference,
        "channel": contact.channel,
        "caller_type": contact.caller_type,
        "category": contact.category,
        "urgency": contact.urgency,
        "status": contact.status,
        "received_at": contact.received_at,
        "last_activity_at": contact.last_activity_at,
        "visible_groups": [],
    }


@router.get(
    "/contacts/{public_id}",
    response={200: ContactOut, **_READ_ERRORS},
    exclude_unset=True,
    summary="One contact",
)
def get_contact(request: HttpRequest, public_id: str) -> ContactOut:
    return _detail(_actor(request), public_id)


@router.patch(
    "/contacts/{public_id}",
    response={200: ContactOut, **_WRITE_ERRORS},
    exclude_unset=True,
    summary="Change a contact's triage fields or narrative",
)
def update_contact(request: HttpRequest, public_id: str, payload: ContactIn) -> ContactOut:
    actor = _actor(request)
    contact = selectors.contact_for_change(actor=actor, public_id=public_id)
    services.contact_update(actor=actor, contact=contact, data=payload.submitted())
    return _detail(actor, public_id)


@router.post(
    "/contacts/{public_id}/claim",
    response={200: ContactOut, **_WRITE_ERRORS},
    exclude_unset=True,
    summary="Claim a contact (or give it to a colleague)",
)
def claim_contact(request: HttpRequest, public_id: str, payload: AssignIn) -> ContactOut:
    actor = _actor(request)
    contact = selectors.contact_for_change(actor=actor, public_id=public_id)
    services.contact_assign(actor=actor, contact=contact, user_id=payload.user)
    return _detail(actor, public_id)


@router.post(
    "/contacts/{public_id}/status",
    response={200: ContactOut, **_WRITE_ERRORS},
    exclude_unset=True,
    summary="Move a contact along its lifecycle",
)
def contact_status(request: HttpRequest, public_id: str, payload: StatusIn) -> ContactOut:
    actor = _actor(request)
    contact = selectors.contact_for_change(actor=actor, public_id=public_id)
    services.contact_set_status(actor=actor, contact=contact, status=payload.status.value)
    return _detail(actor, public_id)


@router.post(
    "/contacts/{public_id}/escalate",
    response={201: EscalationOut, **_WRITE_ERRORS},
    summary="Escalate to law enforcement, with its basis",
)
def escalate_contact(request: HttpRequest, public_id: str, payload: EscalateIn) -> Status:
    actor = _actor(request)
    contact = access.contact_for_actor(actor, public_id, "escalate")
    data = {
        "basis": payload.basis.value,
        "to_organisation": payload.to_organisation,
        "note": payload.note,
    }
    escalation = services.contact_escalate(actor=actor, contact=contact, data=data)
    return Status(
        201,
        EscalationOut(
            contact=str(contact.public_id),
            basis=escalation.basis,
            to_organisation=str(escalation.to_organisation.public_id),
            escalated_at=escalation.escalated_at,
        ),
    )


@router.post(
    "/contacts/{public_id}/persons",
    response={200: ContactOut, **_WRITE_ERRORS},
    exclude_unset=True,
    summary="Link a person (one you may see) to a contact",
)
def link_person(request: HttpRequest, public_id: str, payload: LinkPersonIn) -> ContactOut:
    actor = _actor(request)
    contact = selectors.contact_for_change(actor=actor, public_id=public_id)
    services.contact_link_person(
        actor=actor, contact=contact, person_id=payload.person, role=payload.role.value
    )
    return _detail(actor, public_id)


# --- situations -------------------------------------------------------------------------------


class SituationItem(BaseModel):
    """A situation in a list: counts and times, no personal data."""

    id: str
    reference: str
    status: str
    contact_count: int
    person_count: int
    crisis: bool = Field(description="Whether one of its contacts is a crisis")
    top_urgency: int | None = Field(None, description="The most urgent of its contacts, 1-4")
    last_contact_at: datetime.datetime | None = None
    created_at: datetime.datetime
    updated_at: datetime.datetime


class SituationContactOut(BaseModel):
    id: str
    reference: str
    received_at: datetime.datetime
    channel: str
    category: str
    urgency: int
    status: str


class SituationPersonOut(BaseModel):
    """A linked person: its name only where the caller may see the identity group."""

    id: str
    reference: str
    role: str
    linked_at: datetime.datetime
    display_name: str | None = None


class SituationOut(BaseModel):
    """A situation as the caller may see it; `summary` is absent when withheld."""

    id: str
    reference: str
    status: str
    created_at: datetime.datetime
    updated_at: datetime.datetime
    closed_at: datetime.datetime | None = None
    visible_groups: list[str]
    summary: str | None = None
    contacts: list[SituationContactOut]
    persons: list[SituationPersonOut]


class SituationFilter(Schema):
    show: Literal["open", "closed", "all"] = "open"
    page: int = Field(1, ge=1, le=100_000, description="50 situations a page, open ones first")


class SituationCreateIn(Schema):
    model_config = ConfigDict(extra="forbid")
    contact: StrictStr = Field(
        max_length=36, description="The contact it is opened from: its id or reference (C-…)"
    )
    summary: StrictStr | None = _text("summary")


class SituationPatchIn(Schema):
    model_config = ConfigDict(extra="forbid")
    summary: StrictStr | None = _text("summary")


class SituationStatusIn(Schema):
    model_config = ConfigDict(extra="forbid")
    status: Literal["open", "closed"]


class SituationContactIn(Schema):
    model_config = ConfigDict(extra="forbid")
    contact: StrictStr = Field(max_length=36, description="A contact's id or reference (C-…)")


def _situation(actor: Actor, public_id: str) -> SituationOut:
    view = selectors.situation_detail(actor=actor, public_id=public_id)
    return SituationOut(**view.as_dict())


@router.get(
    "/situations",
    response={200: list[SituationItem], **_READ_ERRORS},
    summary="Situations, open ones first",
)
def list_situations(request: HttpRequest, filters: Query[SituationFilter]) -> list[SituationItem]:
    """The organisation's situations (open by default; `show`: closed, all), open ones first,
    the most recently changed first; 50 a page. No personal data: fetch one for its summary
    and its persons."""
    page = selectors.situation_list(actor=_actor(request), show=filters.show, page_number=1)
    if filters.page > page.paginator.num_pages:
        return []
    page = page.paginator.page(filters.page)
    return [
        SituationItem(
            id=str(s.public_id),
            reference=s.reference,
            status=s.status,
            contact_count=s.contact_count,  # type: ignore[attr-defined]
            person_count=s.person_count,  # type: ignore[attr-defined]
            crisis=bool(s.crisis_count),  # type: ignore[attr-defined]
            top_urgency=s.top_urgency,  # type: ignore[attr-defined]
            last_contact_at=s.last_contact_at,  # type: ignore[attr-defined]
            created_at=s.created_at,
            updated_at=s.updated_at,
        )
        for s in page.object_list
    ]


@router.post(
    "/situations",
    response={201: SituationOut, **_WRITE_ERRORS},
    exclude_unset=True,
    summary="Open a situation from a contact",
)
def create_situation(request: HttpRequest, payload: SituationCreateIn) -> Status:
    """The contact joins it, with the persons linked to the contact."""
    actor = _actor(request)
    contact = selectors.contact_by_reference(actor=actor, text=payload.contact, action="change")
    situation = services.situation_create(actor=actor, contact=contact, summary=payload.summary)
    return Status(201, _situation(actor, str(situation.public_id)))


@router.get(
    "/situations/{public_id}",
    response={200: SituationOut, **_READ_ERRORS},
    exclude_unset=True,
    summary="One situation, with its contacts and persons",
)
def get_situation(request: HttpRequest, public_id: str) -> SituationOut:
    """Reading it is audited: the summary (narrative group) and the persons' names."""
    return _situation(_actor(request), public_id)


@router.patch(
    "/situations/{public_id}",
    response={200: SituationOut, **_WRITE_ERRORS},
    exclude_unset=True,
    summary="Change a situation's summary",
)
def update_situation(
    request: HttpRequest, public_id: str, payload: SituationPatchIn
) -> SituationOut:
    actor = _actor(request)
    situation = selectors.situation_for_change(actor=actor, public_id=public_id)
    if "summary" in payload.model_fields_set:
        services.situation_update(actor=actor, situation=situation, summary=payload.summary)
    return _situation(actor, public_id)


@router.post(
    "/situations/{public_id}/status",
    response={200: SituationOut, **_WRITE_ERRORS},
    exclude_unset=True,
    summary="Close or reopen a situation",
)
def situation_status(
    request: HttpRequest, public_id: str, payload: SituationStatusIn
) -> SituationOut:
    actor = _actor(request)
    situation = selectors.situation_for_change(actor=actor, public_id=public_id)
    services.situation_set_status(actor=actor, situation=situation, status=payload.status)
    return _situation(actor, public_id)


@router.post(
    "/situations/{public_id}/contacts",
    response={200: SituationOut, **_WRITE_ERRORS},
    exclude_unset=True,
    summary="Add a contact (and its persons) to a situation",
)
def situation_add_contact(
    request: HttpRequest, public_id: str, payload: SituationContactIn
) -> SituationOut:
    """A contact is in one situation at most: adding it here takes it out of another."""
    actor = _actor(request)
    situation = selectors.situation_for_change(actor=actor, public_id=public_id)
    contact = selectors.contact_by_reference(actor=actor, text=payload.contact, action="change")
    services.situation_add_contact(actor=actor, situation=situation, contact=contact)
    return _situation(actor, public_id)


@router.delete(
    "/situations/{public_id}/contacts/{contact_id}",
    response={200: SituationOut, **_WRITE_ERRORS},
    exclude_unset=True,
    summary="Take a contact out of a situation",
)
def situation_remove_contact(request: HttpRequest, public_id: str, contact_id: str) -> SituationOut:
    actor = _actor(request)
    situation = selectors.situation_for_change(actor=actor, public_id=public_id)
    contact = selectors.contact_by_reference(actor=actor, text=contact_id, action="change")
    services.situation_remove_contact(actor=actor, situation=situation, contact=contact)
    return _situation(actor, public_id)


@router.post(
    "/situations/{public_id}/persons",
    response={200: SituationOut, **_WRITE_ERRORS},
    exclude_unset=True,
    summary="Link a person (one you may see) to a situation",
)
def situation_link_person(
    request: HttpRequest, public_id: str, payload: LinkPersonIn
) -> SituationOut:
    actor = _actor(request)
    situation = selectors.situation_for_change(actor=actor, public_id=public_id)
    services.situation_link_person(
        actor=actor, situation=situation, person_id=payload.person, role=payload.role.value
    )
    return _situation(actor, public_id)


@router.delete(
    "/situations/{public_id}/persons/{person_id}",
    response={200: SituationOut, **_WRITE_ERRORS},
    exclude_unset=True,
    summary="Unlink a person from a situation",
)
def situation_unlink_person(request: HttpRequest, public_id: str, person_id: str) -> SituationOut:
    actor = _actor(request)
    situation = selectors.situation_for_change(actor=actor, public_id=public_id)
    services.situation_unlink_person(actor=actor, situation=situation, person_id=person_id)
    return _situation(actor, public_id)


# --- statistics --------------------------------------------------------------------------------


class StatisticsFilter(Schema):
    date_from: str | None = Field(
        None, alias="from", max_length=10, description="YYYY-MM-DD; default 29 days before `to`"
    )
    date_to: str | None = Field(None, alias="to", max_length=10, description="YYYY-MM-DD; today")


class StatisticsRowOut(BaseModel):
    key: str = Field(description="The value counted: a day, a channel, a category, a language…")
    label: str
    count: int | None = Field(description="null: fewer than `small_cell`, withheld")


class StatisticsTableOut(BaseModel):
    key: Literal["day", "channel", "category", "language", "source"]
    title: str
    rows: list[StatisticsRowOut]


class StatisticsOut(BaseModel):
    """The figures of the intake statistics page: counts only."""

    date_from: datetime.date
    date_to: datetime.date
    total: int | None
    coalition_wide: bool = Field(description="Every organisation's contacts (coordinator)")
    suppressed: bool = Field(description="Whether counts below `small_cell` are withheld")
    small_cell: int
    tables: list[StatisticsTableOut]


@router.get(
    "/statistics",
    response={200: StatisticsOut, **_READ_ERRORS},
    summary="Intake statistics: contacts by day, channel, category, language, source",
)
def intake_statistics(request: HttpRequest, filters: Query[StatisticsFilter]) -> StatisticsOut:
    """Contacts received between `from` and `to` (inclusive, at most a year; the last 30 days
    by default), by day, channel, category, language and number or campaign (`source`) —
    the same figures as the statistics page. The national coordinator gets the whole
    coalition's, with counts below `small_cell` withheld (null)."""
    date_from, date_to, errors = statistics.parse_range(filters.date_from, filters.date_to)
    if errors:
        raise invalid(errors)
    figures = statistics.intake_statistics(
        actor=_actor(request), date_from=date_from, date_to=date_to
    )
    return StatisticsOut(
        date_from=figures.date_from,
        date_to=figures.date_to,
        total=figures.total,
        coalition_wide=figures.coalition_wide,
        suppressed=figures.suppressed,
        small_cell=statistics.SMALL_CELL,
        tables=[
            StatisticsTableOut(
                key=table.key,  # type: ignore[arg-type]
                title=table.title,
                rows=[
                    StatisticsRowOut(key=row.key, label=row.label, count=row.count)
                    for row in table.rows
                ],
            )
            for table in figures.tables
        ],
    )
