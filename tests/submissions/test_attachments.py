"""Attachments through the pages: stored under random names by content, refused with
the reason next to the field and nothing stored, served only as downloads to people
who may see the input."""

import datetime

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from submissions import editing, workflow
from submissions.models import Attachment, WrittenInput

from ..sample_files import make_pdf, make_pdf_with_active_content
from .conftest import submitted_input

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()


def _upload(client, written_input, name, content, title=""):
    return client.post(
        reverse("submissions:attachment-upload", args=[written_input.pk]),
        {
            "file": SimpleUploadedFile(name, content, content_type="application/pdf"),
            "title": title,
        },
    )


def _stored_files(settings):
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_upload_a_pdf_stores_it_under_a_random_name(client, world, joint_input, settings):
    client.force_login(world.partner_user)
    pdf = make_pdf()
    response = _upload(client, joint_input, "Rapport final.pdf", pdf, title="Final report")
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert (attachment.title, attachment.display_name, attachment.content_type) == (
        "Final report",
        "Rapport final.pdf",
        "application/pdf",
    )
    assert attachment.size == len(pdf)
    assert len(attachment.sha256) == 64
    assert "Rapport" not in attachment.file.name
    assert attachment.file.name.startswith("attachments/")
    with default_storage.open(attachment.file.name) as stored:
        assert stored.read() == pdf


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("setup.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "looks like a program"),
        ("page.pdf", b"<!doctype html><html><script>alert(1)</script></html>", "web page"),
        ("cut.pdf", make_pdf()[:300], "damaged or incomplete"),
        ("annex.pdf", make_pdf_with_active_content(), "can start programs or open other files"),
    ],
)
def test_upload_refused_by_content_with_reason_on_the_form(
    client, world, joint_input, settings, name, content, reason
):
    client.force_login(world.lead_user)
    response = _upload(client, joint_input, name, content)
    assert response.status_code == 400
    assert reason in response.context["attachment_form"].errors["file"][0]
    assert reason in response.content.decode()
    assert not Attachment.objects.exists()
    assert _stored_files(settings) == []


def test_upload_refused_when_oversize(client, world, joint_input, settings):
    settings.ATTACHMENT_MAX_BYTES = 1000
    client.force_login(world.lead_user)
    response = _upload(client, joint_input, "big.pdf", make_pdf(pages=5) + b" " * 2000)
    assert "larger than the" in response.content.decode()
    assert not Attachment.objects.exists()
    assert _stored_files(settings) == []


def test_upload_refused_past_the_count_limit(client, world, joint_input, settings):
    settings.ATTACHMENT_MAX_COUNT = 2
    client.force_login(world.lead_user)
    for n in range(2):
        assert _upload(client, joint_input, f"a{n}.pdf", make_pdf()).status_code == 302
    response = _upload(client, joint_input, "a3.pdf", make_pdf())
    assert "at most 2 attachments" in response.content.decode()
    assert Attachment.objects.count() == 2
    assert len(_stored_files(settings)) == 2


def test_upload_refused_after_submission(client, world, ready_input):
    workflow.submit_input(ready_input, by=world.lead_user, today=timezone.localdate())
    client.force_login(world.lead_user)
    response = _upload(client, ready_input, "late.pdf", make_pdf())
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert "only be added while the input is editable" in page.content.decode()
    assert not Attachment.objects.exists()


def _attach(world, written_input):
    return editing.add_attachment(
        written_input,
        SimpleUploadedFile("annex.pdf", make_pdf()),
        title="Annex",
        by=world.lead_user,
    )


def test_download_is_an_attachment_with_nosniff(client, world, joint_input):
    attachment = _attach(world, joint_input)
    client.force_login(world.partner_user)
    response = client.get(attachment.get_absolute_url())
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="annex.pdf"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


@pytest.mark.parametrize(
    ("persona", "draft", "submitted"),
    [
        ("lead_user", 200, 200),
        ("other_user", 404, 404),
        ("reviewer", 404, 200),
        ("other_reviewer", 404, 404),
        ("admin", 404, 200),
    ],
)
def test_download_access_per_persona(client, world, ready_input, persona, draft, submitted):
    attachment = _attach(world, ready_input)
    client.force_login(getattr(world, persona))

    def status():
        response = client.get(attachment.get_absolute_url())
        # Reading a streamed response to the end lets the test client close the file;
        # response.close() would also fire request_finished and close the test's
        # database connection (PostgreSQL notices, SQLite in memory does not).
        if response.streaming:
            b"".join(response.streaming_content)
        return response.status_code

    assert status() == draft
    workflow.submit_input(ready_input, by=world.lead_user, today=timezone.localdate())
    assert status() == submitted


def test_download_needs_sign_in(client, world, joint_input):
    attachment = _attach(world, joint_input)
    response = client.get(attachment.get_absolute_url())
    assert response.status_code == 302


def test_remove_attachment_hides_it_but_keeps_the_file_for_versions(
    client, world, ready_input, settings
):
    attachment = _attach(world, ready_input)
    workflow.submit_input(ready_input, by=world.lead_user, today=timezone.localdate())
    WrittenInput.objects.filter(pk=ready_input.pk).update(status="changes_requested")
    client.force_login(world.partner_user)
    response = client.post(
        reverse("submissions:attachment-delete", args=[ready_input.pk, attachment.pk])
    )
    assert response.status_code == 302
    attachment.refresh_from_db()
    assert attachment.removed_at is not None
    assert not Attachment.objects.current().exists()
    assert len(_stored_files(settings)) == 1  # version 1 still refers to it
    [entry] = ready_input.versions.get().snapshot["attachments"]
    assert (entry["id"], entry["file"]) == (attachment.pk, attachment.file.name)
    page = client.get(reverse("submissions:input-detail", args=[ready_input.pk]))
    assert "No attachments." in page.content.decode()


def test_download_of_a_missing_file_is_404_not_500(client, world, joint_input):
    attachment = _attach(world, joint_input)
    default_storage.delete(attachment.file.name)
    client.force_login(world.lead_user)
    assert client.get(attachment.get_absolute_url()).status_code == 404


def test_remove_attachment_of_another_input_is_404(client, world, joint_input):
    attachment = _attach(world, joint_input)
    other = editing.create_input(
        by=world.other_user,
        cycle=world.cycle,
        lead_iscm=world.other,
        partners=[],
        targets=[world.reviews.afr],
        title="Other",
        language="en",
        basis="written_input",
    )
    client.force_login(world.other_user)
    response = client.post(
        reverse("submissions:attachment-delete", args=[other.pk, attachment.pk])
    )
    assert response.status_code == 404
    assert Attachment.objects.exists()


def test_reviewers_cannot_download_files_of_the_unsent_draft(client, world):
    written_input = submitted_input(world)
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
