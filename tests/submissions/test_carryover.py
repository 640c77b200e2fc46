"""Starting an input from the ISCM's input to an earlier cycle (submissions/carryover.py):
what is carried and by which key, the marks and the checklist warning, the history
line, who may start from what, and the create page's query budget."""

import datetime
import html
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from submissions import carryover, editing, workflow
from submissions.checklist import submission_problems, submission_warnings
from submissions.models import (
    Challenge,
    ContributionFormat,
    InputVersion,
    ObjectiveResponse,
    OutlineSection,
    Priority,
    SectionResponse,
    WrittenInput,
)
from submissions.snapshots import content_queryset

from ..factories import (
    OutlineFactory,
    OutlineSectionFactory,
    RegionalReviewFactory,
    ReviewCycleFactory,
)
from ..sample_files import make_pdf
from .test_input_edit import EDIT_PAGE_QUERIES

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()
MARK = "Carried over from 2024–2025 — review and update"


@pytest.fixture
def earlier(world):
    """LEAD's input to the AMR review of 2024–2025, under that cycle's own outline:
    "context" (gone from this round's outline, so shown aside), "recommendations"
    (section 3 then, section 4 now, so carried by key), objectives and principles as
    sections 4 and 5. Sent twice: version 2 is the text to start from; what the
    secretariat typed after it was never sent and is not carried."""
    for section, key in (
        (world.sections.intro, "introduction"),
        (world.sections.objectives, "objectives"),
        (world.sections.principles, "principles"),
        (world.sections.recommendations, "recommendations"),
    ):
        section.key = key
        section.save()
    outline = OutlineFactory()
    old = SimpleNamespace(
        intro=OutlineSectionFactory(
            outline=outline, number=1, key="introduction", title="Introduction", word_limit=None
        ),
        context=OutlineSectionFactory(
            outline=outline, number=2, key="context", title="Regional context", word_limit=None
        ),
        recommendations=OutlineSectionFactory(
            outline=outline, number=3, key="recommendations", title="Recommendations"
        ),
        objectives=OutlineSectionFactory(
            outline=outline,
            number=4,
            key="objectives",
            title="Objectives",
            kind=OutlineSection.Kind.OBJECTIVES,
            word_limit=None,
        ),
        principles=OutlineSectionFactory(
            outline=outline,
            number=5,
            key="principles",
            title="Principles",
            kind=OutlineSection.Kind.PRINCIPLES,
            required=False,
            word_limit=None,
        ),
    )
    cycle = ReviewCycleFactory(
        outline=outline, name="Second round", slug="2024-2025", start_year=2024, end_year=2025
    )
    review = RegionalReviewFactory(cycle=cycle, region=world.regions.amr)
    written_input = editing.create_input(
        by=world.lead_user,
        cycle=cycle,
        lead_iscm=world.lead,
        partners=[],
        targets=[review],
        title="Notre contribution 2024",
        language="fr",
        basis="written_input",
    )
    objective_1, _objective_2, objective_3 = world.objectives

    def save(**sections):
        written_input.refresh_from_db()
        editing.save_content(
            written_input,
            editing.ContentChanges(
                sections={getattr(old, name).pk: text for name, text in sections.items()},
                objectives={
                    objective_1.pk: {
                        "progress": "Des progrès.",
                        "practices": "Une pratique.",
                        "challenges": "",
                    },
                    objective_3.pk: {"progress": "", "practices": "", "challenges": "Un défi."},
                },
                principles=[world.principles[1]],
                formats=list(ContributionFormat.objects.all()),
                priorities=list(Priority.objects.all()),
                challenges=list(Challenge.objects.all()),
            ),
            by=world.lead_user,
            expected_version=written_input.version,
        )

    save(
        intro="Introduction, première version.",
        context="Le contexte régional.",
        recommendations="Nos recommandations.",
        principles="Les principes dans nos travaux.",
    )
    editing.add_attachment(
        written_input,
        SimpleUploadedFile("annexe.pdf", make_pdf(), content_type="application/pdf"),
        title="Annexe",
        by=world.lead_user,
    )
    workflow.submit_input(written_input, by=world.lead_user, today=TODAY)
    workflow.request_changes(written_input, by=world.reviewer, message="Précisez.")
    save(intro="Introduction, version envoyée.\n\nDeux paragraphes.")
    workflow.resubmit_input(written_input, by=world.lead_user, today=TODAY)
    workflow.request_changes(written_input, by=world.reviewer, message="Encore.")
    save(intro="Jamais envoyé.")
    written_input.refresh_from_db()
    return SimpleNamespace(
        input=written_input,
        cycle=cycle,
        review=review,
        outline=old,
        version=written_input.versions.get(number=2),
    )


