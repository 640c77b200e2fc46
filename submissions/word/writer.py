"""Writing Word files: a cycle's outline as the .docx template (`outline_template`) and
any input — a submitted version or the live draft — as a .docx export
(`input_document`), both with the one document structure `submissions.word` describes.

`_Writer` is a python-docx document with the portal's styles, list numbering and Word
check box content controls; Markdown is written through the same sanitised HTML the
pages show, so what Word shows is what the portal shows."""

import io
import itertools
import re
from datetime import datetime

import docx
import lxml.html
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_DIRECTION
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt, RGBColor

from ..markup import render_markdown
from ..models import ContentLanguage, GCMObjective, OutlineSection, RoundTable
from .common import (
    GUIDANCE_STYLE,
    OBJECTIVE_PARTS,
    SAFE_LINK_RE,
    TICKED,
    UNTICKED,
    Section,
    Span,
    how_to_fill,
    limit_line,
    list_headings,
    lists_how,
    objectives_how,
    principles_how,
    reference_lists,
    w,
)

# XML 1.0 cannot carry these; typed text may (a pasted vertical tab, say).
_XML_SPACE_RE = re.compile("[\x0b\x0c\x1c-\x1f]")
_XML_INVALID_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_RTL_CHARACTER_RE = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")


def xml_text(text) -> str:
    """`text` without what XML cannot carry; separators Python reads as spaces (vertical
    tab, form feed, information separators) become spaces."""
    return _XML_INVALID_RE.sub("", _XML_SPACE_RE.sub(" ", str(text or "")))


def _abstract_num_xml(abstract_id: int, *, numbered: bool) -> str:
    levels = []
    for level in range(9):
        if numbered:
            number_format, text = "decimal", f"%{level + 1}."
        else:
            number_format, text = "bullet", "•◦▪"[level % 3]
        levels.append(
            f'<w:lvl w:ilvl="{level}"><w:start w:val="1"/>'
            f'<w:numFmt w:val="{number_format}"/><w:lvlText w:val="{text}"/>'
            f'<w:lvlJc w:val="left"/><w:pPr><w:ind w:left="{360 * (level + 2)}" '
            'w:hanging="360"/></w:pPr></w:lvl>'
        )
    return (
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{abstract_id}">'
        f'<w:multiLevelType w:val="multilevel"/>{"".join(levels)}</w:abstractNum>'
    )


class _CellContainer:
    """A table cell that fills its first (empty) paragraph before adding more."""

    def __init__(self, cell):
        self.cell = cell
        self.unused = cell.paragraphs[0]

    def add_paragraph(self, text="", style=None):
        if self.unused is not None:
            paragraph, self.unused = self.unused, None
            if style is not None:
                paragraph.style = style
            return paragraph
        return self.cell.add_paragraph(text, style)


