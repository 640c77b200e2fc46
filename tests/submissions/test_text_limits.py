"""Limits on typed text, consistent from field to request: each field holds at most
MAX_TEXT_CHARACTERS, an input MAX_INPUT_CHARACTERS together, and the request limit fits
the largest valid form. Anything bigger gets the form's page with a message, never a
bare 400, and nothing is saved."""

import re
from urllib.parse import urlencode

import pytest
from django.conf import settings as django_settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from submissions import editing
from submissions.forms import ContentForm, content_initial, objectives_for_form
from submissions.models import Attachment, SectionResponse
from submissions.snapshots import content_queryset
from submissions.uploads import MAX_DISPLAY_NAME_LENGTH
from submissions.validators import (
    MAX_INPUT_CHARACTERS,
    MAX_TEXT_CHARACTERS,
    count_characters,
    largest_form_request_bytes,
)

from ..sample_files import make_pdf

pytestmark = pytest.mark.django_db

URLENCODED = "application/x-www-form-urlencoded"
# The most expensive character to send: 4 bytes of UTF-8, each written "%XX".
WIDEST = "\U0001d538"  # MATHEMATICAL DOUBLE-STRUCK CAPITAL A
# Session, user, the input with its content, outline, objectives and choices: the edit
# page's own budget (tests/submissions/test_input_edit.py), plus the messages.
EDIT_PAGE_QUERIES = 30


def _edit_url(written_input):
    return reverse("submissions:input-edit", args=[written_input.pk])


def _text_fields(world):
    return [f"section_{n}" for n in (1, 3, 4)] + [
        f"objective_{o.number}_{part}"
        for o in world.objectives
        for part in ("progress", "practices", "challenges")
    ]


def _form_data(written_input, world, texts: dict) -> dict:
    """What the browser sends: every text area, the version and the digests of the
    loaded values."""
    written_input = content_queryset().get(pk=written_input.pk)
    sections = list(written_input.cycle.outline.sections.all())
    form = ContentForm(
        initial=content_initial(written_input, sections),
        written_input=written_input,
        sections=sections,
        objectives=list(objectives_for_form()),
    )
    data = {"version": written_input.version, "base": form.initial["base"]}
    data.update(dict.fromkeys(_text_fields(world), ""))
    data.update(texts)
    return data


def _fill_fields(world, count, character="a"):
    return dict.fromkeys(_text_fields(world)[:count], character * MAX_TEXT_CHARACTERS)


def test_request_limit_fits_the_largest_valid_form():
    assert largest_form_request_bytes() == django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert largest_form_request_bytes() >= MAX_INPUT_CHARACTERS * len(
        urlencode({"x": WIDEST}).encode()[2:]
    )


def test_largest_valid_content_save_is_saved(client, world, joint_input):
    client.force_login(world.lead_user)
    # Ten fields at their own limit make the input's limit, in the widest characters.
    fields = MAX_INPUT_CHARACTERS // MAX_TEXT_CHARACTERS
    body = urlencode(_form_data(joint_input, world, _fill_fields(world, fields, WIDEST)))
    assert len(body) > 12 * MAX_INPUT_CHARACTERS  # really the worst case
    assert len(body) <= django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = client.post(_edit_url(joint_input), body, content_type=URLENCODED)
    assert response.status_code == 302
    joint_input.refresh_from_db()
    assert joint_input.version == 2
    saved = SectionResponse.objects.get(input=joint_input, section=world.sections.intro).body
    assert saved == WIDEST * MAX_TEXT_CHARACTERS


def test_content_over_the_input_limit_is_refused_with_the_text_kept(client, world, joint_input):
    client.force_login(world.lead_user)
    fields = MAX_INPUT_CHARACTERS // MAX_TEXT_CHARACTERS + 1
    data = _form_data(joint_input, world, _fill_fields(world, fields))
    data["section_1"] = "Our introduction " + "b" * (MAX_TEXT_CHARACTERS - 17)
    response = client.post(_edit_url(joint_input), data)
    assert response.status_code == 409
    body = response.content.decode()
    assert "would hold 550,000 characters together" in body
    assert "at most 500,000" in body
    assert "What you typed has not been saved" in body
    assert "Our introduction bbb" in body  # the text is still in its field
    joint_input.refresh_from_db()
    assert joint_input.version == 1
    assert not SectionResponse.objects.filter(input=joint_input).exists()


def test_input_limit_counts_the_texts_already_saved(world, joint_input):
    sections = {
        world.sections.intro.pk: "a" * MAX_TEXT_CHARACTERS,
        world.sections.recommendations.pk: "b" * MAX_TEXT_CHARACTERS,
    }
    objectives = {
        o.pk: dict.fromkeys(("progress", "practices", "challenges"), "c" * MAX_TEXT_CHARACTERS)
        for o in world.objectives[:2]
    }
    version = editing.save_content(
        joint_input,
        editing.ContentChanges(sections=sections, objectives=objectives),
        by=world.lead_user,
        expected_version=1,
    )  # 8 fields of 50,000: 400,000
    more = {world.objectives[2].pk: dict.fromkeys(("progress", "practices"), "d" * 50_000)}
    version = editing.save_content(
        joint_input,
        editing.ContentChanges(sections={}, objectives=more),
        by=world.lead_user,
        expected_version=version,
    )  # 500,000: the limit itself
    with pytest.raises(editing.EditRefused, match="500,001"):
        editing.save_content(
            joint_input,
            editing.ContentChanges(sections={world.sections.principles.pk: "e"}, objectives={}),
            by=world.lead_user,
            expected_version=version,
        )
    # Replacing a text counts the new one only; giving up an objective frees its part.
    version = editing.save_content(
        joint_input,
        editing.ContentChanges(
            sections={world.sections.intro.pk: "short"},
            objectives={},
            removed_objectives={world.objectives[0].pk},
        ),
        by=world.lead_user,
        expected_version=version,
    )
    assert version == 4


