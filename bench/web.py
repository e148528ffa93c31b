"""Case pages benchmark: writes bench/results/web.json.

What it runs, on 127.0.0.1 only:

* a PostgreSQL server from the machine's binaries, durable (fsync and synchronous_commit on),
  loaded with the demo coalition and N generated cases (`palermo demo-data --size N --cases N`:
  1,000,000 persons and 1,000,000 cases in the full run, with their decisions, deadlines,
  referrals and case-worker staff). Loading is the slow part: --reuse-db keeps the database
  (and the vault keys it needs) in var/bench/ and loads it only when it is missing or was
  loaded with other parameters;
* Palermo's production server (`palermo serve`: gunicorn, production settings) with the bare
  baseline endpoint switched on (PALERMO_BENCH_BARE_ENDPOINT=1, as bench/intake.py does);
* a load generator in its own process (asyncio + aiohttp).

Sessions: 50 simulated users, each with its own signed-in session, of several organisations and
roles (case workers, supervisor, hotline operator, first responder, the competent authority,
the clinic's service provider, the police investigator, generated case-worker staff). The demo
users sign in through the real pages (password, then the TOTP code computed from the seed); the
others get sessions made server-side by the same functions the sign-in pages call
(django.contrib.auth.login, django_otp.login, the membership chosen), so the session data is
the same. Every user works for one membership.

Phases:
  open loop — every user makes one request per second (at a scheduled time; latency is measured
    from it, so a stall is not hidden) for --duration seconds: the case list (open cases, or
    filtered by status, stage, "mine", "overdue"; and next pages, following the page's own
    "Next" link) and the case detail of cases the user may see; p50/p95/p99 per page type;
  saturation — closed loop, --clients concurrent clients sending again as soon as answered,
    against the bare endpoint, the case list and the case detail in turn: throughput of each and
    the ratio page / bare (target ≥ 0.3), with p95 (target ≤ 100 ms in the open-loop phase);
  profile — the SQL each page runs (CaptureQueriesContext in a `palermo shell`), with
    EXPLAIN ANALYZE of every SELECT, for three users of different organisations.

    .venv/bin/python bench/web.py                       # full: 1M cases, 60 s (`make bench`)
    .venv/bin/python bench/web.py --quick               # 20,000 cases, 10 s
    .venv/bin/python bench/web.py --reuse-db            # keep / reuse the loaded database
    .venv/bin/python bench/web.py --cases 200000 --duration 30 --reuse-db
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from _harness import (
    PYTHON,
    ROOT,
    CpuMeter,
    PostgreSQL,
    Server,
    load_keys,
    machine,
    palermo,
    palermo_env,
    percentiles,
)

RESULTS = ROOT / "bench" / "results" / "web.json"
DB_ROOT = ROOT / "var" / "bench"
SEED = 2000
P95_TARGET_MS = 100.0
RATIO_TARGET = 0.3
NEXT_LINK = re.compile(r'href="\?([^"]*cursor=[^"]*)" rel="next"')
CASE_LINK = re.compile(r'href="/cases/([0-9a-f-]{36})/"')


@dataclass
class Scale:
    cases: int = 1_000_000
    persons: int = 1_000_000
    users: int = 50
    rate_per_user: float = 1.0
    duration: float = 60.0
    saturation_seconds: float = 20.0
    clients: int = 24
    # One thread per worker process: on the 2-core machines this runs on, 4 workers of 4
    # threads spent about a third more CPU per request (list and detail alike: 32 against
    # 24 ms) in contention for each process's interpreter lock, for no more throughput.
    server_workers: int = 4
    server_threads: int = 1
    detail_share: float = 0.5  # of requests; the rest are list pages


FULL = Scale()
QUICK = Scale(cases=20_000, persons=20_000, duration=10.0, saturation_seconds=8.0)


# --- the load generator (its own process) ---------------------------------------------------


class Browser:
    """One simulated user: a session cookie, the cases it may open, where it is in a list."""

    def __init__(self, session: dict[str, Any], statuses: list[str], stages: list[str]) -> None:
        self.cookie = f"{session['cookie_name']}={session['session_key']}"
        self.username = str(session["username"])
        self.cases: list[str] = session["cases"]
        self.worker = bool(session["works_cases"])
        self.statuses = statuses
        self.stages = stages
        self.next_page: str | None = None

    def list_url(self, rng: random.Random) -> tuple[str, str]:
        """(page type, path) of a list page: the next page when one was noted, or a first
        page with a mix of filters."""
        if self.next_page is not None and rng.random() < 0.6:
            url, self.next_page = self.next_page, None
            return "list_next", url
        self.next_page = None
        roll = rng.random()
        if roll < 0.35:
            params = "status=open"
        elif roll < 0.55:
            params = f"status={rng.choice(self.statuses)}"
        elif roll < 0.70:
            params = f"status=open&stage={rng.choice(self.stages)}"
        elif roll < 0.85 and self.worker:
            params = "status=open&mine=1"
        else:
            params = "status=open&overdue=1"
        return "list", f"/cases/?{params}"

    def detail_url(self, rng: random.Random) -> tuple[str, str] | None:
        if not self.cases:
            return None
        return "detail", f"/cases/{rng.choice(self.cases)}/"

    def pick(self, rng: random.Random, detail_share: float, only: str = "") -> tuple[str, str]:
        if only == "list":
            return self.list_url(rng)
        if only == "detail":
            return self.detail_url(rng) or self.list_url(rng)
        if rng.random() < detail_share:
            picked = self.detail_url(rng)
            if picked is not None:
                return picked
        return self.list_url(rng)

    def saw(self, kind: str, body: str) -> None:
        if kind.startswith("list"):
            found = NEXT_LINK.search(body)
            self.next_page = "/cases/?" + html.unescape(found.group(1)) if found else None


async def _generate(config: dict[str, Any]) -> dict[str, Any]:
    import aiohttp

    base = config["base_url"]
    mode = config["mode"]  # open | closed
    target = config["target"]  # pages | list | detail | bare
    duration = float(config["duration"])
    rate = float(config.get("rate_per_user") or 1.0)
    detail_share = float(config.get("detail_share", 0.5))
    rng = random.Random(config.get("seed", 1))
    browsers = [
        Browser(session, config["statuses"], config["stages"]) for session in config["sessions"]
    ]
    latencies: dict[str, list[float]] = {}
    statuses: dict[str, dict[str, int]] = {}
    errors: dict[str, int] = {}
    problems: list[str] = []
    ok_in_window: dict[str, int] = {}
    started = time.monotonic()
    deadline = started + duration

    async def one(session: aiohttp.ClientSession, browser: Browser, t0: float) -> None:
        if target == "bare":
            kind, method, path, body = "bare", "POST", "/c/_bare", b'{"id": "bench"}'
        else:
            only = "" if target == "pages" else target
            kind, path = browser.pick(rng, detail_share, only)
            method, body = "GET", b""
        headers = {"Cookie": browser.cookie, "Accept-Language": "en"}
        status = 0
        text = ""
        location = ""
        try:
            async with session.request(method, base + path, data=body or None, headers=headers,
                                       allow_redirects=False) as response:  # fmt: skip
                status = response.status
                location = response.headers.get("Location", "")
                text = await response.text()
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            name = type(exc).__name__
            errors[name] = errors.get(name, 0) + 1
        latency = time.monotonic() - t0
        if t0 <= deadline:
            latencies.setdefault(kind, []).append(latency)
            if status == 200:
                ok_in_window[kind] = ok_in_window.get(kind, 0) + 1
        by_kind = statuses.setdefault(kind, {})
        by_kind[str(status)] = by_kind.get(str(status), 0) + 1
        if status == 200:
            browser.saw(kind, text)
            if kind == "detail" and "C-" not in text:
                problems.append(f"{path}: no case reference in the page")
        elif len(problems) < 20:
            where = f" → {location}" if location else ""
            problems.append(f"{method} {path} ({browser.username}): {status}{where}")

    async def user_loop(session: aiohttp.ClientSession, browser: Browser) -> None:
        interval = 1.0 / rate
        next_at = started + rng.random() * interval
        while True:
            if mode == "open":
                now = time.monotonic()
                if next_at > now:
                    await asyncio.sleep(next_at - now)
                t0 = next_at
                next_at += interval
            else:
                t0 = time.monotonic()
            if t0 > deadline:
                return
            await one(session, browser, t0)

    clients = int(config.get("clients") or len(browsers))
    connector = aiohttp.TCPConnector(limit=clients + 10, force_close=False)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        if mode == "open":
            loops = [user_loop(session, b) for b in browsers]
        else:  # closed loop: `clients` clients, each acting as one of the users in turn
            loops = [user_loop(session, browsers[i % len(browsers)]) for i in range(clients)]
        await asyncio.gather(*loops)
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "mode": mode,
        "target": target,
        "duration_s": duration,
        "elapsed_s": round(time.monotonic() - started, 2),
        "clients": clients if mode == "closed" else len(browsers),
        "offered_per_s": round(len(browsers) * rate, 1) if mode == "open" else None,
        "ok_per_s": {k: round(v / duration, 1) for k, v in ok_in_window.items()},
        "ok_per_s_total": round(sum(ok_in_window.values()) / duration, 1),
        "latency_ms": {k: percentiles(v) for k, v in sorted(latencies.items())},
        "latency_ms_all": percentiles([x for v in latencies.values() for x in v]),
        "statuses": statuses,
        "errors": errors,
        "problems": problems[:20],
        "generator_cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
    }


def generator_main() -> None:
    config = json.loads(sys.stdin.read())
    try:
        import uvloop  # type: ignore[import-not-found]

        uvloop.install()
    except ImportError:
        pass
    sys.stdout.write(json.dumps(asyncio.run(_generate(config))))


def run_generator(config: dict[str, Any]) -> dict[str, Any]:
    completed = subprocess.run(
        [PYTHON, __file__, "--generate"],
        input=json.dumps(config),
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"load generator failed:\n{completed.stderr[-4000:]}")
    return dict(json.loads(completed.stdout))


# --- the database ---------------------------------------------------------------------------


def prepare_database(
    scale: Scale, reuse: bool, db_dir: Path
) -> tuple[PostgreSQL, dict[str, str], dict[str, Any]]:
    """A running server holding the load; returns it, the vault keys and how it was loaded."""
    marker = db_dir / "loaded.json"
    wanted = {"seed": SEED, "persons": scale.persons, "cases": scale.cases}
    if reuse and marker.exists():
        loaded = json.loads(marker.read_text(encoding="utf-8"))
        if {k: loaded.get(k) for k in wanted} == wanted:
            pg = PostgreSQL(db_dir)
            pg.start()
            keys = load_keys(db_dir / "keys.json")
            env = palermo_env(pg.url, db_dir / "var", keys)
            palermo(env, "migrate", "--noinput")  # migrations added since the load
            return pg, keys, {**loaded, "reused": True}
    if reuse and db_dir.exists():
        shutil.rmtree(db_dir)  # loaded with other parameters, or never finished
    if reuse:
        db_dir.mkdir(parents=True)
    pg = PostgreSQL(db_dir if reuse else None)
    keys = load_keys(pg.workdir / "keys.json")
    (pg.workdir / "var").mkdir(exist_ok=True)
    pg.init()
    pg.start()
    pg.create_database()
    env = palermo_env(pg.url, pg.workdir / "var", keys)
    started = time.monotonic()
    palermo(env, "migrate", "--noinput")
    began = time.monotonic()
    palermo(
        env, "demo-data", "--size", str(scale.persons), "--cases", str(scale.cases),
        "--seed", str(SEED), "--allow-production", stream=True,
    )  # fmt: skip
    load_seconds = round(time.monotonic() - began, 1)
    began = time.monotonic()
    pg.execute("VACUUM (ANALYZE)")
    vacuum_seconds = round(time.monotonic() - began, 1)
    sizes = pg.execute(
        "SELECT pg_size_pretty(pg_database_size('palermo')), "
        "(SELECT count(*) FROM cases_case), (SELECT count(*) FROM people_person), "
        "(SELECT count(*) FROM referrals_referral), (SELECT count(*) FROM cases_casedeadline), "
        "(SELECT count(*) FROM cases_casedecision), (SELECT count(*) FROM accounts_user)"
    )[0]
    loaded = {
        **wanted,
        "load_seconds": load_seconds,
        "vacuum_analyze_seconds": vacuum_seconds,
        "migrate_and_load_seconds": round(time.monotonic() - started, 1),
        "database_size": sizes[0],
        "rows": {
            "cases": sizes[1],
            "persons": sizes[2],
            "referrals": sizes[3],
            "deadlines": sizes[4],
            "decisions": sizes[5],
            "users": sizes[6],
        },
        "loaded_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    if reuse:
        marker.write_text(json.dumps(loaded, indent=2) + "\n", encoding="utf-8")
    return pg, keys, {**loaded, "reused": False}


# --- sessions -------------------------------------------------------------------------------

# Runs in `palermo shell` against the benchmark's database: makes server-side sessions and
# picks, for each user, cases it may see (a random sample of the generated ones and its
# newest). Prints one line: BENCH-JSON {...}.
SESSIONS_SCRIPT = r"""
import json, random
from django.conf import settings
from django.contrib.auth import login
from django.contrib.sessions.middleware import SessionMiddleware
from django.test import RequestFactory
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from palermo.accounts.actors import Actor
from palermo.accounts.models import Membership
from palermo.accounts.roles import ROLE_DEFAULT_PURPOSE, Perm, Role
from palermo.accounts.selectors import SESSION_MEMBERSHIP_KEY
from palermo.cases.access import cases_visible_to, visibility_branches
from palermo.cases.lifecycle import lifecycle_in_force
from palermo.cases.models import Case, CaseStatus
from palermo.cases.selectors import STATUS_FILTERS
from palermo.demo.cases_bulk import STAFF_PREFIX, case_public_id