class _Writer:
    """A python-docx document with the portal's styles and list numbering."""

    def __init__(self, *, rtl: bool = False):
        self.document = docx.Document()
        self.rtl = rtl
        self._ids = itertools.count(1)
        section = self.document.sections[0]
        section.page_width, section.page_height = Cm(21.0), Cm(29.7)
        for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
            setattr(section, side, Cm(2))
        styles = self.document.styles
        guidance = styles.add_style(GUIDANCE_STYLE, WD_STYLE_TYPE.PARAGRAPH)
        guidance.base_style = styles["Normal"]
        # Enter at the end of the guidance starts a normal paragraph: what is typed
        # there is the person's text, not guidance.
        guidance.next_paragraph_style = styles["Normal"]
        guidance.quick_style = True
        guidance.font.italic = True
        guidance.font.size = Pt(10)
        guidance.font.color.rgb = RGBColor(0x59, 0x59, 0x59)
        self._setup_numbering()

    def _setup_numbering(self):
        numbering = self.document.part.numbering_part.element
        ids = [int(a.get(w("abstractNumId"))) for a in numbering.findall(w("abstractNum"))]
        self._bullet_abstract = max(ids, default=-1) + 1
        self._decimal_abstract = self._bullet_abstract + 1
        first_num = numbering.find(w("num"))
        for abstract_id, numbered in (
            (self._bullet_abstract, False),
            (self._decimal_abstract, True),
        ):
            element = parse_xml(_abstract_num_xml(abstract_id, numbered=numbered))
            # The schema puts every abstractNum before the first num.
            if first_num is not None:
                first_num.addprevious(element)
            else:
                numbering.append(element)
        self._numbering = numbering
        self._bullet_num = numbering.add_num(self._bullet_abstract).numId

    def _new_numbered_list(self, level: int) -> int:
        # Each numbered list starts again at 1.
        num = self._numbering.add_num(self._decimal_abstract)
        num.add_lvlOverride(ilvl=level).add_startOverride(1)
        return num.numId

    # Paragraphs and runs

    def paragraph(self, container=None, *, style=None, rtl=False):
        paragraph = (container or self.document).add_paragraph(style=style)
        if rtl:
            paragraph._p.get_or_add_pPr().insert_element_before(
                OxmlElement("w:bidi"),
                *("w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind"),
                *("w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc"),
                *("w:textDirection", "w:textAlignment", "w:textboxTightWrap"),
                *("w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange"),
            )
        return paragraph

    def run(self, parent, text: str, *, bold=False, italic=False, link=False, rtl=False):
        """A w:r with `text` (line breaks as w:br) appended to the element `parent`."""
        run = OxmlElement("w:r")
        properties = OxmlElement("w:rPr")
        if bold:
            properties.append(OxmlElement("w:b"))
            properties.append(OxmlElement("w:bCs"))
        if italic:
            properties.append(OxmlElement("w:i"))
            properties.append(OxmlElement("w:iCs"))
        if link:
            color = OxmlElement("w:color")
            color.set(qn("w:val"), "0563C1")
            properties.append(color)
            underline = OxmlElement("w:u")
            underline.set(qn("w:val"), "single")
            properties.append(underline)
        if rtl and _RTL_CHARACTER_RE.search(text):
            properties.append(OxmlElement("w:rtl"))
        if len(properties):
            run.append(properties)
        for index, line in enumerate(xml_text(text).split("\n")):
            if index:
                run.append(OxmlElement("w:br"))
            if line:
                text_element = OxmlElement("w:t")
                text_element.text = line
                text_element.set(qn("xml:space"), "preserve")
                run.append(text_element)
        parent.append(run)

    def text(self, container, text: str, *, style=None, bold=False, rtl=False):
        paragraph = self.paragraph(container, style=style, rtl=rtl)
        self.run(paragraph._p, text, bold=bold, rtl=rtl)
        return paragraph

    def heading(self, text: str, level: int, *, rtl=False):
        return self.text(None, text, style=f"Heading {level}", rtl=rtl)

    def guidance(self, text: str, container=None):
        if text:
            self.text(container, text, style=GUIDANCE_STYLE)

    def checkbox(self, parent, ticked: bool):
        """A Word check box content control showing ☒ or ☐."""
        glyph = TICKED if ticked else UNTICKED
        parent.append(
            parse_xml(
                f'<w:sdt {nsdecls("w", "w14")}><w:sdtPr><w:id w:val="{next(self._ids)}"/>'
                f'<w14:checkbox><w14:checked w14:val="{int(ticked)}"/>'
                '<w14:checkedState w14:val="2612" w14:font="MS Gothic"/>'
                '<w14:uncheckedState w14:val="2610" w14:font="MS Gothic"/>'
                "</w14:checkbox></w:sdtPr><w:sdtContent><w:r><w:rPr>"
                '<w:rFonts w:ascii="MS Gothic" w:eastAsia="MS Gothic" w:hAnsi="MS Gothic" '
                f'w:hint="eastAsia"/></w:rPr><w:t>{glyph}</w:t></w:r></w:sdtContent></w:sdt>'
            )
        )

    def check_item(self, label: str, ticked: bool, container=None):
        paragraph = self.paragraph(container)
        self.checkbox(paragraph._p, ticked)
        self.run(paragraph._p, " " + label)
        return paragraph

    # Markdown

    def markdown(self, container, text: str):
        """The Markdown subset as Word paragraphs, through the same sanitised HTML the
        pages show (so what Word shows is what the portal shows)."""
        html = str(render_markdown(xml_text(text)))
        if not html:
            return
        root = lxml.html.fragment_fromstring(html, create_parent="div")
        if (root.text or "").strip():
            self._inline_paragraph(container, [Span(root.text)])
        for element in root:
            if element.tag in ("ul", "ol"):
                self._list(container, element, level=0)
            else:
                self._inline_paragraph(container, _spans(element))
            if (element.tail or "").strip():
                self._inline_paragraph(container, [Span(element.tail)])

    def _inline_paragraph(self, container, spans, *, paragraph=None):
        spans = _collapse_whitespace(spans)
        if paragraph is None:
            if not spans:
                return None
            paragraph = self.paragraph(container, rtl=self.rtl)
        for span in spans:
            parent = paragraph._p
            if span.href:
                relationship = paragraph.part.relate_to(
                    span.href, RELATIONSHIP_TYPE.HYPERLINK, is_external=True
                )
                parent = OxmlElement("w:hyperlink")
                parent.set(qn("r:id"), relationship)
                paragraph._p.append(parent)
            self.run(
                parent,
                span.text,
                bold=span.bold,
                italic=span.italic,
                link=bool(span.href),
                rtl=self.rtl,
            )
        return paragraph

    def _list(self, container, element, *, level: int):
        numbered = element.tag == "ol"
        num_id = self._new_numbered_list(level) if numbered else self._bullet_num
        for item in element:
            if item.tag != "li":
                continue
            paragraph = self.paragraph(container, style="List Paragraph", rtl=self.rtl)
            numbering = paragraph._p.get_or_add_pPr().get_or_add_numPr()
            numbering.get_or_add_ilvl().val = min(level, 8)
            numbering.get_or_add_numId().val = num_id
            self._inline_paragraph(container, _spans(item), paragraph=paragraph)
            for child in item:
                if child.tag in ("ul", "ol"):
                    self._list(container, child, level=level + 1)

    # Tables

    def table(self, rows: int, widths: list[float], *, rtl=False):
        table = self.document.add_table(rows=rows, cols=len(widths))
        table.style = "Table Grid"
        if rtl:
            table.table_direction = WD_TABLE_DIRECTION.RTL
        for row in table.rows:
            for cell, width in zip(row.cells, widths, strict=True):
                cell.width = Cm(width)
        header = table.rows[0]._tr.get_or_add_trPr()
        header.append(OxmlElement("w:tblHeader"))  # repeated on every page
        return table

    def save(self) -> bytes:
        buffer = io.BytesIO()
        self.document.save(buffer)
        return buffer.getvalue()