def _start(world, earlier, **overrides):
    details = {
        "by": world.lead_user,
        "cycle": world.cycle,
        "lead_iscm": world.lead,
        "partners": [],
        "targets": [world.reviews.amr],
        "title": "Our 2028 input",
        "language": "fr",
        "basis": "written_input",
    }
    details.update(overrides)
    return carryover.start_from(earlier.version, **details)


def _create_url(version=None):
    url = reverse("submissions:input-create")
    return f"{url}?start_from={version.pk}" if version else url


def _edit_url(written_input):
    return reverse("submissions:input-edit", args=[written_input.pk])


def _loaded(written_input):
    return content_queryset().select_related("started_from__input__cycle").get(pk=written_input.pk)


def test_sections_carry_over_by_key_from_the_latest_submitted_version(world, earlier):
    new = _start(world, earlier)
    bodies = {r.section.key: r.body for r in SectionResponse.objects.filter(input=new)}
    assert bodies == {
        "introduction": "Introduction, version envoyée.\n\nDeux paragraphes.",
        # Section 3 in 2024, section 4 now: carried by its key, not its number.
        "recommendations": "Nos recommandations.",
        "principles": "Les principes dans nos travaux.",
    }
    assert new.started_from == earlier.version
    assert new.cycle == world.cycle and new.status == "draft"


def test_objectives_principles_and_lists_carry_over_attachments_do_not(world, earlier):
    new = _start(world, earlier)
    responses = {
        r.objective.number: (r.progress, r.practices, r.challenges)
        for r in ObjectiveResponse.objects.filter(input=new).select_related("objective")
    }
    assert responses == {1: ("Des progrès.", "Une pratique.", ""), 3: ("", "", "Un défi.")}
    assert list(new.principles.all()) == [world.principles[1]]
    assert list(new.formats.values_list("name", flat=True)) == ["Dedicated events"]
    assert list(new.priorities.values_list("name", flat=True)) == ["Protection"]
    assert list(new.challenges.values_list("name", flat=True)) == ["Insufficient resources"]
    assert earlier.input.attachments.count() == 1
    assert not new.attachments.exists()
    assert set(new.carried_over) == {
        "section:introduction",
        "section:recommendations",
        "section:principles",
        "objective:1:progress",
        "objective:1:practices",
        "objective:3:challenges",
        "principles",
        "formats",
        "priorities",
        "challenges",
    }


def test_a_snapshot_without_keys_is_matched_through_its_cycles_outline(world, earlier):
    # Versions taken before sections had keys: the number, read in the 2024 outline.
    snapshot = earlier.version.snapshot
    for entry in snapshot["sections"]:
        del entry["key"]
    InputVersion.objects.filter(pk=earlier.version.pk).update(snapshot=snapshot)
    earlier.version.refresh_from_db()
    new = _start(world, earlier)
    bodies = {r.section.key: r.body for r in SectionResponse.objects.filter(input=new)}
    assert bodies["recommendations"] == "Nos recommandations."
    new = _loaded(new)
    new.started_from.refresh_from_db()
    assert [s["key"] for s in carryover.sections_aside(new, user=world.lead_user)] == ["context"]


