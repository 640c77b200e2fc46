"""Submitting, withdrawing and consent: the checklist rules, the version taken, the
first history event, the e-mails after commit."""

import datetime

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from submissions import editing, workflow
from submissions.checklist import submission_problems
from submissions.models import InputVersion, ReviewEvent, WrittenInput
from submissions.snapshots import content_queryset

from ..sample_files import make_pdf
from .conftest import fill, submitted_input

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()


def _problems(written_input, today=None):
    loaded = content_queryset().get(pk=written_input.pk)
    return [p.message for p in submission_problems(loaded, today or timezone.localdate())]


def test_checklist_of_an_empty_draft_lists_what_is_missing(world, joint_input):
    problems = _problems(joint_input)
    assert problems == [
        "Section 1 “Introduction” is required and still empty.",
        "Report the progress on at least one GCM objective (section 2).",
    ]


def test_checklist_is_empty_when_ready(world, ready_input):
    assert _problems(ready_input) == []


def test_checklist_word_limits_of_sections_and_objectives(world, joint_input):
    editing.save_content(
        joint_input,
        editing.ContentChanges(
            sections={
                world.sections.intro.pk: "word " * 51,
                world.sections.principles.pk: "x " * 41,
            },
            objectives={
                world.objectives[0].pk: {
                    "progress": "word " * 20,
                    "practices": "word " * 10,
                    "challenges": "one",
                }
            },
        ),
        by=world.lead_user,
        expected_version=1,
    )
    assert _problems(joint_input) == [
        "Section 1 “Introduction” has 51 words; the limit is 50.",
        "Objective 1 has 31 words; the limit is 30 per objective.",
        "Section 3 “Principles” has 41 words; the limit is 40.",
    ]


def test_checklist_deadline_passed_and_extension_overrides(world, ready_input):
    review = world.reviews.eur
    review.submission_opens = TODAY - datetime.timedelta(days=20)
    review.deadline = TODAY - datetime.timedelta(days=2)
    review.save()
    [problem] = _problems(ready_input)
    assert problem.startswith("The deadline of the EUR review passed on")

    WrittenInput.objects.filter(pk=ready_input.pk).update(
        deadline_extension=TODAY + datetime.timedelta(days=5)
    )
    assert _problems(ready_input) == []


def test_checklist_review_not_yet_open_or_not_scheduled(world, ready_input):
    world.reviews.amr.submission_opens = TODAY + datetime.timedelta(days=3)
    world.reviews.amr.save()
    world.reviews.eur.submission_opens = None
    world.reviews.eur.save()
    problems = _problems(ready_input)
    assert problems[0].startswith("The AMR review opens for inputs on")
    assert problems[1] == "The EUR review is not scheduled yet: it takes no inputs."


def test_checklist_region_not_covered_by_a_participating_iscm(world, ready_input):
    ready_input.partner_iscms.clear()
    assert _problems(ready_input) == [
        "EUR is not covered by LEAD: add a partner ISCM whose member States are in EUR, "
        "or remove this review."
    ]


def test_checklist_no_review_at_all(world, ready_input):
    ready_input.target_reviews.clear()
    assert _problems(ready_input) == ["Choose at least one regional review."]


