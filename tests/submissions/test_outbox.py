"""Durable e-mail (submissions/outbox.py): a message the mail server refuses is stored,
tried again with back-off and sent once the server is back; after the last attempt it
is failed, for an administrator to send again. Nothing is dropped."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks import default_task_backend

from accounts.tasks import send_password_reset
from submissions import emails, outbox
from submissions.models import OutgoingEmail

from ..factories import UserFactory

pytestmark = pytest.mark.django_db

Status = OutgoingEmail.Status


def _notice(address="lea@example.org", language="fr"):
    context = {"person": None, "old_email": address, "new_email": "new@example.org"}
    return emails.send_templated("email_changed", context, [(address, language)])


def _later(email, seconds=1):
    """Just after `email`'s next attempt is due."""
    return email.next_attempt_at + timedelta(seconds=seconds)


def test_a_refused_email_is_retried_with_back_off_and_sent_when_the_server_is_back(relay):
    relay.refusals = 3
    before = timezone.now()

    assert _notice() == 0
    email = OutgoingEmail.objects.get()
    assert (email.status, email.attempts) == (Status.QUEUED, 1)
    assert "SMTPServerDisconnected" in email.last_error
    assert (
        before + outbox.BACKOFF[0] <= email.next_attempt_at <= timezone.now() + outbox.BACKOFF[0]
    )
    assert mail.outbox == []

    # Not due yet: nothing is tried.
    assert outbox.deliver_due(now=email.next_attempt_at - timedelta(seconds=5)) == 0
    assert relay.refused == 1

    waits = []
    for _ in range(2):
        now = _later(email)
        assert outbox.deliver_due(now=now) == 0
        email.refresh_from_db()
        waits.append(email.next_attempt_at - now)
    assert waits == [outbox.BACKOFF[1], outbox.BACKOFF[2]]
    assert (email.status, email.attempts, relay.refused) == (Status.QUEUED, 3, 3)

    assert outbox.deliver_due(now=_later(email)) == 1
    email.refresh_from_db()
    assert (email.status, email.attempts, email.next_attempt_at) == (Status.SENT, 4, None)
    (message,) = mail.outbox
    # The message rendered when it was queued, in the recipient's language.
    assert message.to == ["lea@example.org"]
    assert message.subject == email.subject and message.body == email.text_body
    assert message.alternatives[0][0] == email.html_body
    assert message.extra_headers["Content-Language"] == "fr"
    # Sent once: a later sweep finds nothing to do.
    assert outbox.deliver_due(now=email.sent_at + timedelta(days=1)) == 0
    assert len(mail.outbox) == 1


def test_an_email_refused_at_every_attempt_fails_after_about_a_day(relay):
    relay.refusals = 100
    queued_at = timezone.now()
    _notice()
    email = OutgoingEmail.objects.get()
    attempts_at = [queued_at]
    while email.status == Status.QUEUED:
        now = _later(email)
        attempts_at.append(now)
        outbox.deliver_due(now=now)
        email.refresh_from_db()

    assert email.status == Status.FAILED and email.next_attempt_at is None
    assert email.attempts == relay.refused == outbox.MAX_ATTEMPTS == 7
    span = attempts_at[-1] - attempts_at[0]
    assert timedelta(hours=20) < span < timedelta(hours=25)
    # A failed message is not tried again by the sweep: it waits for an administrator.
    assert outbox.deliver_due(now=attempts_at[-1] + timedelta(days=7)) == 0
    assert list(outbox.problems()) == [email]
    assert mail.outbox == []

    relay.refusals = 0
    assert outbox.send_again(email.pk)
    email.refresh_from_db()
    assert (email.status, email.attempts) == (Status.SENT, 1)
    assert len(mail.outbox) == 1 and list(outbox.problems()) == []
    assert not outbox.send_again(email.pk)  # sent: nothing to do


def test_a_submission_while_the_relay_is_down_loses_no_notice(
    relay, client, world, ready_input, django_capture_on_commit_callbacks
):
    relay.refusals = 1000
    client.force_login(world.lead_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("submissions:input-submit", args=[ready_input.pk]))
    assert response.status_code == 302
    queued = list(OutgoingEmail.objects.order_by("pk"))
    assert queued and mail.outbox == []
    assert {e.status for e in queued} == {Status.QUEUED}
    recipients = sorted(e.to for e in queued)
    # The secretariats of both ISCMs and the reviewer of the region.
    assert {world.lead_user.email, world.partner_user.email, world.reviewer.email} <= set(
        recipients
    )

    # The relay is back an hour later: every notice goes out, once.
    relay.refusals = 0
    assert outbox.deliver_due(now=timezone.now() + timedelta(hours=1)) == len(queued)
    assert sorted(m.to[0] for m in mail.outbox) == recipients
    assert set(OutgoingEmail.objects.values_list("status", flat=True)) == {Status.SENT}


