"""The reads of one page are linked to the chain together, before the page is answered."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from palermo.accounts.models import Membership
from palermo.audit import services
from palermo.audit.chain import GENESIS_HASH
from palermo.audit.models import AuditChainHead, AuditEvent
from palermo.audit.services import audit_read, audit_record, reads_written_together
from palermo.audit.verification import verify_chain
from palermo.testing import actor_for
from palermo.web.middleware import AuditReadsTogetherMiddleware


def _read(membership: Membership, n: int) -> None:
    audit_read(
        actor=actor_for(membership),
        object_type="case",
        object_id=f"c-{n}",
        field_groups=["identity"],
        details={"section": str(n)},
    )


def test_reads_inside_are_written_at_the_end_in_one_transaction(worker_a: Membership) -> None:
    # The chain head as it is after the first event ever (that event also creates it).
    AuditChainHead.objects.get_or_create(pk=1, defaults={"sequence": 0, "hash": GENESIS_HASH})
    with CaptureQueriesContext(connection) as captured, reads_written_together():
        for n in range(5):
            _read(worker_a, n)
        assert AuditEvent.objects.count() == 0  # not yet: nothing has been answered
        before_end = len(captured.captured_queries)
    events = list(AuditEvent.objects.order_by("sequence"))
    assert [e.object_id for e in events] == [f"c-{n}" for n in range(5)]
    assert [e.sequence for e in events] == [1, 2, 3, 4, 5]
    # One lock of the head, one insert, one update of the head (plus the transaction's own).
    written = [q["sql"] for q in captured.captured_queries[before_end:]]
    assert sum(sql.startswith('INSERT INTO "audit_auditevent"') for sql in written) == 1
    assert sum("FOR UPDATE" in sql for sql in written) <= 1
    assert verify_chain().broken is None


def test_a_block_left_by_an_error_writes_nothing(worker_a: Membership) -> None:
    with pytest.raises(RuntimeError), reads_written_together():
        _read(worker_a, 1)
        raise RuntimeError("the page failed")
    assert AuditEvent.objects.count() == 0


def test_writes_are_never_deferred(worker_a: Membership) -> None:
    with reads_written_together():
        _read(worker_a, 1)
        audit_record(actor=actor_for(worker_a), action="case.update", object_type="case")
        assert list(AuditEvent.objects.values_list("action", flat=True)) == ["case.update"]
    assert list(AuditEvent.objects.order_by("sequence").values_list("action", flat=True)) == [
        "case.update",
        "case.read",
    ]
    assert verify_chain().broken is None


def _middleware(view: Any) -> AuditReadsTogetherMiddleware:
    return AuditReadsTogetherMiddleware(view)


def test_a_get_is_answered_only_after_its_reads_are_written(worker_a: Membership) -> None:
    seen_while_rendering: list[int] = []

    def page(request: HttpRequest) -> HttpResponse:
        for n in range(3):
            _read(worker_a, n)
        seen_while_rendering.append(AuditEvent.objects.count())
        return HttpResponse("the page")

    response = _middleware(page)(RequestFactory().get("/cases/x/"))
    assert response.status_code == 200
    assert seen_while_rendering == [0]
    assert AuditEvent.objects.count() == 3


def test_a_page_whose_reads_cannot_be_written_is_not_answered(
    worker_a: Membership, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(events: list[AuditEvent]) -> list[AuditEvent]:
        raise RuntimeError("the audit log is unavailable")

    def page(request: HttpRequest) -> HttpResponse:
        _read(worker_a, 1)
        return HttpResponse("personal data")

    monkeypatch.setattr(services, "_append", fail)
    with pytest.raises(RuntimeError):
        _middleware(page)(RequestFactory().get("/cases/x/"))


def test_a_post_writes_each_read_at_once(worker_a: Membership) -> None:
    counts: list[int] = []

    def page(request: HttpRequest) -> HttpResponse:
        _read(worker_a, 1)
        counts.append(AuditEvent.objects.count())
        return HttpResponse("done")

    _middleware(page)(RequestFactory().post("/cases/x/"))
    assert counts == [1]


def test_reads_of_a_streamed_body_are_written_as_they_happen(worker_a: Membership) -> None:
    from django.http import StreamingHttpResponse

    def rows() -> Any:
        _read(worker_a, 1)
        yield f"{AuditEvent.objects.count()}"

    response = _middleware(lambda request: StreamingHttpResponse(rows()))(
        RequestFactory().get("/export/")
    )
    assert b"".join(response.streaming_content) == b"1"  # type: ignore[attr-defined]
