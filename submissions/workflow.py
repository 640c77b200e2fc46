"""Every state change of a written input, and nothing else.

One function per transition, on top of one core (`_transition`) that, inside a
transaction: locks the input's row, checks the actor's right and the current state
against the table below, changes the state, takes a version when the transition
says so, appends a `ReviewEvent`, and queues the e-mails for after the commit.

Reviewers decide per target regional review: request changes, accept and decline are
taken for the reviews of the actor's regions that are still pending (`InputTarget`),
and the input's status is derived from all its reviews' decisions (`derive_status`).

Views of both apps call these functions; `reviews` imports this module, this module
never imports `reviews`.

Longer than 600 lines on purpose: it is the one place where an input's state and its
reviews' decisions change (a rule of the design), and most of its length is the
docstrings that list each transition's side effects.
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

from . import search, tallies, tasks
from .checklist import Problem, submission_problems
from .models import (
    Decision,
    InputTarget,
    InputVersion,
    Region,
    RegionalReview,
    ReviewComment,
    ReviewerAssignment,
    ReviewEvent,
    Status,
    WrittenInput,
)
from .snapshots import content_queryset, take_snapshot

LEAD_SECRETARIAT = "lead_secretariat"
REVIEWER = "reviewer"
# A reviewer of a region whose review accepted the input (publication is theirs).
ACCEPTING_REVIEWER = "accepting_reviewer"


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
    # A reviewer's decision, taken for their regions' pending reviews; `target` is then
    # the input's status when every review decides the same (see `derive_status`).
    decision: str | None = None


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
            decision=Decision.CHANGES_REQUESTED,
        ),
        Transition(
            "accept",
            frozenset({Status.SUBMITTED}),
            Status.ACCEPTED,
            REVIEWER,
            email="input_accepted",
            releases_comments=True,
            decision=Decision.ACCEPTED,
        ),
        Transition(
            "decline",
            frozenset({Status.SUBMITTED}),
            Status.DECLINED,
            REVIEWER,
            needs_message=True,
            email="input_declined",
            releases_comments=True,
            decision=Decision.DECLINED,
        ),
        Transition(
            "publish",
            frozenset({Status.ACCEPTED}),
            Status.PUBLISHED,
            ACCEPTING_REVIEWER,
            email="input_published",
        ),
        Transition(
            "unpublish",
            frozenset({Status.PUBLISHED}),
            Status.ACCEPTED,
            ACCEPTING_REVIEWER,
            needs_message=True,
            email="input_unpublished",
        ),
    )
}


def derive_status(decisions) -> str:
    """The status of a submitted input from its target reviews' decisions: back with the
    secretariat when any review asked for changes, submitted while any review has not
    decided, then accepted when at least one review accepted it, else declined."""
    decisions = set(decisions)
    if Decision.CHANGES_REQUESTED in decisions:
        return Status.CHANGES_REQUESTED
    if Decision.PENDING in decisions or not decisions:
        return Status.SUBMITTED
    if Decision.ACCEPTED in decisions:
        return Status.ACCEPTED
    return Status.DECLINED


def _reviewer_regions(user):
    return Region.objects.for_regions_of(user, role=ReviewerAssignment.Role.REVIEWER)


def decidable_reviews(written_input: WrittenInput, user) -> list[RegionalReview]:
    """The target reviews of `written_input` (one `user` may review: the pages got it
    through `reviewable_by`) that `user` may decide on now: those of the regions they
    review whose decision is pending. The decision itself checks again under the
    lock."""
    return list(
        RegionalReview.objects.filter(
            inputtarget__writteninput=written_input,
            inputtarget__decision=Decision.PENDING,
            region__in=_reviewer_regions(user),
        )
        .select_related("region")
        .order_by("region__code")
    )


def _may_act(actor_kind: str, user, written_input: WrittenInput) -> bool:
    if actor_kind == LEAD_SECRETARIAT:
        return WrittenInput.objects.led_by(user).filter(pk=written_input.pk).exists()
    reviewable = WrittenInput.objects.reviewable_by(user).filter(pk=written_input.pk).exists()
    if actor_kind == REVIEWER:
        return reviewable
    if actor_kind == ACCEPTING_REVIEWER:
        return (
            reviewable
            and InputTarget.objects.filter(
                writteninput=written_input,
                decision=Decision.ACCEPTED,
                regionalreview__region__in=_reviewer_regions(user),
            ).exists()
        )
    raise ValueError(f"Unknown actor kind {actor_kind!r}")


def _already_decided_message(locked: WrittenInput, by) -> str:
    """Names what the actor's regions decided, by whom and when: somebody was faster."""
    decided = (
        InputTarget.objects.filter(
            writteninput=locked, regionalreview__region__in=_reviewer_regions(by)
        )
        .exclude(decision=Decision.PENDING)
        .select_related("regionalreview__region", "decided_by")
        .order_by("regionalreview__region__code")
    )
    parts = [
        _("%(region)s: %(decision)s (%(who)s, %(when)s)")
        % {
            "region": target.regionalreview.region.code,
            "decision": target.get_decision_display(),
            "who": target.decided_by.get_full_name() if target.decided_by else "—",
            "when": date_format(timezone.localtime(target.decided_at), "DATETIME_FORMAT")
            if target.decided_at
            else "—",
        }
        for target in decided
    ]
    if not parts:
        return _("You may not do this on this input.")
    return _("Your regions have decided on this input already: %(decisions)s.") % {
        "decisions": "; ".join(parts)
    }