def test_a_password_reset_is_retried_without_storing_the_link(relay, client):
    person = UserFactory(email="forgot@example.org", language="es")
    relay.refusals = 1

    assert send_password_reset.call("forgot@example.org", "en") == 0
    email = OutgoingEmail.objects.get()
    assert (email.template, email.to, email.language) == ("password_reset", person.email, "es")
    assert email.text_body == email.html_body == ""  # no token in the database
    assert email.render_args == {"user": person.pk, "email": person.email, "language": "es"}

    assert outbox.deliver_due(now=_later(email)) == 1
    (message,) = mail.outbox
    assert message.extra_headers["Content-Language"] == "es"
    link = next(w for w in message.body.split() if "/reset/" in w)
    response = client.get(link.removeprefix("http://testserver"), follow=True)
    assert response.status_code == 200 and "new_password1" in response.content.decode()


def test_a_password_reset_for_an_account_deactivated_meanwhile_is_not_sent(relay):
    person = UserFactory(email="leaving@example.org")
    relay.refusals = 1
    send_password_reset.call("leaving@example.org", "en")
    person.is_active = False
    person.save()

    assert outbox.deliver_due(now=_later(OutgoingEmail.objects.get())) == 0
    email = OutgoingEmail.objects.get()
    assert email.status == Status.FAILED and "no longer applies" in email.last_error
    assert mail.outbox == []


def test_a_retry_task_is_queued_for_the_next_attempt(relay, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    default_task_backend.clear()
    relay.refusals = 1
    _notice()
    email = OutgoingEmail.objects.get()
    (result,) = default_task_backend.results
    assert result.task.func is outbox.send_outgoing_email.func
    assert result.task.run_after == email.next_attempt_at
    assert result.args == [[email.pk]]

    # The worker runs it when it is due: sent.
    OutgoingEmail.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now())
    assert outbox.send_outgoing_email.call(*result.args) == 1
    email.refresh_from_db()
    assert email.status == Status.SENT and len(mail.outbox) == 1


def test_a_message_claimed_by_one_run_is_not_sent_by_another(relay):
    relay.refusals = 1
    _notice()
    email = OutgoingEmail.objects.get()
    now = _later(email)
    claimed = outbox._claim(outbox.Q(pk=email.pk), now)  # a run that died while sending
    assert [e.pk for e in claimed] == [email.pk]

    assert outbox.deliver_due(now=now) == 0
    assert outbox.deliver([email.pk], now=now) == 0
    assert mail.outbox == []
    # The dead run's claim is taken over once it is stale.
    assert outbox.deliver_due(now=now + outbox.STALE_CLAIM + timedelta(seconds=1)) == 1
    assert len(mail.outbox) == 1


def test_sending_stores_and_sends_in_few_queries(relay, django_assert_num_queries):
    addresses = [(f"p{n}@example.org", "en") for n in range(5)]
    context = {"person": None, "old_email": "a@example.org", "new_email": "b@example.org"}
    # The rows inserted (one query), then marked sent (one query), whatever their number.
    with django_assert_num_queries(2):
        assert emails.send_templated("email_changed", context, addresses) == 5


def test_the_sweep_command_sends_what_is_due_and_forgets_old_sent_mail(relay, capsys):
    relay.refusals = 1
    _notice("due@example.org")
    _notice("old@example.org")
    _notice("recent@example.org")
    OutgoingEmail.objects.filter(to="due@example.org").update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    OutgoingEmail.objects.filter(to="old@example.org").update(
        sent_at=timezone.now() - timedelta(days=31)
    )
    call_command("send_queued_email")
    assert capsys.readouterr().out.strip() == (
        "1 e-mail(s) sent; 0 failed or waiting to be retried; "
        "1 sent more than 30 days ago deleted."
    )
    sent_to = [m.to[0] for m in mail.outbox]
    assert sent_to == ["old@example.org", "recent@example.org", "due@example.org"]
    assert sorted(OutgoingEmail.objects.values_list("to", flat=True)) == [
        "due@example.org",
        "recent@example.org",
    ]
    with pytest.raises(CommandError, match="at least 1"):
        call_command("send_queued_email", "--keep-days", "0")
