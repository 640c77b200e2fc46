"""Recovery of the background jobs whose worker died, run by the live workers: every
`manage.py db_worker`'s heartbeat thread calls `recover` at each beat
(iscm_portal/workers.py), after it has reaped the task rows of the workers not seen for
WORKER_STALE_SECONDS, and hands over what those rows were running. No cron is needed
for a dead compile to be noticed; `manage.py fail_stale_packages` stays the safety net.

The rules themselves are where their jobs are: packages.recover_stale_packages (taken
over: compiled again once, then failed and the compiler told) and
synthesis_drafts.fail_stale_drafts (failed; the person asks again). Each step is a few
conditional UPDATEs, cheap enough to run every beat from every worker: two workers
recovering at once take a job over once.
"""

import datetime

from django.conf import settings
from django.utils import timezone

from . import packages, synthesis_drafts, tasks


def recover(
    now: datetime.datetime | None = None,
    dead_tasks: list[tuple[str, list, datetime.datetime]] = (),
) -> dict[str, int]:
    """Take over the packages and fail the synthesis drafts whose worker died: those
    without a heartbeat for PACKAGE_STALE_SECONDS, and the packages of `dead_tasks`
    ((task path, positional arguments, claimed at) of the reaped task rows). Returns
    how many of each."""
    now = now or timezone.now()
    compile_path = tasks.compile_package_task.module_path
    dead_runs = {}
    for path, args, claimed_at in dead_tasks:
        if path == compile_path and args:
            dead_runs[args[0]] = max(claimed_at, dead_runs.get(args[0], claimed_at))
    return {
        "packages": packages.recover_stale_packages(now, dead_runs),
        "drafts": synthesis_drafts.fail_stale_drafts(now, timeout=settings.PACKAGE_STALE_SECONDS),
    }
