"""`palermo worker` with the database backend: tasks run, periodic jobs enqueued once."""

from __future__ import annotations

import datetime
import io
import threading
from collections.abc import Iterator

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from palermo.worker import periodic
from palermo.worker.loop import WorkerLoop
from palermo.worker.models import PeriodicJobRun
from palermo.worker.periodic import enqueue_due_jobs, register_periodic
from palermo.worker.tasks import ping

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
PING = "palermo.worker.tasks.ping"
DAY = datetime.timedelta(days=1)


@task()
def explode() -> None:
    raise RuntimeError("boom")


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> dict[str, periodic.PeriodicJob]:
    """An empty registry for the test, so only the jobs it registers exist."""
    empty: dict[str, periodic.PeriodicJob] = {}
    monkeypatch.setattr(periodic, "_REGISTRY", empty)
    monkeypatch.setattr(periodic, "_warned", set())
    return empty


@pytest.fixture
def db_tasks() -> Iterator[None]:
    with override_settings(TASKS=DB_TASKS):
        yield


def work(*args: str) -> str:
    out = io.StringIO()
    call_command("worker", "--once", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.mark.django_db
@pytest.mark.usefixtures("db_tasks", "registry")
def test_worker_runs_enqueued_tasks() -> None:
    ok = ping.enqueue("hello")
    failing = explode.enqueue()
    assert ok.status == TaskResultStatus.READY

    assert "Ran 2 task(s)" in work()

    ok.refresh()
    assert ok.status == TaskResultStatus.SUCCESSFUL
    assert ok.return_value == "hello"
    failing.refresh()
    assert failing.status == TaskResultStatus.FAILED
    assert "boom" in failing.errors[0].traceback
    assert "Ran 0 task(s)" in work()  # nothing left


@pytest.mark.django_db
@pytest.mark.usefixtures("registry")
@override_settings(TASKS={"default": {**DB_TASKS["default"], "QUEUES": ["default", "reports"]}})
def test_worker_processes_only_the_queues_it_is_given() -> None:
    elsewhere = ping.using(queue_name="reports").enqueue()
    work("--queue-name", "default")
    elsewhere.refresh()
    assert elsewhere.status == TaskResultStatus.READY
    work("--queue-name", "default,reports")
    elsewhere.refresh()
    assert elsewhere.status == TaskResultStatus.SUCCESSFUL


@pytest.mark.django_db
@pytest.mark.usefixtures("db_tasks")
def test_due_periodic_jobs_are_enqueued_and_run_in_the_same_pass(
    registry: dict[str, periodic.PeriodicJob],
) -> None:
    register_periodic("ping", every=3600, task_path=PING)
    work()
    result = DBTaskResult.objects.get(task_path=PING)
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == "pong"
    work()  # within the hour: not again
    assert DBTaskResult.objects.filter(task_path=PING).count() == 1
    work("--no-periodic")
    assert DBTaskResult.objects.filter(task_path=PING).count() == 1


@pytest.mark.django_db
@pytest.mark.usefixtures("registry")
def test_worker_refuses_a_backend_that_is_not_the_database() -> None:
    with pytest.raises(CommandError, match="database backend"):
        call_command("worker", "--once")
    with override_settings(TASKS=DB_TASKS), pytest.raises(CommandError, match="nope"):
        call_command("worker", "--once", "--backend", "nope")


@pytest.mark.django_db
@pytest.mark.usefixtures("db_tasks", "registry")
def test_periodic_job_waits_for_its_interval() -> None:
    job = register_periodic("ping", every=DAY, task_path=PING)
    start = timezone.now()
    assert enqueue_due_jobs([job], now=start) == ["ping"]  # a new job is due at once
    assert enqueue_due_jobs([job], now=start + DAY - datetime.timedelta(seconds=1)) == []
    assert enqueue_due_jobs([job], now=start + DAY) == ["ping"]
    assert DBTaskResult.objects.filter(task_path=PING).count() == 2
    assert PeriodicJobRun.objects.get(name="ping").last_enqueued_at == start + DAY


@pytest.mark.django_db
@pytest.mark.usefixtures("db_tasks", "registry")
def test_only_one_of_two_schedulers_wins_a_claim() -> None:
    """Both schedulers saw the job due; the conditional UPDATE lets exactly one through."""
    job = register_periodic("ping", every=DAY, task_path=PING)
    now = timezone.now()
    assert periodic._due([job], now) == [job]
    assert periodic._due([job], now) == [job]  # the second one looks before the first claims
    assert [periodic.claim(job, now), periodic.claim(job, now)] == [True, False]
    # A scheduler with a slightly later clock does not get a second go within the interval.
    assert periodic.claim(job, now + datetime.timedelta(seconds=5)) is False


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("db_tasks", "registry")
def test_two_schedulers_running_at_once_enqueue_once() -> None:
    register_periodic("ping", every=DAY, task_path=PING)
    barrier = threading.Barrier(2)
    results: list[list[str]] = []
    errors: list[BaseException] = []
    real_due = periodic._due

    def due_then_wait(*args: object) -> list[periodic.PeriodicJob]:
        found = real_due(*args)  # type: ignore[arg-type]
        barrier.wait(timeout=10)  # both have read "due" before either claims
        return found

    def scheduler() -> None:
        from django.db import connection

        try:
            results.append(enqueue_due_jobs())
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    periodic._due = due_then_wait  # type: ignore[assignment]
    try:
        threads = [threading.Thread(target=scheduler) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        periodic._due = real_due  # type: ignore[assignment]
    assert not errors
    assert sorted(results) == [[], ["ping"]]
    assert DBTaskResult.objects.filter(task_path=PING).count() == 1


@pytest.mark.django_db
@pytest.mark.usefixtures("db_tasks", "registry")
def test_a_job_whose_task_is_missing_is_skipped_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    missing = register_periodic("later", every=60, task_path="palermo.nowhere.tasks.later")
    not_a_task = register_periodic("bad", every=60, task_path="palermo.worker.periodic.claim")
    good = register_periodic("ping", every=60, task_path=PING)
    assert enqueue_due_jobs([missing, not_a_task, good]) == ["ping"]
    assert enqueue_due_jobs([missing, not_a_task]) == []
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 2  # once per job, not once per tick
    assert not PeriodicJobRun.objects.filter(name__in=["later", "bad"]).exists()


@pytest.mark.usefixtures("registry")
def test_registering_is_idempotent_but_refuses_conflicts() -> None:
    from django.core.exceptions import ImproperlyConfigured

    first = register_periodic("ping", every=60, task_path=PING)
    assert register_periodic("ping", every=datetime.timedelta(seconds=60), task_path=PING) == first
    assert periodic.registered_jobs() == [first]
    with pytest.raises(ImproperlyConfigured, match="already registered"):
        register_periodic("ping", every=61, task_path=PING)
    with pytest.raises(ImproperlyConfigured, match="positive"):
        register_periodic("never", every=0, task_path=PING)


def test_audit_verification_is_registered_daily() -> None:
    jobs = {job.name: job for job in periodic.registered_jobs()}
    assert jobs["audit-verify"].every == DAY
    assert jobs["audit-verify"].task_path == "palermo.audit.tasks.verify_chain_task"


def test_shutdown_signal_wakes_the_idle_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    loop = WorkerLoop(queue_names=["*"], interval=60, backend_name="default", worker_id="t")
    monkeypatch.setattr("palermo.worker.loop.enqueue_due_jobs", lambda: [])
    monkeypatch.setattr(loop, "drain", lambda: 0)
    monkeypatch.setattr("palermo.worker.loop.close_old_connections", lambda: None)
    thread = threading.Thread(target=loop.serve)
    thread.start()
    loop.shutdown(15, None)
    thread.join(timeout=5)
    assert not thread.is_alive()  # did not sit out the 60-second wait
    assert loop.running is False


class _StopLoop(Exception):
    pass


def _recording_waits(loop: WorkerLoop, waits: list[float], *, stop_after: int) -> None:
    """Replace the loop's sleep: record each wait, and end the test's loop after a few."""

    def wait(timeout: float | None = None) -> bool:
        waits.append(float(timeout or 0))
        if len(waits) >= stop_after:
            loop.running = False
        return False

    loop._wake.wait = wait  # type: ignore[method-assign]


@pytest.mark.usefixtures("registry")
def test_database_errors_are_logged_once_per_outage_with_a_bounded_backoff(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from django.db import InterfaceError, OperationalError

    failures = [
        OperationalError("connection refused"),
        InterfaceError("connection already closed"),
        OperationalError("connection refused"),
        OperationalError("connection refused"),
        OperationalError("connection refused"),
    ]

    def claim() -> None:
        if failures:
            raise failures.pop(0)

    loop = WorkerLoop(
        queue_names=["*"], interval=0.5, backend_name="default", worker_id="t", max_backoff=5
    )
    monkeypatch.setattr(loop, "_claim_next", claim)
    closed: list[bool] = []
    monkeypatch.setattr("palermo.worker.loop.close_broken_connections", lambda: closed.append(True))
    monkeypatch.setattr("palermo.worker.loop.close_old_connections", lambda: None)
    waits: list[float] = []
    _recording_waits(loop, waits, stop_after=7)
    caplog.set_level("DEBUG", logger="palermo.worker")
    loop.serve()
    # 1, 2, 4, then capped at 5; after the recovery the ordinary interval; then a new outage
    # would start again at 1 (not reached here).
    assert waits == [1, 2, 4, 5, 5, 0.5, 0.5]
    assert len(closed) == 5  # every failure drops the connections
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 2
    assert warnings[0].startswith("Database unavailable (OperationalError: connection refused)")
    assert warnings[1].startswith("Database available again after")
    assert "5 failed attempt(s)" in warnings[1]


def test_a_new_outage_starts_the_backoff_afresh() -> None:
    from palermo.worker.loop import Outage

    outage = Outage(max_backoff=30)
    assert [outage.failed(RuntimeError("x")) for _ in range(7)] == [1, 2, 4, 8, 16, 30, 30]
    outage.recovered()
    assert not outage.ongoing
    assert outage.failed(RuntimeError("again")) == 1


@pytest.mark.django_db
@pytest.mark.usefixtures("db_tasks", "registry")
def test_a_task_interrupted_by_an_outage_goes_back_to_the_queue_and_runs(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from django.db import OperationalError

    result = ping.enqueue("after all")
    loop = WorkerLoop(queue_names=["*"], interval=0, backend_name="default", worker_id="t")
    real_run_task = loop.run_task
    seen: list[str] = []

    def run_task(db_task_result: DBTaskResult) -> None:
        seen.append(DBTaskResult.objects.get(id=db_task_result.id).status)
        if len(seen) == 1:
            # The database went away mid-task: not even the failure could be recorded.
            raise OperationalError("server closed the connection unexpectedly")
        real_run_task(db_task_result)

    monkeypatch.setattr(loop, "run_task", run_task)
    waits: list[float] = []
    _recording_waits(loop, waits, stop_after=2)
    loop.serve()
    assert seen == [TaskResultStatus.RUNNING, TaskResultStatus.RUNNING]  # claimed twice
    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == "after all"
    assert any("back in the queue" in r.getMessage() for r in caplog.records)


@pytest.mark.django_db
@pytest.mark.usefixtures("db_tasks", "registry")
def test_a_single_pass_reports_an_unavailable_database(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db import OperationalError

    def refuse() -> None:
        raise OperationalError("connection refused")

    monkeypatch.setattr(WorkerLoop, "_claim_next", lambda self: refuse())
    with pytest.raises(CommandError, match="database is unavailable"):
        call_command("worker", "--once", stdout=io.StringIO(), stderr=io.StringIO())
