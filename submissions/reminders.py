"""Deadline reminders: the daily e-mail that tells ISCM secretariats a regional review
they have not sent an input to is about to close.

`send_deadline_reminders` is the whole rule; `manage.py send_deadline_reminders`
(run daily by cron) only calls it and prints the result.
"""

import datetime
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import Prefetch

from . import emails
from .models import (
    ISCM,
    DeadlineReminder,
    InputVersion,
    Membership,
    RegionalReview,
    Status,
    WrittenInput,
)

logger = logging.getLogger(__name__)

# Days before the deadline at which a secretariat is reminded, earliest first.
REMINDER_DAYS = (14, 3)

TEMPLATE = "deadline_reminder"


@dataclass
class SentReminder:
    """One reminder step decided for one ISCM and one regional review.

    `recipients` is the number of active secretariat members it goes to (0 when the
    ISCM has none: the step is recorded all the same). `superseded` lists the less
    urgent steps recorded with it but never mailed (see `send_deadline_reminders`).
    `error` is set, after the commit, when the e-mail could not be sent.
    """

    review: RegionalReview
    iscm: ISCM
    days_before: int
    recipients: int
    days_left: int
    superseded: tuple[int, ...] = ()
    error: str = field(default="", compare=False)


def send_deadline_reminders(today: datetime.date, *, dry_run: bool = False) -> list[SentReminder]:
    """Remind the secretariats of the ISCMs that still owe an input to a regional
    review whose deadline is near. Safe to run any number of times a day.

    For every regional review open for inputs on `today` (any cycle) and every ISCM
    covering its region, a step d of REMINDER_DAYS is due when the days left are d or
    fewer, so a day the cron job missed is caught up the next day. Only the most
    urgent due step is mailed: when the 14- and the 3-day steps are both due and
    neither was sent (the cron job was down, or the review was created or its
    deadline moved late), the 3-day reminder goes out and the 14-day step is recorded
    as superseded, so nobody receives two reminders at once, nor a stale "14 days"
    one after the "3 days" one. An ISCM is skipped for a review when it already sent
    an input to it, as lead or as partner (at least one version, not withdrawn; a
    draft does not count).

    Side effects (none with `dry_run`, which only reports what would be sent):
    - creates one `DeadlineReminder` row per (review, ISCM, step) sent or superseded,
      `recipients` being the number of addresses the mail went to (0 for superseded
      steps and for ISCMs without active secretariat members, so they are not
      retried every day);
    - after each row commits, sends the `deadline_reminder` e-mail to the ISCM's
      active secretariat members, one message each; when sending fails, deletes the
      step's row again (so the next run retries it), logs the error and sets
      `error` on the returned item.
    Called inside a transaction, the e-mails wait for its commit.

    Returns the steps decided now, ordered by cycle, region and ISCM.
    """
    reviews = [
        review
        for review in RegionalReview.objects.open_on(today)
        .select_related("cycle", "region")
        .prefetch_related(
            Prefetch(
                "region__iscms",
                queryset=ISCM.objects.order_by("acronym").prefetch_related(
                    Prefetch(
                        "memberships",
                        queryset=Membership.objects.filter(
                            user__is_active=True, user__notify_deadline_reminders=True
                        )
                        .select_related("user")
                        .order_by("user__email"),
                        to_attr="active_memberships",
                    )
                ),
            )
        )
        .order_by("cycle__start_year", "cycle__slug", "region__code")
        # open_on() is the date window; status_on() also excludes a review whose
        # meeting has been held, and is the rule the portal shows everywhere else.
        if review.status_on(today) == RegionalReview.Status.OPEN
    ]
    if not reviews:
        return []
    review_ids = [review.pk for review in reviews]

    already = defaultdict(set)  # (review id, ISCM id) -> steps recorded
    for review_id, iscm_id, days_before in DeadlineReminder.objects.filter(
        review__in=review_ids
    ).values_list("review", "iscm", "days_before"):
        already[review_id, iscm_id].add(days_before)
    answered = _answered(review_ids)

    decided = []
    for review in reviews:
        days_left = review.days_left_on(today)
        due = sorted(d for d in REMINDER_DAYS if days_left <= d)
        if not due:
            continue
        step, *less_urgent = due
        for iscm in review.region.iscms.all():
            recorded = already[review.pk, iscm.pk]
            # The most urgent step already went out: any less urgent one left unsent
            # is stale now, and never mailed after it.
            if step in recorded or (review.pk, iscm.pk) in answered:
                continue
            addresses = [(m.user.email, m.user.language) for m in iscm.active_memberships]
            reminder = SentReminder(
                review=review,
                iscm=iscm,
                days_before=step,
                recipients=len(addresses),
                days_left=days_left,
                superseded=tuple(d for d in less_urgent if d not in recorded),
            )
            if dry_run or _record(reminder, addresses):
                decided.append(reminder)
    return decided


