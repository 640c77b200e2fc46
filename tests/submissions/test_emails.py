"""E-mails of the written-input lifecycle (submissions/emails.py and the templates
under templates/emails/): subjects in plain text, the comments a decision sent."""

import datetime

import pytest
from django.core import mail

from submissions import workflow
from submissions.comments import add_review_comment
from submissions.models import WrittenInput

from .conftest import submitted_input

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()


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
    written_input = submitted_input(world)
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
