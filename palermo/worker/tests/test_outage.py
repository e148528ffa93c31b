"""`palermo worker` through a real database outage: it stays up, and carries on afterwards.

The worker runs as its own process (the real command) on a database of its own that the test
can take away: on PostgreSQL a server started for this test, stopped (``pg_ctl stop -m fast``:
connections dropped, new ones refused) and started again; on SQLite a database file whose
directory is moved away (the open fails) and back. While the database is away an SMS webhook
is spooled, as the webhook view does; when it is back, a task is enqueued. The worker must
have logged the outage once, not exited, and then both replayed the spool (its periodic job)
and run the new task.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from palermo.channels import spool
from palermo.channels.signatures import GENERIC_SIGNATURE_HEADER, generic_signature_header
from palermo.channels.tests.conftest import GENERIC_SECRET, make_channel
from palermo.channels.webhooks import WebhookRequest

ROOT = Path(__file__).resolve().parents[3]
UNAVAILABLE = "Database unavailable"
BACK = "Database available again"


class WorkerDatabase(ABC):
    """A copy of the test database that the worker uses and the test can take away."""

    url: str

    @abstractmethod
    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]: ...

    @abstractmethod
    def take_away(self) -> None: ...

    @abstractmethod
    def bring_back(self) -> None: ...

    @abstractmethod
    def remove(self) -> None: ...


class SQLiteDatabase(WorkerDatabase):
    def __init__(self, tmp_path: Path) -> None:
        self.directory = tmp_path / "db"
        self.away = tmp_path / "db-away"
        self.directory.mkdir()
        self.path = self.directory / "palermo.sqlite3"
        # The test's in-memory database, committed data and all, into a file.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM INTO %s", [str(self.path)])
        self.url = f"sqlite:///{self.path}"

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        import sqlite3

        with sqlite3.connect(self.path, timeout=20) as db:
            return list(db.execute(sql.replace("%s", "?"), params).fetchall())

    def take_away(self) -> None:
        self.directory.rename(self.away)  # "unable to open database file" from now on

    def bring_back(self) -> None:
        self.away.rename(self.directory)

    def remove(self) -> None:
        if self.away.exists():
            self.away.rename(self.directory)


class PostgreSQLDatabase(WorkerDatabase):
    def __init__(self) -> None:
        from tests.postgresql_server import PostgreSQLTestServer, postgresql_bin_dir

        self.server = PostgreSQLTestServer.start()
        try:
            import psycopg

            with psycopg.connect(self._dsn("postgres"), autocommit=True) as db:
                db.execute("CREATE DATABASE palermo")
            source = connection.settings_dict
            dump = subprocess.run(
                [
                    str(postgresql_bin_dir() / "pg_dump"),
                    "--no-owner",
                    "--no-privileges",
                    f"--host={source['HOST']}",
                    f"--port={source['PORT']}",
                    f"--username={source['USER']}",
                    str(source["NAME"]),
                ],
                capture_output=True,
                check=True,
                timeout=120,
            )
            subprocess.run(
                [
                    str(postgresql_bin_dir() / "psql"),
                    "--quiet",
                    "--set=ON_ERROR_STOP=1",
                    self._dsn("palermo"),
                ],
                input=dump.stdout,
                capture_output=True,
                check=True,
                timeout=120,
            )
        except BaseException:
            self.server.stop()
            raise
        self.url = self.server.url

    def _dsn(self, name: str) -> str:
        return f"host=127.0.0.1 port={self.server.port} user=postgres dbname={name}"

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(self._dsn("palermo"), autocommit=True) as db:
            return list(db.execute(sql, params).fetchall())  # type: ignore[arg-type]

    def take_away(self) -> None:
        self.server.executor.stop()  # pg_ctl stop -m fast: sessions end, connections refused

    def bring_back(self) -> None:
        self.server.executor.start()

    def remove(self) -> None:
        self.server.stop()


def wait_until(check: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"Timed out after {timeout:g} s waiting for {what}.")


def worker_environment(database_url: str, var_dir: Path) -> dict[str, str]:
    """The worker's settings: the development ones, on the copy, with the tests' keys."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        DATABASE_URL=database_url,
        PALERMO_VAR_DIR=str(var_dir),
        PALERMO_KEY_FILE="",
        PALERMO_KEYS=settings.PALERMO_KEYS,
        PALERMO_ACTIVE_KEY_ID=settings.PALERMO_ACTIVE_KEY_ID,
        PALERMO_INDEX_KEY=settings.PALERMO_INDEX_KEY,
        PALERMO_LOG_LEVEL="INFO",
    )
    env.pop("PALERMO_TEST_DATABASE_URL", None)
    return env


