"""The task workers' heartbeat (iscm_portal/workers.py), which /healthz reads: written
when `manage.py db_worker` starts, refreshed by a thread while it runs, deleted when it
stops cleanly; left to go stale by a worker killed outright (shown with a real worker
process on PostgreSQL)."""

import datetime
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models.signals import post_save
from django.utils import timezone

from iscm_portal import workers
from iscm_portal.models import WorkerHeartbeat

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_beating_writes_the_row_first_and_deletes_it_at_the_end(settings):
    settings.WORKER_HEARTBEAT_SECONDS = 3600  # the thread never beats in this test
    with workers.beating("w-1"):
        row = WorkerHeartbeat.objects.get()
        assert (row.worker_id, row.pid) == ("w-1", os.getpid())
        assert row.started_at == row.seen_at
        assert workers.last_seen() == row.seen_at
    assert not WorkerHeartbeat.objects.exists()
    assert workers.last_seen() is None


@pytest.mark.django_db
def test_the_row_is_deleted_when_the_worker_stops_on_a_signal(settings):
    """db_worker's SIGTERM handler ends the command with SystemExit."""
    settings.WORKER_HEARTBEAT_SECONDS = 3600
    with pytest.raises(SystemExit), workers.beating("w-1"):
        raise SystemExit(0)
    assert not WorkerHeartbeat.objects.exists()


@pytest.mark.django_db
def test_a_starting_worker_forgets_rows_a_day_old_and_keeps_recent_ones(settings):
    settings.WORKER_HEARTBEAT_SECONDS = 3600
    now = timezone.now()
    for name, age in (("killed-long-ago", 25), ("killed-lately", 2)):
        seen = now - datetime.timedelta(hours=age)
        WorkerHeartbeat.objects.create(
            worker_id=name, hostname="h", pid=1, started_at=seen, seen_at=seen
        )
    with workers.beating("w-1"):
        names = set(WorkerHeartbeat.objects.values_list("worker_id", flat=True))
        assert names == {"killed-lately", "w-1"}


@pytest.mark.django_db(transaction=True)
def test_the_thread_keeps_seen_at_fresh(settings):
    settings.WORKER_HEARTBEAT_SECONDS = 0.05
    with workers.beating("w-1"):
        first = WorkerHeartbeat.objects.get().seen_at
        deadline = time.monotonic() + 10
        while WorkerHeartbeat.objects.get().seen_at == first:
            assert time.monotonic() < deadline, "the heartbeat thread did not beat"
            time.sleep(0.05)
        assert WorkerHeartbeat.objects.get().started_at == first


@pytest.mark.django_db(transaction=True)
def test_db_worker_command_beats_while_it_runs(settings):
    """The project's db_worker (not django-tasks-db's own) writes the row at start and
    deletes it at the end; --batch ends the worker once the queue is empty. Outside a
    test transaction: the worker closes a connection it finds inside one (PostgreSQL)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.WORKER_HEARTBEAT_SECONDS = 3600
    saved = []

    def record(sender, instance, created, **kwargs):
        saved.append((instance.worker_id, created))

    post_save.connect(record, sender=WorkerHeartbeat)
    try:
        call_command(
            "db_worker",
            "--batch",
            "--no-reload",
            "--no-startup-delay",
            "--worker-id",
            "batch-worker",
            verbosity=0,
        )
    finally:
        post_save.disconnect(record, sender=WorkerHeartbeat)
    assert saved == [("batch-worker", True)]
    assert not WorkerHeartbeat.objects.exists()


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{s['NAME']}"


def _wait_for_row(worker_id: str, timeout: float = 30) -> WorkerHeartbeat:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = WorkerHeartbeat.objects.filter(worker_id=worker_id).first()
        if row is not None:
            return row
        time.sleep(0.2)
    raise AssertionError(f"worker {worker_id} wrote no heartbeat within {timeout} s")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a worker process shares the db")
@pytest.mark.django_db(transaction=True)
def test_real_worker_processes_sigterm_deletes_the_row_sigkill_leaves_it(tmp_path):
    env = {**os.environ, "DATABASE_URL": _database_url(), "DEBUG": "0"}
    env.setdefault("SITE_URL", "http://testserver")
    env.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    processes = {}
    logs = {name: (tmp_path / f"{name}.log").open("w") for name in ("stopped", "killed")}
    try:
        for name in ("stopped", "killed"):
            processes[name] = subprocess.Popen(
                [sys.executable, "manage.py", "db_worker", "--no-reload", "--worker-id", name],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=logs[name],
            )
        for name in processes:
            row = _wait_for_row(name)
            assert row.pid == processes[name].pid, (tmp_path / f"{name}.log").read_text()
        processes["stopped"].send_signal(signal.SIGTERM)
        assert processes["stopped"].wait(timeout=30) == 0
        assert not WorkerHeartbeat.objects.filter(worker_id="stopped").exists()
        processes["killed"].kill()
        processes["killed"].wait(timeout=30)
        assert WorkerHeartbeat.objects.filter(worker_id="killed").exists()
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()
        for log in logs.values():
            log.close()