SEED, TOTAL, USERS, REAL = %(seed)d, %(total)d, %(users)d, %(real)s
DEMO = ["caseworker", "supervisor", "caseworker2", "hotline", "responder", "multirole",
        "provider", "authority", "investigator"]

def actor(m):
    role = Role(m.role)
    return Actor(user=m.user, organisation=m.organisation, role=role,
                 purpose=ROLE_DEFAULT_PURPOSE[role])

def session_for(m):
    request = RequestFactory().get("/")
    SessionMiddleware(lambda r: None).process_request(request)
    request.user = m.user  # as AuthenticationMiddleware leaves it; otp_login checks it
    login(request, m.user, backend=settings.AUTHENTICATION_BACKENDS[0])
    device = TOTPDevice.objects.filter(user=m.user, confirmed=True).first()
    if device is not None:
        otp_login(request, device)
    request.session[SESSION_MEMBERSHIP_KEY] = m.pk
    request.session.save()
    return request.session.session_key

rng = random.Random(SEED)
demo = [m for u in DEMO for m in Membership.objects.filter(user__username=u)
        .select_related("user", "organisation").order_by("pk")]
staff = list(Membership.objects.filter(user__username__startswith=STAFF_PREFIX)
             .select_related("user", "organisation").order_by("user__username"))
