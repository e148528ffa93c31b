"""The people API: the same services and selectors as the pages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from . import selectors, services
from .schemas import PersonIn, PersonPage

router = Router(tags=["people"])


class PersonSearch(Schema):
    q: str = Field("", max_length=200)
    page: int = Field(1, ge=1, le=100000)


@router.get("", response=PersonPage, summary="List and search persons")
def list_persons(request: HttpRequest, filters: Query[PersonSearch]) -> dict[str, Any]:
    page = selectors.person_list(
        actor=request.auth, query=filters.q, page_number=filters.page  # type: ignore[attr-defined]
    )
    return {
        "count": page.paginator.count,
        "page": page.number,
        "pages": page.paginator.num_pages,
        "results": [view.as_dict() for view in page.object_list],
    }


@router.post("", response={201: dict[str, Any]}, summary="Register a person")
def create_person(request: HttpRequest, payload: PersonIn) -> tuple[int, dict[str, Any]]:
    actor = request.auth  # type: ignore[attr-defined]
    person = services.person_create(actor=actor, data=payload.dict(exclude_unset=True))
    return 201, selectors.person_detail(actor=actor, public_id=person.public_id).as_dict()


@router.get("/{public_id}", response=dict[str, Any], summary="One person")
def get_person(request: HttpRequest, public_id: str) -> dict[str, Any]:
    return selectors.person_detail(
        actor=request.auth, public_id=public_id  # type: ignore[attr-defined]
    ).as_dict()


@router.patch("/{public_id}", response=dict[str, Any], summary="Change some fields of a person")
def update_person(request: HttpRequest, public_id: str, payload: PersonIn) -> dict[str, Any]:
    actor = request.auth  # type: ignore[attr-defined]
    view = selectors.person_detail(actor=actor, public_id=public_id, action="edit")
    services.person_update(actor=actor, person=view.person, data=payload.dict(exclude_unset=True))
    return selectors.person_detail(actor=actor, public_id=public_id).as_dict()
