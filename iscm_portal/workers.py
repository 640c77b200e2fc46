"""Which task workers are alive, for /healthz (iscm_portal/health.py).

django-tasks-db keeps no record of its workers, only of the tasks they claimed. Each
`manage.py db_worker` (iscm_portal/management/commands/db_worker.py) therefore keeps one
WorkerHeartbeat row fresh: written when it starts, `seen_at` refreshed every
WORKER_HEARTBEAT_SECONDS by a thread (so a worker busy with a long compile still
counts), deleted when it stops cleanly. A worker killed outright leaves its row to go
stale: SIGKILL, or in development (`--reload`, DEBUG's default) the autoreloader's
parent, which kills its child when it is itself stopped. The row's `worker_id` is the
one django-tasks-db writes on the tasks the worker claims.
"""

import datetime
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.utils import timezone

from reviews.heartbeat import Heartbeat

from .models import WorkerHeartbeat

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
    heartbeat = Heartbeat("worker", settings.WORKER_HEARTBEAT_SECONDS, lambda: beat(worker_id))
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


def last_seen() -> datetime.datetime | None:
    """When the most recently seen worker last beat (None: no worker ever recorded)."""
    return WorkerHeartbeat.objects.order_by("-seen_at").values_list("seen_at", flat=True).first()
