"""The Word round trip in a browser: the ARCP secretariat downloads the current round's
template from the dashboard, fills it in (python-docx stands in for Word), imports it into
the Arabic draft, reviews the preview — a refused file first, then a section that would
overwrite text, which they choose to replace —, applies it, and exports the draft back to
.docx, where the Arabic text reads right to left."""

import io
import re
from pathlib import Path

import docx
from playwright.sync_api import expect

from submissions.models import WrittenInput
from submissions.snapshots import content_queryset, take_snapshot

from ..sample_files import make_pdf
from ..word_files import fill_template
from .conftest import assert_accessible, sign_in

ARCP = "arcp@example.org"
DRAFT = "demo-arcp-arabic-draft"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

SECTION_1 = "أعدّت الأمانة هذه المساهمة بعد مشاورتين مع الدول الأعضاء في عام ٢٠٢٨."
SECTION_5 = [
    [("تواجه الدول الأعضاء ", None), ("نقصًا في الموارد", "bold"), (" للمتابعة.", None)],
    ("bullet", "تغير المناخ"),
    ("bullet", "الهجرة غير النظامية"),
]
SECTION_5_MARKDOWN = (
    "تواجه الدول الأعضاء **نقصًا في الموارد** للمتابعة.\n\n- تغير المناخ\n- الهجرة غير النظامية"
)
OBJECTIVE_8 = "أنشأت الدول آلية إقليمية للبحث عن المهاجرين المفقودين."
FILE_LABEL = "Filled-in Word template (.docx)"


def _upload(page, name: str, data: bytes) -> None:
    page.get_by_label(FILE_LABEL).set_input_files(
        {
            "name": name,
            "mimeType": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "buffer": data,
        }
    )
    page.get_by_role("button", name="Preview the import").click()


def test_arcp_imports_a_filled_template_into_the_arabic_draft_and_exports_it(page, site):
    sign_in(page, site, ARCP)
    page.goto(site + "/my/")
    expect(page.get_by_role("heading", name="My inputs", level=1)).to_be_visible()
    assert_accessible(page, "dashboard")

    with page.expect_download() as download_info:
        page.get_by_role(
            "link", name=re.compile(r"^Download the Word template of the Third round")
        ).click()
    download = download_info.value
    assert download.suggested_filename == "written-input-template-2028-2029.docx"
    template = Path(download.path()).read_bytes()

    filled = fill_template(
        template,
        sections={1: [SECTION_1], 5: SECTION_5},
        objectives={8: {"tick": True, "progress": OBJECTIVE_8}},
        tick=["(f) Human rights", "Protection"],
    )

    draft = WrittenInput.objects.get(slug=DRAFT)
    page.get_by_role("link", name=draft.title).first.click()
    page.get_by_role("link", name="Edit the content").click()
    expect(page.get_by_role("heading", name="Edit the content", level=1)).to_be_visible()
    assert_accessible(page, "edit page")
    page.get_by_role("link", name="Import a filled Word template").click()
    expect(page.get_by_role("heading", name="Import from Word", level=1)).to_be_visible()
    assert_accessible(page, "import page")

    # A PDF renamed .docx: refused on the form, with the reason as the field's description.
    _upload(page, "filled.docx", make_pdf())
    expect(page.get_by_label(FILE_LABEL)).to_have_accessible_description(
        re.compile("“filled.docx” is a PDF file, not a Word \\(.docx\\) document.")
    )
    assert_accessible(page, "import page, file refused")

    _upload(page, "arcp-filled.docx", filled)
    expect(page.get_by_role("heading", name="Check the import", level=1)).to_be_visible()
    assert_accessible(page, "import preview")
    section_1 = page.get_by_role("region", name=re.compile(r"^1\. Introduction"))
    expect(section_1).to_contain_text("The draft already has other text here:")
    expect(section_1).to_contain_text(SECTION_1)
    replace = section_1.get_by_role("checkbox", name="Replace the draft's text with the file's")
    expect(replace).not_to_be_checked()
    section_5 = page.get_by_role("region", name=re.compile(r"^5\. Challenges"))
    expect(section_5).to_contain_text("New: this field is empty in the draft.")
    expect(section_5.locator("strong")).to_have_text("نقصًا في الموارد")
    expect(section_5.locator("[dir=rtl] li")).to_have_count(2)
    expect(page.get_by_role("region", name=re.compile(r"^Objective 8: "))).to_contain_text(
        OBJECTIVE_8
    )
    expect(page.get_by_role("region", name="Guiding principles")).to_contain_text(
        "Will be ticked: (f) Human rights"
    )
    expect(page.get_by_role("region", name="Priorities")).to_contain_text("Protection")
    replace.check()
    page.get_by_role("button", name="Import into the draft").click()

    expect(page).to_have_url(re.compile(rf"/my/inputs/{draft.pk}/edit/$"))
    expect(page.get_by_role("status")).to_have_text(
        "Imported from “arcp-filled.docx”: 5 fields filled."
    )
    expect(page.get_by_label("Text of section 1")).to_have_value(SECTION_1)
    assert_accessible(page, "edit page after the import")

    snapshot = take_snapshot(content_queryset().get(pk=draft.pk))
    bodies = {s["number"]: s["body"] for s in snapshot["sections"]}
    assert bodies[1] == SECTION_1
    assert bodies[5] == SECTION_5_MARKDOWN
    assert bodies[2].startswith("تضم العملية التشاورية العربية")  # untouched
    progress = {o["number"]: o["progress"] for o in snapshot["objectives"]}
    assert progress[8] == OBJECTIVE_8
    assert progress[23].startswith("عقدت الدول الأعضاء")  # untouched
    assert [p["letter"] for p in snapshot["principles"]] == ["f"]
    assert snapshot["priorities"] == ["Protection"]
    assert snapshot["formats"] == ["A platform to exchange practices on the GCM"]  # kept

    page.get_by_role("link", name="Back to the input").click()
    assert_accessible(page, "input page")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export as Word (.docx)").click()
    assert download_info.value.suggested_filename == f"{DRAFT}-draft.docx"
    exported = docx.Document(io.BytesIO(Path(download_info.value.path()).read_bytes()))
    paragraphs = {p.text: p for p in exported.paragraphs if p.text.strip()}
    for text in (draft.title, SECTION_1, "تغير المناخ"):
        assert paragraphs[text]._p.find(f"{W}pPr/{W}bidi") is not None, text
    assert "تواجه الدول الأعضاء نقصًا في الموارد للمتابعة." in paragraphs
    cells = [cell.text for table in exported.tables for row in table.rows for cell in row.cells]
    assert OBJECTIVE_8 in cells
