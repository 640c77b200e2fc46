"""A compile whose worker died heals itself (issue 21): the live workers' recovery
(reviews/recovery.py, run at every worker beat) takes it over — compiled again once
automatically, then failed with the reason and the compiler e-mailed — with a line in
the package's history; a synthesis draft is failed; a compile request never passes a
dead run for one on its way. And a compile runs in a child process that dies with its
worker (reviews/package_child.py).

The last tests use real processes on PostgreSQL: a compile's child killed outright,
and two `manage.py db_worker` processes of which the one compiling is SIGKILLed."""

import datetime
import multiprocessing
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from iscm_portal import workers
from iscm_portal.models import WorkerHeartbeat
from reviews import package_child, recovery
from reviews.models import PackageEvent, RegionalPackage, SynthesisDraft
from reviews.packages import request_compile
from submissions.models import OutgoingEmail

from ..iscm_portal.test_workers import _database_url
from .test_packages import _accepted

ROOT = Path(__file__).resolve().parents[2]
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="a child or worker process shares the database"
)


def _ago(seconds: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(seconds=seconds)


def _stopped(package, *, silent: float, percent: int = 30):
    """`package` as a worker left it when it died `silent` seconds ago at `percent`."""
    beat = _ago(silent)
    RegionalPackage.objects.filter(pk=package.pk).update(
        status="running", started_at=beat, heartbeat_at=beat, percent=percent
    )
    package.refresh_from_db()
    return package


@pytest.fixture
def queued(world, compiler):
    _accepted(world, "Accepted input")
    package, _created = request_compile(world.reviews.amr, by=compiler, enqueue=False)
    return package


@pytest.mark.django_db
def test_a_dead_compile_is_compiled_again_once_then_failed_and_its_compiler_told(
    queued, compiler, settings, django_capture_on_commit_callbacks
):
    settings.PACKAGE_STALE_SECONDS = 60
    _stopped(queued, silent=61)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert recovery.recover() == {"packages": 1, "drafts": 0}
    # Queued again with a new task (run inline by the tests' task backend).
    assert len(callbacks) == 1
    queued.refresh_from_db()
    assert (queued.status, queued.attempt) == ("done", 2)
    [event] = PackageEvent.objects.filter(package=queued)
    assert event.attempt == 1
    assert event.message.startswith("The worker stopped at 30 % (no sign of life for 61 s)")
    assert "compiled again automatically (attempt 2)" in event.message

    # Attempt 2 dies too: failed for good, the compiler told through the outbox.
    mail.outbox.clear()
    _stopped(queued, silent=90, percent=60)
    RegionalPackage.objects.filter(pk=queued.pk).update(attempt=2)
    with django_capture_on_commit_callbacks(execute=True):
        assert recovery.recover()["packages"] == 1
    queued.refresh_from_db()
    assert queued.status == "failed" and queued.finished_at is not None
    assert "stopped at 60 % (no sign of life for 90 s) again after an automatic retry" in (
        queued.error
    )
    assert [e.attempt for e in queued.events.all()] == [1, 2]
    [message] = mail.outbox
    assert message.to == [compiler.email]
    assert "could not be compiled" in message.subject
    assert queued.error in message.body
    assert OutgoingEmail.objects.get(template="package_failed").to == compiler.email
    # Nothing left to take over.
    assert recovery.recover()["packages"] == 0


@pytest.mark.django_db
def test_a_compile_with_a_recent_heartbeat_is_left_alone(queued, settings):
    settings.PACKAGE_STALE_SECONDS = 60
    _stopped(queued, silent=20)
    assert recovery.recover()["packages"] == 0
    queued.refresh_from_db()
    assert queued.status == "running" and not queued.events.exists()


@pytest.mark.django_db
def test_the_history_is_on_the_package_page_and_a_retry_by_hand_starts_again_at_one(
    client, queued, compiler, settings, django_capture_on_commit_callbacks
):
    settings.PACKAGE_STALE_SECONDS = 60
    _stopped(queued, silent=120)
    RegionalPackage.objects.filter(pk=queued.pk).update(attempt=2)
    with django_capture_on_commit_callbacks(execute=True):
        recovery.recover()
    client.force_login(compiler)
    page = client.get(queued.get_absolute_url()).content.decode()
    assert "History of this compile" in page
    assert "again after an automatic retry" in page
    assert "Try again" in page
    response = client.post(reverse("reviews:package-retry", args=[queued.pk]))
    assert response.status_code == 302
    queued.refresh_from_db()
    assert (queued.status, queued.attempt) == ("queued", 1)


@pytest.mark.django_db
def test_a_dead_workers_run_is_taken_over_sooner_but_not_a_later_run(queued, settings):
    """The task rows reaped for a dead worker name their package: taken over once its
    heartbeat missed two beats, before PACKAGE_STALE_SECONDS; a run that started before
    that worker's claim, or long after it (another worker's), is left alone."""
    settings.PACKAGE_STALE_SECONDS = 60
    settings.PACKAGE_HEARTBEAT_SECONDS = 5
    _stopped(queued, silent=15)
    later_claim = queued.started_at + datetime.timedelta(seconds=1)
    dead = [("reviews.tasks.compile_package_task", [queued.pk], later_claim)]
    assert recovery.recover(dead_tasks=dead)["packages"] == 0
    # A run begun 35 s after the dead worker's claim is another worker's (the dead run
    # was taken over first): its late beats are not enough.
    settings.WORKER_STALE_SECONDS = 90
    dead = [("reviews.tasks.compile_package_task", [queued.pk], _ago(50))]
    assert recovery.recover(dead_tasks=dead)["packages"] == 0
    dead = [("reviews.tasks.compile_package_task", [queued.pk], _ago(30))]
    assert recovery.recover(dead_tasks=dead)["packages"] == 1
    queued.refresh_from_db()
    assert (queued.status, queued.attempt) == ("queued", 2)


@pytest.mark.django_db
def test_a_compile_request_never_calls_a_dead_run_nothing_changed(
    client, queued, compiler, settings
):
    settings.PACKAGE_STALE_SECONDS = 60
    _stopped(queued, silent=75)
    client.force_login(compiler)
    response = client.post(
        reverse("reviews:package-compile", args=[queued.review_id]), follow=True
    )
    queued.refresh_from_db()
    # Taken over first: the same version queued again (its task enqueued on commit).
    assert (queued.status, queued.attempt) == ("queued", 2)
    text = " ".join(str(m) for m in response.context["messages"])
    assert "is already being compiled" in text
    assert "Nothing changed" not in text


@pytest.mark.django_db
def test_a_dead_synthesis_draft_is_failed_by_the_recovery(world, settings):
    settings.PACKAGE_STALE_SECONDS = 60
    dead = SynthesisDraft.objects.create(
        review=world.reviews.amr,
        language="en",
        status="running",
        started_at=_ago(300),
        heartbeat_at=_ago(61),
    )
    alive = SynthesisDraft.objects.create(
        review=world.reviews.amr,
        language="fr",
        status="running",
        started_at=_ago(300),
        heartbeat_at=_ago(5),
    )
    assert recovery.recover()["drafts"] == 1
    dead.refresh_from_db()
    alive.refresh_from_db()
    assert dead.status == "failed" and "no sign of life for 60 s." in dead.error
    assert alive.status == "running"


@pytest.mark.django_db
def test_only_the_task_rows_of_dead_workers_are_reaped(settings):
    settings.WORKER_STALE_SECONDS = 90
    now = timezone.now()
    for worker, seen in (("alive", 10), ("dead", 100)):
        WorkerHeartbeat.objects.create(
            worker_id=worker, hostname="h", pid=1, started_at=_ago(600), seen_at=_ago(seen)
        )
    rows = {
        worker: DBTaskResult.objects.create(
            status=TaskResultStatus.RUNNING,
            args_kwargs={"args": [1], "kwargs": {}},
            task_path="reviews.tasks.build_synthesis_task",
            backend_name="default",
            run_after=_ago(600),
            started_at=_ago(300),
            worker_ids=[worker],
        )
        for worker in ("alive", "dead", "forgotten")  # "forgotten": no row at all
    }
    reaped = workers.recover(now)
    assert reaped == {"tasks": 2, "packages": 0, "drafts": 0}
    statuses = {w: DBTaskResult.objects.get(pk=r.pk).status for w, r in rows.items()}
    assert statuses == {"alive": "RUNNING", "dead": "FAILED", "forgotten": "FAILED"}
    dead = DBTaskResult.objects.get(pk=rows["dead"].pk)
    assert dead.finished_at == now
    assert import_string(dead.exception_class_path) is workers.WorkerDied
    assert "Worker dead stopped while running this task" in dead.traceback
    assert workers.recover()["tasks"] == 0


def _wait(condition, what: str, timeout: float = 120, logs=()):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    details = "\n".join(Path(log).read_text()[-3000:] for log in logs)
    raise AssertionError(f"{what} within {timeout} s\n{details}")


def _alive(pid: int) -> bool:
    """Whether process `pid` runs (a zombie waiting for its parent does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_the_compile_runs_in_a_child_process(world, compiler):
    _accepted(world, "Accepted input")
    package, _created = request_compile(world.reviews.amr, by=compiler, enqueue=False)
    result = package_child.compile_in_child(package.pk)
    assert result.status == "done", result.error
    assert result.file and result.page_count
    assert not multiprocessing.active_children()


def _kill_the_child_while_running(world, compiler, signal_number) -> RegionalPackage:
    """Compile in a child (from a thread), send the child `signal_number` once it
    runs the package, and return the package as compile_in_child left it."""
    for n in range(3):
        _accepted(world, f"Accepted input {n}")
    package, _created = request_compile(world.reviews.amr, by=compiler, enqueue=False)
    results = []

    def compile_it():
        try:
            results.append(package_child.compile_in_child(package.pk))
        finally:
            connection.close()

    thread = threading.Thread(target=compile_it)
    thread.start()
    try:
        _wait(
            lambda: RegionalPackage.objects.filter(pk=package.pk, status="running").exists(),
            "the child did not claim the package",
        )
        [child] = multiprocessing.active_children()
        os.kill(child.pid, signal_number)
    finally:
        thread.join(timeout=120)
    [result] = results
    return result


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_child_that_crashes_fails_the_package_with_a_message(world, compiler):
    result = _kill_the_child_while_running(world, compiler, signal.SIGKILL)
    assert result.status == "failed"
    assert "its process ended with code -9" in result.error
    assert not result.file


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_stop_signal_is_for_the_worker_the_child_finishes_the_compile(world, compiler):
    """systemd's SIGTERM reaches the whole group: the worker's first one lets the task
    finish, so the child must not die of it."""
    result = _kill_the_child_while_running(world, compiler, signal.SIGTERM)
    assert result.status == "done", result.error


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_compile_leaves_its_package_to_the_other_worker(
    world, compiler, settings, tmp_path
):
    """Two real workers; the one that claimed the compile is SIGKILLed while the package
    is running. The other one's recovery queues it again, compiles it, and reaps the
    dead worker's task row; nobody presses anything."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    for n in range(6):
        _accepted(world, f"Accepted input {n}")
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DEBUG": "0",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        # Seconds instead of minutes.
        "PACKAGE_HEARTBEAT_SECONDS": "1",
        "PACKAGE_STALE_SECONDS": "3",
        "WORKER_HEARTBEAT_SECONDS": "1",
        "WORKER_STALE_SECONDS": "3",
        "PACKAGE_RENDER_WORKERS": "1",
    }
    env.setdefault("SITE_URL", "http://testserver")
    env.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    processes, logs = {}, {name: tmp_path / f"{name}.log" for name in ("one", "two")}
    try:
        for name in ("one", "two"):
            with logs[name].open("w") as log:  # the worker keeps its own copy
                processes[name] = subprocess.Popen(
                    [sys.executable, "manage.py", "db_worker", "--no-reload", "--worker-id", name],
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=log,
                )
        _wait(lambda: WorkerHeartbeat.objects.count() == 2, "the workers did not start", 60)
        package, created = request_compile(world.reviews.amr, by=compiler)
        assert created

        compiles = DBTaskResult.objects.filter(task_path="reviews.tasks.compile_package_task")

        def claimed():
            if not RegionalPackage.objects.filter(pk=package.pk, status="running").exists():
                return None
            row = compiles.filter(status=TaskResultStatus.RUNNING).first()
            return row and row.worker_ids[-1]

        killed = _wait(claimed, "no worker claimed the package", logs=logs.values())
        pid = processes[killed].pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        processes[killed].kill()
        processes[killed].wait(timeout=30)
        # Its compile's child died with it: no orphan finishes the package.
        assert children, "the worker compiled in process"
        _wait(
            lambda: not any(_alive(int(child)) for child in children),
            "the killed worker's child outlived it",
            timeout=30,
        )
        survivor = "two" if killed == "one" else "one"

        def done():
            package.refresh_from_db()
            assert package.status != "failed", package.error
            return package.status == "done"

        _wait(done, "the package was not compiled by the other worker", logs=logs.values())
        assert package.attempt == 2
        [event] = package.events.all()
        assert "compiled again automatically (attempt 2)" in event.message
        dead_row = _wait(
            lambda: compiles.filter(status=TaskResultStatus.FAILED).first(),
            "the dead worker's task row was not reaped",
            logs=logs.values(),
        )
        assert dead_row.worker_ids == [killed]
        assert dead_row.exception_class_path == "iscm_portal.workers.WorkerDied"
        assert dead_row.finished_at is not None
        done_row = _wait(
            lambda: compiles.filter(status=TaskResultStatus.SUCCESSFUL).first(),
            "the other worker did not finish its task",
            logs=logs.values(),
        )
        assert done_row.worker_ids == [survivor]
        assert done_row.return_value == "done"
        assert not compiles.filter(status=TaskResultStatus.RUNNING).exists()
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()
