"""Word files the tests make with python-docx: the portal's template filled in the way a
person would in Word, and packages rebuilt with one part changed (for hostile files)."""

import io
import re
import zipfile

import docx
from docx.oxml.ns import qn

W14 = "http://schemas.microsoft.com/office/word/2010/wordml"


def _heading_level(paragraph) -> int | None:
    match = re.fullmatch(r"Heading (\d)", paragraph.style.name or "")
    return int(match.group(1)) if match else None


def _section_heading(document, number: int):
    for paragraph in document.paragraphs:
        if _heading_level(paragraph) == 1 and paragraph.text.startswith(f"{number}. "):
            return paragraph
    raise AssertionError(f"no heading of section {number}")


def _next_top_heading(document, paragraph):
    """The body element of the next Heading 1 (or table-free end) after `paragraph`."""
    element = paragraph._p.getnext()
    while element is not None:
        if element.tag == qn("w:p"):
            following = docx.text.paragraph.Paragraph(element, paragraph._parent)
            if _heading_level(following) == 1:
                return following
        element = element.getnext()
    return None


def _add(before, item):
    """Insert one paragraph spec before the paragraph `before`.

    A spec is a str (a normal paragraph), ("bullet", text), ("number", text),
    ("heading2", text), or a list of (text, "bold"|"italic"|None) runs."""
    if isinstance(item, str):
        return before.insert_paragraph_before(item)
    if isinstance(item, tuple):
        kind, text = item
        style = {"bullet": "List Bullet", "number": "List Number", "heading2": "Heading 2"}[kind]
        return before.insert_paragraph_before(text, style=style)
    paragraph = before.insert_paragraph_before("")
    for text, formatting in item:
        run = paragraph.add_run(text)
        run.bold = formatting == "bold"
        run.italic = formatting == "italic"
    return paragraph


def _set_box(paragraph_element, ticked: bool):
    """Tick or untick the check box content control at the start of a paragraph the
    way Word does: the state and the glyph it shows."""
    sdt = paragraph_element.find(qn("w:sdt"))
    assert sdt is not None, "no check box here"
    checked = sdt.find(f"{qn('w:sdtPr')}/{{{W14}}}checkbox/{{{W14}}}checked")
    checked.set(f"{{{W14}}}val", "1" if ticked else "0")
    sdt.find(f"{qn('w:sdtContent')}/{qn('w:r')}/{qn('w:t')}").text = "☒" if ticked else "☐"


def fill_template(
    data: bytes,
    *,
    sections: dict[int, list] | None = None,
    objectives: dict[int, dict] | None = None,
    tick: list[str] = (),
    remove_sections: list[int] = (),
    before_first_heading: list = (),
    after_sections: list = (),
) -> bytes:
    """The template `data` filled in: paragraphs added under section headings (after
    the guidance), objective rows filled ({number: {"tick": True, "progress": …}}),
    check-list items ticked by their label, whole sections deleted, paragraphs added
    before the first section and after the last one (before "Formats, …")."""
    document = docx.Document(io.BytesIO(data))
    for number, items in (sections or {}).items():
        heading = _section_heading(document, number)
        end = _next_top_heading(document, heading)
        for item in items:
            _add(end, item)
    for number, row in (objectives or {}).items():
        for table in document.tables:
            for table_row in table.rows:
                cells = table_row.cells
                if re.match(rf"^\W*{number}\. ", cells[0].text):
                    if row.get("tick"):
                        _set_box(cells[0].paragraphs[0]._p, True)
                    for cell, part in zip(
                        cells[1:], ("progress", "practices", "challenges"), strict=True
                    ):
                        if row.get(part):
                            cell.paragraphs[0].text = row[part]
    for label in tick:
        found = [
            p
            for p in document.paragraphs
            if re.sub(r"^\s*[☐☒]\s*", "", p._p.xpath("string(.)")).strip() == label
        ]
        assert found, f"no check item {label!r}"
        _set_box(found[0]._p, True)
    if before_first_heading:
        first = next(p for p in document.paragraphs if _heading_level(p) == 1)
        for item in before_first_heading:
            _add(first, item)
    if after_sections:
        lists_heading = next(
            p
            for p in document.paragraphs
            if _heading_level(p) == 1 and not re.match(r"^\d+\. ", p.text)
        )
        for item in after_sections:
            _add(lists_heading, item)
    for number in remove_sections:
        heading = _section_heading(document, number)
        end = _next_top_heading(document, heading)
        element = heading._p
        while element is not None and (end is None or element is not end._p):
            following = element.getnext()
            if element.tag in (qn("w:p"), qn("w:tbl")):
                element.getparent().remove(element)
            element = following
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def replace_member(data: bytes, name: str, content: bytes | None, **extra: bytes) -> bytes:
    """The package `data` with member `name` replaced (None: removed) and `extra`
    members added."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename == name:
                if content is not None:
                    target.writestr(name, content)
            else:
                target.writestr(info.filename, source.read(info.filename))
        for member, member_content in extra.items():
            target.writestr(member, member_content)
    return buffer.getvalue()


def member(data: bytes, name: str) -> bytes:
    return zipfile.ZipFile(io.BytesIO(data)).read(name)