def test_a_section_gone_from_the_outline_is_shown_aside_read_only(client, world, earlier):
    new = _start(world, earlier)
    client.force_login(world.lead_user)
    response = client.get(_edit_url(new))
    body = response.content.decode()
    assert response.status_code == 200
    assert [s["key"] for s in response.context["aside"]] == ["context"]
    assert "sections this round's outline no longer has" in body
    assert "2. Regional context" in body
    assert (
        '<textarea class="form-control" id="aside-1" rows="6" readonly lang="fr" dir="ltr">'
        "Le contexte régional.</textarea>"
    ) in body
    # Not a field of the form: saving never sends it.
    assert "Le contexte régional." not in str(response.context["form"].fields)


def test_a_partner_of_the_new_draft_sees_the_marks_but_not_the_sections_aside(
    client, world, earlier
):
    new = _start(world, earlier, partners=[world.partner])
    client.force_login(world.partner_user)
    response = client.get(_edit_url(new))
    body = response.content.decode()
    assert response.status_code == 200
    assert response.context["aside"] == []
    assert "Le contexte régional." not in body
    assert body.count(MARK) == 10


def test_every_carried_field_is_marked_on_the_edit_page(client, world, earlier):
    new = _start(world, earlier)
    client.force_login(world.lead_user)
    response = client.get(_edit_url(new))
    body = response.content.decode()
    form = response.context["form"]
    marked = {name for name, field in form.fields.items() if getattr(field, "carried_from", "")}
    assert marked == {
        "section_1",
        "section_3",
        "section_4",
        "objective_1_progress",
        "objective_1_practices",
        "objective_3_challenges",
        "principles",
        "formats",
        "priorities",
        "challenges",
    }
    assert body.count(MARK) == 10
    assert 'id="id_section_1-carried"' in body
    assert 'aria-describedby="id_section_1-carried"' in body


def _posted(client, written_input, **typed):
    """The edit form as a browser posts it after loading the page: text areas with
    "\\r\\n" line endings."""
    form = client.get(_edit_url(written_input)).context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value in (None, False):
            continue
        if isinstance(value, list):
            data[name] = [str(v) for v in value]
        elif isinstance(value, str):
            data[name] = value.replace("\r\n", "\n").replace("\n", "\r\n")
        else:
            data[name] = value
    data.update(typed)
    return data


def test_the_marks_disappear_once_a_field_is_edited(client, world, earlier):
    new = _start(world, earlier)
    client.force_login(world.lead_user)
    # Saving the page as it is reviews nothing.
    response = client.post(_edit_url(new), _posted(client, new))
    assert response.status_code == 302
    assert len(carryover.unchanged_fields(_loaded(new))) == 10

    typed = _posted(
        client,
        new,
        section_1="Introduction for 2028.",
        objective_1_practices="A new practice.",
        formats=[],
    )
    assert client.post(_edit_url(new), typed).status_code == 302
    keys = [field.key for field in carryover.unchanged_fields(_loaded(new))]
    assert keys == [
        "objective:1:progress",
        "objective:3:challenges",
        "section:principles",
        "principles",
        "section:recommendations",
        "priorities",
        "challenges",
    ]
    body = client.get(_edit_url(new)).content.decode()
    assert body.count(MARK) == 7
    assert 'id="id_section_1-carried"' not in body
    assert 'id="id_section_4-carried"' in body


def test_unchanged_fields_are_in_page_order(world, earlier):
    new = _start(world, earlier)
    keys = [field.key for field in carryover.unchanged_fields(_loaded(new))]
    # Outline order: 1 introduction, 2 objectives, 3 principles (text, then ticks),
    # 4 recommendations; then the lists.
    assert keys == [
        "section:introduction",
        "objective:1:progress",
        "objective:1:practices",
        "objective:3:challenges",
        "section:principles",
        "principles",
        "section:recommendations",
        "formats",
        "priorities",
        "challenges",
    ]