def house_style_writer(*, rtl: bool = False) -> _Writer:
    """A document in the Word template's house style (page, styles, list numbering)
    for other documents of the portal (the regional synthesis draft): write with its
    `heading`, `text`, `paragraph`, `run`, `markdown`, `table` and `save`; `rtl` (which
    the caller may change between paragraphs) lays out the Markdown paragraphs right to
    left."""
    return _Writer(rtl=rtl)


def _spans(element, *, bold=False, italic=False, href=None, into=None) -> list[Span]:
    """The inline content of an HTML element of the sanitised Markdown output, without
    nested lists; paragraphs inside a list item are joined by line breaks."""
    spans = [] if into is None else into
    if element.text:
        spans.append(Span(element.text, bold, italic, href))
    for child in element:
        tag = child.tag
        if tag in ("ul", "ol"):
            pass  # written as their own paragraphs by the caller
        elif tag == "br":
            spans.append(Span("\n"))
        else:
            if tag == "p" and spans and any(s.text.strip() for s in spans):
                spans.append(Span("\n"))
            link = child.get("href") if tag == "a" else href
            _spans(
                child,
                bold=bold or tag in ("strong", "b"),
                italic=italic or tag in ("em", "i"),
                href=link if link and SAFE_LINK_RE.match(link) else None,
                into=spans,
            )
        if child.tail:
            spans.append(Span(child.tail, bold, italic, href))
    return spans


