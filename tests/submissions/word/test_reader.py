"""submissions.word.reader: headings to sections, tables to objectives, boxes to lists;
instructions skipped in every language; what cannot be matched is listed; a file with no
heading of the outline is refused."""

import io

import docx
import pytest
from django.utils import translation

from submissions.snapshots import content_queryset, take_snapshot
from submissions.word import reader, writer

from ...factories import OutlineFactory, OutlineSectionFactory, ReviewCycleFactory
from ...word_files import fill_template
from .conftest import blank_template, body_paragraphs, content_of, post_apply, post_preview, upload

pytestmark = pytest.mark.django_db


def _hand_filled(world) -> bytes:
    return fill_template(
        blank_template(world),
        before_first_heading=["Draft of 3 May, for the secretariat only."],
        sections={
            1: [
                "We consulted the member States twice.",
                [("Our ", None), ("main", "bold"), (" finding is ", None), ("clear", "italic")],
                ("bullet", "first point"),
                ("bullet", "second point"),
                ("heading2", "Who took part"),
                "Eleven States.",
            ],
            4: [("number", "Strengthen data exchange."), ("number", "Report again.")],
        },
        objectives={
            1: {"tick": True, "progress": "Progress on one."},
            3: {"practices": "A practice worth sharing."},
        },
        tick=["(f) Human rights", "Dedicated events", "Insufficient resources"],
        remove_sections=[3],
    )


def test_hand_filled_template_imports_with_the_right_preview(client, world, joint_input):
    data = _hand_filled(world)
    # An extra top-level heading that is no section of the outline, with text under it.
    document = docx.Document(io.BytesIO(data))
    lists_heading = next(p for p in document.paragraphs if p.text.startswith("Formats,"))
    lists_heading.insert_paragraph_before("Annex: participants", style="Heading 1")
    lists_heading.insert_paragraph_before("Names of the participants.")
    buffer = io.BytesIO()
    document.save(buffer)

    client.force_login(world.lead_user)
    preview = post_preview(client, joint_input, buffer.getvalue())
    assert preview.status_code == 200
    plan = preview.context["plan"]
    filled = {f.key: f for f in plan.changes}
    assert filled["section-1"].imported == (
        "We consulted the member States twice.\n\n"
        "Our **main** finding is *clear*\n\n"
        "- first point\n- second point\n\n"
        "**Who took part**\n\n"
        "Eleven States."
    )
    assert filled["section-1"].status == "new"
    assert filled["section-4"].imported == "1. Strengthen data exchange.\n2. Report again."
    assert filled["objective-1-progress"].imported == "Progress on one."
    assert filled["objective-3-practices"].imported == "A practice worth sharing."
    assert filled["list-formats"].added == ["Dedicated events"]
    assert filled["list-challenges"].added == ["Insufficient resources"]
    # The principles section was deleted from the file: its list is not in the file.
    assert "list-principles" not in filled
    assert plan.not_in_file == ["3. Principles"]
    assert plan.unmatched == [
        "“Annex: participants” is not a heading of the outline: the text under it was "
        "not imported."
    ]
    body = preview.content.decode()
    assert "Not matched, so not imported" in body
    assert "Sections not in the file (left as they are)" in body
    assert "Draft of 3 May" not in body  # the title block is never imported
    assert "Names of the participants" not in str(plan.changes)

    response = post_apply(client, joint_input, preview)
    assert response.status_code == 302
    joint_input = content_queryset().get(pk=joint_input.pk)
    snapshot = take_snapshot(joint_input)
    assert content_of(snapshot)["sections"][1] == filled["section-1"].imported
    assert [o["number"] for o in snapshot["objectives"]] == [1, 3]
    assert snapshot["formats"] == ["Dedicated events"]
    assert snapshot["principles"] == []


def test_boxes_typed_as_text_count_too(world, joint_input):
    data = blank_template(world)
    document = docx.Document(io.BytesIO(data))
    heading = next(p for p in document.paragraphs if p.text == "Priorities")
    heading.insert_paragraph_before("[x] Protection")
    heading.insert_paragraph_before("✔ Insufficient resources")
    heading.insert_paragraph_before("[ ] Dedicated events")
    heading.insert_paragraph_before("☒ Something the lists do not have")
    buffer = io.BytesIO()
    document.save(buffer)
    content = reader.read_word_file(upload(buffer.getvalue()), joint_input)
    assert content["lists"]["priorities"] == ["protection"]
    assert content["lists"]["challenges"] == ["resources"]
    assert content["lists"]["formats"] == []
    assert content["unmatched"] == [
        "“Something the lists do not have” matches no item of the lists; its box was not imported."
    ]