def test_submit_takes_a_version_writes_the_first_event_and_mails_after_commit(
    world, ready_input, django_capture_on_commit_callbacks
):
    editing.add_attachment(
        ready_input,
        SimpleUploadedFile("annex.pdf", make_pdf(), content_type="application/pdf"),
        title="Annex",
        by=world.lead_user,
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        workflow.submit_input(ready_input, by=world.lead_user, today=TODAY)
    assert mail.outbox == []  # nothing is sent before the commit
    for callback in callbacks:
        callback()

    ready_input.refresh_from_db()
    assert ready_input.status == "submitted"
    version = InputVersion.objects.get(input=ready_input)
    assert version.number == 1
    assert version.snapshot["title"] == "Joint input"
    assert version.snapshot["sections"][0]["body"] == "We met twice and agreed on this text."
    assert version.snapshot["objectives"][0]["progress"] == "Progress made."
    attachment = ready_input.attachments.get()
    assert version.snapshot["attachments"] == [
        {
            "id": attachment.pk,
            "file": attachment.file.name,
            "title": "Annex",
            "display_name": "annex.pdf",
            "content_type": "application/pdf",
            "size": attachment.size,
            "sha256": attachment.sha256,
        }
    ]
    [event] = ReviewEvent.objects.filter(input=ready_input)
    assert (event.from_status, event.to_status, event.actor, event.version_number) == (
        "draft",
        "submitted",
        world.lead_user,
        1,
    )

    submitted = [m for m in mail.outbox if m.subject.startswith("Submitted:")]
    recipients = sorted(address for message in submitted for address in message.to)
    assert recipients == sorted([world.lead_user.email, world.partner_user.email])
    to_review = [m.to for m in mail.outbox if m.subject.startswith("To review:")]
    assert to_review == [[world.reviewer.email]]  # the reviewer of AMR; EUR has none
    message = submitted[0]
    assert message.subject == "Submitted: LEAD input “Joint input”"
    assert f"/my/inputs/{ready_input.pk}/" in message.body
    assert "Joint input with: PART" in message.body
    assert message.alternatives[0][1] == "text/html"


def test_submit_refused_with_the_checklist_when_not_ready(world, joint_input):
    with pytest.raises(workflow.TransitionRefused) as refused:
        workflow.submit_input(joint_input, by=world.lead_user, today=TODAY)
    assert len(refused.value.problems) == 2
    joint_input.refresh_from_db()
    assert joint_input.status == "draft"
    assert not InputVersion.objects.exists()
    assert not ReviewEvent.objects.exists()


def test_joint_input_co_edited_by_partner_but_submitted_only_by_lead(client, world, joint_input):
    fill(joint_input, world, by=world.partner_user)
    client.force_login(world.partner_user)
    detail = client.get(reverse("submissions:input-detail", args=[joint_input.pk]))
    assert "Only the lead ISCM's secretariat can submit" in detail.content.decode()
    response = client.post(reverse("submissions:input-submit", args=[joint_input.pk]), follow=True)
    assert "You may not do this on this input." in response.content.decode()
    assert WrittenInput.objects.get(pk=joint_input.pk).status == "draft"

    client.force_login(world.lead_user)
    response = client.post(reverse("submissions:input-submit", args=[joint_input.pk]), follow=True)
    assert "Submitted." in response.content.decode()
    assert WrittenInput.objects.get(pk=joint_input.pk).status == "submitted"


def test_submit_page_shows_the_checklist_linking_to_sections(client, world, joint_input):
    client.force_login(world.lead_user)
    body = client.get(reverse("submissions:input-detail", args=[joint_input.pk])).content.decode()
    assert f'href="/my/inputs/{joint_input.pk}/edit/#section-1"' in body
    fill(joint_input, world)
    body = client.get(reverse("submissions:input-detail", args=[joint_input.pk])).content.decode()
    assert "Checklist complete" in body


def test_submitting_twice_is_refused_naming_who_submitted(world, ready_input):
    workflow.submit_input(ready_input, by=world.lead_user, today=TODAY)
    with pytest.raises(workflow.TransitionRefused) as refused:
        workflow.submit_input(ready_input, by=world.lead_user, today=TODAY)
    assert "“Submitted” now (Lea Lead," in refused.value.message
    assert InputVersion.objects.count() == 1


def test_withdraw_needs_a_reason_and_the_lead(
    client, world, ready_input, django_capture_on_commit_callbacks
):
    workflow.submit_input(ready_input, by=world.lead_user, today=TODAY)
    url = reverse("submissions:input-withdraw", args=[ready_input.pk])

    client.force_login(world.partner_user)
    response = client.post(url, {"reason": "We changed our minds."})
    assert response.status_code == 404  # the lead's page alone
    assert WrittenInput.objects.get(pk=ready_input.pk).status == "submitted"

    client.force_login(world.lead_user)
    response = client.post(url, {"reason": "  "})
    assert response.status_code == 200
    assert WrittenInput.objects.get(pk=ready_input.pk).status == "submitted"

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"reason": "The meeting will adopt a new text."})
    assert response.status_code == 302
    ready_input.refresh_from_db()
    assert ready_input.status == "withdrawn"
    event = ready_input.events.latest("pk")
    assert event.message == "The meeting will adopt a new text."
    assert {m.subject for m in mail.outbox} == {"Withdrawn: LEAD input “Joint input”"}