def _answered(review_ids) -> set[tuple[int, int]]:
    """(review id, ISCM id) pairs where the ISCM, as lead or partner, has an input
    targeting the review that was submitted at least once and is not withdrawn."""
    # Sent at least once is having a version, not a status: an input back with
    # changes requested was still sent, and a draft never was.
    submitted = WrittenInput.objects.filter(
        pk__in=InputVersion.objects.values("input"),
    ).exclude(status=Status.WITHDRAWN)
    links = WrittenInput.target_reviews.through.objects.filter(
        regionalreview__in=review_ids, writteninput__in=submitted
    )
    pairs = set(links.values_list("regionalreview", "writteninput__lead_iscm"))
    pairs.update(
        links.filter(writteninput__partner_iscms__isnull=False).values_list(
            "regionalreview", "writteninput__partner_iscms"
        )
    )
    return pairs


def _record(reminder: SentReminder, addresses: list[tuple[str, str]]) -> bool:
    """Record the step (and the steps it supersedes), and queue its e-mail for after
    the commit. False when another run recorded it first.

    Record first, send after the commit, rather than send first and record after:
    the unique constraint on (review, ISCM, step) is what stops two runs at once (a
    manual run during the cron run, two hosts with the same crontab) from both
    mailing, and it can only do that if the row exists before the mail goes out.
    The price is that a crash between the commit and the send loses that one
    reminder; a duplicate would be the price of the reverse, and it would happen on
    every overlapping run, not only on a crash. A lost reminder is also the lesser
    harm here: the deadline is on the dashboard and in the call for inputs, and a
    lost 14-day step is followed by the 3-day one. A refused send, far more likely
    than a crash (mail server down), is not lost: the outbox stores the message and
    retries it (submissions/outbox.py); if rendering or storing it fails, `_send`
    removes the row again so the next run retries it.
    """
    rows = [
        DeadlineReminder(
            review=reminder.review,
            iscm=reminder.iscm,
            days_before=reminder.days_before,
            recipients=reminder.recipients,
        ),
        *(
            DeadlineReminder(review=reminder.review, iscm=reminder.iscm, days_before=d)
            for d in reminder.superseded
        ),
    ]
    try:
        with transaction.atomic():
            DeadlineReminder.objects.bulk_create(rows)
            if addresses:
                transaction.on_commit(partial(_send, reminder, addresses))
    except IntegrityError:
        # Another run got there between our read and this insert: it sends the mail.
        return False
    return True


def _send(reminder: SentReminder, addresses: list[tuple[str, str]]) -> None:
    context = {
        "review": reminder.review,
        "region": reminder.review.region,
        "cycle": reminder.review.cycle,
        "iscm": reminder.iscm,
        "deadline": reminder.review.deadline,
        "days_left": reminder.days_left,
    }
    try:
        emails.send_templated(TEMPLATE, context, addresses)
    except Exception as error:
        # One mail server failure must not stop the other reminders of the run, and
        # the step must not count as sent: forget it so the next run tries again
        # (its superseded steps stay recorded: they were never to be mailed).
        logger.exception("Deadline reminder for %s, %s not sent", reminder.iscm, reminder.review)
        DeadlineReminder.objects.filter(
            review=reminder.review, iscm=reminder.iscm, days_before=reminder.days_before
        ).delete()
        reminder.error = str(error) or error.__class__.__name__