by_org = {}
for m in staff:
    by_org.setdefault(m.organisation_id, []).append(m)
picked_staff, lists = [], [v for _, v in sorted(by_org.items())]
while lists and len(demo) + len(picked_staff) < USERS:
    for items in lists:
        if items and len(demo) + len(picked_staff) < USERS:
            picked_staff.append(items.pop(rng.randrange(len(items))))
    lists = [items for items in lists if items]
chosen = (demo + picked_staff)[:USERS]
while len(chosen) < USERS:  # few staff (a small load): users open a second session
    chosen.append(chosen[len(chosen) %% len(demo)])
out = []
for m in chosen:
    a = actor(m)
    if not a.can(Perm.CASE_VIEW):
        continue
    candidates = [case_public_id(SEED, rng.randrange(TOTAL), TOTAL) for _ in range(3000)]
    sample = [str(x) for x in cases_visible_to(a).filter(public_id__in=candidates)
              .values_list("public_id", flat=True)[:300]]
    newest = []
    for branch in visibility_branches(a)[1:]:
        newest += [str(x) for x in Case.objects.filter(branch).order_by("-opened_at", "-id")
                   .values_list("public_id", flat=True)[:40]]
    real = m.user.username in REAL and m.user.username != "multirole"
    if real:
        from palermo.demo.loader import demo_password, demo_totp_key
    out.append({
        "username": m.user.username, "organisation": m.organisation.name, "role": m.role,
        "membership": m.pk, "real_sign_in": real,
        "password": demo_password(SEED, m.user.username) if real else "",
        "totp_key": demo_totp_key(SEED, m.user.username) if real else "",
        "session_key": "" if real else session_for(m),
        "cookie_name": settings.SESSION_COOKIE_NAME,
        "works_cases": Case.objects.filter(case_worker=m.user).exists(),
        "cases": sorted(set(sample + newest)),
    })
