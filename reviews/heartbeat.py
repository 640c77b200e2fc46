"""A thread that keeps a long background job's `heartbeat_at` fresh while one long call
(a WeasyPrint layout) reports nothing on its own: the packages' and the synthesis
drafts' builds, whose stall detection reads that column."""

import logging
import threading
from collections.abc import Callable

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
                    self.beat()
                except Exception:  # e.g. a locked SQLite table: the next beat may pass
                    logger.exception("Heartbeat of %s failed", self.name)
        finally:
            connection.close()

    def stop(self):
        self.stopped.set()
        self.join()
