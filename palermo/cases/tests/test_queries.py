"""Query counts of the case list, the case page and the API list do not grow with the rows.

The benchmark runs them over a million cases; here the same page is rendered with 3 and with
30 cases (and a case with one decision and with three) and the number of queries must match.
"""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from palermo.accounts.models import Membership
from palermo.cases import services
from palermo.cases.models import Case
from palermo.testing import actor_for

from .conftest import open_for

pytestmark = pytest.mark.django_db


def _count(client: Client, url: str) -> int:
    client.get(url)  # warm caches (sessions, the lifecycle file)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _more_cases(worker: Membership, n: int) -> None:
    for _ in range(n):
        case = open_for(worker)
        Case.objects.filter(pk=case.pk).update(
            next_deadline=timezone.localdate() - datetime.timedelta(days=1)
        )


@pytest.mark.parametrize(
    "url",
    [
        "/cases/",
        "/cases/?status=all",
        "/cases/?overdue=1",
        "/cases/?mine=1",
        "/cases/dashboard/",
        "/api/cases/",
        "/api/cases/?overdue=true",
    ],
)
def test_lists_cost_the_same_with_3_and_30_cases(
    worker: Membership, worker_client: Client, authority: Membership, url: str
) -> None:
    _more_cases(worker, 3)
    few = _count(worker_client, url)
    _more_cases(worker, 27)
    many = _count(worker_client, url)
    assert few == many, (few, many)


def test_the_case_page_costs_the_same_with_1_and_3_decisions(
    worker: Membership, worker_client: Client, authority: Membership
) -> None:
    actor = actor_for(authority)
    short = open_for(worker)
    services.case_decide(actor=actor, case_id=short.public_id, outcome="positive", reason="RG.")
    long = open_for(worker)
    services.case_decide(actor=actor, case_id=long.public_id, outcome="negative", reason="No.")
    services.case_decide(actor=actor, case_id=long.public_id, outcome="positive", reason="Yes.")
    Case.objects.filter(pk=long.pk).update(
        stage_entered_at=timezone.now() - datetime.timedelta(days=31)
    )
    services.case_decide(actor=actor, case_id=long.public_id, outcome="positive", reason="CG.")
    for prefix in ("/cases/", "/api/cases/"):
        one = _count(
            worker_client, f"{prefix}{short.public_id}" + ("/" if prefix == "/cases/" else "")
        )
        three = _count(
            worker_client, f"{prefix}{long.public_id}" + ("/" if prefix == "/cases/" else "")
        )
        assert one == three, (prefix, one, three)
