"""Liveness of the long background jobs (the packages' and the synthesis drafts'
builds): a thread that keeps a job's `heartbeat_at` fresh while one long call (a
WeasyPrint layout) reports nothing on its own, and the rule that fails the jobs no
worker took or whose heartbeat stopped."""

import datetime
import logging
import threading
from collections.abc import Callable

from django.conf import settings
from django.db import connection

logger = logging.getLogger(__name__)


class Heartbeat(threading.Thread):
    """Calls `beat()` every `every` seconds until stopped. A failed beat is logged and
    the next one tried (a missed beat only risks a false "stalled"), never the job's
    failure; the thread's own database connection is closed when it ends."""

    def __init__(self, name: str, every: float, beat: Callable[[], object]):
        super().__init__(name=f"{name}-heartbeat", daemon=True)
        self.every = every
        self.beat = beat
        self.stopped = threading.Event()

    def run(self):
        try:
            while not self.stopped.wait(self.every):
                try:
                    # A connection the database dropped (a restart) is opened anew.
                    connection.close_if_unusable_or_obsolete()
                    self.beat()
                except Exception:  # e.g. a locked SQLite table: the next beat may pass
                    logger.exception("Heartbeat of %s failed", self.name)
        finally:
            connection.close()

    def stop(self):
        self.stopped.set()
        self.join()


def fail_stale(model, *, now, never_started: str, stopped: str, timeout: int | None = None) -> int:
    """Mark as failed the jobs of `model` (a package or a synthesis draft: `status`,
    `queued_at`, `heartbeat_at`, `error`, `finished_at`) that no worker took within
    PACKAGE_QUEUE_TIMEOUT, or whose heartbeat is older than `timeout` seconds
    (PACKAGE_COMPILE_TIMEOUT by default). `never_started` and `stopped` are the
    messages, with `%(minutes)s` (`stopped` may say `%(seconds)s` instead). Two
    conditional UPDATEs; returns how many."""
    queue_timeout = settings.PACKAGE_QUEUE_TIMEOUT
    timeout = settings.PACKAGE_COMPILE_TIMEOUT if timeout is None else timeout
    failed = model.Status.FAILED
    never = model.objects.filter(
        status=model.Status.QUEUED,
        queued_at__lt=now - datetime.timedelta(seconds=queue_timeout),
    ).update(
        status=failed,
        error=never_started % {"minutes": max(1, round(queue_timeout / 60))},
        finished_at=now,
    )
    return never + model.objects.filter(
        status=model.Status.RUNNING,
        heartbeat_at__lt=now - datetime.timedelta(seconds=timeout),
    ).update(
        status=failed,
        error=stopped % {"minutes": max(1, round(timeout / 60)), "seconds": timeout},
        finished_at=now,
    )
