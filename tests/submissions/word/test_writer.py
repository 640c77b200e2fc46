"""submissions.word.writer: the outline's template and the export of an input (its
structure, right-to-left content, a valid package)."""

import io
import zipfile

import docx
import pytest
from django.urls import reverse
from lxml import etree

from submissions import editing
from submissions.models import OutlineSection
from submissions.snapshots import content_queryset, take_snapshot
from submissions.word import reader, writer

from ...factories import OutlineFactory, OutlineSectionFactory, ReviewCycleFactory
from ...word_files import member
from .conftest import body_paragraphs, new_draft, upload

pytestmark = pytest.mark.django_db


W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def test_template_follows_the_outline(client, world):
    client.force_login(world.lead_user)
    response = client.get(reverse("submissions:cycle-template", args=[world.cycle.slug]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment;" in response["Content-Disposition"]
    paragraphs = body_paragraphs(response.content)
    headings = [text for style, text in paragraphs if style == "Heading 1"]
    assert headings == [
        "1. Introduction",
        "2. Progress on objectives",
        "3. Principles",
        "4. Recommendations",
        "Formats, priorities and challenges",
    ]
    texts = [text for _style, text in paragraphs]
    assert "What to write here." in texts  # guidance
    assert "Up to 50 words." in texts
    assert "Up to 30 words per objective." in texts
    assert "Optional. Up to 40 words." in texts
    assert "☐ (a) People-centred" in texts
    assert "☐ Dedicated events" in texts
    assert "☐ Protection" in texts
    assert "☐ Insufficient resources" in texts
    # The objectives: one table per round table, a row per objective, four columns.
    document = docx.Document(io.BytesIO(response.content))
    rows = [
        [cell._tc.xpath("string(.)") for cell in row.cells]
        for table in document.tables
        for row in table.rows
    ]
    assert rows[0] == [
        "Objective",
        "Progress at the regional level",
        "Practices worth sharing",
        "Challenges",
    ]
    objective_cells = sorted(r[0] for r in rows if r[0] != "Objective")
    assert objective_cells == [f"☐ {n}. Objective title {n}" for n in (1, 2, 3)]
    round_tables = [text for style, text in paragraphs if style == "Heading 2"][:3]
    assert all(text.startswith("Round table ") for text in round_tables)
    # Check boxes are Word check box content controls.
    assert b"w14:checkbox" in member(response.content, "word/document.xml")


def test_a_new_cycle_outline_gives_a_new_template_without_code(client, world):
    outline = OutlineFactory()
    OutlineSectionFactory(outline=outline, number=1, title="Context", guidance="Say it.")
    OutlineSectionFactory(
        outline=outline, number=2, title="Results", kind=OutlineSection.Kind.OBJECTIVES
    )
    cycle = ReviewCycleFactory(outline=outline, start_year=2032, end_year=2033)
    client.force_login(world.reviewer)
    data = client.get(reverse("submissions:cycle-template", args=[cycle.slug])).content
    paragraphs = body_paragraphs(data)
    assert [t for s, t in paragraphs if s == "Heading 1"] == [
        "1. Context",
        "2. Results",
        "Formats, priorities and challenges",
    ]
    assert "Say it." in [t for _s, t in paragraphs]
    assert not any("People-centred" in t for _s, t in paragraphs)  # no principles section


def test_arabic_export_is_right_to_left_and_survives_the_round_trip(client, world):
    arabic = new_draft(world, title="مساهمة عربية", language="ar")
    text = "تضم العملية **الدول الأعضاء** في المنطقة.\n\n- الهجرة\n- التنمية"
    editing.save_content(
        arabic,
        editing.ContentChanges(sections={world.sections.intro.pk: text}, objectives={}),
        by=world.lead_user,
        expected_version=arabic.version,
    )
    client.force_login(world.lead_user)
    data = client.get(reverse("submissions:input-docx", args=[arabic.pk])).content
    body = etree.fromstring(member(data, "word/document.xml"))
    paragraphs = {
        "".join(p.itertext()): p for p in body.iter(f"{W}p") if "".join(p.itertext()).strip()
    }
    assert paragraphs["مساهمة عربية"].find(f"{W}pPr/{W}bidi") is not None  # the title
    content = paragraphs["تضم العملية الدول الأعضاء في المنطقة."]
    assert content.find(f"{W}pPr/{W}bidi") is not None
    assert content.find(f".//{W}rtl") is not None
    assert paragraphs["الهجرة"].find(f"{W}pPr/{W}bidi") is not None
    assert paragraphs["1. Introduction"].find(f"{W}pPr/{W}bidi") is None  # English heading

    other = new_draft(world, title="Another Arabic draft", language="ar")
    imported = reader.read_word_file(upload(data), other)
    assert imported["sections"]["1"] == text


def test_docx_files_are_valid_packages(world, full_input):
    """Every part of an export parses, and the numbering of lists and the check boxes
    are declared where Word expects them."""
    snapshot = take_snapshot(content_queryset().get(pk=full_input.pk))
    data = writer.input_document(snapshot, outline=world.outline, version_label="draft")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.endswith((".xml", ".rels")):
                etree.fromstring(archive.read(name))
    numbering = member(data, "word/numbering.xml")
    assert b'w:numFmt w:val="decimal"' in numbering
    assert b"w:startOverride" in numbering