def test_withdraw_refused_once_accepted(world, ready_input):
    WrittenInput.objects.filter(pk=ready_input.pk).update(status="accepted")
    with pytest.raises(workflow.TransitionRefused):
        workflow.withdraw_input(ready_input, by=world.lead_user, reason="late")


def test_consent_given_and_withdrawn_by_the_lead_only(client, world, joint_input):
    url = reverse("submissions:input-consent", args=[joint_input.pk])
    client.force_login(world.partner_user)
    client.post(url, {"consent": "yes"})
    assert not WrittenInput.objects.get(pk=joint_input.pk).publication_consent

    client.force_login(world.lead_user)
    client.post(url, {"consent": "yes"})
    assert WrittenInput.objects.get(pk=joint_input.pk).publication_consent
    client.post(url, {"consent": "no"})
    assert not WrittenInput.objects.get(pk=joint_input.pk).publication_consent
    assert list(joint_input.events.values_list("kind", flat=True)) == [
        "consent_given",
        "consent_withdrawn",
    ]


def test_consent_cannot_change_once_published(world, joint_input):
    WrittenInput.objects.filter(pk=joint_input.pk).update(status="published")
    with pytest.raises(workflow.TransitionRefused, match="published"):
        workflow.set_publication_consent(joint_input, by=world.lead_user, consent=True)


def test_history_hides_internal_notes_from_the_secretariat(client, world, ready_input):
    workflow.submit_input(ready_input, by=world.lead_user, today=TODAY)
    ReviewEvent.objects.create(
        input=ready_input,
        kind=ReviewEvent.Kind.COMMENT,
        actor=world.reviewer,
        message="Internal: check the figures with the regional office.",
        visibility=ReviewEvent.Visibility.INTERNAL,
    )
    client.force_login(world.partner_user)
    body = client.get(reverse("submissions:input-detail", args=[ready_input.pk])).content.decode()
    assert "Status: Submitted" in body
    assert "check the figures" not in body


def test_resubmission_after_the_deadline_is_allowed(world):
    written_input = submitted_input(world)
    workflow.request_changes(written_input, by=world.reviewer, message="More.")
    late = world.reviews.amr.deadline + datetime.timedelta(days=10)
    workflow.resubmit_input(written_input, by=world.lead_user, today=late)
    assert WrittenInput.objects.get(pk=written_input.pk).status == "submitted"


def test_first_submission_after_the_deadline_is_still_refused(world, ready_input):
    late = world.reviews.eur.deadline + datetime.timedelta(days=1)
    with pytest.raises(workflow.TransitionRefused):
        workflow.submit_input(ready_input, by=world.lead_user, today=late)


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


def test_checklist_links_point_at_elements_that_exist(client, world, joint_input):
    joint_input.target_reviews.clear()
    client.force_login(world.lead_user)
    detail = client.get(
        reverse("submissions:input-detail", args=[joint_input.pk])
    ).content.decode()
    assert "details/#div_id_target_reviews" in detail
    page = client.get(reverse("submissions:input-details", args=[joint_input.pk])).content.decode()
    assert 'id="div_id_target_reviews"' in page
    edit = client.get(reverse("submissions:input-edit", args=[joint_input.pk])).content.decode()
    assert 'id="section-1"' in edit