lifecycle = lifecycle_in_force()
print("BENCH-JSON " + json.dumps({
    "sessions": out,
    "statuses": [s for s in STATUS_FILTERS if s != "open"],
    "stages": [s.key for s in lifecycle.stages if not s.is_closed],
}))
"""


def make_sessions(env: dict[str, str], scale: Scale, real: list[str]) -> dict[str, Any]:
    script = SESSIONS_SCRIPT % {
        "seed": SEED,
        "total": max(scale.cases, 1),
        "users": scale.users,
        "real": json.dumps(real),
    }
    output = palermo(env, "shell", "-c", script)
    line = next(x for x in output.splitlines() if x.startswith("BENCH-JSON "))
    return dict(json.loads(line[len("BENCH-JSON ") :]))


def totp_now(hex_key: str) -> str:
    """The current 6-digit TOTP code (RFC 6238: SHA-1, 30 s), as an authenticator app shows."""
    import hashlib
    import hmac
    import struct

    counter = struct.pack(">Q", int(time.time()) // 30)
    digest = hmac.new(bytes.fromhex(hex_key), counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


def sign_in(base_url: str, session: dict[str, Any]) -> str:
    """Sign in through the real pages (password, then the TOTP code); the session key."""
    import http.cookies
    import urllib.error
    import urllib.parse
    import urllib.request

    username = session["username"]
    cookies: dict[str, str] = {}

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)

    def call(path: str, form: dict[str, str] | None = None) -> tuple[int, str]:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(base_url + path, data=data)  # noqa: S310 - loopback
        request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()))
        try:
            response = opener.open(request, timeout=30)
        except urllib.error.HTTPError as exc:  # 302 (no redirect followed) and errors
            response = exc
        for header in response.headers.get_all("Set-Cookie") or []:
            jar = http.cookies.SimpleCookie()
            jar.load(header)
            for key, morsel in jar.items():
                cookies[key] = morsel.value
        return response.status, response.read().decode("utf-8", "replace")

    status, page = call("/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if token is None:
        raise RuntimeError(f"no CSRF token on the sign-in page ({status}): {page[:300]}")
    status, _ = call(
        "/accounts/login/",
        {
            "csrfmiddlewaretoken": token.group(1),
            "username": username,
            "password": session["password"],
            "next": "/cases/",
        },
    )
    if status != 302:
        raise RuntimeError(f"sign-in of {username} answered {status}")
    _, page = call("/accounts/second-factor/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    code = totp_now(session["totp_key"])
    status, _ = call(
        "/accounts/second-factor/",
        {"csrfmiddlewaretoken": token.group(1) if token else "", "code": code},
    )
    if status != 302:
        raise RuntimeError(f"second factor of {username} answered {status}")
    name = next(k for k in cookies if "session" in k)
    return cookies[name]


# --- profile: the queries of each page ------------------------------------------------------

PROFILE_SCRIPT = r"""
import json, re, time
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.conf import settings

