"""Test session set-up shared by every app's tests: which database the tests run on.

By default the database tests run on SQLite in memory (config.settings.test). With
PALERMO_TEST_DB=postgresql they run on a real PostgreSQL server that this session starts from
the machine's binaries and stops at the end (tests/postgresql_server.py). Under pytest-xdist
the controller starts the one server and hands its address to the workers in
PALERMO_TEST_DATABASE_URL; each worker gets its own test database on it (pytest-django adds a
_gw0, _gw1 … suffix). Setting PALERMO_TEST_DATABASE_URL yourself points the tests at a server
you run instead (connecting as a superuser: the tests create databases and bypass triggers).

Transactional tests (and live-server ones) end with every table emptied; the audit tables refuse
that, so their rows are erased first with the append-only triggers held off.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import dj_database_url
import pytest

from tests.postgresql_server import PostgreSQLTestServer

DATABASE_CHOICES = ("sqlite", "postgresql")
SERVER_URL_ENV = "PALERMO_TEST_DATABASE_URL"
_server_key = pytest.StashKey[PostgreSQLTestServer]()


def _test_database() -> str:
    choice = os.environ.get("PALERMO_TEST_DB", "sqlite").strip().lower() or "sqlite"
    if choice not in DATABASE_CHOICES:
        raise pytest.UsageError(
            f"PALERMO_TEST_DB must be one of {DATABASE_CHOICES}, not {choice!r}"
        )
    return choice


def _use_postgresql(url: str) -> None:
    """Point Django's default database at `url` before anything has connected."""
    from django.conf import settings
    from django.db import connections

    # Defining the models already made a connection object (it asked for the longest name the
    # database allows), but none has connected yet: drop it, and it is made anew from DATABASES.
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None:
            raise RuntimeError("The database was used before the test database was chosen.")
        del connections[connection.alias]
    from config.settings.base import postgresql_options

    database = postgresql_options(dj_database_url.parse(url, conn_max_age=0))
    database["TEST"] = {"NAME": f"test_{database['NAME']}"}
    settings.DATABASES["default"] = database
    # The connection handler reads DATABASES once; forget that reading if it already happened.
    connections.__dict__.pop("settings", None)


def pytest_configure(config: pytest.Config) -> None:
    if _test_database() != "postgresql":
        return
    url = os.environ.get(SERVER_URL_ENV)
    if not url:
        server = PostgreSQLTestServer.start()
        config.stash[_server_key] = server
        url = server.url
        os.environ[SERVER_URL_ENV] = url  # xdist workers are started later and inherit it
    _use_postgresql(url)


def pytest_unconfigure(config: pytest.Config) -> None:
    server = config.stash.get(_server_key, None)
    if server is not None:
        del config.stash[_server_key]
        os.environ.pop(SERVER_URL_ENV, None)
        server.stop()


def pytest_report_header(config: pytest.Config) -> str:
    from django.conf import settings

    database = settings.DATABASES["default"]
    where = f" at {database['HOST']}:{database['PORT']}" if database.get("HOST") else ""
    started = " (started for this session)" if _server_key in config.stash else ""
    return f"database: {database['ENGINE'].rsplit('.', 1)[-1]}{where}{started}"


def _uses_transactional_db(request: pytest.FixtureRequest) -> bool:
    """The same test pytest-django applies to choose TransactionTestCase over TestCase."""
    marker = request.node.get_closest_marker("django_db")
    marked = marker is not None and bool(
        marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")
    )
    return marked or bool({"transactional_db", "live_server"} & set(request.fixturenames))


def _erase_audit_log() -> None:
    """Delete every audit row, holding the append-only triggers off for just this transaction.

    The triggers (audit migration 0002) refuse DELETE on tables that have rows, and the flush
    that ends a transactional test deletes everything: the audit rows must go first.
    """
    from django.apps import apps
    from django.db import connection, transaction

    quote = connection.ops.quote_name
    tables = [model._meta.db_table for model in apps.get_app_config("audit").get_models()]
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Replica mode fires no ordinary triggers; SET LOCAL ends with the transaction.
            cursor.execute("SET LOCAL session_replication_role = replica")
            for table in tables:
                cursor.execute(f"DELETE FROM {quote(table)}")  # noqa: S608 - table names
            return
        placeholders = ", ".join(["%s"] * len(tables))
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "  # noqa: S608
            f"AND tbl_name IN ({placeholders})",
            tables,
        )
        triggers = cursor.fetchall()
        for name, _sql in triggers:
            cursor.execute(f"DROP TRIGGER {quote(name)}")
        for table in tables:
            cursor.execute(f"DELETE FROM {quote(table)}")  # noqa: S608 - table names
        for _name, sql in triggers:
            cursor.execute(sql)


@pytest.fixture(autouse=True)
def _empty_audit_log_after_transactional_tests(request: pytest.FixtureRequest) -> Iterator[None]:
    """Let the database flush that ends a transactional (or live-server) test succeed."""
    if not _uses_transactional_db(request):
        yield
        return
    # Set the database up before this fixture, so that it is torn down (flushed) after it.
    request.getfixturevalue("transactional_db")
    yield
    _erase_audit_log()
