"""Background tasks of the input lifecycle (django-tasks; run by `manage.py db_worker`).

E-mails go through a task so a slow or failing mail server never delays or breaks the
request that caused them: the state change is committed and the person sees success;
a failed delivery is recorded on the task result (and retried by enqueuing again)."""

from django_tasks import task

from . import emails


@task()
def send_event_email(name: str, event_pk: int) -> int:
    """Send the e-mail `name` about the history event `event_pk` to the secretariats
    of the input's lead and partner ISCMs. Returns the number of messages sent."""
    return emails.notify_secretariats(name, event_pk)
