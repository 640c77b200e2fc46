import datetime
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import translation

from submissions import editing, workflow
from submissions.forms import ContentForm
from submissions.models import ObjectiveResponse, OutlineSection, SectionResponse, WrittenInput

from ..factories import GCMObjectiveFactory, OutlineFactory
from .conftest import fill

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()

# session, user, roles (2), the input, outline sections, section responses, objective
# responses, principles/formats/priorities/challenges of the input (4), the objectives,
# the choices of principles/formats/priorities/challenges (4), partner ISCMs and their
# regions, target reviews and their regions...: a fixed budget, whatever the data.
EDIT_PAGE_QUERIES = 30


def _edit_url(written_input):
    return reverse("submissions:input-edit", args=[written_input.pk])


def _form_data(written_input, world, **fields):
    data = {
        "version": written_input.version,
        "section_1": "",
        "section_3": "",
        "section_4": "",
        "objective_1": "",
    }
    # A browser sends every text area, empty or not, and only ticked checkboxes.
    for objective in world.objectives:
        for part in ("progress", "practices", "challenges"):
            data.setdefault(f"objective_{objective.number}_{part}", "")
    data.update(fields)
    return {k: v for k, v in data.items() if not (k == "objective_1" and v == "")}


def test_edit_page_is_generated_from_the_outline(client, world, joint_input):
    client.force_login(world.lead_user)
    response = client.get(_edit_url(joint_input))
    body = response.content.decode()
    assert response.status_code == 200
    assert "1. Introduction" in body
    assert "What to write here." in body  # guidance
    assert 'data-word-limit="50"' in body
    assert 'id="section-2"' in body
    assert "Round table" in body
    assert 'name="objective_3_practices"' in body
    assert 'name="principles"' in body
    assert 'name="formats"' in body
    assert "js/input-edit.js" in body


def test_save_draft_accepts_incomplete_work_and_keeps_everything(client, world, joint_input):
    client.force_login(world.partner_user)  # a partner co-edits
    response = client.post(
        _edit_url(joint_input),
        _form_data(
            joint_input,
            world,
            section_4="**Recommendations** in progress",
            objective_2_practices="A practice worth sharing.",
        ),
    )
    assert response.status_code == 302
    joint_input.refresh_from_db()
    assert joint_input.version == 2
    assert joint_input.updated_by == world.partner_user
    assert SectionResponse.objects.get(
        input=joint_input, section=world.sections.recommendations
    ).body == ("**Recommendations** in progress")
    # Unticked, but with text: the objective is kept, the text never dropped.
    response = ObjectiveResponse.objects.get(input=joint_input)
    assert (response.objective.number, response.practices) == (2, "A practice worth sharing.")


def test_save_draft_removes_an_unticked_empty_objective(client, world, joint_input):
    fill(joint_input, world)
    joint_input.refresh_from_db()
    client.force_login(world.lead_user)
    client.post(_edit_url(joint_input), _form_data(joint_input, world, section_1="Intro"))
    assert not ObjectiveResponse.objects.filter(input=joint_input).exists()


def test_save_draft_null_character_is_refused_with_the_text_kept(client, world, joint_input):
    client.force_login(world.lead_user)
    response = client.post(
        _edit_url(joint_input), _form_data(joint_input, world, section_1="Before\x00after")
    )
    assert response.status_code == 200
    assert "Null characters are not allowed" in response.content.decode()
    assert WrittenInput.objects.get(pk=joint_input.pk).version == 1


def test_stale_save_is_refused_text_kept_and_other_changes_shown(client, world, joint_input):
    # The partner opened the form at version 1; meanwhile the lead saved.
    fill(joint_input, world, intro="The lead's introduction.")
    client.force_login(world.partner_user)
    response = client.post(
        _edit_url(joint_input),
        _form_data(joint_input, world, version=1, section_1="The partner's introduction."),
    )
    body = response.content.decode()
    assert response.status_code == 409
    assert "after you opened it" in body
    assert "The partner&#x27;s introduction." in body  # their text, still in the form
    assert "Saved meanwhile by someone else" in body
    assert "The lead&#x27;s introduction." in body  # the other person's change beside it
    assert SectionResponse.objects.get(input=joint_input, section=world.sections.intro).body == (
        "The lead's introduction."
    )
    # Saving again from the re-shown form is a deliberate choice and succeeds.
    form = response.context["form"]
    assert form.data["version"] == "2"
    again = client.post(_edit_url(joint_input), form.data)
    assert again.status_code == 302
    assert SectionResponse.objects.get(input=joint_input, section=world.sections.intro).body == (
        "The partner's introduction."
    )


def test_save_content_race_only_one_of_two_saves_from_the_same_version_wins(world, joint_input):
    changes = editing.ContentChanges(sections={world.sections.intro.pk: "first"}, objectives={})
    editing.save_content(joint_input, changes, by=world.lead_user, expected_version=1)
    with pytest.raises(editing.StaleEdit) as stale:
        editing.save_content(
            joint_input,
            editing.ContentChanges(sections={world.sections.intro.pk: "second"}, objectives={}),
            by=world.partner_user,
            expected_version=1,
        )
    assert stale.value.current.version == 2
    assert stale.value.current.updated_by == world.lead_user


