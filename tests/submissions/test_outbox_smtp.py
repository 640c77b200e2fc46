"""The mail outage with real processes: Django's SMTP backend talks to a relay on
loopback (tests/submissions/smtp_stub.py, its own process) that is first not there at
all, then refuses every connection, then takes mail. The notice queued during the
outage reaches the relay once it is back, once, as it was rendered."""

import email
import email.header
import json
import socket
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from submissions import emails, outbox
from submissions.models import OutgoingEmail

pytestmark = pytest.mark.django_db

STUB = Path(__file__).with_name("smtp_stub.py")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Relay:
    def __init__(self, port: int, mailbox: Path):
        self.port, self.mailbox, self.process = port, mailbox, None

    def start(self, *flags):
        self.stop()
        self.process = subprocess.Popen(
            [sys.executable, str(STUB), str(self.port), str(self.mailbox), *flags],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout.readline().strip() == "ready"

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process.stdout.close()
            self.process = None

    def received(self) -> list[dict]:
        if not self.mailbox.exists():
            return []
        return [json.loads(line) for line in self.mailbox.read_text().splitlines()]


@pytest.fixture
def relay(settings, tmp_path):
    relay = Relay(_free_port(), tmp_path / "mailbox.jsonl")
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", relay.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
    yield relay
    relay.stop()


def test_a_notice_queued_while_the_relay_is_down_reaches_it_when_it_is_back(relay):
    context = {"person": None, "old_email": "lea@example.org", "new_email": "new@example.org"}

    # Nothing listens: the connection is refused.
    assert emails.send_templated("email_changed", context, [("lea@example.org", "ru")]) == 0
    queued = OutgoingEmail.objects.get()
    assert queued.status == OutgoingEmail.Status.QUEUED
    assert "ConnectionRefusedError" in queued.last_error

    # The relay is up but refuses every connection (421).
    relay.start("--refuse")
    assert outbox.deliver_due(now=queued.next_attempt_at + timedelta(seconds=1)) == 0
    queued.refresh_from_db()
    assert (queued.status, queued.attempts) == (OutgoingEmail.Status.QUEUED, 2)
    assert "SMTP" in queued.last_error and "421" in queued.last_error
    assert relay.received() == []

    # The relay takes mail again.
    relay.start()
    assert outbox.deliver_due(now=queued.next_attempt_at + timedelta(seconds=1)) == 1
    queued.refresh_from_db()
    assert (queued.status, queued.attempts) == (OutgoingEmail.Status.SENT, 3)
    (delivered,) = relay.received()
    assert delivered["to"] == ["<lea@example.org>"]
    message = email.message_from_string(delivered["data"])
    assert message["Content-Language"] == "ru"
    assert str(email.header.make_header(email.header.decode_header(message["Subject"]))) == (
        queued.subject
    )
    # Nothing more goes out later: sent once.
    assert outbox.deliver_due(now=timezone.now() + timedelta(days=2)) == 0
    assert len(relay.received()) == 1


def test_a_relay_that_never_answers_is_a_failed_attempt_not_a_stuck_worker(relay, settings):
    settings.EMAIL_TIMEOUT = 1
    relay.start("--silent")
    context = {"person": None, "old_email": "lea@example.org", "new_email": "new@example.org"}

    assert emails.send_templated("email_changed", context, ["lea@example.org"]) == 0
    queued = OutgoingEmail.objects.get()
    assert (queued.status, queued.attempts) == (OutgoingEmail.Status.QUEUED, 1)
    assert "timed out" in queued.last_error
    assert queued.next_attempt_at > timezone.now()