def spooled_webhook(channel_id: str, message_id: str) -> WebhookRequest:
    body = json.dumps(
        {"id": message_id, "from": "+37369000222", "to": "527", "text": "Ajutor, vă rog"}
    ).encode()
    return WebhookRequest(
        channel_type="generic",
        channel_id=channel_id,
        kind="receive",
        url=f"http://testserver/c/generic/{channel_id}/receive",
        body=body,
        headers={
            "Content-Type": "application/json",
            GENERIC_SIGNATURE_HEADER: generic_signature_header(GENERIC_SECRET, body),
        },
    )


def _task_statuses(database: WorkerDatabase, task_path: str) -> list[str]:
    rows = database.query(
        "SELECT status FROM django_tasks_database_dbtaskresult WHERE task_path = %s", (task_path,)
    )
    return [str(row[0]) for row in rows]


def _stored(database: WorkerDatabase, provider_message_id: str) -> int:
    rows = database.query(
        "SELECT COUNT(*) FROM channels_message WHERE provider_message_id = %s",
        (provider_message_id,),
    )
    return int(rows[0][0])


class Worker:
    """`palermo worker` as its own process, its log in a file."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    str(ROOT / "manage.py"),
                    "worker",
                    "--interval",
                    "0.2",
                    "--max-backoff",
                    "2",
                ],
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def enqueue_ping(self, message: str) -> str:
        """Enqueue the worker's ping task through Django in another process; its id."""
        completed = subprocess.run(
            [
                sys.executable,
                str(ROOT / "manage.py"),
                "shell",
                "-c",
                f"from palermo.worker.tasks import ping; print(ping.enqueue({message!r}).id)",
            ],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        return completed.stdout.strip().splitlines()[-1]

    def stop(self) -> int:
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


REPLAY = "palermo.channels.tasks.replay_spool"


@pytest.mark.django_db(transaction=True)
def test_worker_survives_a_database_outage_and_catches_up(tmp_path: Path, settings: Any) -> None:
    channel = make_channel("generic", address="527")  # committed: it is copied with the rest
    var_dir = tmp_path / "var"
    settings.PALERMO_CHANNELS = {
        **settings.PALERMO_CHANNELS,
        "SPOOL_DIR": var_dir / "spool" / "channels",  # the worker's spool (VAR_DIR's default)
    }
    database: WorkerDatabase = (
        PostgreSQLDatabase() if connection.vendor == "postgresql" else SQLiteDatabase(tmp_path)
    )
    worker: Worker | None = None
    try:
        worker = Worker(worker_environment(database.url, var_dir), tmp_path / "worker.log")
        # Up and running: its periodic job (the spool replay, every 5 s) has run once.
        wait_until(
            lambda: "SUCCESSFUL" in _task_statuses(database, REPLAY),
            timeout=60,
            what="the worker's first periodic spool replay",
        )
        runs_before = len(_task_statuses(database, REPLAY))

        database.take_away()
        # A gateway's message arrives meanwhile: the webhook spools it (as handle() does).
        spool.write(spooled_webhook(str(channel.public_id), "during-outage-1"), verified=False)
        wait_until(
            lambda: UNAVAILABLE in worker.output(),  # type: ignore[union-attr]
            timeout=30,
            what="the worker to notice the outage",
        )
        time.sleep(6)  # several attempts, with the wait growing to --max-backoff (2 s)
        assert worker.alive(), worker.output()
        assert worker.output().count(UNAVAILABLE) == 1  # once per outage, not per attempt
        assert BACK not in worker.output()

        database.bring_back()
        ping_id = worker.enqueue_ping("after the outage")
        wait_until(
            lambda: bool(
                database.query(
                    "SELECT 1 FROM django_tasks_database_dbtaskresult "
                    "WHERE id = %s AND status = 'SUCCESSFUL'",
                    (ping_id.replace("-", "") if database.url.startswith("sqlite") else ping_id,),
                )
            ),
            timeout=60,
            what="the task enqueued after the outage to run",
        )
        wait_until(
            lambda: _stored(database, "during-outage-1") == 1 and not spool.spooled_files(),
            timeout=60,
            what="the message spooled during the outage to be replayed",
        )
        assert len(_task_statuses(database, REPLAY)) > runs_before  # periodic jobs resumed
        output = worker.output()
        assert output.count(UNAVAILABLE) == 1 and output.count(BACK) == 1, output
        assert worker.alive()
    finally:
        exit_code = worker.stop() if worker is not None else 0
        database.remove()
    assert exit_code == 0  # stopped by SIGTERM, cleanly