def test_edit_page_query_count_does_not_grow_with_objectives_or_inputs(
    client, world, joint_input, count_queries, django_assert_max_num_queries
):
    client.force_login(world.lead_user)
    url = _edit_url(joint_input)
    fill(joint_input, world)
    small = count_queries(client, url)
    for number in range(4, 24):
        GCMObjectiveFactory(number=number)
    objectives = {
        o.pk: {"progress": "p", "practices": "q", "challenges": "c"}
        for o in __import__(
            "submissions.models", fromlist=["GCMObjective"]
        ).GCMObjective.objects.all()
    }
    joint_input.refresh_from_db()
    editing.save_content(
        joint_input,
        editing.ContentChanges(sections={}, objectives=objectives),
        by=world.lead_user,
        expected_version=joint_input.version,
    )
    for n in range(19):
        editing.create_input(
            by=world.lead_user,
            cycle=world.cycle,
            lead_iscm=world.lead,
            partners=[world.partner],
            targets=[world.reviews.amr],
            title=f"Other input {n}",
            language="en",
            basis="written_input",
        )
    assert ObjectiveResponse.objects.filter(input=joint_input).count() == 23
    with django_assert_max_num_queries(EDIT_PAGE_QUERIES):
        large = count_queries(client, url)
    assert large == small


def _loaded_form_data(client, written_input, **typed):
    """The edit form as a browser would post it after loading the page."""
    form = client.get(_edit_url(written_input)).context["form"]
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

    response = client.post(_edit_url(ready_input), data)
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

    response = client.post(_edit_url(ready_input), partner_data)
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

    response = client.post(_edit_url(ready_input), partner_data)
    assert response.status_code == 409
    assert set(response.context["other_changes"]) == {"section_1"}
    assert "Lead&#x27;s introduction." in response.content.decode()
    # Saving the re-shown form keeps the partner's text and the lead's objective.
    again = client.post(_edit_url(ready_input), response.context["form"].data)
    assert again.status_code == 302
    assert _body(ready_input, world.sections.intro) == "Partner's introduction."
    assert ObjectiveResponse.objects.get(
        input=ready_input, objective=world.objectives[1]
    ).progress == ("Lead's objective 2.")


def test_a_post_with_only_the_version_changes_nothing(client, world, ready_input):
    client.force_login(world.lead_user)
    response = client.post(_edit_url(ready_input), {"version": ready_input.version})
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
    assert client.post(_edit_url(ready_input), data).status_code == 302
    assert ObjectiveResponse.objects.filter(input=ready_input).count() == 1


class _TextAreaLabels(HTMLParser):
    """The text of each <label for=…> (its hidden parts too: a screen reader reads
    them), and the names and ids of the text areas."""

    def __init__(self):
        super().__init__()
        self.labels = {}  # the control's id → the label's text
        self.text_areas = {}  # name → id
        self._label_for = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "label" and attrs.get("for"):
            self._label_for = attrs["for"]
            self.labels[self._label_for] = ""
        if tag == "textarea":
            self.text_areas[attrs["name"]] = attrs["id"]

    def handle_endtag(self, tag):
        if tag == "label":
            self._label_for = None

    def handle_data(self, data):
        if self._label_for:
            self.labels[self._label_for] += data

    def label_of(self, name):
        return " ".join(self.labels[self.text_areas[name]].split())


def test_edit_page_objective_text_areas_are_labelled_with_their_objective(
    client, world, joint_input
):
    for objective in world.objectives:
        objective.short_title = f"Short title {objective.number}"
        objective.save()
    client.force_login(world.lead_user)
    body = client.get(_edit_url(joint_input)).content.decode()
    page = _TextAreaLabels()
    page.feed(body)
    names = [
        f"objective_{o.number}_{part}"
        for o in world.objectives
        for part in ("progress", "practices", "challenges")
    ]
    labels = [page.label_of(name) for name in names]
    assert len(set(labels)) == len(names) == 9
    assert page.label_of("objective_2_progress") == (
        "Progress at the regional level — Objective 2: Short title 2"
    )
    assert page.label_of("objective_3_challenges") == "Challenges — Objective 3: Short title 3"
    # On the page the objective's checkbox stands above: only screen readers hear it twice.
    assert '<span class="visually-hidden"> — Objective 2: Short title 2</span>' in body


def test_objective_labels_name_the_objective_in_the_active_language(world, joint_input):
    objective = world.objectives[0]
    objective.short_title_fr = "Données <exactes>"
    objective.save()
    sections = list(world.outline.sections.all())
    with translation.override("fr"):
        form = ContentForm(written_input=joint_input, sections=sections, objectives=[objective])
        label = str(form.fields["objective_1_practices"].label)
    assert "Données &lt;exactes&gt;</span>" in label  # translated, and escaped
