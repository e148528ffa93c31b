"""Fixtures for the audit tests: two organisations and their members, and an anchor file of
the test's own (never the one of the real var directory)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import override_settings

from palermo.accounts.models import Membership, Organisation
from palermo.accounts.roles import Role
from palermo.testing import OrganisationFactory, member


@pytest.fixture(autouse=True)
def anchor_path(tmp_path: Path) -> Iterator[Path]:
    """Where this test's checkpoints go; the file does not exist until one is written."""
    path = tmp_path / "anchors" / "audit-anchors.log"
    with override_settings(PALERMO_AUDIT_ANCHOR_FILE=str(path)):
        yield path


@pytest.fixture
def org_a(db: None) -> Organisation:
    return OrganisationFactory(name="Org A", country="MD")


@pytest.fixture
def org_b(db: None) -> Organisation:
    return OrganisationFactory(name="Org B", country="MD")


@pytest.fixture
def supervisor_a(org_a: Organisation) -> Membership:
    return member(Role.SUPERVISOR, org_a, username="supervisor_a")


@pytest.fixture
def worker_a(org_a: Organisation) -> Membership:
    return member(Role.CASE_WORKER, org_a, username="worker_a")


@pytest.fixture
def worker_b(org_b: Organisation) -> Membership:
    return member(Role.CASE_WORKER, org_b, username="worker_b")
