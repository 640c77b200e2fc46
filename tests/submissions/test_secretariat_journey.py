"""The issue's journey through the pages, on the real reference data and the demo
accounts: a joint RCM + CMC input for the ECLAC and ECE reviews, filled, a PDF
attached, co-edited by the partner, submitted by the lead, e-mails to both."""

import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from iscm_portal.demo import load_demo_data
from submissions.models import ISCM, RegionalReview, WrittenInput

from ..sample_files import make_pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(reference_data, settings):
    settings.DEBUG = True
    load_demo_data(today=timezone.localdate())
    settings.DEBUG = False
    mail.outbox.clear()


def _content_data(page, **typed):
    """The edit form as the browser would send it: every field's current value."""
    form = page.context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value in (None, False, ""):
            continue
        data[name] = [str(v) for v in value] if isinstance(value, list) else value
    data.update(typed)
    return data


def test_secretariat_journey_joint_input_to_submission(
    client, demo, django_capture_on_commit_callbacks
):
    client.login(username="secretariat@example.org", password="demo-password")
    dashboard = client.get(reverse("submissions:dashboard"))
    assert "New written input" in dashboard.content.decode()

    eclac = RegionalReview.objects.get(cycle__active=True, region__code="ECLAC")
    ece = RegionalReview.objects.get(cycle__active=True, region__code="ECE")
    response = client.post(
        reverse("submissions:input-create"),
        {
            "lead_iscm": dashboard.context["memberships"][0].iscm.pk,
            "partner_iscms": [ISCM.objects.get(slug="cmc").pk],
            "target_reviews": [eclac.pk, ece.pk],
            "title": "RCM and CMC: second joint input",
            "language": "en",
            "basis": "written_input",
        },
    )
    written_input = WrittenInput.objects.get(title="RCM and CMC: second joint input")
    edit_url = reverse("submissions:input-edit", args=[written_input.pk])
    assert response["Location"] == edit_url

    page = client.get(edit_url)
    texts = {f"section_{n}": f"Text of section {n}, written by the lead." for n in (1, 2, 5, 7)}
    data = _content_data(
        page,
        objective_5="on",
        objective_5_progress="Temporary labour programmes grew.",
        objective_23="on",
        objective_23_progress="First joint session held.",
        **texts,
    )
    assert client.post(edit_url, data).status_code == 302

    upload = client.post(
        reverse("submissions:attachment-upload", args=[written_input.pk]),
        {"file": SimpleUploadedFile("minutes.pdf", make_pdf()), "title": "Meeting minutes"},
    )
    assert upload.status_code == 302

    client.logout()
    client.login(username="partner@example.org", password="demo-password")
    page = client.get(edit_url)
    assert page.status_code == 200
    data = _content_data(page, section_2="Text of section 2, improved by the partner.")
    assert client.post(edit_url, data).status_code == 302

    client.logout()
    client.login(username="secretariat@example.org", password="demo-password")
    detail = client.get(reverse("submissions:input-detail", args=[written_input.pk]))
    assert "Checklist complete" in detail.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("submissions:input-submit", args=[written_input.pk]))

    written_input.refresh_from_db()
    assert written_input.status == "submitted"
    snapshot = written_input.versions.get().snapshot
    assert snapshot["sections"][1]["body"] == "Text of section 2, improved by the partner."
    assert [o["number"] for o in snapshot["objectives"]] == [5, 23]
    assert snapshot["attachments"][0]["title"] == "Meeting minutes"
    submitted = [m for m in mail.outbox if m.subject.startswith("Submitted:")]
    assert sorted(m.to[0] for m in submitted) == ["partner@example.org", "secretariat@example.org"]
    to_review = sorted(m.to[0] for m in mail.outbox if m.subject.startswith("To review:"))
    assert to_review == ["compiler@example.org", "reviewer@example.org"]  # ECLAC and ECE
    link = re.search(r"http://\S+/my/inputs/\d+/", submitted[0].body).group(0)
    assert link.endswith(f"/my/inputs/{written_input.pk}/")


def test_demo_inputs_exist_in_their_states_and_load_idempotently(demo, settings):
    joint = WrittenInput.objects.get(slug="demo-rcm-cmc-joint-input")
    assert joint.status == "submitted"
    assert joint.versions.count() == 1
    assert {i.acronym for i in joint.partner_iscms.all()} == {"CMC"}
    assert {r.region.code for r in joint.target_reviews.all()} == {"ECLAC", "ECE"}
    arabic = WrittenInput.objects.get(slug="demo-arcp-arabic-draft")
    assert (arabic.status, arabic.language, arabic.direction) == ("draft", "ar", "rtl")

    published = WrittenInput.objects.get(slug="demo-rcm-cmc-joint-published")
    assert published.status == "published" and published.is_joint
    assert published.published_version == 1 and "hurricane" in published.search_document

    settings.DEBUG = True
    load_demo_data(today=timezone.localdate())
    assert WrittenInput.objects.count() == 19  # 12 of the open cycle, 7 of the previous
