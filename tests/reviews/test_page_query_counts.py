"""Every secretariat and reviewer page that shows one input answers in a number of
queries that does not grow with its history: more versions, comments, attachments,
events, and more inputs around it."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from submissions import editing, workflow
from submissions.comments import add_review_comment

from ..sample_files import make_pdf
from ..submissions.conftest import fill, submitted_input

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()
# The secretariat's input page is the largest. Since the decisions became per review:
# + the reviews' decisions (one prefetch, whatever the number of reviews), the reviews
# without a reviewer, and the reviews named by the history's decisions.
PAGE_BUDGET = 32

SECRETARIAT_PAGES = [
    "submissions:input-detail",
    "submissions:input-details",
    "submissions:input-preview",
    "submissions:input-withdraw",
    "submissions:input-diff",
]
REVIEWER_PAGES = ["reviews:input", "reviews:diff", "reviews:extension"]


def _round_trip(world, written_input, n):
    """One more review round: a comment, changes requested, an attachment, resubmit."""
    add_review_comment(written_input, by=world.reviewer, body=f"Round {n}.", internal=n % 2 == 0)
    workflow.request_changes(written_input, by=world.reviewer, message=f"Round {n}.")
    written_input.refresh_from_db()
    editing.add_attachment(
        written_input,
        SimpleUploadedFile(f"a{n}.pdf", make_pdf()),
        title=f"A{n}",
        by=world.lead_user,
    )
    fill(written_input, world, intro=f"Text of round {n}.")
    workflow.resubmit_input(written_input, by=world.lead_user, today=TODAY)


def _counts(client, world, written_input, count_queries):
    """Measured while changes are requested, so every secretariat page is open."""
    workflow.request_changes(written_input, by=world.reviewer, message="Measure.")
    counts = {}
    client.force_login(world.lead_user)  # the lead: the withdraw page is theirs alone
    for name in SECRETARIAT_PAGES:
        counts[name] = count_queries(client, reverse(name, args=[written_input.pk]))
    client.force_login(world.reviewer)
    for name in REVIEWER_PAGES:
        counts[name] = count_queries(client, reverse(name, args=[written_input.pk]))
    counts["reviews:decide"] = count_queries(
        client, reverse("reviews:decide", args=[written_input.pk, "accept"])
    )
    return counts


def test_input_pages_query_counts_do_not_grow_with_history(client, world, count_queries):
    written_input = submitted_input(world)
    _round_trip(world, written_input, 1)
    small = _counts(client, world, written_input, count_queries)
    written_input.refresh_from_db()
    workflow.resubmit_input(written_input, by=world.lead_user, today=TODAY)
    for n in range(2, 8):
        _round_trip(world, written_input, n)
    for n in range(10):
        submitted_input(world, f"Neighbour {n}")
    large = _counts(client, world, written_input, count_queries)
    assert large == small
    assert max(large.values()) <= PAGE_BUDGET, large