def _decide_targets(locked: WrittenInput, transition: Transition, *, by, reviews, version):
    """Record `transition.decision` for the pending target reviews of `by`'s regions
    (narrowed to `reviews` when given) and return (the reviews decided, the input's
    derived status). Refuses when none is left to decide."""
    targets = InputTarget.objects.select_for_update(of=("self",)).filter(
        writteninput=locked,
        decision=Decision.PENDING,
        regionalreview__region__in=_reviewer_regions(by),
    )
    if reviews is not None:
        targets = targets.filter(regionalreview__in=list(reviews))
    targets = list(targets.select_related("regionalreview"))
    if not targets:
        raise TransitionRefused(_already_decided_message(locked, by))
    InputTarget.objects.filter(pk__in=[t.pk for t in targets]).update(
        decision=transition.decision,
        decided_version=version,
        decided_by=by,
        decided_at=timezone.now(),
    )
    decisions = InputTarget.objects.filter(writteninput=locked).values_list("decision", flat=True)
    return [t.regionalreview for t in targets], derive_status(decisions)


def _send_back_to_every_review(locked: WrittenInput) -> None:
    """A new version goes to every review that has not declined the input, those that
    had accepted an earlier version included (their reviewers get it with the diff).
    Refuses when none is left: a version nobody may decide on would wait forever."""
    reopened = (
        InputTarget.objects.filter(writteninput=locked)
        .exclude(decision=Decision.DECLINED)
        .update(decision=Decision.PENDING, decided_version=None, decided_by=None, decided_at=None)
    )
    if not reopened:
        raise TransitionRefused(
            _(
                "Every regional review this input is sent to has declined it: choose a "
                "regional review that has not, or withdraw the input."
            )
        )


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
    reviews=None,
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
        counted_before = tallies.before(locked)

        if transition.takes_version:
            version_number = (locked.versions.aggregate(last=Max("number"))["last"] or 0) + 1
            InputVersion.objects.create(
                input=locked,
                number=version_number,
                snapshot=take_snapshot(content_queryset().get(pk=locked.pk)),
                created_by=by,
            )
            _send_back_to_every_review(locked)
        else:
            version_number = (
                locked.versions.order_by("-number").values_list("number", flat=True).first()
            )
        decided_reviews, to_status = [], transition.target
        if transition.decision:
            decided_reviews, to_status = _decide_targets(
                locked, transition, by=by, reviews=reviews, version=version_number
            )

        from_status = locked.status
        locked.updated_by = by
        if to_status != from_status:
            locked.status = to_status
            # An edit form opened before this is now stale. One review's decision that
            # leaves the input submitted changes nothing another review's reviewer is
            # looking at, so it does not make their page stale.
            locked.version += 1
        locked.save(update_fields=["status", "version", "updated_by", "updated_at"])
        event = ReviewEvent.objects.create(
            input=locked,
            kind=ReviewEvent.Kind.TRANSITION,
            actor=by,
            from_status=from_status,
            to_status=to_status,
            message=message.strip(),
            version_number=version_number,
            decision=transition.decision or "",
        )
        if decided_reviews:
            event.reviews.set(decided_reviews)
        if after is not None:
            after(locked, version_number)
        tallies.settle(locked, counted_before)
        if transition.releases_comments:
            # The comments of the deciding regions' reviewers go with their decision;
            # another region's reviewer's drafts wait for that region's own decision.
            ReviewComment.objects.filter(
                input=locked,
                author__region_assignments__role=ReviewerAssignment.Role.REVIEWER,
                author__region_assignments__region__in=[r.region_id for r in decided_reviews],
            ).pending().update(released_at=timezone.now(), released_with=event)
        # Reviewers hear of an input only once it has reached them.
        reviewers_know_it = transition.reviewer_email and locked.versions.exists()
        emails = [
            (transition.email, tasks.SECRETARIATS),
            (transition.reviewer_email if reviewers_know_it else None, tasks.REVIEWERS),
        ]
        # A review whose region has no reviewer yet would hear of nothing: the
        # administrators are told so they can assign one.
        if transition.takes_version and locked.unstaffed_target_reviews():
            emails.append(("region_without_reviewer", tasks.ADMINISTRATORS))
        # Queued only once the change is committed, and robust: a failure to queue is
        # logged, never turned into an error for a change that has happened.
        for template, audience in emails:
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
    written_input: WrittenInput,
    *,
    by,
    message: str,
    expected_version: int | None = None,
    reviews=None,
) -> WrittenInput:
    """Send a submitted input back to its secretariats for changes, for the reviews of
    `by`'s regions (or those of `reviews` among them) that have not decided yet.

    Side effects: checks `by` reviews a region the input targets, a message is given,
    and (when `expected_version` is given) nothing changed since the reviewer's page
    was loaded; records "changes requested" on those target reviews (refused when none
    is left to decide); sets the status to changes requested (editable again: the one
    shared text goes back, and its next version to every review that has not declined
    it); increments `version`; appends a transition event with the message and the
    reviews; releases the pending comments of those regions' reviewers, linked to that
    event; after commit, queues the e-mail (with the message and the comments) to the
    secretariats.
    """
    return _transition(
        written_input,
        "request_changes",
        by=by,
        message=message,
        expected_version=expected_version,
        reviews=reviews,
    )


