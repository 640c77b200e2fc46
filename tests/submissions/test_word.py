"""Word round trip: the outline's template, the import of a filled template into a draft
(preview, choices, stale imports), the export of inputs, hostile files, who may do what,
and query counts. Every Word file is made here with python-docx (tests/word_files.py)."""

import io
import re
import zipfile

import docx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from lxml import etree

from submissions import editing, workflow
from submissions.markup import render_markdown
from submissions.models import (
    Challenge,
    ContributionFormat,
    GuidingPrinciple,
    OutlineSection,
    Priority,
    WrittenInput,
)
from submissions.snapshots import content_queryset, take_snapshot
from submissions.word import reader, safety, writer

from ..factories import (
    GCMObjectiveFactory,
    OutlineFactory,
    OutlineSectionFactory,
    ReviewCycleFactory,
)
from ..sample_files import make_pdf
from ..word_files import fill_template, member, replace_member

pytestmark = pytest.mark.django_db

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

# Texts in the form the import writes them back (canonical Markdown of the subset), so
# export → import must give them back character for character.
INTRO = (
    "We met **twice**, in *March* and ***May***, and agreed on this text.\n"
    "A second line of the same paragraph.\n\n"
    "- first point\n"
    "    - a nested point with **bold**\n"
    "        1. deeper, numbered\n"
    "- second point, see [the report](https://example.org/report%20one)\n\n"
    "1. one\n"
    "2. two\n\n"
    "Literal marks stay as typed: 5 \\* 3, \\_under\\_ and file_name, [1] and\n"
    "2020\\. done, \\[a link](https://example.org) that is not one."
)
PRINCIPLES_TEXT = "The work is *people-centred* and grounded in human rights."
RECOMMENDATIONS = "1. Strengthen data exchange.\n2. Hold a joint session.\n\nThat is all."
OBJECTIVE_TEXTS = {
    1: {"progress": "Progress on **one**.", "practices": "", "challenges": "Hard."},
    2: {"progress": "", "practices": "- a practice\n- another", "challenges": ""},
    3: {"progress": "Three.", "practices": "Shared.", "challenges": "Some *challenges*."},
    4: {"progress": "", "practices": "", "challenges": ""},  # ticked, nothing written yet
    5: {"progress": "Five\nin two lines.", "practices": "", "challenges": ""},
}


