"""Review comments (submissions/comments.py): when a message reaches the secretariat,
and what may still be written once an input is decided."""

import pytest

from submissions import workflow
from submissions.comments import add_review_comment
from submissions.models import ReviewComment

from .conftest import submitted_input

pytestmark = pytest.mark.django_db


def test_comment_while_changes_are_requested_reaches_the_secretariat_at_once(world):
    written_input = submitted_input(world)
    workflow.request_changes(written_input, by=world.reviewer, message="More.")
    comment = add_review_comment(
        written_input, by=world.reviewer, body="Also check figures.", internal=False
    )
    assert comment.released_at is not None
    assert comment in ReviewComment.objects.for_secretariat()


def test_messages_to_the_secretariat_refused_on_accepted_inputs_notes_allowed(world):
    written_input = submitted_input(world)
    workflow.accept_input(written_input, by=world.reviewer)
    with pytest.raises(workflow.TransitionRefused, match="internal note"):
        add_review_comment(written_input, by=world.reviewer, body="Late.", internal=False)
    note = add_review_comment(
        written_input, by=world.reviewer, body="For the file.", internal=True
    )
    assert note.released_at is None
