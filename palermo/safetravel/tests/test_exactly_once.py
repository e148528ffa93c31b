"""Exactly once: two workers racing on the same due steps, and a worker killed mid-send.

Both run on SQLite and PostgreSQL. The race uses threads on the test database
(transactional); the killed worker is a real `palermo travel tick` process, on the test
database for PostgreSQL and on a migrated SQLite file for SQLite (the in-memory test database
is out of reach of another process).
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, connections

from palermo.safetravel import scheduler
from palermo.safetravel.delivery import RecordingProvider, read_log
from palermo.safetravel.models import EscalationStep, Notification, NotificationStatus

from .factories import T0, armed_trip, make_traveller

DUE = T0 + datetime.timedelta(hours=12)
ROOT = Path(settings.BASE_DIR)


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_send_each_step_once() -> None:
    trips = [
        armed_trip(traveller=make_traveller(phone=f"+38067123{n:04d}", email=None), contacts=2)
        for n in range(12)
    ]
    errors: list[BaseException] = []

    def worker(name: str, at: datetime.datetime, barrier: threading.Barrier) -> None:
        try:
            barrier.wait()
            for _round in range(3):
                scheduler.run_cycle(now=at, worker_id=name)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    for minutes in (1, 31, 121, 361):  # each step of the ladder, raced by two workers
        barrier = threading.Barrier(2)
        at = DUE + datetime.timedelta(minutes=minutes, seconds=10)
        threads = [threading.Thread(target=worker, args=(f"w{n}", at, barrier)) for n in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not errors, errors

    steps = list(EscalationStep.objects.values_list("trip_id", "kind"))
    assert len(steps) == len(set(steps)) == len(trips) * 4
    # 12 travellers × 2 reminders + 24 contacts × 2 alerts
    ladder = Notification.objects.filter(purpose="step")
    assert (
        ladder.filter(status=NotificationStatus.SENT).count() == ladder.count() == 12 * 2 + 24 * 2
    )
    handed = [r for key, r in RecordingProvider.outbox.items() if key.startswith("st:")]
    assert len(handed) == 12 * 2 + 24 * 2
    assert all(record.calls == 1 for record in handed)


def _env(database_url: str, log: Path, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url,
        "PALERMO_TRAVEL_SMS_PROVIDER": "palermo.safetravel.delivery.RecordingProvider",
        "PALERMO_TRAVEL_RECORDING_LOG": str(log),
        "PALERMO_TRAVEL_SEND_LEASE_SECONDS": "1",
    }
    env.update(extra)
    return env


def _palermo(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _database_url(tmp_path: Path) -> str:
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        return f"postgresql://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    url = f"sqlite:///{tmp_path / 'travel.sqlite3'}"
    migrated = _palermo(
        _env(url, tmp_path / "unused.sqlite3"), "migrate", "-v", "0", "--skip-checks"
    )
    assert migrated.returncode == 0, migrated.stderr
    return url


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_send_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    url = _database_url(tmp_path)
    log = tmp_path / "provider.sqlite3"
    env = _env(url, log)
    trips = 40
    seeded = _palermo(
        env,
        "travel",
        "seed",
        "--trips",
        str(trips),
        "--due-from",
        DUE.isoformat(),
        "--spread-seconds",
        "30",
        "--contacts",
        "2",
        "--skip-checks",
    )
    assert seeded.returncode == 0, seeded.stderr
    at = (DUE + datetime.timedelta(minutes=121)).isoformat()  # the contacts alert: 80 messages

    crashing = _env(
        url,
        log,
        PALERMO_TRAVEL_SMS_PROVIDER="palermo.safetravel.tests.crashing_provider.CrashingRecordingProvider",
        PALERMO_TEST_CRASH_AFTER="17",
    )
    killed = _palermo(crashing, "travel", "tick", "--now", at, "--skip-checks")
    assert killed.returncode == -9, (killed.returncode, killed.stderr[-2000:])
    before_crash = {row["key"] for row in read_log(str(log))}
    assert len(before_crash) == 17  # it died right after handing over the 17th

    time.sleep(1.2)  # the dead worker's lease runs out
    recovered = _palermo(env, "travel", "tick", "--now", at, "--skip-checks")
    assert recovered.returncode == 0, recovered.stderr
    status = json.loads(_palermo(env, "travel", "status", "--skip-checks").stdout)
    assert status["messages_waiting"] == 0

    handed = {row["key"]: row for row in read_log(str(log))}
    assert len(handed) == trips * 2  # none missed
    assert all(key.split(":")[3] == "contacts_alert" for key in handed)
    # Messages handed over but not yet recorded when the worker died (its open chunk) were
    # handed over again with their keys, which the provider recognised: each delivered once,
    # asked twice. Nothing handed over after the recovery was repeated.
    repeated = {key for key, row in handed.items() if row["calls"] > 1}
    assert repeated <= before_crash
    assert all(handed[key]["calls"] == 2 for key in repeated)
    if connection.vendor == "postgresql":
        assert Notification.objects.filter(status=NotificationStatus.SENT).count() == trips * 2
        assert EscalationStep.objects.count() == trips * 3  # two reminders skipped, one sent