def test_checklist_warns_of_unchanged_fields_and_does_not_block(client, world, earlier):
    new = _start(world, earlier)
    loaded = _loaded(new)
    warnings = submission_warnings(loaded)
    assert warnings[0].message == (
        "Section 1 “Introduction” is still as carried over from 2024–2025."
    )
    assert warnings[0].anchor == "section-1"
    assert warnings[1].message == (
        "Objective 1 — Progress at the regional level is still as carried over from 2024–2025."
    )
    assert warnings[-1].anchor == "div_id_challenges"
    assert submission_problems(loaded, TODAY) == []

    client.force_login(world.lead_user)
    detail = reverse("submissions:input-detail", args=[new.pk])
    body = client.get(detail).content.decode()
    assert "10 fields still hold what was carried over" in body
    assert f'{_edit_url(new)}#section-1">Section 1 “Introduction” is still' in body
    assert 'id="carried-warnings"' in body
    assert "disabled" not in body.split('id="carried-warnings"')[1].split("</form>")[0]

    response = client.post(reverse("submissions:input-submit", args=[new.pk]))
    assert response.status_code == 302
    new.refresh_from_db()
    assert new.status == "submitted"


def test_an_input_started_empty_has_no_warnings(world, joint_input):
    assert submission_warnings(_loaded(joint_input)) == []
    assert carryover.sections_aside(_loaded(joint_input), user=world.lead_user) == []


def test_history_says_where_the_draft_came_from(client, world, earlier):
    new = _start(world, earlier)
    client.force_login(world.lead_user)
    page = client.get(reverse("submissions:input-detail", args=[new.pk])).content.decode()
    body = html.unescape(page)
    assert "Started from LEAD's input to the AMR review, 2024–2025 (version 2)" in body
    assert "Nothing has happened yet" not in body


def test_the_create_page_offers_the_earlier_input_and_starts_from_it(client, world, earlier):
    client.force_login(world.lead_user)
    response = client.get(_create_url())
    body = response.content.decode()
    assert [v.pk for v in response.context["previous"]] == [earlier.version.pk]
    assert f"?start_from={earlier.version.pk}" in body
    assert "Start from our input to the AMR review, 2024–2025" in body

    response = client.get(_create_url(earlier.version))
    form = response.context["form"]
    assert response.status_code == 200
    assert "Starting from your 2024–2025 input" in response.content.decode()
    assert form["title"].value() == "Notre contribution 2024"
    assert form["language"].value() == "fr"
    assert form.fields["lead_iscm"].disabled
    assert list(form.fields["lead_iscm"].queryset) == [world.lead]
    assert form["target_reviews"].value() == [world.reviews.amr.pk]

    response = client.post(
        _create_url(earlier.version),
        {
            "target_reviews": [world.reviews.amr.pk],
            "title": "Our 2028 input",
            "language": "fr",
            "basis": "written_input",
        },
    )
    new = WrittenInput.objects.get(cycle=world.cycle)
    assert response.status_code == 302
    assert response["Location"] == _edit_url(new)
    assert new.lead_iscm == world.lead
    assert new.started_from == earlier.version
    assert SectionResponse.objects.filter(input=new).count() == 3


def test_only_the_leading_iscms_secretariat_may_start_from_it(client, world, earlier):
    # PART is on no input of 2024 as lead; OTHER has nothing to do with it.
    for user in (world.other_user, world.partner_user):
        client.force_login(user)
        assert client.get(_create_url()).context["previous"] == []
        assert client.get(_create_url(earlier.version)).status_code == 404
        response = client.post(
            _create_url(earlier.version),
            {"title": "Taken", "language": "en", "basis": "written_input"},
        )
        assert response.status_code == 404
    client.force_login(world.reviewer)
    assert client.get(_create_url(earlier.version)).status_code == 404
    with pytest.raises(editing.EditRefused):
        _start(world, earlier, by=world.other_user, lead_iscm=world.other)
    with pytest.raises(editing.EditRefused):
        _start(world, earlier, lead_iscm=world.partner)
    assert not WrittenInput.objects.filter(cycle=world.cycle).exists()