def accept_input(
    written_input: WrittenInput,
    *,
    by,
    message: str = "",
    expected_version: int | None = None,
    reviews=None,
) -> WrittenInput:
    """Accept a submitted input at its latest version for the reviews of `by`'s
    regions (or those of `reviews` among them) that have not decided yet: each of those
    reviews' packages includes that version.

    Side effects: checks `by` reviews a target region and nothing changed since the
    page was loaded (`expected_version`); records the acceptance and the version on
    those target reviews (refused when none is left to decide); derives the status
    (accepted once every review has decided, submitted while one has not), and
    increments `version` when it changed; appends a transition event with the reviews;
    releases those regions' reviewers' pending comments with it; queues the e-mail to
    the secretariats after commit.
    """
    return _transition(
        written_input,
        "accept",
        by=by,
        message=message,
        expected_version=expected_version,
        reviews=reviews,
    )


def decline_input(
    written_input: WrittenInput,
    *,
    by,
    reason: str,
    expected_version: int | None = None,
    reviews=None,
) -> WrittenInput:
    """Decline a submitted input, with a reason, for the reviews of `by`'s regions (or
    those of `reviews` among them) that have not decided yet.

    Side effects: checks `by` reviews a target region, a reason is given and nothing
    changed since the page was loaded; records the decline on those target reviews
    (refused when none is left to decide; a declined review keeps its decision when the
    input comes back); derives the status (declined once every review declined,
    accepted when the others accepted, submitted while one has not decided) and
    increments `version` when it changed; appends a transition event with the reason
    and the reviews; releases those regions' reviewers' pending comments with it;
    queues the e-mail to the secretariats after commit.
    """
    return _transition(
        written_input,
        "decline",
        by=by,
        message=reason,
        expected_version=expected_version,
        reviews=reviews,
    )


def publish_input(
    written_input: WrittenInput, *, by, expected_version: int | None = None
) -> WrittenInput:
    """Publish an accepted input whose lead ISCM consents.

    Side effects: checks `by` reviews a region whose review accepted it and that
    consent is given (read under the row lock, so a consent withdrawn a moment earlier
    wins); sets the status to published; increments `version`; records the
    publication date and the version made public and indexes its text for the public
    search; appends a transition event; queues the e-mail to the secretariats after
    commit.
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

    Side effects: checks `by` reviews a region whose review accepted it and a reason is
    given; sets the status back to accepted; increments `version`; clears the publication date and
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