def test_line_breaks_count_once_whether_sent_as_crlf_or_lf():
    assert count_characters("a\r\nb\nc") == 5
    assert count_characters(WIDEST * 3) == 3


def test_edit_page_tells_its_script_the_limits(client, world, joint_input):
    client.force_login(world.lead_user)
    body = client.get(_edit_url(joint_input)).content.decode()
    assert f'data-max-characters="{MAX_INPUT_CHARACTERS}"' in body
    assert f'data-field-max-characters="{MAX_TEXT_CHARACTERS}"' in body
    assert 'id="form-size-problem"' in body
    assert "an input can hold at most %(limit)s" in body
    assert "js/form-limits.js" in body


def _oversized_body(written_input, world):
    """More than any valid form: a form the server refuses before reading it."""
    data = _form_data(written_input, world, {"section_1": "x"})
    data["section_3"] = "y" * (django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    return urlencode(data)


def test_oversized_save_shows_the_edit_page_with_a_message(
    world, joint_input, django_assert_max_num_queries
):
    editing.save_content(
        joint_input,
        editing.ContentChanges(sections={world.sections.intro.pk: "Saved before."}, objectives={}),
        by=world.lead_user,
        expected_version=1,
    )
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.lead_user)
    page = client.get(_edit_url(joint_input)).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = _oversized_body(joint_input, world)
    with django_assert_max_num_queries(EDIT_PAGE_QUERIES):
        response = client.post(_edit_url(joint_input), body, content_type=URLENCODED)
    assert response.status_code == 413
    page = response.content.decode()
    assert "Nothing was saved: what you sent was larger than the portal accepts." in page
    assert 'id="content-form"' in page
    assert "Saved before." in page  # the saved text, in the site's layout
    assert "js/form-limits.js" in page
    joint_input.refresh_from_db()
    assert joint_input.version == 2
    # The session and the CSRF token still work: the next save goes through.
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = _form_data(joint_input, world, {"section_1": "Saved after."})
    data["csrfmiddlewaretoken"] = token
    response = client.post(_edit_url(joint_input), data)
    assert response.status_code == 302
    assert SectionResponse.objects.get(input=joint_input, section=world.sections.intro).body == (
        "Saved after."
    )


def test_oversized_save_to_someone_elses_input_is_a_404(client, world, joint_input):
    client.force_login(world.other_user)
    body = _oversized_body(joint_input, world)
    response = client.post(_edit_url(joint_input), body, content_type=URLENCODED)
    assert response.status_code == 404


def test_oversized_save_signed_out_goes_to_sign_in(client, world, joint_input):
    body = _oversized_body(joint_input, world)
    response = client.post(_edit_url(joint_input), body, content_type=URLENCODED)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_too_many_fields_show_the_edit_page_with_a_message(client, world, joint_input):
    client.force_login(world.lead_user)
    data = _form_data(joint_input, world, {})
    body = urlencode(data) + "&principles=1" * (django_settings.DATA_UPLOAD_MAX_NUMBER_FIELDS)
    response = client.post(_edit_url(joint_input), body, content_type=URLENCODED)
    assert response.status_code == 413
    assert "larger than the portal accepts" in response.content.decode()


def test_oversized_import_apply_shows_the_import_page(client, world, joint_input):
    client.force_login(world.lead_user)
    body = urlencode({"payload": "p" * (django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})
    response = client.post(
        reverse("submissions:input-import-apply", args=[joint_input.pk]),
        body,
        content_type=URLENCODED,
    )
    assert response.status_code == 413
    page = response.content.decode()
    assert "larger than the portal accepts" in page
    assert "Preview the import" in page


def _upload(client, written_input, name, title):
    return client.post(
        reverse("submissions:attachment-upload", args=[written_input.pk]),
        {"file": SimpleUploadedFile(name, make_pdf(), "application/pdf"), "title": title},
    )


def test_upload_forms_tell_their_script_the_file_name_limit(client, world, joint_input):
    client.force_login(world.lead_user)
    for url in (
        reverse("submissions:input-detail", args=[joint_input.pk]),
        reverse("submissions:input-import", args=[joint_input.pk]),
    ):
        page = client.get(url).content.decode()
        assert f'data-name-limit="{MAX_DISPLAY_NAME_LENGTH}"' in page
        assert "js/form-limits.js" in page


def test_attachment_with_a_long_file_name_keeps_its_extension(client, world, joint_input):
    client.force_login(world.lead_user)
    response = _upload(client, joint_input, "Rapport " * 70 + "final.pdf", "Report")
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert len(attachment.display_name) == MAX_DISPLAY_NAME_LENGTH
    assert attachment.display_name.startswith("Rapport Rapport")
    assert attachment.display_name.endswith(".pdf")


def test_attachment_whose_name_django_cannot_read_shows_the_input_page(
    client, world, joint_input, settings
):
    client.force_login(world.lead_user)
    # As a browser sends it (the test client would cut the name to 255 characters).
    boundary = "----portal-test"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nReport\r\n',
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="{"n" * 1100}.pdf"\r\nContent-Type: application/pdf\r\n\r\n',
    ]
    body = "".join(parts).encode() + make_pdf() + f"\r\n--{boundary}--\r\n".encode()
    response = client.post(
        reverse("submissions:attachment-upload", args=[joint_input.pk]),
        body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "its name may be too long: rename the file to at most 120 characters" in page
    assert (
        'action="{}"'.format(reverse("submissions:attachment-upload", args=[joint_input.pk]))
        in page
    )
    assert not Attachment.objects.exists()
    assert not default_storage.exists("attachments")
