"""The staff page of e-mails the mail server refused (accounts/views/staff.py,
`email_list` and `email_send_again`): administrators see the failed ones and those
waiting for their next attempt, and send a failed one again; anyone else gets 404."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from submissions import emails, outbox
from submissions.models import OutgoingEmail

from ..factories import UserFactory

pytestmark = pytest.mark.django_db

EMAILS = reverse("accounts:staff-emails")
Status = OutgoingEmail.Status


def _refused(relay, n=1, *, fail=False):
    """`n` notices the relay refused: waiting for their next attempt, or failed."""
    relay.refusals = 10_000
    for i in range(n):
        context = {"person": None, "old_email": "a@example.org", "new_email": "b@example.org"}
        emails.send_templated("email_changed", context, [(f"person{i}@example.org", "ar")])
    if fail:
        OutgoingEmail.objects.update(
            status=Status.FAILED, attempts=outbox.MAX_ATTEMPTS, next_attempt_at=None
        )
    relay.refusals = 0
    return list(OutgoingEmail.objects.order_by("pk"))


def _again(email):
    return reverse("accounts:staff-email-again", args=[email.pk])


def test_failed_and_waiting_emails_are_listed_for_administrators(client, world, relay):
    waiting = _refused(relay)[0]
    failed = OutgoingEmail.objects.create(
        template="input_submitted",
        to="gone@example.org",
        language="fr",
        subject="Contribution envoyée",
        text_body="…",
        status=Status.FAILED,
        attempts=7,
        last_error="SMTPServerDisconnected: Connection unexpectedly closed",
    )
    OutgoingEmail.objects.create(
        template="input_submitted", to="fine@example.org", subject="Sent", status=Status.SENT
    )
    client.force_login(world.admin)

    page = client.get(EMAILS)
    assert [e.pk for e in page.context["page"]] == [failed.pk, waiting.pk]
    html = page.content.decode()
    assert "gone@example.org" in html and "person0@example.org" in html
    assert "fine@example.org" not in html
    assert '<span lang="fr"><bdi>Contribution envoyée</bdi></span>' in html
    assert "7 of 7 attempts" in html and "1 of 7 attempts" in html
    assert "SMTPServerDisconnected" in html
    home = client.get(reverse("accounts:staff")).content.decode()
    assert "2 e-mails were not delivered" in home and EMAILS in home


def test_nothing_to_show_when_every_email_was_delivered(client, world):
    client.force_login(world.admin)
    assert "Every e-mail was delivered" in client.get(EMAILS).content.decode()
    assert "not delivered" not in client.get(reverse("accounts:staff")).content.decode()


def test_send_again_sends_a_failed_email(client, world, relay):
    (email,) = _refused(relay, fail=True)
    client.force_login(world.admin)

    response = client.post(_again(email), {"next": EMAILS}, follow=True)
    assert response.redirect_chain[-1][0] == EMAILS
    assert "is queued again" in response.content.decode()
    email.refresh_from_db()
    assert email.status == Status.SENT
    (message,) = mail.outbox
    assert message.to == ["person0@example.org"] and message.subject == email.subject
    assert list(response.context["page"]) == []

    # Twice: the second finds it sent.
    again = client.post(_again(email), follow=True)
    assert "was sent already" in again.content.decode()
    assert len(mail.outbox) == 1


def test_send_again_while_the_relay_is_still_down_starts_a_new_round(client, world, relay):
    (email,) = _refused(relay, fail=True)
    relay.refusals = 1
    client.force_login(world.admin)
    client.post(_again(email))
    email.refresh_from_db()
    assert (email.status, email.attempts) == (Status.QUEUED, 1)
    assert email.next_attempt_at > timezone.now() + outbox.BACKOFF[0] - timedelta(seconds=30)


def test_email_pages_are_for_administrators_only(client, world, relay):
    (email,) = _refused(relay, fail=True)
    for person in (world.lead_user, world.reviewer, UserFactory()):
        client.force_login(person)
        assert client.get(EMAILS).status_code == 404, person
        assert client.post(_again(email)).status_code == 404, person
    client.logout()
    assert client.post(_again(email)).status_code == 302  # to sign in
    email.refresh_from_db()
    assert email.status == Status.FAILED and mail.outbox == []


def test_send_again_is_a_post_with_a_csrf_token(world, relay):
    (email,) = _refused(relay, fail=True)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.admin)
    assert client.get(_again(email)).status_code == 405
    assert client.post(_again(email)).status_code == 403
    assert 'name="csrfmiddlewaretoken"' in client.get(EMAILS).content.decode()
    email.refresh_from_db()
    assert email.status == Status.FAILED


def test_send_again_of_an_unknown_email_is_404(client, world):
    client.force_login(world.admin)
    assert client.post(reverse("accounts:staff-email-again", args=[999_999])).status_code == 404
    assert client.post(f"{EMAILS}99999999999999999999999/send-again/").status_code == 404


def test_email_page_queries_do_not_grow_with_emails(
    client, world, relay, count_queries, django_assert_max_num_queries
):
    _refused(relay, 1)
    client.force_login(world.admin)
    one = count_queries(client, EMAILS)
    _refused(relay, 30, fail=True)
    # session, user, two-factor device; the page of messages and its count
    with django_assert_max_num_queries(one):
        assert len(client.get(EMAILS).context["page"]) == 31
    assert one <= 8
    with django_assert_max_num_queries(10):
        client.post(_again(OutgoingEmail.objects.first()))