SESSIONS = json.loads(%(sessions)r)
out = {}
for s in SESSIONS:
    client = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT_LANGUAGE="en")
    client.cookies[s["cookie_name"]] = s["session_key"]
    pages = {"list_open": "/cases/?status=open", "list_overdue": "/cases/?status=open&overdue=1",
             "list_all": "/cases/?status=all"}
    if s["works_cases"]:
        pages["list_mine"] = "/cases/?status=open&mine=1"
    if s["cases"]:
        pages["detail"] = "/cases/%%s/" %% s["cases"][0]
    first = client.get(pages["list_open"])
    found = re.search(r'href="\?([^"]*cursor=[^"]*)" rel="next"', first.content.decode())
    if found:
        pages["list_next"] = "/cases/?" + found.group(1).replace("&amp;", "&")
    result = {}
    for name, url in pages.items():
        client.get(url)  # warm
        with CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            response = client.get(url)
            elapsed = time.perf_counter() - began
        queries = []
        for q in captured.captured_queries:
            sql = q["sql"]
            entry = {"ms": round(float(q["time"]) * 1000, 2), "sql": sql[:600]}
            if sql.lstrip().upper().startswith("SELECT"):
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql)
                    plan = cursor.fetchone()[0]
                plan = plan[0] if isinstance(plan, list) else json.loads(plan)[0]
                entry["explain_ms"] = round(plan["Execution Time"], 2)
                nodes, stack = [], [plan["Plan"]]
                while stack:
                    node = stack.pop()
                    label = node["Node Type"]
                    if "Relation Name" in node:
                        label += " on " + node["Relation Name"]
                    if "Index Name" in node:
                        label += " using " + node["Index Name"]
                    nodes.append("%%s (rows %%s)" %% (label, node.get("Actual Rows")))
                    stack.extend(node.get("Plans", []))
                entry["plan"] = nodes[:12]
            queries.append(entry)
        result[name] = {"url": url, "status": response.status_code,
                        "ms": round(elapsed * 1000, 1), "queries": len(queries),
                        "sql_ms": round(sum(q["ms"] for q in queries), 2),
                        "all": ["%%6.2f ms  %%s" %% (q.get("explain_ms", q["ms"]), q["sql"][:150])
                                for q in queries],
                        "slowest": sorted(queries, key=lambda q: -q.get("explain_ms", q["ms"]))[:6]}
    out[s["username"] + " (" + s["role"] + ")"] = result
