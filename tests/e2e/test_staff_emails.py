"""An administrator finds an e-mail the mail server kept refusing on the staff pages
and sends it again (accounts/views/staff.py, submissions/outbox.py)."""

import re

from django.core import mail
from playwright.sync_api import expect

from submissions import outbox
from submissions.models import OutgoingEmail

from .conftest import assert_accessible, sign_in, submit

ADMIN = "admin@example.org"
SUBJECT = "تم إرسال المساهمة"  # a subject in the recipient's language (Arabic)


def test_administrator_sends_a_failed_email_again(page, site):
    failed = OutgoingEmail.objects.create(
        template="input_submitted",
        to="secretariat.member@example.org",
        language="ar",
        subject=SUBJECT,
        text_body="Body",
        html_body="<p>Body</p>",
        status=OutgoingEmail.Status.FAILED,
        attempts=outbox.MAX_ATTEMPTS,
        last_error="SMTPServerDisconnected: Connection unexpectedly closed",
    )
    sign_in(page, site, ADMIN)
    page.get_by_role("link", name="People and access").click()
    page.get_by_role("link", name=re.compile("1 e-mail was not delivered")).click()
    expect(page.get_by_role("heading", name="E-mail problems", level=1)).to_be_visible()
    expect(page.locator(f'span[lang="ar"]:has-text("{SUBJECT}")')).to_be_visible()
    assert_accessible(page, "staff e-mail problems")

    submit(page, f"Send again {failed.to}")
    expect(page.get_by_role("status").filter(has_text="is queued again")).to_be_visible()
    expect(page.get_by_text("Every e-mail was delivered")).to_be_visible()
    assert_accessible(page, "staff e-mail problems, all delivered")
    failed.refresh_from_db()
    assert failed.status == OutgoingEmail.Status.SENT
    assert [m.subject for m in mail.outbox if m.to == [failed.to]] == [SUBJECT]
