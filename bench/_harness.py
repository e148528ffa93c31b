"""What the page benchmarks share: a PostgreSQL server, Palermo's production server, the
machine's description, CPU accounting and latency percentiles (127.0.0.1 only).

Modelled on bench/intake.py (which keeps its own copy: it also stops and restarts its database
in the middle of a run). Not a benchmark itself: `make bench` skips bench/_*.py.
"""

from __future__ import annotations

import base64
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PYTHON = sys.executable
PALERMO = str(Path(PYTHON).parent / "palermo")
HOST = "127.0.0.1"


def percentiles(values: list[float]) -> dict[str, float | None]:
    """p50/p95/p99/max/mean in milliseconds of latencies in seconds."""
    if not values:
        return {"p50": None, "p95": None, "p99": None, "max": None, "mean": None, "n": 0}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)

    return {
        "p50": at(0.50),
        "p95": at(0.95),
        "p99": at(0.99),
        "max": round(ordered[-1] * 1000, 2),
        "mean": round(statistics.fmean(ordered) * 1000, 2),
        "n": len(ordered),
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


# --- PostgreSQL -----------------------------------------------------------------------------


class PostgreSQL:
    """A PostgreSQL server from the machine's binaries, durable (fsync and synchronous_commit
    on), in a throw-away directory or in `workdir` when it is to be kept between runs."""

    OPTIONS = (
        f"-c listen_addresses={HOST} -c max_connections=300 -c shared_buffers=512MB "
        "-c fsync=on -c synchronous_commit=on -c max_wal_size=4GB -c checkpoint_timeout=15min "
        "-c effective_cache_size=4GB -c work_mem=16MB -c maintenance_work_mem=512MB "
        "-c random_page_cost=1.1"
    )

    def __init__(self, workdir: Path | None = None) -> None:
        from tests.postgresql_server import SERVER_USER, postgresql_bin_dir

        self.keep = workdir is not None
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="palermo-bench-pg-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.bin_dir = postgresql_bin_dir()
        self.executable = self.bin_dir / "pg_ctl"
        self.user = SERVER_USER
        if os.geteuid() == 0:
            import pwd

            from tests.postgresql_server import _pg_ctl_as_server_user

            owner = pwd.getpwnam(SERVER_USER)
            os.chown(self.workdir, owner.pw_uid, owner.pw_gid)
            self.executable = _pg_ctl_as_server_user(self.bin_dir / "pg_ctl", self.workdir)
        self.datadir = self.workdir / "data"
        self.port = free_port()

    @property
    def initialised(self) -> bool:
        return (self.datadir / "PG_VERSION").exists()

    @property
    def url(self) -> str:
        return f"postgres://{self.user}@{HOST}:{self.port}/palermo"

    def dsn(self, database: str = "palermo") -> str:
        return f"host={HOST} port={self.port} user={self.user} dbname={database}"

    def _pg_ctl(self, *args: str) -> None:
        subprocess.run([str(self.executable), *args], check=True, capture_output=True)

    def init(self) -> None:
        self._pg_ctl(
            "initdb", "-D", str(self.datadir), "-o", f"--username={self.user} --auth=trust -E UTF8"
        )

    def start(self) -> None:
        self._pg_ctl(
            "start", "-w", "-t", "300", "-D", str(self.datadir),
            "-l", str(self.workdir / "server.log"),
            "-o", f"{self.OPTIONS} -p {self.port} -k {self.workdir}",
        )  # fmt: skip

    def stop(self) -> None:
        self._pg_ctl("stop", "-w", "-t", "300", "-D", str(self.datadir), "-m", "fast")

    def create_database(self) -> None:
        import psycopg

        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute("CREATE DATABASE palermo")

    def version(self) -> str:
        import psycopg

        with psycopg.connect(self.dsn()) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            return str(row[0]) if row else "?"

    def execute(self, sql: str, *, autocommit: bool = True) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(self.dsn(), autocommit=autocommit) as conn:
            cursor = conn.execute(sql)  # type: ignore[call-overload]
            return list(cursor.fetchall()) if cursor.description else []

    def postmaster_pid(self) -> int:
        try:
            return int((self.datadir / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return 0

    def close(self) -> None:
        """Stop the server; remove its files unless they are kept."""
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass
        if not self.keep:
            shutil.rmtree(self.workdir, ignore_errors=True)


# --- Palermo --------------------------------------------------------------------------------


def palermo_env(database_url: str, var_dir: Path, keys: dict[str, str]) -> dict[str, str]:
    """Production settings, throw-away secrets, the bare baseline endpoint switched on.

    `keys`: {"PALERMO_KEYS": ..., "PALERMO_INDEX_KEY": ...}: kept with a kept database,
    whose encrypted columns need them.
    """
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY=base64.b64encode(os.urandom(48)).decode(),
        DJANGO_ALLOWED_HOSTS=HOST,
        PALERMO_SSL_REDIRECT="0",
        DATABASE_URL=database_url,
        PALERMO_VAR_DIR=str(var_dir),
        PALERMO_ACTIVE_KEY_ID="b1",
        PALERMO_KEY_FILE="",
        PALERMO_BENCH_BARE_ENDPOINT="1",
        PALERMO_LOG_LEVEL="WARNING",
        **keys,
    )
    return env


def load_keys(path: Path) -> dict[str, str]:
    """The vault keys stored beside a kept database (made on first use, readable by us only)."""
    if path.exists():
        return dict(json.loads(path.read_text(encoding="utf-8")))
    keys = {"PALERMO_KEYS": f"b1:{new_key()}", "PALERMO_INDEX_KEY": new_key()}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(keys, handle)
    return keys


def palermo(env: dict[str, str], *args: str, stream: bool = False, stdin: str = "") -> str:
    """Run a `palermo` command; its error stream goes to ours when `stream` (progress bars);
    `stdin` is its input (`palermo shell` runs a script given there)."""
    completed = subprocess.run(
        [PALERMO, *args],
        input=stdin or None,
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=None if stream else subprocess.PIPE,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        detail = (completed.stderr or "")[-3000:] + completed.stdout[-2000:]
        raise RuntimeError(f"palermo {' '.join(args[:2])} failed:\n{detail}")
    return completed.stdout


class Server:
    """`palermo serve` (gunicorn, production settings) on a free port of 127.0.0.1."""

    def __init__(self, env: dict[str, str], log_dir: Path, workers: int, threads: int) -> None:
        self.env = env
        self.log_dir = log_dir
        self.workers = workers
        self.threads = threads
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid if self.process else 0

    def start(self) -> None:
        log = open(self.log_dir / "server.log", "ab")  # noqa: SIM115 - the process owns it
        self.process = subprocess.Popen(
            [
                PALERMO, "serve", "--bind", f"{HOST}:{self.port}",
                "--workers", str(self.workers), "--threads", str(self.threads),
            ],
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                request = urllib.request.Request(  # noqa: S310 - our own http URL
                    f"{self.base_url}/c/_bare", data=b"{}", method="POST"
                )
                with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                time.sleep(0.3)
        raise RuntimeError(f"The server did not start; see {self.log_dir / 'server.log'}")

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# --- CPU accounting -------------------------------------------------------------------------

_TICKS = os.sysconf("SC_CLK_TCK")


def _process_table() -> dict[int, tuple[int, float]]:
    """pid → (parent pid, CPU seconds used so far by it and its reaped children)."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # utime + stime, and cutime + cstime: the CPU of children that exited and were
        # reaped (PostgreSQL backends whose connection closed), which would otherwise vanish
        # from the tree between two samples.
        used = sum(int(fields[i]) for i in (11, 12, 13, 14))
        table[int(entry.name)] = (int(fields[1]), used / _TICKS)
    return table


def _tree_cpu(table: dict[int, tuple[int, float]], root: int) -> float:
    children: dict[int, list[int]] = {}
    for pid, (parent, _cpu) in table.items():
        children.setdefault(parent, []).append(pid)
    total, stack, seen = 0.0, [root], set()
    while stack:
        pid = stack.pop()
        if pid in seen or pid not in table:
            continue
        seen.add(pid)
        total += table[pid][1]
        stack.extend(children.get(pid, []))
    return total


class CpuMeter:
    """CPU seconds used by named process trees (the server, PostgreSQL) between samples."""

    def __init__(self, roots: dict[str, Any]) -> None:
        self.roots = roots  # name → callable returning the root pid

    def sample(self) -> dict[str, float]:
        table = _process_table()
        return {name: _tree_cpu(table, int(pid())) for name, pid in self.roots.items()}

    @staticmethod
    def spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
        return {name: round(after[name] - before.get(name, 0.0), 2) for name in after}


# --- the machine ----------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    import django
    import gunicorn

    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": model,
        "memory_gb": memory_gb,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "platform": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "gunicorn": gunicorn.__version__,
    }
