"""A throw-away PostgreSQL server for one test session, built from the machine's own binaries.

The root conftest starts one when PALERMO_TEST_DB=postgresql. It uses pytest-postgresql's
executor (pg_ctl initdb/start/stop, waiting for the TCP port) with two twists:

* PostgreSQL refuses to run as root, and CI runs as root. As root, the executor is handed a
  two-line wrapper around pg_ctl that runs it as the `postgres` system user (which Debian's
  postgresql package creates), in a temporary directory that user owns.
* The data is disposable, so durability is switched off (fsync, synchronous_commit,
  full_page_writes): the suite spends its time on Django, not on disk flushes.

Clients (Django, pg_dump) connect over TCP on 127.0.0.1 with trust authentication, so they can
run as any user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pytest_postgresql.executors.proc import PostgreSQLExecutor

SERVER_USER = "postgres"  # the system user that runs the server, and the database superuser
HOST = "127.0.0.1"
RUNUSER = shutil.which("runuser") or "/usr/sbin/runuser"  # util-linux; sbin may be off PATH
DATABASE_NAME = "palermo"  # pytest-django creates test_palermo (test_palermo_gw0 … with xdist)
POSTGRES_OPTIONS = " ".join(
    f"-c {setting}"
    for setting in (
        f"listen_addresses={HOST}",
        "fsync=off",
        "synchronous_commit=off",
        "full_page_writes=off",
        "max_connections=200",
    )
)


def postgresql_bin_dir() -> Path:
    """The newest /usr/lib/postgresql/<version>/bin with a pg_ctl; PALERMO_PG_BIN overrides it."""
    override = os.environ.get("PALERMO_PG_BIN")
    if override:
        return Path(override)
    found = sorted(
        (pg_ctl.parent for pg_ctl in Path("/usr/lib/postgresql").glob("*/bin/pg_ctl")),
        key=lambda bin_dir: float(bin_dir.parent.name),
    )
    if not found:
        raise RuntimeError(
            "No PostgreSQL server binaries in /usr/lib/postgresql/*/bin. "
            "Install them (apt-get install postgresql; `make test` does) or set PALERMO_PG_BIN."
        )
    return found[-1]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _pg_ctl_as_server_user(pg_ctl: Path, workdir: Path) -> Path:
    """A pg_ctl stand-in that runs the real one as the postgres user (for when we are root)."""
    wrapper = workdir / "pg_ctl-as-postgres"
    # cd first: the postgres user cannot read root's working directory, and pg_ctl checks it.
    script = [
        "#!/bin/sh",
        f'cd "{workdir}" || exit 1',
        f'exec "{RUNUSER}" -u {SERVER_USER} -- "{pg_ctl}" "$@"',
    ]
    wrapper.write_text("\n".join(script) + "\n", encoding="utf-8")
    wrapper.chmod(stat.S_IRWXU)
    return wrapper


@dataclass
class PostgreSQLTestServer:
    """A running server; `url` is what Django (via dj-database-url) and clients connect with."""

    executor: PostgreSQLExecutor
    workdir: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgres://{SERVER_USER}@{HOST}:{self.port}/{DATABASE_NAME}"

    @classmethod
    def start(cls) -> PostgreSQLTestServer:
        pg_ctl = postgresql_bin_dir() / "pg_ctl"
        workdir = Path(tempfile.mkdtemp(prefix="palermo-pg-"))
        executable = pg_ctl
        if os.geteuid() == 0:
            try:
                server_user = pwd.getpwnam(SERVER_USER)
            except KeyError as exc:
                raise RuntimeError(
                    f"Running as root, the test server must run as the '{SERVER_USER}' user, "
                    "which does not exist: install Debian's postgresql package."
                ) from exc
            os.chown(workdir, server_user.pw_uid, server_user.pw_gid)
            executable = _pg_ctl_as_server_user(pg_ctl, workdir)
        port = _free_port()
        executor = PostgreSQLExecutor(
            executable=str(executable),
            host=HOST,
            port=port,
            datadir=str(workdir / "data"),
            unixsocketdir=str(workdir),
            logfile=str(workdir / "server.log"),
            startparams="-w",
            dbname=DATABASE_NAME,
            user=SERVER_USER,
            postgres_options=POSTGRES_OPTIONS,
            timeout=120,
        )
        try:
            executor.start()
        except Exception:
            log = workdir / "server.log"
            if log.exists():
                print(log.read_text(encoding="utf-8", errors="replace")[-4000:])
            shutil.rmtree(workdir, ignore_errors=True)
            raise
        return cls(executor=executor, workdir=workdir, port=port)

    def stop(self) -> None:
        try:
            if self.executor.running():
                self.executor.stop()
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)
