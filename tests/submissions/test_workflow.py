"""Every transition allowed and refused, per state and per actor: a truth table."""

import datetime

import pytest
from django.core import mail
from django.db import connection

from submissions import workflow
from submissions.comments import add_review_comment
from submissions.models import (
    Decision,
    InputTarget,
    InputVersion,
    ReviewComment,
    ReviewEvent,
    Status,
    WrittenInput,
)

from ..concurrency import at_once
from ..factories import ReviewerAssignmentFactory
from .conftest import submitted_input

TODAY = datetime.date.today()

ACTIONS = {
    "submit": lambda i, by: workflow.submit_input(i, by=by, today=TODAY),
    "resubmit": lambda i, by: workflow.resubmit_input(i, by=by, today=TODAY),
    "withdraw": lambda i, by: workflow.withdraw_input(i, by=by, reason="Reason."),
    "request_changes": lambda i, by: workflow.request_changes(i, by=by, message="Fix it."),
    "accept": lambda i, by: workflow.accept_input(i, by=by),
    "decline": lambda i, by: workflow.decline_input(i, by=by, reason="Out of scope."),
    "publish": lambda i, by: workflow.publish_input(i, by=by),
    "unpublish": lambda i, by: workflow.unpublish_input(i, by=by, reason="Error."),
}

# (action, state it starts from) → the actor who may do it; every other actor and every
# other state is refused.
ALLOWED = {
    ("submit", "draft"): "lead_user",
    ("resubmit", "changes_requested"): "lead_user",
    ("withdraw", "draft"): "lead_user",
    ("withdraw", "submitted"): "lead_user",
    ("withdraw", "changes_requested"): "lead_user",
    ("request_changes", "submitted"): "reviewer",
    ("accept", "submitted"): "reviewer",
    ("decline", "submitted"): "reviewer",
    ("publish", "accepted"): "reviewer",
    ("unpublish", "published"): "reviewer",
}
ACTORS = ["lead_user", "partner_user", "other_user", "reviewer", "other_reviewer", "admin"]
STATES = [s.value for s in Status]


@pytest.fixture
def ready_input(ready_input, world):
    """The joint input sent to the AMR review alone: its one reviewer's decision is the
    input's (decisions of several reviews: tests/submissions/test_review_decisions.py)."""
    ready_input.target_reviews.set([world.reviews.amr])
    return ready_input


# The AMR review's decision that goes with each state the truth table starts from.
DECISION_OF_STATE = {
    "changes_requested": Decision.CHANGES_REQUESTED,
    "accepted": Decision.ACCEPTED,
    "published": Decision.ACCEPTED,
    "declined": Decision.DECLINED,
}


def _input_in_state(world, ready_input, state):
    # Every state but draft is reached by a submission first, so a version exists.
    if state != "draft":
        workflow.submit_input(ready_input, by=world.lead_user, today=TODAY)
    WrittenInput.objects.filter(pk=ready_input.pk).update(status=state, publication_consent=True)
    InputTarget.objects.filter(writteninput=ready_input).update(
        decision=DECISION_OF_STATE.get(state, Decision.PENDING)
    )
    ready_input.refresh_from_db()
    return ready_input


@pytest.mark.django_db
@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_transition_truth_table(world, ready_input, action, state):
    for actor in ACTORS:
        written_input = (
            _input_in_state(world, ready_input, state) if actor == ACTORS[0] else ready_input
        )
        WrittenInput.objects.filter(pk=written_input.pk).update(status=state)
        events_before = ReviewEvent.objects.count()
        allowed = ALLOWED.get((action, state)) == actor
        if allowed:
            ACTIONS[action](written_input, getattr(world, actor))
            written_input.refresh_from_db()
            assert written_input.status == workflow.TRANSITIONS[action].target
            assert ReviewEvent.objects.count() == events_before + 1
        else:
            with pytest.raises(workflow.TransitionRefused):
                ACTIONS[action](written_input, getattr(world, actor))
            assert WrittenInput.objects.get(pk=written_input.pk).status == state, actor
            assert ReviewEvent.objects.count() == events_before


@pytest.mark.django_db
def test_publish_is_refused_without_consent(world, ready_input):
    _input_in_state(world, ready_input, "accepted")
    WrittenInput.objects.filter(pk=ready_input.pk).update(publication_consent=False)
    with pytest.raises(workflow.TransitionRefused, match="not consented"):
        workflow.publish_input(ready_input, by=world.reviewer)
    assert WrittenInput.objects.get(pk=ready_input.pk).status == "accepted"


