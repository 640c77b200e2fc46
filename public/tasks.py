"""Background tasks of the public site (django-tasks; run by `manage.py db_worker`).

The generated open-data files (`public/opendata_files.py`) are built here, queued after
the commit of every change of what is published (`submissions.public_tallies.
publication_changed`, connected in `public/apps.py`) and by a request that finds no file
for the current publication state."""

import logging
from functools import partial

from django.core.cache import cache
from django.db import transaction
from django_tasks import task

from . import opendata_files

# A request finding no file queues one build per scope and state, not one per request.
QUEUED_SECONDS = 60
logger = logging.getLogger(__name__)


@task()
def build_open_data(names: list[str] | None = None) -> int:
    """Build the generated open-data files of the scopes `names` (all: the whole
    archive and every open cycle) for the publication state now, unless built already;
    returns the number of scopes looked at."""
    scopes = [scope.name for scope in opendata_files.scopes_now(names)]
    for name in scopes:
        opendata_files.build(name)
    return len(scopes)


def publication_changed(sender, cycle_ids, **kwargs) -> None:
    """Receiver of `public_tallies.publication_changed`: queue a build of every scope
    once the change is committed (robust: a failure to queue is logged, and the next
    request queues it again)."""
    transaction.on_commit(partial(build_open_data.enqueue), robust=True)


def request_build(scope: opendata_files.Scope) -> None:
    """Queue a build of `scope`, once per publication state and QUEUED_SECONDS."""
    if cache.add(f"open-data-build:{scope.name}:{scope.key}", 1, QUEUED_SECONDS):
        try:
            build_open_data.enqueue([scope.name])
        except Exception:  # the request serves a file anyway
            logger.exception("Could not queue the open-data build of %s", scope.name)
            cache.delete(f"open-data-build:{scope.name}:{scope.key}")
