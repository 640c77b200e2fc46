"""What /healthz checks, for a load balancer or a monitor: the database answers, every
migration of this code is applied, a task worker was seen lately, the storage takes a
file. Each check gives a small dict (`{"ok": true}`, or `{"ok": false, "error": …}`);
the reasons are short and fixed (the URL is public), the details go to the log.

The costs, per probe: four queries (a SELECT 1, the migration table's existence and its
rows, the newest worker heartbeat), reading the migration files' graph, and one tiny
file written and deleted through the storage.
"""

import datetime
import logging
import secrets

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from . import workers

logger = logging.getLogger(__name__)

CHECKS = ("database", "migrations", "worker", "storage")


def report() -> dict:
    """{"status": "ok" | "fail", "checks": {name: {"ok": …, …}}}, every name of CHECKS.
    When the database does not answer, the checks that read it are not tried (each
    would wait for the same dead connection) and say so."""
    checks = {"database": _database()}
    if checks["database"]["ok"]:
        checks["migrations"] = _migrations()
        checks["worker"] = _worker()
    else:
        checks["migrations"] = checks["worker"] = {
            "ok": False,
            "error": "not checked: the database does not answer",
        }
    checks["storage"] = _storage()
    failing = [name for name, result in checks.items() if not result["ok"]]
    if failing:
        logger.warning(
            "Health check failing: %s",
            "; ".join(f"{name}: {checks[name]['error']}" for name in failing),
        )
    return {"status": "fail" if failing else "ok", "checks": checks}


def _database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        logger.warning("Health check: the database does not answer: %s", error)
        return {"ok": False, "error": "the database does not answer"}
    return {"ok": True}


def _migrations() -> dict:
    """Unapplied migrations: the code is newer than the database (`manage.py migrate`
    was not run for this release)."""
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as error:
        logger.warning("Health check: the migrations cannot be read: %s", error)
        return {"ok": False, "error": "the applied migrations cannot be read"}
    if plan:
        return {
            "ok": False,
            "error": f"{len(plan)} migrations not applied",
            "unapplied": len(plan),
        }
    return {"ok": True}


def _worker() -> dict:
    limit = settings.WORKER_SEEN_SECONDS
    try:
        seen = workers.last_seen()
    except DatabaseError as error:  # e.g. the table itself is one of the missing migrations
        logger.warning("Health check: the workers' heartbeats cannot be read: %s", error)
        return {"ok": False, "error": "the workers' heartbeats cannot be read"}
    if seen is None:
        return {"ok": False, "error": "no task worker has ever been seen"}
    seconds_ago = max(0, round((timezone.now() - seen).total_seconds()))
    if seen < timezone.now() - datetime.timedelta(seconds=limit):
        return {
            "ok": False,
            "error": f"no task worker seen in the last {limit} seconds",
            "seen_seconds_ago": seconds_ago,
        }
    return {"ok": True, "seen_seconds_ago": seconds_ago}


def _storage() -> dict:
    """A tiny file saved and deleted through Django's storage (a disk folder or a bucket),
    at the top of it and under a random name, so probes never collide and leave nothing."""
    try:
        name = default_storage.save(f".healthz-{secrets.token_hex(8)}", ContentFile(b"ok"))
        default_storage.delete(name)
    except Exception as error:  # any backend's failure (OSError, S3 errors…)
        logger.warning("Health check: the storage does not take a file: %r", error)
        return {"ok": False, "error": "the storage does not take a file"}
    return {"ok": True}