@pytest.mark.django_db
def test_request_changes_needs_a_message_and_releases_pending_comments(world, ready_input):
    workflow.submit_input(ready_input, by=world.lead_user, today=TODAY)
    note = add_review_comment(
        ready_input, by=world.reviewer, body="Internal.", internal=True, section=None
    )
    message = add_review_comment(
        ready_input,
        by=world.reviewer,
        body="Name the States consulted.",
        internal=False,
        section=world.sections.intro,
    )
    assert not ReviewComment.objects.for_secretariat().exists()
    with pytest.raises(workflow.TransitionRefused, match="reason"):
        workflow.request_changes(ready_input, by=world.reviewer, message=" ")

    workflow.request_changes(ready_input, by=world.reviewer, message="See the comments.")
    assert list(ReviewComment.objects.for_secretariat()) == [message]
    note.refresh_from_db()
    assert note.released_at is None


@pytest.mark.django_db
def test_decisions_email_the_secretariats_and_submissions_the_reviewers(
    world, ready_input, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        workflow.submit_input(ready_input, by=world.lead_user, today=TODAY)
    to_review = [m for m in mail.outbox if m.subject.startswith("To review:")]
    assert [m.to for m in to_review] == [[world.reviewer.email]]
    assert f"/review/inputs/{ready_input.pk}/" in to_review[0].body
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        workflow.request_changes(ready_input, by=world.reviewer, message="Please add figures.")
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [world.lead_user.email, world.partner_user.email]
    )
    assert "Please add figures." in mail.outbox[0].body
    assert mail.outbox[0].subject == "Changes requested: LEAD input “Joint input”"


@pytest.mark.django_db
def test_grant_extension_by_a_reviewer_of_the_region_only(world, ready_input):
    later = world.reviews.eur.deadline + datetime.timedelta(days=60)
    with pytest.raises(workflow.TransitionRefused):
        workflow.grant_extension(ready_input, by=world.other_reviewer, until=later, today=TODAY)
    with pytest.raises(workflow.TransitionRefused, match="must be later than"):
        workflow.grant_extension(
            ready_input, by=world.reviewer, until=world.reviews.eur.deadline, today=TODAY
        )
    workflow.grant_extension(
        ready_input, by=world.reviewer, until=later, reason="Floods.", today=TODAY
    )
    ready_input.refresh_from_db()
    assert ready_input.deadline_extension == later
    event = ready_input.events.get()
    assert event.kind == "extension"
    assert event.message.startswith("Deadline extended to ")
    assert event.message.endswith("Floods.")


@pytest.mark.django_db
def test_stale_decision_names_who_acted(world, ready_input):
    workflow.submit_input(ready_input, by=world.lead_user, today=TODAY)
    workflow.accept_input(ready_input, by=world.reviewer)
    with pytest.raises(workflow.TransitionRefused) as refused:
        workflow.request_changes(ready_input, by=world.reviewer, message="Too late?")
    assert "“Accepted” now (Rita Reviewer," in refused.value.message


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_race_two_reviewers_decide_at_once_exactly_one_wins(world, ready_input):
    """Two reviewers, two threads, two database connections: one accepts while the
    other requests changes. The row lock makes them take turns; exactly one
    transition happens, the other is refused with a message, one event is written."""
    second = ReviewerAssignmentFactory(region=world.regions.amr).user
    workflow.submit_input(ready_input, by=world.lead_user, today=TODAY)
    outcomes = at_once(
        {
            "accept": lambda: workflow.accept_input(ready_input, by=world.reviewer),
            "request_changes": lambda: workflow.request_changes(
                ready_input, by=second, message="Wait."
            ),
        },
        refused=workflow.TransitionRefused,
    )

    assert sorted(outcomes) == ["accept", "request_changes"]
    assert list(outcomes.values()).count("done") == 1
    loser = next(v for v in outcomes.values() if v != "done")
    assert "now (" in loser  # names who did what, and when
    decisions = ReviewEvent.objects.filter(input=ready_input, from_status="submitted")
    assert decisions.count() == 1
    assert InputVersion.objects.filter(input=ready_input).count() == 1


@pytest.mark.django_db
def test_reviewers_hear_of_a_withdrawal_only_once_the_input_reached_them(
    world, joint_input, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        workflow.withdraw_input(joint_input, by=world.lead_user, reason="Not this round.")
    assert world.reviewer.email not in [m.to[0] for m in mail.outbox]

    submitted = submitted_input(world, "Second")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.withdraw_input(submitted, by=world.lead_user, reason="Replaced.")
    assert world.reviewer.email in [m.to[0] for m in mail.outbox]
