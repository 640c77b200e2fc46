"""Password reset (accounts/forms.py, accounts/passwords.py, accounts/tasks.py): the
page only queues a task with the typed address, so a known and an unknown address
cost the request the same work; the task mails the link, built from SITE_URL whatever
Host the request named, in the person's language."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_tasks import default_task_backend

from accounts.tasks import send_password_reset

from ..factories import UserFactory

pytestmark = pytest.mark.django_db

RESET = reverse("password_reset")


@pytest.fixture
def queued(settings):
    """Tasks are kept, not run (django-tasks' dummy backend): what the request did."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    default_task_backend.clear()
    return default_task_backend


def test_password_reset_request_queues_the_same_task_for_known_and_unknown_addresses(
    client, queued
):
    UserFactory(email="known@example.org")

    with CaptureQueriesContext(connection) as known_queries:
        known = client.post(RESET, {"email": "known@example.org"})
    with CaptureQueriesContext(connection) as unknown_queries:
        unknown = client.post(RESET, {"email": "unknown@example.org"})

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    # No look-up in the request: the same statements, whatever the address.
    assert [q["sql"] for q in known_queries] == [q["sql"] for q in unknown_queries]
    assert [(r.task.name, r.args, r.kwargs) for r in queued.results] == [
        ("send_password_reset", [], {"email": "known@example.org", "language": "en"}),
        ("send_password_reset", [], {"email": "unknown@example.org", "language": "en"}),
    ]
    assert mail.outbox == []


def test_password_reset_task_mails_a_known_address_only(db):
    UserFactory(email="known@example.org")

    assert send_password_reset.call("unknown@example.org", "en") == 0
    assert send_password_reset.call("known@example.org", "en") == 1

    assert [m.to for m in mail.outbox] == [["known@example.org"]]


def test_password_reset_task_mails_no_deactivated_account(db):
    UserFactory(email="gone@example.org", is_active=False)

    assert send_password_reset.call("gone@example.org", "en") == 0
    assert mail.outbox == []


def test_password_reset_link_uses_site_url_not_the_request_host(client, settings):
    settings.ALLOWED_HOSTS = ["testserver", "evil.example"]
    settings.SITE_URL = "https://portal.example.org"
    UserFactory(email="known@example.org")

    response = client.post(RESET, {"email": "known@example.org"}, HTTP_HOST="evil.example")

    assert response.status_code == 302
    (message,) = mail.outbox
    assert "https://portal.example.org/accounts/password/reset/" in message.body
    assert "evil.example" not in message.body
    assert "evil.example" not in message.alternatives[0][0]


def test_password_reset_mail_is_in_the_persons_language(client):
    UserFactory(email="fr@example.org", language="fr")
    UserFactory(email="none@example.org", language="")

    client.post(RESET, {"email": "fr@example.org"})
    client.post(RESET, {"email": "none@example.org"}, HTTP_ACCEPT_LANGUAGE="es")

    french, spanish = mail.outbox
    assert "mot de passe" in french.subject.lower()
    assert "contraseña" in spanish.subject.lower()


def test_password_reset_page_query_count(client, django_assert_max_num_queries, queued):
    # The session and the queued task: nothing that depends on the address.
    with django_assert_max_num_queries(3):
        assert client.post(RESET, {"email": "someone@example.org"}).status_code == 302


def test_password_reset_mail_is_in_each_persons_language(client, world):
    world.lead_user.language = "fr"
    world.lead_user.save()
    client.post(reverse("password_reset"), {"email": world.lead_user.email})
    client.post(reverse("password_reset"), {"email": world.partner_user.email})
    french, english = mail.outbox
    assert french.to == [world.lead_user.email] and english.to == [world.partner_user.email]
    assert french.subject != english.subject
