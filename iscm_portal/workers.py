"""Which task workers are alive, for /healthz (iscm_portal/health.py) and for the
workers' own recovery of each other's work.

django-tasks-db keeps no record of its workers, only of the tasks they claimed. Each
`manage.py db_worker` (iscm_portal/management/commands/db_worker.py) therefore keeps one
WorkerHeartbeat row fresh: written when it starts, `seen_at` refreshed every
WORKER_HEARTBEAT_SECONDS by a thread (so a worker busy with a long compile still
counts), deleted when it stops cleanly. A worker killed outright leaves its row to go
stale: SIGKILL, or in development (`--reload`, DEBUG's default) the autoreloader's
parent, which kills its child when it is itself stopped. The row's `worker_id` is the
one django-tasks-db writes on the tasks the worker claims.

Each beat also runs the recovery (`recover`): the task rows RUNNING for a worker not
seen for WORKER_STALE_SECONDS are reaped (marked FAILED, the library's own status, with
`WorkerDied` as their error; never deleted), and reviews/recovery.py takes over the
packages and synthesis drafts whose worker died. A failed recovery is logged by the
heartbeat thread and tried again at the next beat.
"""

import datetime
import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from reviews import recovery
from reviews.heartbeat import Heartbeat

from .models import WorkerHeartbeat

logger = logging.getLogger(__name__)

# Rows of workers killed outright (no clean stop to delete them) are removed by the next
# worker that starts, once they are this old.
FORGET_AFTER = datetime.timedelta(days=1)


@contextmanager
def beating(worker_id: str) -> Iterator[None]:
    """Keep `worker_id`'s heartbeat fresh while the block runs. The first beat is written
    before the block starts (a database error stops the worker there); the row is deleted
    when the block ends, also by an exception (a signal's SystemExit)."""
    now = timezone.now()
    WorkerHeartbeat.objects.filter(seen_at__lt=now - FORGET_AFTER).delete()
    beat(worker_id)
    heartbeat = Heartbeat(
        "worker", settings.WORKER_HEARTBEAT_SECONDS, lambda: beat_and_recover(worker_id)
    )
    heartbeat.start()
    try:
        yield
    finally:
        heartbeat.stop()
        WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


def beat(worker_id: str) -> None:
    """Refresh the worker's row, or write it (first beat, or after someone deleted it)."""
    now = timezone.now()
    if not WorkerHeartbeat.objects.filter(worker_id=worker_id).update(seen_at=now):
        WorkerHeartbeat.objects.create(
            worker_id=worker_id,
            hostname=socket.gethostname(),
            pid=os.getpid(),
            started_at=now,
            seen_at=now,
        )


def beat_and_recover(worker_id: str) -> None:
    """One beat of a running worker: its own row, then the others' dead work."""
    beat(worker_id)
    recover()


class WorkerDied(Exception):
    """The error recorded on a task row whose worker died while running it."""


def recover(now: datetime.datetime | None = None) -> dict[str, int]:
    """Reap the task rows of dead workers and take over the work they left (see the
    module's doc). Returns how many of each: {"tasks", "packages", "drafts"}."""
    now = now or timezone.now()
    dead = reap_dead_tasks(now)
    counts = recovery.recover(
        now, [(row["task_path"], row["args_kwargs"]["args"], row["started_at"]) for row in dead]
    )
    return {"tasks": len(dead), **counts}


def reap_dead_tasks(now: datetime.datetime) -> list[dict]:
    """Mark FAILED the task rows RUNNING for longer than WORKER_STALE_SECONDS whose
    worker (the last of `worker_ids`) has no heartbeat row seen within it. One SELECT of
    the running rows (a handful), then one conditional UPDATE per dead row. Returns the
    rows reaped (id, task_path, args_kwargs, started_at, worker_ids)."""
    stale = now - datetime.timedelta(seconds=settings.WORKER_STALE_SECONDS)
    alive = set(
        WorkerHeartbeat.objects.filter(seen_at__gte=stale).values_list("worker_id", flat=True)
    )
    running = DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=stale
    ).values("id", "task_path", "args_kwargs", "started_at", "worker_ids")
    reaped = []
    for row in running:
        worker = row["worker_ids"][-1] if row["worker_ids"] else ""
        if worker in alive:
            continue
        error = WorkerDied(
            f"Worker {worker or '?'} stopped while running this task: no heartbeat for "
            f"{settings.WORKER_STALE_SECONDS} s. Reaped by the other workers' recovery."
        )
        if DBTaskResult.objects.filter(id=row["id"], status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.FAILED,
            finished_at=now,
            exception_class_path=f"{WorkerDied.__module__}.{WorkerDied.__qualname__}",
            traceback=f"{WorkerDied.__qualname__}: {error}\n",
            return_value=None,
        ):
            logger.warning("Task %s reaped: %s", row["id"], error)
            reaped.append(row)
    return reaped


def last_seen() -> datetime.datetime | None:
    """When the most recently seen worker last beat (None: no worker ever recorded)."""
    return WorkerHeartbeat.objects.order_by("-seen_at").values_list("seen_at", flat=True).first()
