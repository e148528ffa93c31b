"""The demo cases (every stage, some overdue, some closed) and `palermo cases …`."""

from __future__ import annotations

import datetime
import io
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from palermo.cases.models import AnonymousNotification, Case, CaseDecision
from palermo.notifications.models import Notification

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_the_demo_has_cases_in_several_stages(settings: Any, tmp_path: Path) -> None:
    settings.VAR_DIR = tmp_path
    run("demo-data", "--size", "300")
    cases = list(Case.objects.all())
    assert 10 <= len(cases) <= 60
    stages = Counter(c.stage for c in cases)
    assert {"referral", "recovery", "assistance", "closed"} <= set(stages)
    today = timezone.localdate()
    assert any(c.next_deadline and c.next_deadline < today for c in cases)  # some overdue
    assert CaseDecision.objects.filter(decided_by__username="authority").exists()
    assert AnonymousNotification.objects.exists()
    for case in cases:
        if case.is_open:
            unmet = case.deadlines.filter(met_at__isnull=True).order_by("due_on").first()
            assert case.next_deadline == (unmet.due_on if unmet else None)
    first = sorted((c.person_id, c.stage) for c in cases)
    run("demo-data", "--size", "300", "--reset")

    assert len(Case.objects.all()) == len(first)


def test_the_lifecycle_command_prints_and_checks(settings: Any, tmp_path: Path) -> None:
    out = run("cases", "lifecycle")
    assert "referral" in out and "5 working days" in out and "valid" in out
    settings.PALERMO_COUNTRY = "GB"
    from palermo.cases import lifecycle

    lifecycle.clear_cache()
    assert "United Kingdom" in run("cases", "lifecycle")
    assert '"entry_stage": "referral"' in run("cases", "lifecycle", "--json")
    assert "md.toml: valid" in run("cases", "check-all")
    bad = tmp_path / "bad.toml"
    bad.write_text("[lifecycle]\ntitle = 1\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"^bad.toml: "):
        run("cases", "lifecycle", "--file", str(bad))


def test_the_remind_command_sends_once(case: Case, worker: Any) -> None:
    case.deadlines.update(due_on=timezone.localdate() - datetime.timedelta(days=2))
    out = run("cases", "remind")
    assert "overdue notices: 1" in out
    assert "overdue notices: 0" in run("cases", "remind")
    assert (
        Notification.objects.filter(kind="case.deadline_overdue", recipient=worker.user).count()
        == 1
    )
