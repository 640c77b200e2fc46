"""Issue 4's journey on the demo data, through the pages: the reviewer finds the demo
input in the queue, comments on a section, requests changes; the secretariat sees the
comment beside the section, edits, resubmits; the reviewer reads the diff, accepts; the
secretariat gives consent; the reviewer publishes. Every step is in the history and in
the e-mails."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from iscm_portal.demo import load_demo_data
from submissions.models import WrittenInput

from ..conftest import pass_second_factor
from .conftest import decide

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(reference_data, settings):
    settings.DEBUG = True
    load_demo_data(today=timezone.localdate())
    settings.DEBUG = False
    mail.outbox.clear()


def _login(client, email):
    client.logout()
    assert client.login(username=email, password="demo-password")
    pass_second_factor(client, User.objects.get(email=email))


def test_review_journey_on_demo_data(client, demo, django_capture_on_commit_callbacks):
    joint = WrittenInput.objects.get(slug="demo-rcm-cmc-joint-input")
    _login(client, "reviewer@example.org")
    queue = client.get(reverse("reviews:queue"))
    assert joint in list(queue.context["inputs"])

    client.post(
        reverse("reviews:comment-add", args=[joint.pk]),
        {
            "anchor": "section-5",
            "body": "Please quantify the resources.",
            "visibility": "secretariat",
        },
    )
    with django_capture_on_commit_callbacks(execute=True):
        decide(client, joint, "request_changes", message="Thank you; one point to complete.")

    _login(client, "secretariat@example.org")
    edit_url = reverse("submissions:input-edit", args=[joint.pk])
    page = client.get(edit_url)
    assert "Please quantify the resources." in page.content.decode()
    form = page.context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value in (None, False):
            continue
        data[name] = [str(v) for v in value] if isinstance(value, list) else value
    data["section_5"] += " Two staff positions are funded until 2027."
    assert client.post(edit_url, data).status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("submissions:input-submit", args=[joint.pk]))
    assert WrittenInput.objects.get(pk=joint.pk).status == "submitted"

    _login(client, "reviewer@example.org")
    diff = client.get(reverse("reviews:diff", args=[joint.pk]))
    assert "Two staff positions are funded until 2027." in diff.content.decode()
    assert "<ins>" in diff.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        decide(client, joint, "accept")

    _login(client, "secretariat@example.org")
    client.post(reverse("submissions:input-consent", args=[joint.pk]), {"consent": "yes"})

    _login(client, "reviewer@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        decide(client, joint, "publish")

    joint.refresh_from_db()
    assert joint.status == "published"
    assert joint.versions.count() == 2
    transitions = list(
        joint.events.filter(kind="transition").order_by("pk").values_list("to_status", flat=True)
    )
    assert transitions == ["submitted", "changes_requested", "submitted", "accepted", "published"]
    assert joint.events.filter(kind="consent_given").exists()
    subjects = {m.subject.split(":")[0] for m in mail.outbox}
    assert subjects >= {"Changes requested", "Submitted", "To review", "Accepted", "Published"}
    history = client.get(reverse("reviews:input", args=[joint.pk])).content.decode()
    assert "Status: Published" in history
