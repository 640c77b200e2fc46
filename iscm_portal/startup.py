"""The start check: a web process (or worker) whose DATABASE_URL names a database that
does not answer — a wrong port, a database that does not exist, a refused password —
stops at start with one clear message and a non-zero exit, instead of serving a 500 on
every page.

The same probe runs in four places, each once per start:
- gunicorn's master, before it binds its port or forks a worker
  (`gunicorn -c python:iscm_portal.gunicorn_config …`, `on_starting`);
- `manage.py runserver` (iscm_portal/management/commands/runserver.py);
- `manage.py db_worker` (iscm_portal/management/commands/db_worker.py);
- `manage.py check --deploy`, as the system check `iscm_portal.E001` (tagged `database`,
  so `check --deploy --tag database` runs it alone).

Not in wsgi.py: gunicorn loads the application again in every worker it starts, also
when it replaces one long after the start, and a worker that fails to load stops the
whole gunicorn; a database down for a minute would then stop the site for good.
Once started, a process rides out an outage: each request reconnects
(CONN_HEALTH_CHECKS) and /healthz says what is wrong meanwhile.
"""

import copy

from django.core import checks
from django.db import DatabaseError, connections
from django.db.utils import load_backend

# Seconds a PostgreSQL probe waits for the server to answer (a firewall that drops the
# packets would otherwise hold the start for minutes). DATABASE_URL's own
# ?connect_timeout= wins.
CONNECT_TIMEOUT = 10


def database_problems(aliases=None) -> list[str]:
    """One message per database (of `aliases`, default every configured one) that cannot
    be reached; an empty list when all answer. Each probe opens a connection of its own
    and closes it, so nothing is left open for a forked worker to share."""
    return [
        problem
        for alias in (aliases if aliases is not None else list(connections))
        if (problem := _probe(alias)) is not None
    ]


def _probe(alias: str) -> str | None:
    settings_dict = copy.deepcopy(connections.settings[alias])
    if settings_dict["ENGINE"] == "django.db.backends.postgresql":
        settings_dict["OPTIONS"].setdefault("connect_timeout", CONNECT_TIMEOUT)
    wrapper = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, alias)
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        # The driver's own words name the cause (connection refused, database "x" does
        # not exist, password authentication failed); they never repeat the password.
        reason = " ".join(str(error).split()) or type(error).__name__
        return f"The database {_where(settings_dict)} cannot be reached: {reason}"
    finally:
        wrapper.close()
    return None


def _where(settings_dict: dict) -> str:
    if settings_dict["ENGINE"] == "django.db.backends.postgresql":
        host = settings_dict["HOST"] or "localhost"
        port = settings_dict["PORT"] or "5432"
        user = f" as user {settings_dict['USER']!r}" if settings_dict["USER"] else ""
        return f"{settings_dict['NAME']!r} on {host}:{port}{user} (DATABASE_URL)"
    return f"{settings_dict['NAME']!r} (DATABASE_URL)"


def start_failure_message(problems: list[str]) -> str:
    return "\n".join(
        [
            "The portal cannot start:",
            *(f"  {problem}" for problem in problems),
            "Check DATABASE_URL (host, port, database name, user, password) and that "
            "PostgreSQL is running; then start again.",
        ]
    )


@checks.register(checks.Tags.database, deploy=True)
def check_database_reachable(app_configs=None, databases=None, **kwargs):
    """`check --deploy`: every database (or those `--database` names) answers. Django's
    own database checks run only when `--database` is given; this one runs without it
    too, since a deployment check that cannot see the database says nothing."""
    return [
        checks.Error(
            problem,
            hint="Check DATABASE_URL and that PostgreSQL is running.",
            id="iscm_portal.E001",
        )
        for problem in database_problems(databases)
    ]
