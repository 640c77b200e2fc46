"""gunicorn's settings for the portal, named at its start:

    gunicorn -c python:iscm_portal.gunicorn_config iscm_portal.wsgi -w 4 -b 127.0.0.1:8000

It adds one thing to the command line's settings: the start check
(iscm_portal/startup.py). `on_starting` runs once, in gunicorn's master, before it binds
its port or forks a worker; a database that does not answer stops gunicorn there with
the message and exit status 1, and nothing ever serves a 500 for it.
"""

import os
import sys


def on_starting(server):
    # Django is set up here, in the hook, not when gunicorn reads this file: settings
    # errors then stop gunicorn with their own message too.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iscm_portal.settings")
    import django  # noqa: PLC0415

    django.setup()
    from iscm_portal.startup import (  # noqa: PLC0415
        database_problems,
        start_failure_message,
    )

    problems = database_problems()
    if problems:
        sys.exit(start_failure_message(problems))
    server.log.info("Start check: the database answers.")
