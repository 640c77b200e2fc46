"""submissions.word.import_plan: the preview and its confirmation — nothing in the draft
is replaced unless chosen, a stale or tampered preview is refused, too long text is
listed and not imported."""

import re

import pytest
from django.urls import reverse

from submissions import editing, workflow
from submissions.models import ContributionFormat, WrittenInput
from submissions.snapshots import content_queryset, take_snapshot

from ...word_files import fill_template
from .conftest import blank_template, content_of, new_draft, post_apply, post_preview

pytestmark = pytest.mark.django_db


def test_text_in_the_draft_is_replaced_only_when_chosen(client, world, joint_input):
    editing.save_content(
        joint_input,
        editing.ContentChanges(
            sections={
                world.sections.intro.pk: "Our own introduction.",
                world.sections.recommendations.pk: "Our recommendations.",
            },
            objectives={},
            formats=list(ContributionFormat.objects.all()),
        ),
        by=world.lead_user,
        expected_version=joint_input.version,
    )
    data = fill_template(
        blank_template(world),
        sections={1: ["The file's introduction."], 4: ["The file's recommendations."]},
    )
    client.force_login(world.lead_user)
    preview = post_preview(client, joint_input, data)
    conflicts = {f.key for f in preview.context["plan"].conflicts}
    # The formats list is in the file with nothing ticked: the draft's tick would go
    # only if chosen.
    assert conflicts == {"section-1", "section-4", "list-formats"}
    body = preview.content.decode()
    assert "The draft already has other text here:" in body
    assert "Our own introduction." in body

    response = post_apply(client, joint_input, preview, replace=["section-4"])
    assert response.status_code == 302
    bodies = content_of(take_snapshot(content_queryset().get(pk=joint_input.pk)))["sections"]
    assert bodies[1] == "Our own introduction."
    assert bodies[4] == "The file's recommendations."
    assert WrittenInput.objects.get(pk=joint_input.pk).formats.count() == 1  # kept


def test_ticks_are_added_and_removed_only_when_chosen(client, world, joint_input):
    people, rights = world.principles
    editing.save_content(
        joint_input,
        editing.ContentChanges(sections={}, objectives={}, principles=[people]),
        by=world.lead_user,
        expected_version=joint_input.version,
    )
    data = fill_template(blank_template(world), tick=["(f) Human rights"])
    client.force_login(world.lead_user)
    preview = post_preview(client, joint_input, data)
    principles = next(f for f in preview.context["plan"].fields if f.key == "list-principles")
    assert principles.status == "conflict"
    assert principles.added == [str(rights)]
    assert principles.kept == [str(people)]
    post_apply(client, joint_input, preview)
    assert set(joint_input.principles.all()) == {people, rights}  # added, nothing removed

    joint_input.refresh_from_db()
    preview = post_preview(client, joint_input, data)
    post_apply(client, joint_input, preview, replace=["list-principles"])
    assert set(joint_input.principles.all()) == {rights}  # exactly the file's, as chosen


def test_stale_import_is_refused_and_keeps_the_choices(client, world, joint_input):
    editing.save_content(
        joint_input,
        editing.ContentChanges(sections={world.sections.intro.pk: "Ours."}, objectives={}),
        by=world.lead_user,
        expected_version=joint_input.version,
    )
    data = fill_template(blank_template(world), sections={1: ["From the file."], 4: ["New."]})
    client.force_login(world.lead_user)
    preview = post_preview(client, joint_input, data)
    # The partner saves after the preview was made.
    joint_input.refresh_from_db()
    editing.save_content(
        joint_input,
        editing.ContentChanges(sections={world.sections.intro.pk: "Partner's."}, objectives={}),
        by=world.partner_user,
        expected_version=joint_input.version,
    )
    version_before = WrittenInput.objects.get(pk=joint_input.pk).version
    response = post_apply(client, joint_input, preview, replace=["section-1"])
    assert response.status_code == 409
    body = response.content.decode()
    assert "Pat Partner saved this draft at" in body
    assert "nothing has been imported yet" in body
    assert 'value="section-1" id="replace-section-1"' in body
    assert re.search(r'id="replace-section-1"[^>]* checked', body)  # the choice is kept
    assert "Partner" in body  # compared with the draft as it is now
    assert WrittenInput.objects.get(pk=joint_input.pk).version == version_before
    assert (
        content_of(take_snapshot(content_queryset().get(pk=joint_input.pk)))["sections"][4] == ""
    )
    # Applying the refreshed preview works.
    response = post_apply(client, joint_input, response, replace=["section-1"])
    assert response.status_code == 302
    bodies = content_of(take_snapshot(content_queryset().get(pk=joint_input.pk)))["sections"]
    assert (bodies[1], bodies[4]) == ("From the file.", "New.")


def test_a_tampered_or_missing_preview_is_refused_with_a_message(client, world, joint_input):
    client.force_login(world.lead_user)
    url = reverse("submissions:input-import-apply", args=[joint_input.pk])
    preview = post_preview(
        client, joint_input, fill_template(blank_template(world), sections={1: ["x"]})
    )
    payload = preview.context["payload"]
    for data in (
        {},
        {"payload": "x:y", "version": "1"},
        {"payload": "", "version": "x"},
        {"payload": payload, "version": "x"},
        {"payload": payload, "version": str(2**70)},
        {"payload": payload, "version": str(2**31)},  # beyond the version column
        {"payload": payload, "version": "0"},
        # int() would read these as the current version.
        {
            "payload": payload,
            "version": "".join(chr(0x0660 + int(d)) for d in str(joint_input.version)),
        },
        {"payload": payload[:-3] + "abc", "version": joint_input.version},
    ):
        response = client.post(url, data)
        assert response.status_code == 400
        assert b"This import preview has expired or is incomplete." in response.content
    # A preview signed for another input does not apply here.
    other = new_draft(world, "Other")
    preview = post_preview(
        client, other, fill_template(blank_template(world), sections={1: ["x"]})
    )
    response = client.post(
        url, {"payload": preview.context["payload"], "version": joint_input.version}
    )
    assert response.status_code == 400


def test_an_import_into_an_input_that_left_the_draft_state_is_refused(client, world, joint_input):
    data = fill_template(blank_template(world), sections={1: ["From the file."]})
    client.force_login(world.lead_user)
    preview = post_preview(client, joint_input, data)
    workflow.withdraw_input(joint_input, by=world.lead_user, reason="Not now.")
    response = post_apply(client, joint_input, preview)
    assert response.status_code == 302
    assert response["Location"] == reverse("submissions:input-detail", args=[joint_input.pk])
    assert (
        content_of(take_snapshot(content_queryset().get(pk=joint_input.pk)))["sections"][1] == ""
    )


def test_too_long_text_is_listed_and_not_imported(client, world, joint_input):
    data = fill_template(blank_template(world), sections={1: ["word " * 12_000], 4: ["Fine."]})
    client.force_login(world.lead_user)
    preview = post_preview(client, joint_input, data)
    plan = preview.context["plan"]
    assert [f.key for f in plan.changes] == ["section-4"]
    assert plan.too_long and plan.too_long[0].startswith("1. Introduction: This text has")
