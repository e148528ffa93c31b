"""Lockout holds under parallel attempts: each attempt is counted before the slow check runs.

These tests use real threads with their own database connections, so they run in
transactional tests (committed data), on PostgreSQL as they are and on SQLite in a file: the
in-memory test database is shared between threads through SQLite's shared cache, whose table
locks fail at once instead of waiting as a real (file) database does. The check of a
password (or a code) is slowed down to the time Argon2 takes in production, so that every
attempt is in flight at once: without the reservation, all of them would pass the lock check
before the first failure is counted.
"""

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, connections
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from palermo.accounts.models import User
from palermo.accounts.roles import Role
from palermo.testing import TEST_PASSWORD, confirmed_totp_device, current_code, member

pytestmark = pytest.mark.django_db(transaction=True)

PARALLEL = 12
CHECK_SECONDS = 0.3  # about what Argon2 takes with Django's parameters


@pytest.fixture(autouse=True)
def _file_database_on_sqlite(transactional_db: None, tmp_path: Path) -> Iterator[None]:
    """On SQLite, run the test on a file copy of the (migrated, empty) in-memory database."""
    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        yield
        return
    in_memory = connections["default"]
    in_memory.ensure_connection()
    path = tmp_path / "races.sqlite3"
    copy = sqlite3.connect(path)
    in_memory.connection.backup(copy)
    copy.close()
    original = connections.settings["default"]
    connections.settings["default"] = {**original, "NAME": str(path)}
    del connections["default"]  # this thread's next use connects to the file
    try:
        yield
    finally:
        connections["default"].close()
        connections.settings["default"] = original
        connections["default"] = in_memory  # still open: the in-memory database lives on


class _CountingCheck:
    """Wraps a check method: counts the calls and makes each as slow as the real one."""

    def __init__(self, original: Callable[..., bool]) -> None:
        self.original = original
        self.calls = 0
        self._lock = threading.Lock()

    def method(self) -> Callable[..., bool]:
        """The replacement to set on the class (a plain function, so it binds `self`)."""

        def check(instance, *args, **kwargs) -> bool:
            with self._lock:
                self.calls += 1
            time.sleep(CHECK_SECONDS)
            return self.original(instance, *args, **kwargs)

        return check


def _in_parallel(function: Callable[[int], int], count: int) -> list[int]:
    barrier = threading.Barrier(count)

    def run(index: int) -> int:
        try:
            barrier.wait(timeout=30)
            return function(index)
        finally:
            connection.close()  # each thread has its own connection: give it back

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def _login(client: Client, username: str, password: str) -> int:
    return client.post("/accounts/login/", {"username": username, "password": password}).status_code


def test_parallel_wrong_passwords_check_no_more_than_the_limit(monkeypatch):
    limit = settings.PALERMO_LOGIN_MAX_FAILURES
    user = member(Role.RESEARCHER).user
    check = _CountingCheck(User.check_password)
    monkeypatch.setattr(User, "check_password", check.method())

    statuses = _in_parallel(
        lambda i: _login(Client(), user.username, f"wrong password {i}"), PARALLEL
    )

    assert statuses == [400] * PARALLEL
    assert check.calls <= limit  # without the reservation: one check per attempt
    user.refresh_from_db()
    assert user.locked_until is not None
    # The right password, after the limit, gets the same refusal and is not even checked.
    before = check.calls
    client = Client()
    assert _login(client, user.username, TEST_PASSWORD) == 400
    assert "_auth_user_id" not in client.session
    assert check.calls == before


def test_the_right_password_among_parallel_wrong_ones_is_checked_within_the_limit(monkeypatch):
    limit = settings.PALERMO_LOGIN_MAX_FAILURES
    user = member(Role.RESEARCHER).user
    check = _CountingCheck(User.check_password)
    monkeypatch.setattr(User, "check_password", check.method())
    passwords = [f"wrong password {i}" for i in range(PARALLEL - 1)] + [TEST_PASSWORD]

    statuses = _in_parallel(lambda i: _login(Client(), user.username, passwords[i]), PARALLEL)

    assert check.calls <= limit
    # The right password got in only if it was among the attempts the limit allows.
    assert statuses.count(302) <= 1
    assert statuses.count(400) >= PARALLEL - 1


def test_parallel_wrong_codes_check_no_more_than_the_limit(monkeypatch, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # our lockout alone, not django-otp's back-off
    limit = settings.PALERMO_LOGIN_MAX_FAILURES
    worker = member(Role.CASE_WORKER).user
    device = confirmed_totp_device(worker)
    clients = []
    for _ in range(PARALLEL):  # sessions that have the password right, owing the code
        client = Client()
        assert _login(client, worker.username, TEST_PASSWORD) == 302
        clients.append(client)
    check = _CountingCheck(TOTPDevice.verify_token)
    monkeypatch.setattr(TOTPDevice, "verify_token", check.method())
    bad = "000000" if current_code(device) != "000000" else "111111"

    statuses = _in_parallel(
        lambda i: clients[i].post("/accounts/second-factor/", {"code": bad}).status_code,
        PARALLEL,
    )

    assert check.calls <= limit
    assert 200 not in statuses
    worker.refresh_from_db()
    assert worker.locked_until is not None
    # Locked: a right code gets nowhere either.
    response = clients[0].post("/accounts/second-factor/", {"code": current_code(device)})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in clients[0].session
