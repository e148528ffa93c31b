"""Two members accepting the same referral at the same moment: exactly one wins.

Real threads with their own database connections, on PostgreSQL (where `select_for_update`
locks the row and the conditional UPDATE decides); SQLite serialises writers anyway.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from palermo.accounts.roles import Role
from palermo.errors import ApplicationError
from palermo.referrals import services
from palermo.referrals.models import Referral, ReferralEvent
from palermo.testing import OrganisationFactory, actor_for, member

from .records import consent, make_case


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_accepts_one_wins() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("threads sharing an in-memory SQLite database are serialised anyway")
    shelter = OrganisationFactory(name="Shelter", country="MD")
    clinic = OrganisationFactory(name="Clinic", country="MD")
    sender = member(Role.CASE_WORKER, shelter)
    receivers = [member(Role.SERVICE_PROVIDER, clinic) for _ in range(4)]
    case = make_case(sender)
    consent(case.person, "referral", organisation=clinic)
    referral = services.referral_send(
        actor=actor_for(sender),
        case_public_id=case.public_id,
        data={
            "receiving_organisation": str(clinic.public_id),
            "reason": "Other",
            "shared_groups": ["identity"],
        },
    )
    barrier = threading.Barrier(len(receivers))
    outcomes: list[str] = []
    lock = threading.Lock()

    def accept(index: int) -> None:
        try:
            barrier.wait()
            services.referral_transition(
                actor=actor_for(receivers[index]),
                public_id=referral.public_id,
                action="accept",
                data={},
            )
            result = "ok"
        except ApplicationError as exc:
            result = exc.code
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=accept, args=(i,)) for i in range(len(receivers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict"] * (len(receivers) - 1) + ["ok"]
    assert Referral.objects.get(pk=referral.pk).state == "accepted"
    assert ReferralEvent.objects.filter(referral=referral, to_state="accepted").count() == 1
