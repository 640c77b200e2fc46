"""Background tasks of the input lifecycle (django-tasks; run by `manage.py db_worker`).

E-mails go through a task so a slow or failing mail server never delays or breaks the
request that caused them: the state change is committed and the person sees success;
a failed delivery is recorded on the task result (and retried by enqueuing again)."""

from django_tasks import task

from . import emails

SECRETARIATS = "secretariats"
REVIEWERS = "reviewers"
ADMINISTRATORS = "administrators"


@task()
def send_event_email(name: str, event_pk: int, audience: str = SECRETARIATS) -> int:
    """Send the e-mail `name` about the history event `event_pk` to the secretariats of
    the input's lead and partner ISCMs, to the reviewers of its target regions, or to
    the portal's administrators. Returns the number of messages sent."""
    if audience == REVIEWERS:
        return emails.notify_reviewers(name, event_pk)
    if audience == ADMINISTRATORS:
        return emails.notify_administrators(name, event_pk)
    return emails.notify_secretariats(name, event_pk)
