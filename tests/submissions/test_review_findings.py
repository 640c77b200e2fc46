"""Regression tests for the defects an internal review found in the written-input
pages: each would have lost text, leaked access, or answered with a 500."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse

from submissions import editing, workflow
from submissions.models import (
    InputVersion,
    ObjectiveResponse,
    OutlineSection,
    SectionResponse,
    WrittenInput,
)

from ..factories import OutlineFactory
from .conftest import fill

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()


def _edit(written_input):
    return reverse("submissions:input-edit", args=[written_input.pk])


def _loaded_form_data(client, written_input, **typed):
    """The edit form as a browser would post it after loading the page."""
    form = client.get(_edit(written_input)).context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value in (None, False):
            continue
        data[name] = [str(v) for v in value] if isinstance(value, list) else value
    data.update(typed)
    return data


def _body(written_input, section):
    return SectionResponse.objects.get(input=written_input, section=section).body


def test_save_after_the_lead_submitted_keeps_the_typed_text(client, world, ready_input):
    client.force_login(world.partner_user)
    data = _loaded_form_data(client, ready_input, section_4="Partner's late paragraph.")
    workflow.submit_input(ready_input, by=world.lead_user, today=TODAY)

    response = client.post(_edit(ready_input), data)
    body = response.content.decode()
    assert response.status_code == 409
    assert "can no longer be edited" in body
    assert "Partner&#x27;s late paragraph." in body
    assert not SectionResponse.objects.filter(
        input=ready_input, section=world.sections.recommendations
    ).exists()


def test_stale_save_of_different_fields_merges_both(client, world, ready_input):
    client.force_login(world.partner_user)
    partner_data = _loaded_form_data(client, ready_input, section_4="Partner's recommendations.")
    fill(ready_input, world, intro="Lead's new introduction.")  # the lead saves meanwhile

    response = client.post(_edit(ready_input), partner_data)
    assert response.status_code == 302
    assert _body(ready_input, world.sections.intro) == "Lead's new introduction."
    assert _body(ready_input, world.sections.recommendations) == "Partner's recommendations."
    page = client.get(response["Location"])
    assert "both are kept" in page.content.decode()


def test_stale_save_of_the_same_field_shows_the_conflict_and_keeps_the_rest(
    client, world, ready_input
):
    client.force_login(world.partner_user)
    partner_data = _loaded_form_data(client, ready_input, section_1="Partner's introduction.")
    # The lead changes the same section and adds an objective meanwhile.
    ready_input.refresh_from_db()
    editing.save_content(
        ready_input,
        editing.ContentChanges(
            sections={world.sections.intro.pk: "Lead's introduction."},
            objectives={
                world.objectives[1].pk: {"progress": "Lead's objective 2.", "practices": ""}
            },
        ),
        by=world.lead_user,
        expected_version=ready_input.version,
    )

    response = client.post(_edit(ready_input), partner_data)
    assert response.status_code == 409
    assert set(response.context["other_changes"]) == {"section_1"}
    assert "Lead&#x27;s introduction." in response.content.decode()
    # Saving the re-shown form keeps the partner's text and the lead's objective.
    again = client.post(_edit(ready_input), response.context["form"].data)
    assert again.status_code == 302
    assert _body(ready_input, world.sections.intro) == "Partner's introduction."
    assert ObjectiveResponse.objects.get(
        input=ready_input, objective=world.objectives[1]
    ).progress == ("Lead's objective 2.")


def test_a_post_with_only_the_version_changes_nothing(client, world, ready_input):
    client.force_login(world.lead_user)
    response = client.post(_edit(ready_input), {"version": ready_input.version})
    assert response.status_code == 302
    assert _body(ready_input, world.sections.intro) == "We met twice and agreed on this text."
    assert ObjectiveResponse.objects.filter(input=ready_input).count() == 1


def test_an_outline_without_objectives_never_deletes_objective_responses(
    client, world, ready_input
):
    OutlineSection.objects.filter(pk=world.sections.objectives.pk).update(outline=OutlineFactory())
    client.force_login(world.lead_user)
    data = _loaded_form_data(client, ready_input, section_1="Changed.")
    assert "objective_1" not in data
    assert client.post(_edit(ready_input), data).status_code == 302
    assert ObjectiveResponse.objects.filter(input=ready_input).count() == 1


def test_an_extension_never_shortens_a_deadline(world, ready_input):
    WrittenInput.objects.filter(pk=ready_input.pk).update(
        deadline_extension=TODAY - datetime.timedelta(days=1)
    )
    ready_input.refresh_from_db()
    assert ready_input.deadline_for(world.reviews.amr) == world.reviews.amr.deadline
    workflow.submit_input(ready_input, by=world.lead_user, today=TODAY)


def test_changes_requested_input_can_be_resubmitted_with_a_new_version(client, world, ready_input):
    workflow.submit_input(ready_input, by=world.lead_user, today=TODAY)
    WrittenInput.objects.filter(pk=ready_input.pk).update(status="changes_requested")
    fill(ready_input, world, intro="Improved after the reviewer's comments.")
    client.force_login(world.lead_user)
    page = client.get(reverse("submissions:input-detail", args=[ready_input.pk]))
    assert "Resubmit to IOM" in page.content.decode()
    client.post(reverse("submissions:input-submit", args=[ready_input.pk]))
    ready_input.refresh_from_db()
    assert ready_input.status == "submitted"
    assert list(
        InputVersion.objects.filter(input=ready_input).values_list("number", flat=True)
    ) == [
        1,
        2,
    ]
    latest = InputVersion.objects.get(input=ready_input, number=2)
    assert latest.snapshot["sections"][0]["body"] == "Improved after the reviewer's comments."


class BrokenMailBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("mail server down")


def test_a_failing_mail_server_does_not_turn_a_submission_into_an_error(
    client, world, ready_input, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = f"{__name__}.BrokenMailBackend"
    client.force_login(world.lead_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("submissions:input-submit", args=[ready_input.pk]))
    assert response.status_code == 302
    assert WrittenInput.objects.get(pk=ready_input.pk).status == "submitted"
    assert mail.outbox == []


@pytest.mark.parametrize("field", ["partner_iscms", "target_reviews", "lead_iscm"])
def test_huge_ids_in_forms_are_a_form_error(client, world, field):
    client.force_login(world.lead_user)
    data = {
        "lead_iscm": world.lead.pk,
        "target_reviews": [world.reviews.amr.pk],
        "title": "t",
        "language": "en",
        "basis": "written_input",
        field: "99999999999999999999999",
    }
    response = client.post(reverse("submissions:input-create"), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors


def _in_arabic_indic_digits(number: int) -> str:
    return "".join(chr(0x0660 + int(digit)) for digit in str(number))


@pytest.mark.parametrize("field", ["partner_iscms", "lead_iscm"])
def test_ids_in_other_scripts_digits_in_forms_are_a_form_error(client, world, field):
    # int() reads "٣" as 3: the ISCM would be found by digits nobody typed.
    client.force_login(world.lead_user)
    data = {
        "lead_iscm": world.lead.pk,
        "target_reviews": [world.reviews.amr.pk],
        "title": "t",
        "language": "en",
        "basis": "written_input",
        field: _in_arabic_indic_digits(
            world.lead.pk if field == "lead_iscm" else world.partner.pk
        ),
    }
    response = client.post(reverse("submissions:input-create"), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors


def test_huge_ids_in_urls_are_404(client, world):
    client.force_login(world.lead_user)
    assert client.get("/my/inputs/99999999999999999999999/").status_code == 404
    assert client.get("/objectives/99999999999999999999999/").status_code == 404


def test_checklist_links_point_at_elements_that_exist(client, world, joint_input):
    joint_input.target_reviews.clear()
    client.force_login(world.lead_user)
    detail = client.get(
        reverse("submissions:input-detail", args=[joint_input.pk])
    ).content.decode()
    assert "details/#div_id_target_reviews" in detail
    page = client.get(reverse("submissions:input-details", args=[joint_input.pk])).content.decode()
    assert 'id="div_id_target_reviews"' in page
    edit = client.get(_edit(joint_input)).content.decode()
    assert 'id="section-1"' in edit
