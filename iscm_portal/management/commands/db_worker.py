"""`manage.py db_worker`: django-tasks-db's worker, with the start check
(iscm_portal/startup.py) and a heartbeat of its own (iscm_portal/workers.py) that
/healthz reads. Options and behaviour are otherwise django-tasks-db's."""

import os

from django.core.management.base import CommandError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

from iscm_portal import workers
from iscm_portal.startup import database_problems, start_failure_message


class Command(DatabaseWorkerCommand):
    def handle(self, *args, **options):
        problems = database_problems()
        if problems:
            raise CommandError(start_failure_message(problems))
        reloading = options["reload"] and not options["batch"]
        if reloading and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true":
            # The autoreloader's parent only watches the files and starts a child; the
            # child (this command again) runs the worker, and it is the one that beats.
            return super().handle(*args, **options)
        with workers.beating(options["worker_id"]):
            return super().handle(*args, **options)
