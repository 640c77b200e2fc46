"""Durable e-mail: every notice is stored (`OutgoingEmail`) before it is sent, and one
the mail server does not take is tried again with back-off, then marked failed for an
administrator to send again (the staff pages' "E-mail problems"). Nothing is dropped
silently.

How a message travels:
- `queue(rows)` stores the rendered messages and makes the first attempt at once, in
  the same process (callers run after their transaction commits: in a task, or in an
  on_commit callback), so a working mail server sees no delay.
- A message that fails waits `BACKOFF[n]` after its n-th failed attempt (1 min, 5 min,
  30 min, 2 h, 6 h, 15 h: seven attempts over about 24 hours), then is `failed`.
- The retry is a task (`send_outgoing_email`) queued with `run_after` at the next
  attempt's time, so the task worker (`manage.py db_worker`) does it without a cron.
  The `send_queued_email` command sends whatever is due: the cron's safety net for a
  retry whose task was lost (a worker killed mid-send, a failed enqueue).
- Each run first claims its messages with one conditional UPDATE (status and due time
  in the WHERE clause, a fresh claim id set), so a task and the sweep, or two workers,
  never send the same message twice; a claim older than `STALE_CLAIM` belongs to a run
  that died and is taken over (the message may then go out twice: at least once,
  never lost).

A message that carries a secret the database must not hold (a password-reset link)
is stored without a body: `MADE_WHEN_SENT` names the function that makes it afresh at
each attempt from the row's `render_args`.
"""

import contextlib
import logging
import uuid
from datetime import timedelta

from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import task

from .models import OutgoingEmail

logger = logging.getLogger(__name__)

Status = OutgoingEmail.Status

# The wait after the 1st, 2nd, … failed attempt; after the last one the message fails.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
    timedelta(hours=15),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
# A message `sending` for longer than this belongs to a run that died.
STALE_CLAIM = timedelta(minutes=15)
# A retry task may start this much before the time it was queued for (the clocks of
# two machines differ a little); it still sends.
EARLY = timedelta(seconds=30)

# E-mails made when sent, not stored: template name → function(**render_args) that
# returns the message (None when it no longer applies, e.g. the account is gone).
MADE_WHEN_SENT = {"password_reset": "accounts.passwords.reset_message"}


def queue(rows: list[OutgoingEmail]) -> int:
    """Store `rows` (unsaved OutgoingEmail objects) and try to send them now. Returns
    how many were sent now; the others wait for their next attempt."""
    if not rows:
        return 0
    now, claim = timezone.now(), uuid.uuid4()
    for row in rows:
        # Stored already claimed by this run: no other run can take them meanwhile.
        row.status, row.claim, row.claimed_at, row.next_attempt_at = (
            Status.SENDING,
            claim,
            now,
            now,
        )
    return _send(OutgoingEmail.objects.bulk_create(rows), now)


def deliver(pks: list[int], *, now=None) -> int:
    """Send those of messages `pks` that are due and not held by another run; returns
    how many were sent. Those that failed get their retry task."""
    now = now or timezone.now()
    due = Q(pk__in=pks, status=Status.QUEUED, next_attempt_at__lte=now + EARLY)
    return _send(_claim(due, now), now)


def deliver_due(*, now=None) -> int:
    """Send every message that is due, and take over the messages of runs that died
    (`send_queued_email`, the cron's safety net). Returns how many were sent."""
    now = now or timezone.now()
    due = Q(status=Status.QUEUED, next_attempt_at__lte=now) | Q(
        status=Status.SENDING, claimed_at__lt=now - STALE_CLAIM
    )
    return _send(_claim(due, now), now)


@task()
def send_outgoing_email(pks: list[int]) -> int:
    """A later attempt at messages `pks` (queued with run_after at their next attempt's
    time); returns how many were sent."""
    return deliver(pks)


def send_again(pk: int) -> bool:
    """An administrator's "send again" of a failed (or still retrying) message: a fresh
    round of attempts, the first one at once by the task worker. False when the message
    was sent or is being sent meanwhile."""
    now = timezone.now()
    changed = OutgoingEmail.objects.filter(
        pk=pk, status__in=[Status.FAILED, Status.QUEUED]
    ).update(status=Status.QUEUED, attempts=0, next_attempt_at=now, claim=None)
    if changed:
        _enqueue([pk], run_after=None)
    return bool(changed)


def forget_sent(*, older_than: timedelta, now=None) -> int:
    """Delete the messages sent more than `older_than` ago (addresses and text of
    people's mail are not kept for ever); returns how many."""
    now = now or timezone.now()
    deleted, _ = OutgoingEmail.objects.filter(
        status=Status.SENT, sent_at__lt=now - older_than
    ).delete()
    return deleted