def _collapse_whitespace(spans: list[Span]) -> list[Span]:
    """HTML's whitespace rules: runs of spaces and newlines are one space, none at the
    start or end of a line; <br> (a span "\\n") is the only line break."""
    result: list[Span] = []
    line_start = True
    for span in spans:
        if span.text == "\n":
            if result and result[-1].text != "\n":
                result[-1].text = result[-1].text.rstrip(" ")
            result.append(Span("\n"))
            line_start = True
            continue
        text = re.sub(r"[ \t\n\r\f]+", " ", span.text)
        if line_start or (result and result[-1].text.endswith(" ")):
            text = text.lstrip(" ")
        if text:
            result.append(Span(text, span.bold, span.italic, span.href))
            line_start = False
    while result and result[-1].text == "\n":
        result.pop()
    if result:
        result[-1].text = result[-1].text.rstrip(" ")
    return [span for span in result if span.text]


def _core_properties(writer: _Writer, *, title: str, outline_slug: str, language: str):
    properties = writer.document.core_properties
    now = timezone.now().replace(microsecond=0, tzinfo=None)
    properties.title = xml_text(title)[:255]
    properties.author = properties.last_modified_by = "ISCM Review Portal"
    properties.identifier = f"iscm-portal:outline:{outline_slug}"
    properties.language = language
    properties.comments = ""
    properties.keywords = ""
    properties.created = properties.modified = datetime(*now.timetuple()[:6])
    properties.revision = 1


def _write_body(
    writer: _Writer,
    sections: list[Section],
    *,
    bodies: dict[int, str],
    objectives: list[dict],
    lists: dict[str, list[tuple[str, bool]]],
    template: bool,
):
    """The sections, objective tables and check lists, for templates and exports."""
    for section in sections:
        writer.heading(f"{section.number}. {section.title}", 1)
        writer.guidance(section.guidance)
        writer.guidance(limit_line(section))
        if section.kind == OutlineSection.Kind.OBJECTIVES:
            if template:
                writer.guidance(objectives_how())
            _write_objectives(writer, objectives, template=template)
            continue
        if section.kind == OutlineSection.Kind.PRINCIPLES:
            if template:
                writer.guidance(principles_how())
            for label, ticked in lists["principles"]:
                writer.check_item(label, ticked)
        writer.markdown(None, bodies.get(section.number, ""))

    writer.heading(_("Formats, priorities and challenges"), 1)
    if template:
        writer.guidance(lists_how())
    for name, heading in list_headings().items():
        writer.heading(heading, 2)
        for label, ticked in lists[name]:
            writer.check_item(label, ticked)


def _write_objectives(writer: _Writer, objectives: list[dict], *, template: bool):
    if not objectives:
        writer.guidance(_("No objective reported."))
        return
    ordered = sorted(objectives, key=lambda o: (o["round_table"], o["number"]))
    for table_number, rows in itertools.groupby(ordered, key=lambda o: o["round_table"]):
        rows = list(rows)
        label = RoundTable(table_number).label
        writer.heading(f"{_('Round table %(number)s') % {'number': table_number}}: {label}", 2)
        table = writer.table(len(rows) + 1, [4.2, 4.3, 4.3, 4.2], rtl=writer.rtl)
        headers = (
            _("Objective"),
            _("Progress at the regional level"),
            _("Practices worth sharing"),
            _("Challenges"),
        )
        for cell, header in zip(table.rows[0].cells, headers, strict=True):
            writer.run(cell.paragraphs[0]._p, header, bold=True)
        for row, objective in zip(table.rows[1:], rows, strict=True):
            cells = row.cells
            first = cells[0].paragraphs[0]
            writer.checkbox(first._p, objective.get("ticked", not template))
            writer.run(first._p, f" {objective['number']}. {objective['title']}")
            for cell, part in zip(cells[1:], OBJECTIVE_PARTS, strict=True):
                writer.markdown(_CellContainer(cell), objective.get(part, ""))