def _upload(data: bytes, name="filled.docx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def _template(world) -> bytes:
    return writer.outline_template(world.cycle)


def _body_paragraphs(data: bytes) -> list[tuple[str, str]]:
    """(style name, text) of every body paragraph, check boxes included."""
    document = docx.Document(io.BytesIO(data))
    return [
        (paragraph.style.name, paragraph._p.xpath("string(.)"))
        for paragraph in document.paragraphs
    ]


@pytest.fixture
def five_objectives(world):
    return world.objectives + [GCMObjectiveFactory(number=n) for n in (4, 5)]


@pytest.fixture
def full_input(world, joint_input, five_objectives):
    """The joint draft with every kind of section, five objectives and every list."""
    editing.save_content(
        joint_input,
        editing.ContentChanges(
            sections={
                world.sections.intro.pk: INTRO,
                world.sections.principles.pk: PRINCIPLES_TEXT,
                world.sections.recommendations.pk: RECOMMENDATIONS,
            },
            objectives={o.pk: OBJECTIVE_TEXTS[o.number] for o in five_objectives},
            principles=list(GuidingPrinciple.objects.all()),
            formats=list(ContributionFormat.objects.all()),
            priorities=list(Priority.objects.all()),
            challenges=list(Challenge.objects.all()),
        ),
        by=world.lead_user,
        expected_version=joint_input.version,
    )
    joint_input.refresh_from_db()
    return joint_input


def _new_draft(world, title="Empty draft", language="en"):
    return editing.create_input(
        by=world.lead_user,
        cycle=world.cycle,
        lead_iscm=world.lead,
        partners=[world.partner],
        targets=[world.reviews.amr],
        title=title,
        language=language,
        basis="written_input",
    )


def _content(snapshot: dict) -> dict:
    """What an input says, without who, when and which version."""
    return {
        "sections": {s["number"]: s["body"] for s in snapshot["sections"]},
        "objectives": {
            o["number"]: (o["progress"], o["practices"], o["challenges"])
            for o in snapshot["objectives"]
        },
        "lists": [
            sorted(p["letter"] for p in snapshot["principles"]),
            sorted(snapshot["formats"]),
            sorted(snapshot["priorities"]),
            sorted(snapshot["challenges"]),
        ],
    }


def _preview(client, written_input, data: bytes, name="filled.docx"):
    return client.post(
        reverse("submissions:input-import", args=[written_input.pk]),
        {"file": _upload(data, name)},
    )


def _apply(client, written_input, preview, replace=()):
    return client.post(
        reverse("submissions:input-import-apply", args=[written_input.pk]),
        {
            "payload": preview.context["payload"],
            "version": preview.context["version"],
            "replace": list(replace),
        },
    )


# The template ---------------------------------------------------------------------------


def test_template_follows_the_outline(client, world):
    client.force_login(world.lead_user)
    response = client.get(reverse("submissions:cycle-template", args=[world.cycle.slug]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment;" in response["Content-Disposition"]
    paragraphs = _body_paragraphs(response.content)
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
    paragraphs = _body_paragraphs(data)
    assert [t for s, t in paragraphs if s == "Heading 1"] == [
        "1. Context",
        "2. Results",
        "Formats, priorities and challenges",
    ]
    assert "Say it." in [t for _s, t in paragraphs]
    assert not any("People-centred" in t for _s, t in paragraphs)  # no principles section


def test_template_of_an_unknown_cycle_is_404(client, world):
    client.force_login(world.lead_user)
    response = client.get(reverse("submissions:cycle-template", args=["no-such-round"]))
    assert response.status_code == 404


# Round trip -----------------------------------------------------------------------------


def test_export_then_import_gives_the_same_content(client, world, full_input):
    # The texts are longer than the small world's word limits, which bind submission.
    OutlineSection.objects.filter(outline=world.outline).update(word_limit=None)
    workflow.submit_input(full_input, by=world.lead_user, today=timezone.localdate())
    client.force_login(world.lead_user)
    exported = client.get(reverse("submissions:input-docx", args=[full_input.pk]) + "?version=1")
    assert exported.status_code == 200
    assert exported["Content-Disposition"].endswith('-v1.docx"')

    draft = _new_draft(world)
    preview = _preview(client, draft, exported.content, "exported.docx")
    assert preview.status_code == 200
    plan = preview.context["plan"]
    assert plan.unmatched == []
    assert plan.not_in_file == []
    assert plan.conflicts == []
    response = _apply(client, draft, preview)
    assert response.status_code == 302
    assert response["Location"] == reverse("submissions:input-edit", args=[draft.pk])

    original = _content(full_input.versions.get(number=1).snapshot)
    imported = _content(take_snapshot(content_queryset().get(pk=draft.pk)))
    assert imported["sections"][1] == original["sections"][1]
    assert imported == original
    assert imported["objectives"][4] == ("", "", "")  # ticked, empty: still reported
    assert len(imported["objectives"]) == 5


def test_export_of_the_live_draft_imports_into_itself_as_nothing_new(client, world, full_input):
    client.force_login(world.partner_user)
    exported = client.get(reverse("submissions:input-docx", args=[full_input.pk]))
    assert exported["Content-Disposition"].endswith('-draft.docx"')
    preview = _preview(client, full_input, exported.content)
    plan = preview.context["plan"]
    assert plan.changes == []
    assert b'id="nothing-to-import"' in preview.content
    assert b"Import into the draft" not in preview.content


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
    content = reader.read_word_file(_upload(data), joint_input)
    back = content["sections"]["1"]

    def rendered(markdown):
        return " ".join(str(render_markdown(markdown)).split()).replace("> <", "><")

    assert rendered(back) == rendered(text)


def test_arabic_export_is_right_to_left_and_survives_the_round_trip(client, world):
    arabic = _new_draft(world, title="مساهمة عربية", language="ar")
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

    other = _new_draft(world, title="Another Arabic draft", language="ar")
    imported = reader.read_word_file(_upload(data), other)
    assert imported["sections"]["1"] == text


# A template filled in by hand -----------------------------------------------------------


def _hand_filled(world) -> bytes:
    return fill_template(
        _template(world),
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
    preview = _preview(client, joint_input, buffer.getvalue())
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

    response = _apply(client, joint_input, preview)
    assert response.status_code == 302
    joint_input = content_queryset().get(pk=joint_input.pk)
    snapshot = take_snapshot(joint_input)
    assert _content(snapshot)["sections"][1] == filled["section-1"].imported
    assert [o["number"] for o in snapshot["objectives"]] == [1, 3]
    assert snapshot["formats"] == ["Dedicated events"]
    assert snapshot["principles"] == []


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
        _template(world),
        sections={1: ["The file's introduction."], 4: ["The file's recommendations."]},
    )
    client.force_login(world.lead_user)
    preview = _preview(client, joint_input, data)
    conflicts = {f.key for f in preview.context["plan"].conflicts}
    # The formats list is in the file with nothing ticked: the draft's tick would go
    # only if chosen.
    assert conflicts == {"section-1", "section-4", "list-formats"}
    body = preview.content.decode()
    assert "The draft already has other text here:" in body
    assert "Our own introduction." in body

    response = _apply(client, joint_input, preview, replace=["section-4"])
    assert response.status_code == 302
    bodies = _content(take_snapshot(content_queryset().get(pk=joint_input.pk)))["sections"]
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
    data = fill_template(_template(world), tick=["(f) Human rights"])
    client.force_login(world.lead_user)
    preview = _preview(client, joint_input, data)
    principles = next(f for f in preview.context["plan"].fields if f.key == "list-principles")
    assert principles.status == "conflict"
    assert principles.added == [str(rights)]
    assert principles.kept == [str(people)]
    _apply(client, joint_input, preview)
    assert set(joint_input.principles.all()) == {people, rights}  # added, nothing removed

    joint_input.refresh_from_db()
    preview = _preview(client, joint_input, data)
    _apply(client, joint_input, preview, replace=["list-principles"])
    assert set(joint_input.principles.all()) == {rights}  # exactly the file's, as chosen


def test_boxes_typed_as_text_count_too(world, joint_input):
    data = _template(world)
    document = docx.Document(io.BytesIO(data))
    heading = next(p for p in document.paragraphs if p.text == "Priorities")
    heading.insert_paragraph_before("[x] Protection")
    heading.insert_paragraph_before("✔ Insufficient resources")
    heading.insert_paragraph_before("[ ] Dedicated events")
    heading.insert_paragraph_before("☒ Something the lists do not have")
    buffer = io.BytesIO()
    document.save(buffer)
    content = reader.read_word_file(_upload(buffer.getvalue()), joint_input)
    assert content["lists"]["priorities"] == ["protection"]
    assert content["lists"]["challenges"] == ["resources"]
    assert content["lists"]["formats"] == []
    assert content["unmatched"] == [
        "“Something the lists do not have” matches no item of the lists; its box was not imported."
    ]


def test_stale_import_is_refused_and_keeps_the_choices(client, world, joint_input):
    editing.save_content(
        joint_input,
        editing.ContentChanges(sections={world.sections.intro.pk: "Ours."}, objectives={}),
        by=world.lead_user,
        expected_version=joint_input.version,
    )
    data = fill_template(_template(world), sections={1: ["From the file."], 4: ["New."]})
    client.force_login(world.lead_user)
    preview = _preview(client, joint_input, data)
    # The partner saves after the preview was made.
    joint_input.refresh_from_db()
    editing.save_content(
        joint_input,
        editing.ContentChanges(sections={world.sections.intro.pk: "Partner's."}, objectives={}),
        by=world.partner_user,
        expected_version=joint_input.version,
    )
    version_before = WrittenInput.objects.get(pk=joint_input.pk).version
    response = _apply(client, joint_input, preview, replace=["section-1"])
    assert response.status_code == 409
    body = response.content.decode()
    assert "Pat Partner saved this draft at" in body
    assert "nothing has been imported yet" in body
    assert 'value="section-1" id="replace-section-1"' in body
    assert re.search(r'id="replace-section-1"[^>]* checked', body)  # the choice is kept
    assert "Partner" in body  # compared with the draft as it is now
    assert WrittenInput.objects.get(pk=joint_input.pk).version == version_before
    assert _content(take_snapshot(content_queryset().get(pk=joint_input.pk)))["sections"][4] == ""
    # Applying the refreshed preview works.
    response = _apply(client, joint_input, response, replace=["section-1"])
    assert response.status_code == 302
    bodies = _content(take_snapshot(content_queryset().get(pk=joint_input.pk)))["sections"]
    assert (bodies[1], bodies[4]) == ("From the file.", "New.")


def test_a_tampered_or_missing_preview_is_refused_with_a_message(client, world, joint_input):
    client.force_login(world.lead_user)
    url = reverse("submissions:input-import-apply", args=[joint_input.pk])
    preview = _preview(client, joint_input, fill_template(_template(world), sections={1: ["x"]}))
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
    other = _new_draft(world, "Other")
    preview = _preview(client, other, fill_template(_template(world), sections={1: ["x"]}))
    response = client.post(
        url, {"payload": preview.context["payload"], "version": joint_input.version}
    )
    assert response.status_code == 400


def test_an_import_into_an_input_that_left_the_draft_state_is_refused(client, world, joint_input):
    data = fill_template(_template(world), sections={1: ["From the file."]})
    client.force_login(world.lead_user)
    preview = _preview(client, joint_input, data)
    workflow.withdraw_input(joint_input, by=world.lead_user, reason="Not now.")
    response = _apply(client, joint_input, preview)
    assert response.status_code == 302
    assert response["Location"] == reverse("submissions:input-detail", args=[joint_input.pk])
    assert _content(take_snapshot(content_queryset().get(pk=joint_input.pk)))["sections"][1] == ""


def test_too_long_text_is_listed_and_not_imported(client, world, joint_input):
    data = fill_template(_template(world), sections={1: ["word " * 12_000], 4: ["Fine."]})
    client.force_login(world.lead_user)
    preview = _preview(client, joint_input, data)
    plan = preview.context["plan"]
    assert [f.key for f in plan.changes] == ["section-4"]
    assert plan.too_long and plan.too_long[0].startswith("1. Introduction: This text has")


# Hostile and wrong files ----------------------------------------------------------------


def _docm(world) -> bytes:
    data = _template(world)
    types = member(data, "[Content_Types].xml").replace(
        b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        b"application/vnd.ms-word.document.macroEnabled.main+xml",
    )
    return replace_member(data, "[Content_Types].xml", types)


def _with_vba(world) -> bytes:
    return replace_member(
        _template(world),
        "word/vbaProject.bin",
        None,
        **{"word/vbaProject.bin": b"\xd0\xcf\x11\xe0 macro"},
    )


def _zip_bomb(world) -> bytes:
    return replace_member(
        _template(world),
        "word/media/filler.xml",
        None,
        **{"word/media/filler.xml": b"<a>" + b" " * (8 * 1024 * 1024) + b"</a>"},
    )


def _malformed(world) -> bytes:
    document = member(_template(world), "word/document.xml")
    return replace_member(_template(world), "word/document.xml", document[: len(document) // 2])


def _with_doctype(world, declaration: bytes, reference: bytes, encoding="utf-8") -> bytes:
    document = member(_template(world), "word/document.xml").decode()
    head, rest = document.split("?>", 1)
    rest = rest.replace(
        "1. Introduction</w:t>", "1. Introduction" + reference.decode() + "</w:t>", 1
    )
    text = f"{head}?>{declaration.decode()}{rest}"
    if encoding != "utf-8":
        text = text.replace("encoding='UTF-8'", f"encoding='{encoding}'")
    return replace_member(_template(world), "word/document.xml", text.encode(encoding))


def _external_entity(world) -> bytes:
    return _with_doctype(
        world,
        b'<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        b"&xxe;",
    )


def _billion_laughs(world) -> bytes:
    entities = '<!ENTITY l0 "lol">' + "".join(
        f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10)
    )
    return _with_doctype(world, f"<!DOCTYPE w:document [{entities}]>".encode(), b"&l9;")


def _utf16_doctype(world) -> bytes:
    return _with_doctype(
        world,
        b'<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        b"&xxe;",
        encoding="utf-16",
    )


HOSTILE = {
    "docm": (_docm, "is a Word file with macros (.docm), which is not accepted."),
    "vba": (_with_vba, "is a Word file with macros (.docm), which is not accepted."),
    "zip bomb": (_zip_bomb, "would unpack to far more data than a normal document"),
    "malformed xml": (_malformed, "looks like a Word or Excel file but is damaged"),
    "external entity": (_external_entity, "contains XML with a document type declaration"),
    "billion laughs": (_billion_laughs, "contains XML with a document type declaration"),
    "utf-16 entity": (_utf16_doctype, "contains XML with a document type declaration"),
    "renamed pdf": (lambda world: make_pdf(), "is a PDF file, not a Word (.docx) document."),
    "plain zip": (
        lambda world: replace_member(_template(world), "[Content_Types].xml", None),
        "is not a Word (.docx) document.",
    ),
    "empty": (lambda world: b"", "The submitted file is empty."),
    "text": (lambda world: b"Hello, this is text.", "is not a Word (.docx) document."),
}


@pytest.mark.parametrize("kind", HOSTILE)
def test_hostile_files_are_refused_on_the_form_and_nothing_is_stored(
    client, world, joint_input, settings, kind
):
    make, message = HOSTILE[kind]
    version = joint_input.version
    client.force_login(world.lead_user)
    response = _preview(client, joint_input, make(world))
    assert response.status_code == 400
    body = response.content.decode().replace("&#x27;", "'")
    assert message in body
    assert 'class="invalid-feedback"' in body or "alert-danger" in body
    assert response.context["form"].errors
    assert WrittenInput.objects.get(pk=joint_input.pk).version == version
    media = settings.MEDIA_ROOT
    assert not media.exists() or not any(media.rglob("*"))


def test_a_package_too_big_for_an_import_is_refused(client, world, joint_input, monkeypatch):
    monkeypatch.setattr(safety, "IMPORT_MAX_UNPACKED_BYTES", 100_000)
    client.force_login(world.lead_user)
    response = _preview(client, joint_input, _template(world))
    assert response.status_code == 400
    assert "far more than a filled template" in response.content.decode()


def test_python_docx_parsers_resolve_no_entity(tmp_path):
    """Besides the DTD refusal, the parsers python-docx opens parts with never expand
    an entity: neither an external one (a file here) nor an internal one."""
    from docx.opc.oxml import oxml_parser as package_parser
    from docx.oxml.parser import oxml_parser

    secret = tmp_path / "secret.txt"
    secret.write_text("the secret", encoding="utf-8")
    xml = (
        f'<!DOCTYPE a [<!ENTITY xxe SYSTEM "{secret.as_uri()}">'
        '<!ENTITY inner "expanded">]><a>&xxe;&inner;</a>'
    ).encode()
    for parser in (oxml_parser, package_parser):
        root = etree.fromstring(xml, parser)
        # The references stay references: nothing was read or substituted.
        assert etree.tostring(root) == b"<a>&xxe;&inner;</a>"
        assert root.text is None


def test_a_docx_without_any_outline_heading_is_refused(client, world, joint_input):
    document = docx.Document()
    document.add_paragraph("Just a letter.")
    buffer = io.BytesIO()
    document.save(buffer)
    client.force_login(world.lead_user)
    response = _preview(client, joint_input, buffer.getvalue(), "letter.docx")
    assert response.status_code == 400
    assert "No heading of this draft&#x27;s outline was found in “letter.docx”" in (
        response.content.decode()
    )


def test_an_odd_but_valid_document_is_read_without_error(world, joint_input):
    """Content controls, tracked changes, hyperlinks, tables in a section, nested tables,
    math and a text box: read as text where they have any, never an error."""
    data = fill_template(_template(world), sections={1: ["Start."]})
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
    content = reader.read_word_file(_upload(buffer.getvalue()), joint_input)
    assert content["sections"]["1"] == "Start.\n\nLeft | Nested\n\nInserted in a control"


# Who may do what ------------------------------------------------------------------------


def test_import_pages_are_for_the_draft_secretariats_only(client, world, joint_input):
    import_url = reverse("submissions:input-import", args=[joint_input.pk])
    apply_url = reverse("submissions:input-import-apply", args=[joint_input.pk])
    for user in (world.other_user, world.reviewer, world.other_reviewer, world.admin):
        client.force_login(user)
        assert client.get(import_url).status_code == 404
        assert client.post(import_url, {"file": _upload(_template(world))}).status_code == 404
        assert client.post(apply_url, {"payload": "x", "version": "1"}).status_code == 404
    for user in (world.lead_user, world.partner_user):
        client.force_login(user)
        response = client.get(import_url)
        assert response.status_code == 200
        assert b'name="file"' in response.content
    client.logout()
    assert client.get(import_url).status_code == 302


def test_export_follows_visible_to(client, world, make_input):
    submitted = make_input("Submitted one", state="submitted")
    draft = make_input("Never submitted", state="draft")
    url = reverse("submissions:input-docx", args=[submitted.pk])
    draft_url = reverse("submissions:input-docx", args=[draft.pk])
    for user, submitted_status, draft_status in (
        (world.lead_user, 200, 200),
        (world.partner_user, 404, 404),  # not a partner of these inputs
        (world.other_user, 404, 404),
        (world.reviewer, 200, 404),  # the region's reviewer: submitted versions only
        (world.other_reviewer, 404, 404),
        (world.admin, 200, 404),  # staff see everything, but a draft has no version
    ):
        client.force_login(user)
        assert client.get(url).status_code == submitted_status, user
        assert client.get(draft_url).status_code == draft_status, user
    client.force_login(world.reviewer)
    response = client.get(url)
    assert response["Content-Disposition"].endswith('-v1.docx"')
    assert client.get(url + "?version=2").status_code == 404
    assert client.get(url + "?version=abc").status_code == 404


# Query counts ---------------------------------------------------------------------------


def _counts(client, world, objective_numbers):
    """Queries of the template, export, import page, preview and apply for a draft
    reporting `objective_numbers`."""
    objectives = [GCMObjectiveFactory(number=n) for n in objective_numbers]
    written_input = _new_draft(world, f"Draft with {len(objectives)}")
    editing.save_content(
        written_input,
        editing.ContentChanges(
            sections={world.sections.intro.pk: "Intro."},
            objectives={
                o.pk: {"progress": "P.", "practices": "", "challenges": ""} for o in objectives
            },
            principles=list(GuidingPrinciple.objects.all()),
        ),
        by=world.lead_user,
        expected_version=written_input.version,
    )
    client.force_login(world.lead_user)
    counts = {}

    def count(name, call):
        with CaptureQueriesContext(connection) as queries:
            response = call()
        assert response.status_code in (200, 302), name
        counts[name] = len(queries)
        return response

    count(
        "template",
        lambda: client.get(reverse("submissions:cycle-template", args=[world.cycle.slug])),
    )
    exported = count(
        "export", lambda: client.get(reverse("submissions:input-docx", args=[written_input.pk]))
    )
    count(
        "import page",
        lambda: client.get(reverse("submissions:input-import", args=[written_input.pk])),
    )
    target = _new_draft(world, f"Target {len(objectives)}")
    preview = count("preview", lambda: _preview(client, target, exported.content))
    count("apply", lambda: _apply(client, target, preview))
    return counts


def test_query_counts_do_not_grow_with_the_data(client, world):
    few = _counts(client, world, [1])
    many = _counts(client, world, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    # Applying writes one row per field it fills (editing.save_content); the rest of
    # every page reads in a fixed number of queries.
    assert {k: v for k, v in many.items() if k != "apply"} == {
        k: v for k, v in few.items() if k != "apply"
    }
    assert many["apply"] - few["apply"] == 9 * 1  # one INSERT per added objective
    # Session and user, the input with its prefetches, the outline, the objectives and
    # the four lists: a fixed budget per page.
    budget = {"template": 12, "export": 30, "import page": 25, "preview": 35}
    assert all(many[name] <= limit for name, limit in budget.items()), many


# The pages show the way in --------------------------------------------------------------


def test_links_to_template_import_and_export(client, world, joint_input, make_input):
    client.force_login(world.lead_user)
    template_url = reverse("submissions:cycle-template", args=[world.cycle.slug])
    dashboard = client.get(reverse("submissions:dashboard")).content.decode()
    assert template_url in dashboard
    edit = client.get(reverse("submissions:input-edit", args=[joint_input.pk])).content.decode()
    assert template_url in edit
    assert reverse("submissions:input-import", args=[joint_input.pk]) in edit
    detail = client.get(
        reverse("submissions:input-detail", args=[joint_input.pk])
    ).content.decode()
    assert reverse("submissions:input-docx", args=[joint_input.pk]) in detail

    submitted = make_input("For the reviewers", state="submitted")
    client.force_login(world.reviewer)
    review_page = client.get(reverse("reviews:input", args=[submitted.pk])).content.decode()
    assert reverse("submissions:input-docx", args=[submitted.pk]) + "?version=1" in review_page


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


def test_hostile_text_exports_and_imports_without_error(world, joint_input):
    """Every text of the hostile corpus that a form stores goes into a section and an
    objective, out to Word and back: no error, and what it says comes back."""
    from submissions.markup import plain_text

    from ..test_hostile_content import CASES

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
        content = reader.read_word_file(_upload(data), joint_input)
        # Characters XML cannot carry (control characters, typed or as entities) are
        # dropped on the way out.
        expected = " ".join(writer.xml_text(plain_text(case.typed)).split())
        assert plain_text(content["sections"].get("1", "")) == expected, case.name
        assert plain_text(content["objectives"]["1"]["progress"]) == expected, case.name


def test_a_template_downloaded_in_french_imports_in_english(world, joint_input):
    from django.utils import translation

    with translation.override("fr"):
        data = _template(world)
    assert "50 mots au maximum." in [text for _style, text in _body_paragraphs(data)]
    filled = fill_template(data, sections={1: ["Texte."]}, tick=["Protection"])
    content = reader.read_word_file(_upload(filled), joint_input)
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
    preview = _preview(client, joint_input, data)
    plan = preview.context["plan"]
    assert [f.key for f in plan.changes] == ["section-1"]
    assert plan.warnings == [
        "This file was made from the template of another outline (“older-outline”); its "
        "headings were matched to this draft's outline by number and title."
    ]
    assert plan.not_in_file == ["2. Progress on objectives", "3. Principles", "4. Recommendations"]


def test_what_cannot_be_matched_is_listed(world, joint_input):
    data = fill_template(_template(world), sections={1: ["First."]})
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
    content = reader.read_word_file(_upload(buffer.getvalue()), joint_input)
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
