"""Regression tests for defects an internal review found in the review workflow."""

import datetime

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from submissions import editing, workflow
from submissions.comments import add_review_comment
from submissions.models import ReviewComment, WrittenInput

from ..sample_files import make_pdf
from ..submissions.conftest import fill
from .test_review_pages import _submitted

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()


def test_a_decision_page_left_open_cannot_decide_on_a_newer_version(client, world):
    written_input = _submitted(world)
    client.force_login(world.reviewer)
    page = client.get(reverse("reviews:decide", args=[written_input.pk, "accept"]))
    seen_version = page.context["form"]["version"].value()
    # Meanwhile: changes requested, the lead rewrites and resubmits version 2.
    workflow.request_changes(written_input, by=world.reviewer, message="More.")
    written_input.refresh_from_db()
    fill(written_input, world, intro="Rewritten.")
    workflow.resubmit_input(written_input, by=world.lead_user, today=TODAY)

    response = client.post(
        reverse("reviews:decide", args=[written_input.pk, "accept"]),
        {"version": seen_version},
    )
    assert response.status_code == 409
    assert WrittenInput.objects.get(pk=written_input.pk).status == "submitted"


def test_resubmission_after_the_deadline_is_allowed(world):
    written_input = _submitted(world)
    workflow.request_changes(written_input, by=world.reviewer, message="More.")
    late = world.reviews.amr.deadline + datetime.timedelta(days=10)
    workflow.resubmit_input(written_input, by=world.lead_user, today=late)
    assert WrittenInput.objects.get(pk=written_input.pk).status == "submitted"


def test_first_submission_after_the_deadline_is_still_refused(world, ready_input):
    late = world.reviews.eur.deadline + datetime.timedelta(days=1)
    with pytest.raises(workflow.TransitionRefused):
        workflow.submit_input(ready_input, by=world.lead_user, today=late)


def test_comment_while_changes_are_requested_reaches_the_secretariat_at_once(world):
    written_input = _submitted(world)
    workflow.request_changes(written_input, by=world.reviewer, message="More.")
    comment = add_review_comment(
        written_input, by=world.reviewer, body="Also check figures.", internal=False
    )
    assert comment.released_at is not None
    assert comment in ReviewComment.objects.for_secretariat()


def test_messages_to_the_secretariat_refused_on_accepted_inputs_notes_allowed(world):
    written_input = _submitted(world)
    workflow.accept_input(written_input, by=world.reviewer)
    with pytest.raises(workflow.TransitionRefused, match="internal note"):
        add_review_comment(written_input, by=world.reviewer, body="Late.", internal=False)
    note = add_review_comment(
        written_input, by=world.reviewer, body="For the file.", internal=True
    )
    assert note.released_at is None


def test_publish_page_has_no_message_field_that_would_be_ignored(client, world):
    written_input = _submitted(world)
    workflow.accept_input(written_input, by=world.reviewer)
    client.force_login(world.reviewer)
    form = client.get(reverse("reviews:decide", args=[written_input.pk, "publish"])).context[
        "form"
    ]
    assert "message" not in form.fields


def test_email_subjects_are_plain_text_not_html_escaped(
    world, ready_input, django_capture_on_commit_callbacks
):
    WrittenInput.objects.filter(pk=ready_input.pk).update(title="Women's rights & R&D")
    with django_capture_on_commit_callbacks(execute=True):
        workflow.submit_input(ready_input, by=world.lead_user, today=TODAY)
    subjects = {m.subject for m in mail.outbox}
    assert "Submitted: LEAD input “Women's rights & R&D”" in subjects


def test_decision_emails_carry_the_comments_sent_with_them(
    client, world, django_capture_on_commit_callbacks
):
    written_input = _submitted(world)
    add_review_comment(
        written_input,
        by=world.reviewer,
        body="Name the States.",
        internal=False,
        section=world.sections.intro,
    )
    add_review_comment(written_input, by=world.reviewer, body="Internal only.", internal=True)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.request_changes(written_input, by=world.reviewer, message="See comments.")
    body = mail.outbox[0].body
    assert "1. Introduction: Name the States." in body
    assert "Internal only." not in body
    assert all("Internal only." not in m.alternatives[0][0] for m in mail.outbox)


def test_reviewers_hear_of_a_withdrawal_only_once_the_input_reached_them(
    world, joint_input, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        workflow.withdraw_input(joint_input, by=world.lead_user, reason="Not this round.")
    assert world.reviewer.email not in [m.to[0] for m in mail.outbox]

    submitted = _submitted(world, "Second")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.withdraw_input(submitted, by=world.lead_user, reason="Replaced.")
    assert world.reviewer.email in [m.to[0] for m in mail.outbox]


def test_reviewers_cannot_download_files_of_the_unsent_draft(client, world):
    written_input = _submitted(world)
    workflow.request_changes(written_input, by=world.reviewer, message="Attach the minutes.")
    attachment = editing.add_attachment(
        written_input,
        SimpleUploadedFile("minutes.pdf", make_pdf()),
        title="Minutes",
        by=world.lead_user,
    )
    client.force_login(world.reviewer)
    assert client.get(attachment.get_absolute_url()).status_code == 404
    written_input.refresh_from_db()
    workflow.resubmit_input(written_input, by=world.lead_user, today=TODAY)
    response = client.get(attachment.get_absolute_url())
    assert response.status_code == 200
    b"".join(response.streaming_content)
