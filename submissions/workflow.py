"""Every state change of a written input, and nothing else.

One function per transition, on top of one core (`_transition`) that, inside a
transaction: locks the input's row, checks the actor's right and the current state
against the table below, changes the state, takes a version when the transition
says so, appends a `ReviewEvent`, and queues the e-mails for after the commit.

Views of both apps call these functions; `reviews` imports this module, this module
never imports `reviews`.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from . import search, tasks
from .checklist import Problem, submission_problems
from .models import InputVersion, ReviewComment, ReviewEvent, Status, WrittenInput
from .snapshots import content_queryset, take_snapshot

LEAD_SECRETARIAT = "lead_secretariat"
REVIEWER = "reviewer"


class TransitionRefused(Exception):
    """A transition that may not happen now; the message says why, for the person."""

    def __init__(self, message: str, problems: list[Problem] | None = None):
        super().__init__(message)
        self.message = message
        self.problems = problems or []


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[str]
    target: str
    actor: str
    takes_version: bool = False
    needs_message: bool = False
    email: str | None = None  # e-mail template sent to the secretariats after commit
    reviewer_email: str | None = None  # e-mail template sent to the target regions' reviewers
    releases_comments: bool = False  # a decision sends the reviewer's pending comments


TRANSITIONS = {
    t.name: t
    for t in (
        Transition(
            "submit",
            frozenset({Status.DRAFT}),
            Status.SUBMITTED,
            LEAD_SECRETARIAT,
            takes_version=True,
            email="input_submitted",
            reviewer_email="input_to_review",
        ),
        Transition(
            "resubmit",
            frozenset({Status.CHANGES_REQUESTED}),
            Status.SUBMITTED,
            LEAD_SECRETARIAT,
            takes_version=True,
            email="input_submitted",
            reviewer_email="input_to_review",
        ),
        Transition(
            "withdraw",
            frozenset({Status.DRAFT, Status.SUBMITTED, Status.CHANGES_REQUESTED}),
            Status.WITHDRAWN,
            LEAD_SECRETARIAT,
            needs_message=True,
            email="input_withdrawn",
            reviewer_email="input_withdrawn",  # only once it had reached them (see below)
        ),
        Transition(
            "request_changes",
            frozenset({Status.SUBMITTED}),
            Status.CHANGES_REQUESTED,
            REVIEWER,
            needs_message=True,
            email="input_changes_requested",
            releases_comments=True,
        ),
        Transition(
            "accept",
            frozenset({Status.SUBMITTED}),
            Status.ACCEPTED,
            REVIEWER,
            email="input_accepted",
            releases_comments=True,
        ),
        Transition(
            "decline",
            frozenset({Status.SUBMITTED}),
            Status.DECLINED,
            REVIEWER,
            needs_message=True,
            email="input_declined",
            releases_comments=True,
        ),
        Transition(
            "publish",
            frozenset({Status.ACCEPTED}),
            Status.PUBLISHED,
            REVIEWER,
            email="input_published",
        ),
        Transition(
            "unpublish",
            frozenset({Status.PUBLISHED}),
            Status.ACCEPTED,
            REVIEWER,
            needs_message=True,
            email="input_unpublished",
        ),
    )
}


def _may_act(actor_kind: str, user, written_input: WrittenInput) -> bool:
    if actor_kind == LEAD_SECRETARIAT:
        return WrittenInput.objects.led_by(user).filter(pk=written_input.pk).exists()
    if actor_kind == REVIEWER:
        return WrittenInput.objects.reviewable_by(user).filter(pk=written_input.pk).exists()
    raise ValueError(f"Unknown actor kind {actor_kind!r}")


def _state_changed_message(written_input: WrittenInput) -> str:
    """Names who moved the input to its current state, and when."""
    last = (
        written_input.events.filter(kind=ReviewEvent.Kind.TRANSITION)
        .select_related("actor")
        .order_by("-created_at", "-pk")
        .first()
    )
    status = written_input.get_status_display()
    if last is None or last.actor is None:
        return _("This input is “%(status)s” now; the action no longer applies.") % {
            "status": status
        }
    return _(
        "This input is “%(status)s” now (%(who)s, %(when)s); the action no longer applies."
    ) % {
        "status": status,
        "who": last.actor.get_full_name(),
        "when": date_format(timezone.localtime(last.created_at), "DATETIME_FORMAT"),
    }


def _transition(
    written_input: WrittenInput,
    name: str,
    *,
    by,
    message: str = "",
    check: Callable[[WrittenInput], None] | None = None,
    expected_version: int | None = None,
    after: Callable[[WrittenInput, int | None], None] | None = None,
) -> WrittenInput:
    transition = TRANSITIONS[name]
    with transaction.atomic():
        # The row lock makes two people acting at once take turns: the second sees the
        # state the first left and is refused with a message, never a double change.
        locked = WrittenInput.objects.select_for_update().get(pk=written_input.pk)
        if not _may_act(transition.actor, by, locked):
            raise TransitionRefused(_("You may not do this on this input."))
        # The state alone is not enough: "submitted" again after a resubmission looks
        # like the "submitted" the person saw. A decision names the edit version it was
        # made on, and anything that happened since refuses it.
        stale = expected_version is not None and locked.version != expected_version
        if locked.status not in transition.sources or stale:
            raise TransitionRefused(_state_changed_message(locked))
        if transition.needs_message and not message.strip():
            raise TransitionRefused(_("Please give a reason."))
        if check is not None:
            check(locked)

        from_status = locked.status
        locked.status = transition.target
        locked.version += 1  # an edit form opened before this is now stale
        locked.updated_by = by
        locked.save(update_fields=["status", "version", "updated_by", "updated_at"])

        version_number = None
        if transition.takes_version:
            version_number = (locked.versions.aggregate(last=Max("number"))["last"] or 0) + 1
            InputVersion.objects.create(
                input=locked,
                number=version_number,
                snapshot=take_snapshot(content_queryset().get(pk=locked.pk)),
                created_by=by,
            )
        else:
            version_number = (
                locked.versions.order_by("-number").values_list("number", flat=True).first()
            )
        event = ReviewEvent.objects.create(
            input=locked,
            kind=ReviewEvent.Kind.TRANSITION,
            actor=by,
            from_status=from_status,
            to_status=transition.target,
            message=message.strip(),
            version_number=version_number,
        )
        if after is not None:
            after(locked, version_number)
        if transition.releases_comments:
            ReviewComment.objects.filter(input=locked).pending().update(
                released_at=timezone.now(), released_with=event
            )
        # Reviewers hear of an input only once it has reached them.
        reviewers_know_it = transition.reviewer_email and locked.versions.exists()
        # Queued only once the change is committed, and robust: a failure to queue is
        # logged, never turned into an error for a change that has happened.
        for template, audience in (
            (transition.email, tasks.SECRETARIATS),
            (transition.reviewer_email if reviewers_know_it else None, tasks.REVIEWERS),
        ):
            if template:
                transaction.on_commit(
                    partial(tasks.send_event_email.enqueue, template, event.pk, audience),
                    robust=True,
                )
    return locked


def _checklist_met(today, *, first_submission: bool):
    def check(locked):
        loaded = content_queryset().get(pk=locked.pk)
        problems = submission_problems(loaded, today, first_submission=first_submission)
        if problems:
            raise TransitionRefused(_("The input is not ready to submit."), problems)

    return check


def submit_input(written_input: WrittenInput, *, by, today: datetime.date) -> WrittenInput:
    """Submit a draft to the reviewers of its regional reviews.

    Side effects: checks `by` is on the lead ISCM's secretariat and that the checklist
    (`checklist.submission_problems`) is empty on `today`, deadlines included; sets
    the status to submitted; increments `version`; takes `InputVersion` n+1; appends a
    transition event; after commit, queues the e-mails to the secretariats of the lead
    and partner ISCMs and to the reviewers of the target regions.
    Raises TransitionRefused (with `problems` when the checklist is not met).
    """
    return _transition(
        written_input, "submit", by=by, check=_checklist_met(today, first_submission=True)
    )


def resubmit_input(written_input: WrittenInput, *, by, today: datetime.date) -> WrittenInput:
    """Send an input back to the reviewers after they requested changes.

    Side effects: as `submit_input` (a new `InputVersion`, a transition event, the same
    e-mails), from the changes-requested state. The checklist applies except the
    deadlines: answering a change request is expected after the deadline has passed.
    """
    return _transition(
        written_input, "resubmit", by=by, check=_checklist_met(today, first_submission=False)
    )


def withdraw_input(written_input: WrittenInput, *, by, reason: str) -> WrittenInput:
    """Withdraw an input that is not accepted yet.

    Side effects: checks `by` is on the lead ISCM's secretariat and a reason is given;
    sets the status to withdrawn; increments `version`; appends a transition event with
    the reason; after commit, queues the e-mail to the secretariats of the lead and
    partner ISCMs, and to the reviewers when the input had been submitted.
    """
    return _transition(written_input, "withdraw", by=by, message=reason)


def set_publication_consent(written_input: WrittenInput, *, by, consent: bool) -> WrittenInput:
    """Give or take back the lead ISCM's consent to publish the input.

    Side effects: checks `by` is on the lead's secretariat and the input is not
    published yet; stores the choice; appends a consent event. No e-mail.
    """
    with transaction.atomic():
        locked = WrittenInput.objects.select_for_update().get(pk=written_input.pk)
        if not _may_act(LEAD_SECRETARIAT, by, locked):
            raise TransitionRefused(_("Only the lead ISCM's secretariat decides on publication."))
        if locked.status == Status.PUBLISHED:
            raise TransitionRefused(
                _("The input is published; consent can no longer be changed here.")
            )
        if locked.publication_consent == consent:
            return locked
        locked.publication_consent = consent
        locked.updated_by = by
        locked.save(update_fields=["publication_consent", "updated_by", "updated_at"])
        ReviewEvent.objects.create(
            input=locked,
            kind=ReviewEvent.Kind.CONSENT_GIVEN if consent else ReviewEvent.Kind.CONSENT_WITHDRAWN,
            actor=by,
        )
    return locked


def request_changes(
    written_input: WrittenInput, *, by, message: str, expected_version: int | None = None
) -> WrittenInput:
    """Send a submitted input back to its secretariats for changes.

    Side effects: checks `by` reviews a region the input targets, a message is given,
    and (when `expected_version` is given) nothing changed since the reviewer's page
    was loaded; sets the status to changes requested (editable again); increments
    `version`; appends a transition event with the message; releases the reviewer's
    pending comments to the secretariat, linked to that event; after commit, queues the
    e-mail (with the message and the comments) to the secretariats.
    """
    return _transition(
        written_input,
        "request_changes",
        by=by,
        message=message,
        expected_version=expected_version,
    )


def accept_input(
    written_input: WrittenInput,
    *,
    by,
    message: str = "",
    expected_version: int | None = None,
) -> WrittenInput:
    """Accept a submitted input at its latest version (the one packages include).

    Side effects: checks `by` reviews a target region and nothing changed since the
    page was loaded (`expected_version`); sets the status to accepted; increments
    `version`; appends a transition event; releases pending comments with it; queues
    the e-mail to the secretariats after commit.
    """
    return _transition(
        written_input, "accept", by=by, message=message, expected_version=expected_version
    )


def decline_input(
    written_input: WrittenInput, *, by, reason: str, expected_version: int | None = None
) -> WrittenInput:
    """Decline a submitted input, with a reason.

    Side effects: checks `by` reviews a target region, a reason is given and nothing
    changed since the page was loaded; sets the status to declined; increments
    `version`; appends a transition event with the reason; releases pending comments
    with it; queues the e-mail to the secretariats after commit.
    """
    return _transition(
        written_input, "decline", by=by, message=reason, expected_version=expected_version
    )


def publish_input(
    written_input: WrittenInput, *, by, expected_version: int | None = None
) -> WrittenInput:
    """Publish an accepted input whose lead ISCM consents.

    Side effects: checks `by` reviews a target region and that consent is given (read
    under the row lock, so a consent withdrawn a moment earlier wins); sets the status
    to published; increments `version`; records the publication date and the version
    made public and indexes its text for the public search; appends a transition event;
    queues the e-mail to the secretariats after commit.
    """

    def consent_given(locked):
        if not locked.publication_consent:
            raise TransitionRefused(
                _("The lead ISCM has not consented to publication: the input cannot be published.")
            )

    def record_publication(locked, version_number):
        locked.published_at = timezone.now()
        locked.published_version = version_number
        locked.save(update_fields=["published_at", "published_version"])
        search.index_input(locked)

    return _transition(
        written_input,
        "publish",
        by=by,
        check=consent_given,
        expected_version=expected_version,
        after=record_publication,
    )


def unpublish_input(
    written_input: WrittenInput, *, by, reason: str, expected_version: int | None = None
) -> WrittenInput:
    """Take a published input off the public portal (it stays accepted).

    Side effects: checks `by` reviews a target region and a reason is given; sets the
    status back to accepted; increments `version`; clears the publication date and
    version (the public pages stop showing it at once); appends a transition event;
    queues the e-mail to the secretariats after commit.
    """

    def clear_publication(locked, version_number):
        locked.published_at = locked.published_version = None
        locked.save(update_fields=["published_at", "published_version"])

    return _transition(
        written_input,
        "unpublish",
        by=by,
        message=reason,
        expected_version=expected_version,
        after=clear_publication,
    )


def grant_extension(
    written_input: WrittenInput,
    *,
    by,
    until: datetime.date,
    today: datetime.date,
    reason: str = "",
) -> WrittenInput:
    """Give an input a later deadline than its reviews' (never an earlier one).

    An extension is per input: it applies to every review the input targets.
    Side effects: checks `by` may extend it (`WrittenInput.objects.extendable_by`: a
    region `by` reviews, submitted or not since late drafts are who needs it, not
    withdrawn) and that `until` is after today and every target review's own deadline;
    stores the date; appends an extension event with the date and reason, visible to
    the secretariats. No e-mail.
    """
    with transaction.atomic():
        locked = WrittenInput.objects.select_for_update().get(pk=written_input.pk)
        if not WrittenInput.objects.extendable_by(by).filter(pk=locked.pk).exists():
            raise TransitionRefused(_("You may not do this on this input."))
        deadlines = [d for d in locked.target_reviews.values_list("deadline", flat=True) if d]
        latest = max([today, *deadlines])
        if until <= latest:
            raise TransitionRefused(
                _("An extension must be later than %(date)s (today and the reviews' deadlines).")
                % {"date": date_format(latest)}
            )
        locked.deadline_extension = until
        locked.updated_by = by
        locked.save(update_fields=["deadline_extension", "updated_by", "updated_at"])
        text = _("Deadline extended to %(date)s.") % {"date": date_format(until)}
        ReviewEvent.objects.create(
            input=locked,
            kind=ReviewEvent.Kind.EXTENSION,
            actor=by,
            message=f"{text} {reason.strip()}".strip(),
        )
    return locked
