"""The people API: the same services and selectors as the pages.

Responses leave out (`exclude_unset`) the fields of groups withheld from the caller, so
"absent" means withheld and null means not recorded.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from palermo.accounts.actors import Actor

from . import access, selectors, services
from .schemas import ErrorOut, PersonIn, PersonOut, PersonPage

router = Router(tags=["people"])

_READ_ERRORS: dict[int, type[ErrorOut]] = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut}
_WRITE_ERRORS: dict[int, type[ErrorOut]] = {**_READ_ERRORS, 403: ErrorOut, 413: ErrorOut}


class PersonSearch(Schema):
    q: str = Field(
        "",
        max_length=selectors.MAX_QUERY_LENGTH,
        description="Exact name, full name, date of birth, phone, email or document number.",
    )
    page: int = Field(1, ge=1, le=100000)


def _actor(request: HttpRequest) -> Actor:
    actor: Actor = request.auth  # type: ignore[attr-defined]
    return actor


@router.get(
    "",
    response={200: PersonPage, 403: ErrorOut, **_READ_ERRORS},
    exclude_unset=True,
    summary="List and search persons",
)
def list_persons(request: HttpRequest, filters: Query[PersonSearch]) -> PersonPage:
    page = selectors.person_list(actor=_actor(request), query=filters.q, page_number=filters.page)
    return PersonPage(
        count=page.paginator.count,
        page=page.number,
        pages=page.paginator.num_pages,
        results=[PersonOut.of(view.as_dict()) for view in page.object_list],
    )


@router.post(
    "",
    response={201: PersonOut, **_WRITE_ERRORS},
    exclude_unset=True,
    summary="Register a person",
)
def create_person(request: HttpRequest, payload: PersonIn) -> Status:
    actor = _actor(request)
    person = services.person_create(actor=actor, data=payload.submitted())
    view = selectors.person_detail(actor=actor, public_id=person.public_id)
    return Status(201, PersonOut.of(view.as_dict()))


@router.get(
    "/{public_id}",
    response={200: PersonOut, **_READ_ERRORS},
    exclude_unset=True,
    summary="One person",
)
def get_person(request: HttpRequest, public_id: str) -> PersonOut:
    view = selectors.person_detail(actor=_actor(request), public_id=public_id)
    return PersonOut.of(view.as_dict())


@router.patch(
    "/{public_id}",
    response={200: PersonOut, **_WRITE_ERRORS},
    exclude_unset=True,
    summary="Change some fields of a person",
)
def update_person(request: HttpRequest, public_id: str, payload: PersonIn) -> PersonOut:
    actor = _actor(request)
    # The access check alone, not an audited read: the response below is the one read.
    person = access.person_for_actor(actor, public_id, "edit")
    services.person_update(actor=actor, person=person, data=payload.submitted())
    view = selectors.person_detail(actor=actor, public_id=person.public_id)
    return PersonOut.of(view.as_dict())