def test_a_docx_without_any_outline_heading_is_refused(client, world, joint_input):
    document = docx.Document()
    document.add_paragraph("Just a letter.")
    buffer = io.BytesIO()
    document.save(buffer)
    client.force_login(world.lead_user)
    response = post_preview(client, joint_input, buffer.getvalue(), "letter.docx")
    assert response.status_code == 400
    assert "No heading of this draft&#x27;s outline was found in “letter.docx”" in (
        response.content.decode()
    )


def test_a_template_downloaded_in_french_imports_in_english(world, joint_input):
    with translation.override("fr"):
        data = blank_template(world)
    assert "50 mots au maximum." in [text for _style, text in body_paragraphs(data)]
    filled = fill_template(data, sections={1: ["Texte."]}, tick=["Protection"])
    content = reader.read_word_file(upload(filled), joint_input)
    # Guidance, word limits and the French list headings are recognised, not imported.
    assert content["sections"] == {"1": "Texte."}
    assert content["unmatched"] == []
    assert content["lists"] == {
        "principles": [],
        "formats": [],
        "priorities": ["protection"],
        "challenges": [],
    }


def test_a_template_of_another_outline_is_matched_with_a_warning(client, world, joint_input):
    outline = OutlineFactory(slug="older-outline")
    OutlineSectionFactory(outline=outline, number=1, title="Introduction")
    other_cycle = ReviewCycleFactory(outline=outline, start_year=2020, end_year=2021)
    data = fill_template(
        writer.outline_template(other_cycle), sections={1: ["From the old template."]}
    )
    client.force_login(world.lead_user)
    preview = post_preview(client, joint_input, data)
    plan = preview.context["plan"]
    assert [f.key for f in plan.changes] == ["section-1"]
    assert plan.warnings == [
        "This file was made from the template of another outline (“older-outline”); its "
        "headings were matched to this draft's outline by number and title."
    ]
    assert plan.not_in_file == ["2. Progress on objectives", "3. Principles", "4. Recommendations"]


def test_what_cannot_be_matched_is_listed(world, joint_input):
    data = fill_template(blank_template(world), sections={1: ["First."]})
    document = docx.Document(io.BytesIO(data))
    table = document.tables[0]
    extra = table.add_row().cells
    extra[0].text, extra[1].text = "25. An objective that does not exist", "Text."
    extra = table.add_row().cells
    extra[0].text, extra[1].text = "No number here", "Orphan text."
    extra = table.add_row().cells
    extra[0].text, extra[1].text = "1. Objective title 1 again", "Twice."
    first_row = next(r for r in table.rows if r.cells[0].text.strip().startswith("1."))
    first_row.cells[1].text = "Once."
    heading_3 = next(p for p in document.paragraphs if p.text == "3. Principles")
    heading_3.insert_paragraph_before("Loose text in the objectives section.")
    lists_heading = next(p for p in document.paragraphs if p.text.startswith("Formats,"))
    lists_heading.insert_paragraph_before("1. Introduction", style="Heading 1")
    lists_heading.insert_paragraph_before("Second introduction.")
    lists_heading.insert_paragraph_before("Appendix", style="Heading 1")
    lists_heading.insert_paragraph_before("Part A", style="Heading 2")
    lists_heading.insert_paragraph_before("Appendix text.")
    buffer = io.BytesIO()
    document.save(buffer)
    content = reader.read_word_file(upload(buffer.getvalue()), joint_input)
    assert content["sections"] == {"1": "First."}
    assert content["objectives"]["1"]["progress"] == "Once."
    assert content["unmatched"] == [
        "Objective 25 does not exist; its row was not imported.",
        "A row of the objectives tables names no GCM objective and was not imported: "
        "“No number here”.",
        "Objective 1 appears in more than one row; only the first was imported.",
        "Text in section 2 outside the objectives tables was not imported: “Loose text in "
        "the objectives section.”.",
        "Section 1 appears more than once in the file; only the text under its first "
        "heading was imported.",
        "“Appendix” is not a heading of the outline: the text under it was not imported.",
    ]