def test_a_partner_of_an_earlier_joint_input_is_not_offered_it(world, earlier):
    earlier.input.partner_iscms.add(world.partner)
    assert carryover.previous_inputs(user=world.partner_user, cycle=world.cycle) == []
    assert carryover.previous_inputs(user=world.lead_user, cycle=world.cycle) != []


@pytest.mark.parametrize("query", ["x", "-1", "٣", "99999999999999999999999"])
def test_a_start_from_that_is_no_version_is_a_404(client, world, earlier, query):
    client.force_login(world.lead_user)
    url = reverse("submissions:input-create") + f"?start_from={query}"
    assert client.get(url).status_code == 404


def test_withdrawn_inputs_and_drafts_are_never_offered(client, world, earlier):
    workflow.withdraw_input(earlier.input, by=world.lead_user, reason="Replaced.")
    editing.create_input(
        by=world.lead_user,
        cycle=earlier.cycle,
        lead_iscm=world.lead,
        partners=[],
        targets=[earlier.review],
        title="A draft never sent",
        language="en",
        basis="written_input",
    )
    client.force_login(world.lead_user)
    assert client.get(_create_url()).context["previous"] == []
    assert client.get(_create_url(earlier.version)).status_code == 404
    # The rule holds in the domain too, whatever a page offered a moment before.
    with pytest.raises(editing.EditRefused, match="Withdrawn"):
        _start(world, earlier)


def test_inputs_of_this_cycle_are_not_offered(world, make_input):
    make_input("This round's input", state="published")
    assert carryover.previous_inputs(user=world.lead_user, cycle=world.cycle) == []


def test_accepted_published_and_submitted_inputs_are_offered(world, earlier):
    for status in ("submitted", "accepted", "published", "declined"):
        WrittenInput.objects.filter(pk=earlier.input.pk).update(status=status)
        offered = carryover.previous_inputs(user=world.lead_user, cycle=world.cycle)
        assert [v.pk for v in offered] == [earlier.version.pk], status


def test_create_page_query_count_does_not_grow_with_previous_inputs(
    client, world, earlier, count_queries, django_assert_max_num_queries
):
    client.force_login(world.lead_user)
    one = count_queries(client, _create_url())
    for n in range(4):
        written_input = editing.create_input(
            by=world.lead_user,
            cycle=earlier.cycle,
            lead_iscm=world.lead,
            partners=[world.partner],
            targets=[earlier.review, RegionalReviewFactory(cycle=earlier.cycle)],
            title=f"Earlier input {n}",
            language="en",
            basis="written_input",
        )
        editing.save_content(
            written_input,
            editing.ContentChanges(
                sections={earlier.outline.intro.pk: "Text.", earlier.outline.context.pk: "C."},
                objectives={
                    world.objectives[0].pk: {"progress": "P.", "practices": "", "challenges": ""}
                },
            ),
            by=world.lead_user,
            expected_version=written_input.version,
        )
        WrittenInput.objects.filter(pk=written_input.pk).update(status="submitted")
        InputVersion.objects.create(
            input=written_input, number=1, snapshot={"title": "x"}, created_by=world.lead_user
        )
    assert len(client.get(_create_url()).context["previous"]) == 5
    # session, user, authenticator, cycle, membership (twice), roles, the offered
    # versions with their input, cycle and ISCM, and their target reviews with regions;
    # the form: the person's ISCMs (one ISCM? twice), partners and their regions, and
    # the reviews open today (twice).
    with django_assert_max_num_queries(16):
        several = count_queries(client, _create_url())
    assert several == one


def test_edit_page_query_count_of_a_started_draft(
    client, world, earlier, count_queries, django_assert_max_num_queries
):
    new = _start(world, earlier)
    client.force_login(world.lead_user)
    with django_assert_max_num_queries(EDIT_PAGE_QUERIES):
        count_queries(client, _edit_url(new))
