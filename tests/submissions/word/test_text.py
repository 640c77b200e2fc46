"""submissions.word.text: Word paragraphs to the Markdown subset — any Markdown written
by the writer reads back to the same rendering, hostile text survives, and odd but valid
WordprocessingML (content controls, tracked changes, nested tables, math) is read as
text."""

import io

import docx
import pytest
from lxml import etree

from submissions import editing
from submissions.markup import plain_text, render_markdown
from submissions.snapshots import content_queryset, take_snapshot
from submissions.word import reader, writer

from ...test_hostile_content import CASES
from ...word_files import fill_template
from .conftest import blank_template, upload

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "text",
    [
        "* star bullets\n* and more\n\n__bold__ and _italic_ and a [link](mailto:a@example.org)",
        "Para one\n\n\n\nPara two   with  spaces\n- not a list (no blank line)",
        "1. a\n   - nested by three spaces\n2. b\n\n# A heading becomes bold",
        "Ünïcödé, 中文字符, عربي **نص** and *ручной* текст",
    ],
)
def test_any_markdown_round_trips_to_the_same_rendering(world, joint_input, text):
    editing.save_content(
        joint_input,
        editing.ContentChanges(sections={world.sections.intro.pk: text}, objectives={}),
        by=world.lead_user,
        expected_version=joint_input.version,
    )
    snapshot = take_snapshot(content_queryset().get(pk=joint_input.pk))
    data = writer.input_document(snapshot, outline=world.outline, version_label="draft")
    content = reader.read_word_file(upload(data), joint_input)
    back = content["sections"]["1"]

    def rendered(markdown):
        return " ".join(str(render_markdown(markdown)).split()).replace("> <", "><")

    assert rendered(back) == rendered(text)


def test_hostile_text_exports_and_imports_without_error(world, joint_input):
    """Every text of the hostile corpus that a form stores goes into a section and an
    objective, out to Word and back: no error, and what it says comes back."""
    objective = world.objectives[0]
    stored = [case for case in CASES if case.refusal() is None]
    assert len(stored) > 20
    for case in stored:
        joint_input.refresh_from_db()
        editing.save_content(
            joint_input,
            editing.ContentChanges(
                sections={world.sections.intro.pk: case.typed},
                objectives={objective.pk: {"progress": case.typed}},
            ),
            by=world.lead_user,
            expected_version=joint_input.version,
        )
        snapshot = take_snapshot(content_queryset().get(pk=joint_input.pk))
        data = writer.input_document(snapshot, outline=world.outline, version_label="v")
        content = reader.read_word_file(upload(data), joint_input)
        # Characters XML cannot carry (control characters, typed or as entities) are
        # dropped on the way out.
        expected = " ".join(writer.xml_text(plain_text(case.typed)).split())
        assert plain_text(content["sections"].get("1", "")) == expected, case.name
        assert plain_text(content["objectives"]["1"]["progress"]) == expected, case.name


def test_an_odd_but_valid_document_is_read_without_error(world, joint_input):
    """Content controls, tracked changes, hyperlinks, tables in a section, nested tables,
    math and a text box: read as text where they have any, never an error."""
    data = fill_template(blank_template(world), sections={1: ["Start."]})
    document = docx.Document(io.BytesIO(data))
    heading = next(p for p in document.paragraphs if p.text == "2. Progress on objectives")
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "Left"
    table.cell(0, 1).add_table(rows=1, cols=1).cell(0, 0).text = "Nested"
    heading._p.addprevious(table._tbl)
    extra = etree.fromstring(
        '<w:p xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:ins><w:r><w:t>Inserted</w:t></w:r></w:ins>"
        "<w:del><w:r><w:delText>Deleted</w:delText></w:r></w:del>"
        "<w:sdt><w:sdtContent><w:r><w:t> in a control</w:t></w:r></w:sdtContent></w:sdt>"
        "</w:p>"
    )
    heading._p.addprevious(extra)
    buffer = io.BytesIO()
    document.save(buffer)
    content = reader.read_word_file(upload(buffer.getvalue()), joint_input)
    assert content["sections"]["1"] == "Start.\n\nLeft | Nested\n\nInserted in a control"