print("BENCH-JSON " + json.dumps(out))
"""


def profile(env: dict[str, str], sessions: list[dict[str, Any]]) -> dict[str, Any]:
    wanted = ("caseworker", "authority", "provider", "hotline")
    picked = [s for s in sessions if s["username"] in wanted and s["session_key"]]
    script = PROFILE_SCRIPT % {"sessions": json.dumps(picked)}
    output = palermo(env, "shell", stdin=script)
    line = next(x for x in output.splitlines() if x.startswith("BENCH-JSON "))
    return dict(json.loads(line[len("BENCH-JSON ") :]))


# --- the benchmark --------------------------------------------------------------------------


def measured(meter: CpuMeter, config: dict[str, Any]) -> dict[str, Any]:
    before = meter.sample()
    result = run_generator(config)
    spent = CpuMeter.spent(before, meter.sample())
    spent["generator"] = result.pop("generator_cpu_s")
    result["cpu_s"] = spent
    requests = sum(sum(v.values()) for v in result["statuses"].values()) or 1
    result["cpu_ms_per_request"] = {k: round(v * 1000 / requests, 2) for k, v in spent.items()}
    return result


def benchmark(scale: Scale, reuse: bool, db_dir: Path, quick: bool) -> dict[str, Any]:
    info = machine()
    pg, keys, load = prepare_database(scale, reuse, db_dir)
    var_dir = Path(tempfile.mkdtemp(prefix="palermo-bench-web-"))
    server: Server | None = None
    try:
        info["postgresql"] = pg.version()
        env = palermo_env(pg.url, var_dir, keys)
        palermo(env, "collectstatic", "--noinput", "--verbosity", "0")  # the pages' assets
        server = Server(env, var_dir, scale.server_workers, scale.server_threads)
        server.start()
        real = ["caseworker", "supervisor", "caseworker2", "hotline", "responder", "provider",
                "authority", "investigator"]  # fmt: skip
        made = make_sessions(env, scale, real)
        sessions = made["sessions"]
        signed_in = []
        for session in sessions:
            if session["real_sign_in"]:
                if session["username"] not in signed_in:
                    session["session_key"] = sign_in(server.base_url, session)
                    signed_in.append(session["username"])
                else:  # the same user twice (a small load): a second session server-side
                    session["session_key"] = next(
                        s["session_key"] for s in sessions if s["username"] == session["username"]
                    )
        meter = CpuMeter({"server": lambda: server.pid, "postgresql": pg.postmaster_pid})
        common = {
            "base_url": server.base_url,
            "sessions": sessions,
            "statuses": made["statuses"],
            "stages": made["stages"],
            "detail_share": scale.detail_share,
        }
        # Warm-up: every server thread connects, caches and compiles its templates.
        run_generator({**common, "mode": "closed", "target": "pages", "duration": 4,
                       "clients": 8, "seed": 99})  # fmt: skip
        open_loop = measured(
            meter,
            {**common, "mode": "open", "target": "pages", "duration": scale.duration,
             "rate_per_user": scale.rate_per_user, "seed": 1},
        )  # fmt: skip
        saturation: dict[str, Any] = {}
        for target in ("bare", "list", "detail"):
            saturation[target] = measured(
                meter,
                {**common, "mode": "closed", "target": target, "clients": scale.clients,
                 "duration": scale.saturation_seconds, "seed": 2},
            )  # fmt: skip
        queries = profile(env, sessions)
    except Exception:
        log = var_dir / "server.log"
        if log.exists():
            print(log.read_text(errors="replace")[-6000:], file=sys.stderr)
        raise
    finally:
        if server is not None:
            server.stop()
        pg.close()
        shutil.rmtree(var_dir, ignore_errors=True)

    def tput(target: str) -> float:
        return float(saturation[target]["ok_per_s_total"])

    def p95(result: dict[str, Any], kind: str) -> float | None:
        entry = result["latency_ms"].get(kind)
        return entry["p95"] if entry else None

    bare = tput("bare") or 0.001
    open_p95 = {kind: p95(open_loop, kind) for kind in ("list", "list_next", "detail")}
    errors_open = sum(
        n
        for kind in open_loop["statuses"].values()
        for status, n in kind.items()
        if status != "200"
    )
    summary = {
        "cases": scale.cases,
        "users": len(sessions),
        "open_loop_offered_per_s": open_loop["offered_per_s"],
        "open_loop_ok_per_s": open_loop["ok_per_s_total"],
        "open_loop_latency_ms": open_loop["latency_ms"],
        "open_loop_non_200": errors_open,
        "saturation_per_s": {t: tput(t) for t in saturation},
        "saturation_p95_ms": {
            "list": p95(saturation["list"], "list"),
            "detail": p95(saturation["detail"], "detail"),
            "bare": p95(saturation["bare"], "bare"),
        },
        "ratio_list_to_bare": round(tput("list") / bare, 3),
        "ratio_detail_to_bare": round(tput("detail") / bare, 3),
    }
    list_p95 = [v for v in (open_p95["list"], open_p95["list_next"]) if v is not None]
    summary["targets"] = {
        "p95_list_le_100_ms": bool(list_p95) and max(list_p95) <= P95_TARGET_MS,
        "p95_detail_le_100_ms": open_p95["detail"] is not None
        and open_p95["detail"] <= P95_TARGET_MS,
        "ratio_list_ge_0_3": summary["ratio_list_to_bare"] >= RATIO_TARGET,
        "ratio_detail_ge_0_3": summary["ratio_detail_to_bare"] >= RATIO_TARGET,
        "no_errors": errors_open == 0
        and all(not r["errors"] for r in (open_loop, *saturation.values())),
        "note": "reduced scale: the targets apply to the full run (1,000,000 cases)"
        if scale.cases < FULL.cases
        else "",
    }
    return {
        "benchmark": "web: case list and case detail pages",
        "scale": "quick (reduced)"
        if quick
        else ("full" if scale.cases >= FULL.cases else "reduced"),
        "parameters": asdict(scale),
        "targets": {"p95_ms": P95_TARGET_MS, "ratio_to_bare": RATIO_TARGET},
        "machine": info,
        "database": load,
        "sessions": {
            "count": len(sessions),
            "signed_in_through_pages": signed_in,
            "server_side": sorted({s["username"] for s in sessions} - set(signed_in)),
            "by_role": _count(s["role"] for s in sessions),
            "cases_known_per_user_median": sorted(len(s["cases"]) for s in sessions)[
                len(sessions) // 2
            ],
        },
        "summary": summary,
        "open_loop": open_loop,
        "saturation": saturation,
        "profile": queries,
        "server": {
            "command": f"palermo serve --workers {scale.server_workers} "
            f"--threads {scale.server_threads}",
            "settings": "config.settings.production",
            "postgresql": PostgreSQL.OPTIONS,
        },
    }


def _count(values: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return dict(sorted(counts.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--generate", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="20,000 cases, 10 s (shared machine)")
    parser.add_argument("--cases", type=int, help="generated cases (default 1,000,000)")
    parser.add_argument("--persons", type=int, help="demo persons (default: as many as cases)")
    parser.add_argument("--duration", type=float, help="seconds of the open-loop phase")
    parser.add_argument("--saturation-seconds", type=float, help="seconds of each saturation run")
    parser.add_argument("--users", type=int, help="simulated users (default 50)")
    parser.add_argument("--clients", type=int, help="concurrent clients at saturation")
    parser.add_argument("--workers", type=int, help="server worker processes")
    parser.add_argument("--threads", type=int, help="threads per server worker")
    parser.add_argument(
        "--reuse-db",
        action="store_true",
        help="keep the loaded database in var/bench/ and reuse it when it matches",
    )
    parser.add_argument("--db-dir", type=Path, help="where --reuse-db keeps the database")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.generate:
        generator_main()
        return
    scale = Scale(**asdict(QUICK if args.quick else FULL))
    for name in ("cases", "persons", "duration", "users", "clients"):
        if getattr(args, name) is not None:
            setattr(scale, name, getattr(args, name))
    if args.cases is not None and args.persons is None:
        scale.persons = args.cases
    if args.saturation_seconds:
        scale.saturation_seconds = args.saturation_seconds
    if args.workers:
        scale.server_workers = args.workers
    if args.threads:
        scale.server_threads = args.threads
    db_dir = args.db_dir or DB_ROOT / f"web-{scale.persons}-{scale.cases}"
    started = time.monotonic()
    result = benchmark(scale, args.reuse_db, db_dir, args.quick)
    result["total_seconds"] = round(time.monotonic() - started, 1)
    if args.reuse_db:
        result["database"]["kept_in"] = str(db_dir)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result["summary"], indent=2))
    print(f"wrote {args.output}")
    if not result["summary"]["targets"]["no_errors"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