def outline_template(cycle) -> bytes:
    """The Word template of a cycle's outline, in the active interface language.

    Reads the outline's sections, the objectives and the four lists (7 queries); a new
    cycle's outline gives a new template with no code change."""
    sections = [Section.of(s) for s in cycle.outline.sections.all()]
    writer = _Writer()
    _core_properties(
        writer,
        title=_("Written input to the GCM regional reviews"),
        outline_slug=cycle.outline.slug,
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )
    writer.text(None, _("Written input to the GCM regional reviews"), style="Title")
    writer.text(None, f"{cycle.name} ({cycle.years})", style="Subtitle")
    writer.text(None, cycle.outline.name)
    for text in how_to_fill():
        writer.guidance(text)
    references = reference_lists()
    _write_body(
        writer,
        sections,
        bodies={},
        objectives=[
            {"number": o.number, "title": o.title, "round_table": o.round_table}
            for o in GCMObjective.objects.order_by("number")
        ],
        lists={
            name: [(label, False) for _key, label in items] for name, items in references.items()
        },
        template=True,
    )
    return writer.save()


def input_document(snapshot: dict, *, outline, version_label: str) -> bytes:
    """An input's snapshot (a submitted version, or `take_snapshot` of the live draft)
    as a Word document with the template's structure, so it can be circulated and
    imported again. The input's `outline` gives the guidance (a snapshot keeps the
    rest); reads its sections and the four lists (5 queries). Right-to-left content
    (Arabic) gets the bidi property on its paragraphs and its tables."""
    guidance = {s.number: s.guidance for s in outline.sections.all()}
    sections = [
        Section(
            s["number"],
            s["title"],
            s["kind"],
            s["required"],
            s["word_limit"],
            guidance.get(s["number"], ""),
        )
        for s in snapshot["sections"]
    ]
    rtl = snapshot.get("direction") == "rtl"
    writer = _Writer(rtl=rtl)
    _core_properties(
        writer, title=snapshot["title"], outline_slug=outline.slug, language=snapshot["language"]
    )
    writer.text(None, snapshot["title"], style="Title", rtl=rtl)
    lead = snapshot["lead"]
    details = [
        (_("Review cycle"), f"{snapshot['cycle']['name']} ({snapshot['cycle']['years']})"),
        (_("Lead ISCM"), f"{lead['acronym']} — {lead['name']}"),
    ]
    if snapshot["partners"]:
        details.append(
            (
                _("Partner ISCMs (joint input)"),
                ", ".join(f"{p['acronym']} — {p['name']}" for p in snapshot["partners"]),
            )
        )
    details += [
        (
            _("Regional reviews"),
            ", ".join(f"{t['region']} — {t['region_name']}" for t in snapshot["targets"]),
        ),
        (_("Language"), _language_name(snapshot["language"])),
        (_("Version"), version_label),
    ]
    for label, value in details:
        paragraph = writer.paragraph()
        writer.run(paragraph._p, f"{label}: ", bold=True)
        writer.run(paragraph._p, value)

    references = reference_lists()
    chosen = {
        "principles": {p["letter"] for p in snapshot["principles"]},
        "formats": set(snapshot["formats"]),
        "priorities": set(snapshot["priorities"]),
        "challenges": set(snapshot["challenges"]),
    }
    lists = {}
    for name, items in references.items():
        # Principles are recorded by letter, the others by name (as the snapshot has them).
        keys = [key if name == "principles" else label for key, label in items]
        lists[name] = [
            (label, key in chosen[name]) for key, (_k, label) in zip(keys, items, strict=True)
        ]
        # A ticked item since removed from the reference data still shows, ticked.
        lists[name] += [(label, True) for label in sorted(chosen[name] - set(keys))]
    _write_body(
        writer,
        sections,
        bodies={s["number"]: s["body"] for s in snapshot["sections"]},
        objectives=[{**o, "ticked": True} for o in snapshot["objectives"]],
        lists=lists,
        template=False,
    )
    return writer.save()


def _language_name(code: str) -> str:
    try:
        return str(ContentLanguage(code).label)
    except ValueError:
        return code