def problems():
    """Messages an administrator should know of: failed, or refused at least once and
    waiting for their next attempt, or held by a run that died."""
    return OutgoingEmail.objects.filter(
        Q(status=Status.FAILED)
        | Q(status=Status.QUEUED, attempts__gt=0)
        | Q(status=Status.SENDING, claimed_at__lt=timezone.now() - STALE_CLAIM)
    )


def _claim(due: Q, now) -> list[OutgoingEmail]:
    # One conditional UPDATE: a message another run claimed first no longer matches
    # `due`, so only this run's claim id selects it afterwards.
    claim = uuid.uuid4()
    if not OutgoingEmail.objects.filter(due).update(
        status=Status.SENDING, claim=claim, claimed_at=now
    ):
        return []
    return list(OutgoingEmail.objects.filter(claim=claim).order_by("pk"))


def _send(rows: list[OutgoingEmail], now) -> int:
    if not rows:
        return 0
    connection = get_connection()
    try:
        connection.open()  # one connection for the batch
    except Exception as error:
        for row in rows:
            _failed(row, error, now)
        _retry_later(rows)
        return 0
    sent = []
    try:
        for row in rows:
            try:
                message = _message(row, connection)
                if message is None:
                    _failed(row, None, now)
                elif connection.send_messages([message]) != 1:
                    raise OSError("The mail server did not take the message.")
                else:
                    sent.append(row.pk)
            except Exception as error:
                _failed(row, error, now)
    finally:
        # A connection that broke while sending may fail to close too; what each
        # message became is recorded already.
        with contextlib.suppress(Exception):
            connection.close()
    if sent:
        OutgoingEmail.objects.filter(pk__in=sent, claim=rows[0].claim).update(
            status=Status.SENT,
            attempts=F("attempts") + 1,
            sent_at=now,
            claim=None,
            next_attempt_at=None,
        )
    _retry_later(rows)
    return len(sent)


def _message(row: OutgoingEmail, connection):
    if row.render_args is not None:
        make = import_string(MADE_WHEN_SENT[row.template])
        message = make(**row.render_args)
        if message is None:
            return None
        message.connection = connection
    else:
        message = EmailMultiAlternatives(
            row.subject, row.text_body, to=[row.to], connection=connection
        )
        if row.html_body:
            message.attach_alternative(row.html_body, "text/html")
    if row.language:
        message.extra_headers.setdefault("Content-Language", row.language)
    return message


def _failed(row: OutgoingEmail, error: Exception | None, now) -> None:
    attempts = row.attempts + 1
    if error is None:
        # Nothing to send any more (e.g. the account that asked for a reset is gone).
        status, next_attempt_at = Status.FAILED, None
        last_error = "The message no longer applies: nothing was sent."
    else:
        last_error = f"{error.__class__.__name__}: {error}"[:2000]
        if attempts >= MAX_ATTEMPTS:
            status, next_attempt_at = Status.FAILED, None
        else:
            status, next_attempt_at = Status.QUEUED, now + BACKOFF[attempts - 1]
    OutgoingEmail.objects.filter(pk=row.pk, claim=row.claim).update(
        status=status,
        attempts=attempts,
        next_attempt_at=next_attempt_at,
        last_error=last_error,
        claim=None,
    )
    row.status, row.next_attempt_at = status, next_attempt_at
    log = logger.error if status == Status.FAILED else logger.warning
    log(
        "E-mail %s (%s) to %s not sent, attempt %s of %s: %s",
        row.pk,
        row.template,
        row.to,
        attempts,
        MAX_ATTEMPTS,
        last_error,
    )


def _retry_later(rows: list[OutgoingEmail]) -> None:
    waiting = [row for row in rows if row.status == Status.QUEUED]
    if waiting:
        _enqueue([row.pk for row in waiting], min(row.next_attempt_at for row in waiting))


def _enqueue(pks: list[int], run_after) -> None:
    # A failure to queue the retry is logged, never raised: the message is stored, and
    # `send_queued_email` sends it when it is due. A backend that cannot defer (the
    # tests' immediate backend) leaves later attempts to that command alone.
    retry = send_outgoing_email
    try:
        if run_after is not None:
            if not retry.get_backend().supports_defer:
                return
            retry = retry.using(run_after=run_after)
        retry.enqueue(pks)
    except Exception:
        logger.exception("Could not queue the sending of e-mails %s", pks)
