"""`manage.py runserver` with the start check (iscm_portal/startup.py): a database that
does not answer stops the development server with the message and exit status 1.

It wraps whitenoise's runserver (which serves no static files itself), the one this app
replaces by coming first in INSTALLED_APPS."""

import os

from whitenoise.runserver_nostatic.management.commands.runserver import (
    Command as WhiteNoiseRunserverCommand,
)

from iscm_portal.startup import database_problems, start_failure_message


class Command(WhiteNoiseRunserverCommand):
    def inner_run(self, *args, **options):
        problems = database_problems()
        if problems:
            self.stderr.write(start_failure_message(problems))
            self.stderr.flush()
            # With the autoreloader this runs in a thread, where sys.exit would end the
            # thread only and leave the reloader waiting; Django's own runserver exits the
            # same way when its port is taken.
            os._exit(1)
        super().inner_run(*args, **options)
