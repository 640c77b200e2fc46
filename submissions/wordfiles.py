"""Word round trip: a cycle's outline as a .docx template, a filled template imported into
a draft, and any input (a submitted version or the live draft) exported as .docx.

One document structure serves all three; python-docx writes it and `read_word_file`
reads it back:

- a title block. Everything before the first section heading is never imported;
- each outline section as a "Heading 1" paragraph "<number>. <title>", then its
  guidance and word limit in the "Portal Guidance" style, then the text;
- in the objectives section, one table per round table (under a "Heading 2"): columns
  objective, progress, practices, challenges; one row per objective, whose first cell
  starts with a check box and the objective's number. The template lists all
  objectives, an export the ones the input reports;
- in the principles section, a check list of the guiding principles before the text;
- after the sections, "Formats, priorities and challenges" with a check list each.

Reading a file back (the import):

- Headings map to sections: a heading "<number>. <title>" is the section with that
  number and title; failing that, the section with that title, or — for a top-level
  heading — with that number. A plain paragraph counts as a heading only when it is
  exactly "<number>. <title>" of a section. Any other top-level heading ends the section
  before it, and what follows it is reported as not matched; a lower-level heading
  inside a section becomes a bold paragraph of its text.
- Paragraphs the portal writes as instructions (guidance, word limits, how to tick) are
  recognised by their text, in every interface language, and skipped.
- Check boxes (documented on the import page): a check-list paragraph or an objective's
  first cell starting with ☒ ☑ ✓ ✔ or "[x]" is ticked, with ☐ or "[ ]" unticked. The
  template writes Word check box content controls (clickable in Word and LibreOffice);
  what the box shows is what counts. Only the lists whose boxes are in the file change.
- Text: paragraphs, line breaks, bulleted and numbered (nested) lists, bold, italic and
  links (http, https, mailto) become the Markdown subset of `submissions.markup`;
  everything else becomes plain text (a table inside a section: one line per row, cells
  separated by " | "). Tracked changes are read as if accepted. Images, text boxes,
  footnotes, comments, headers and footers are not imported.
- Nothing already in the draft is overwritten unless the person chooses to: `plan_import`
  lists what is new, what is the same and what conflicts; `apply_import` saves the
  chosen changes as one `editing.save_content` call with the version the preview was
  made from, so an import is refused like any stale edit.

Hostile files: `read_word_file` runs `uploads.inspect_upload` first (the type from the
bytes, the size, macros, encryption, zip bombs by the central directory), then refuses
anything but a .docx, a package that would unpack to more than
IMPORT_MAX_UNPACKED_BYTES, and any XML part that is malformed or larger than
IMPORT_MAX_XML_PART_BYTES or carries a document type declaration: each part is parsed
by lxml with entity resolution, DTD loading and network access off, so an entity —
internal ("billion laughs") or external (a file or URL) — is never even declared in
what python-docx then opens. python-docx's own parser does not resolve entities either
(`resolve_entities=False`); the tests check both.
"""

import codecs
import io
import itertools
import logging
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import datetime

import docx
import lxml.html
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_DIRECTION
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt, RGBColor
from lxml import etree

from . import editing
from .forms import MAX_TEXT_CHARACTERS, limit_text_size
from .markup import render_markdown
from .models import (
    Challenge,
    ContentLanguage,
    ContributionFormat,
    GCMObjective,
    GuidingPrinciple,
    ObjectiveResponse,
    OutlineSection,
    Priority,
    RoundTable,
)
from .uploads import (
    DOCX_CONTENT_TYPE,
    JPEG_CONTENT_TYPE,
    PDF_CONTENT_TYPE,
    PNG_CONTENT_TYPE,
    UploadRefused,
    inspect_upload,
    safe_display_name,
)

logger = logging.getLogger(__name__)

# A filled template is a few hundred kilobytes; these bound what one import may make the
# server decompress and parse. zipfile never decompresses more than a member's declared
# size, and inspect_upload has checked the declared sizes and ratios already.
IMPORT_MAX_UNPACKED_BYTES = 50 * 1024 * 1024
IMPORT_MAX_XML_PART_BYTES = 10 * 1024 * 1024
# How long a preview can be applied (the file is not kept; the preview carries what it
# read, signed).
IMPORT_PREVIEW_MAX_AGE = 24 * 60 * 60
_SIGNING_SALT = "submissions.wordfiles.import"

GUIDANCE_STYLE = "Portal Guidance"
UNTICKED, TICKED = "☐", "☒"
# A box at the start of a check-list paragraph or of an objective's first cell.
_BOX_RE = re.compile(r"^\s*(?:(?P<ticked>[☒☑✓✔]|\[[xX✓✔]\])|(?P<unticked>☐|\[ ?\]))\s*")
_SECTION_HEADING_RE = re.compile(r"^\s*(\d{1,3})\s*[.):\-–—]?\s*(.*)$", re.DOTALL)
# "5.", "Objective 5", "Obj. 5 –": an optional word, then the number.
_OBJECTIVE_NUMBER_RE = re.compile(r"^\W*(?:[^\W\d_]+\.?\s*)?(\d{1,3})(?!\d)")
_PRINCIPLE_LETTER_RE = re.compile(r"^\(?([a-z])\)\s*", re.IGNORECASE)
# XML 1.0 cannot carry these; typed text may (a pasted vertical tab, say).
_XML_SPACE_RE = re.compile("[\x0b\x0c\x1c-\x1f]")
_XML_INVALID_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_RTL_CHARACTER_RE = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
_SAFE_LINK_RE = re.compile(r"^(?:https?://|mailto:)", re.IGNORECASE)
_LIST_NAMES = ("principles", "formats", "priorities", "challenges")
_OBJECTIVE_PARTS = ObjectiveResponse.TEXT_FIELDS
_MAX_UNMATCHED = 50

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_W14 = "http://schemas.microsoft.com/office/word/2010/wordml"
_M = "http://schemas.openxmlformats.org/officeDocument/2006/math"


def _w(tag: str) -> str:
    return f"{{{_W}}}{tag}"


# --------------------------------------------------------------------------------------
# What the documents say besides the input's text


@dataclass(frozen=True)
class _Section:
    number: int
    title: str
    kind: str
    required: bool
    word_limit: int | None
    guidance: str

    @classmethod
    def of(cls, section: OutlineSection) -> "_Section":
        return cls(
            section.number,
            section.title,
            section.kind,
            section.required,
            section.word_limit,
            section.guidance,
        )


def _limit_line(section: _Section) -> str:
    parts = []
    if not section.required:
        parts.append(_("Optional."))
    if section.word_limit:
        if section.kind == OutlineSection.Kind.OBJECTIVES:
            parts.append(_("Up to %(limit)s words per objective.") % {"limit": section.word_limit})
        else:
            parts.append(_("Up to %(limit)s words.") % {"limit": section.word_limit})
    return " ".join(parts)


def _how_to_fill() -> list[str]:
    return [
        _(
            "How to fill in this template: write under each numbered heading, below its "
            "guidance. Keep the headings, the tables and the check boxes as they are: the "
            "portal finds each section by its heading and each objective by the number in "
            "the first column of its row. Text before the first numbered heading is not "
            "imported."
        ),
        _("Tick a box by clicking it in Word, or by replacing ☐ with ☒ or [x]."),
        _(
            "Bold, italic, links and bulleted or numbered lists are kept; other formatting "
            "becomes plain text."
        ),
    ]


def _objectives_how() -> str:
    return _(
        "Tick the objectives the ISCM reports on and fill in their rows; leave the others empty."
    )


def _principles_how() -> str:
    return _("Tick the guiding principles reflected in the ISCM's work, then describe how below.")


def _lists_how() -> str:
    return _("Tick what applies.")


def _list_headings() -> dict[str, str]:
    return {
        "formats": _("Formats of contribution"),
        "priorities": _("Priorities"),
        "challenges": _("Challenges met"),
    }


def _norm(text: str) -> str:
    """Text compared loosely: compatibility forms, case, spaces, edge punctuation."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(text.split()).strip(" .:;,–—-")


def _in_every_language(make) -> set[str]:
    """`make()` in every interface language, normalised."""
    found = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            found.update(_norm(text) for text in make() if text)
    return found


def _instruction_texts(sections: list[_Section]) -> set[str]:
    def every():
        texts = [*_how_to_fill(), _objectives_how(), _principles_how(), _lists_how()]
        texts.append(_("No objective reported."))
        for section in sections:
            texts.append(_limit_line(section))
        return texts

    return _in_every_language(every) | {_norm(s.guidance) for s in sections if s.guidance}


def _list_heading_names() -> dict[str, str | None]:
    """Normalised heading text (every language) -> the list it introduces (None: the
    heading of all three)."""
    names: dict[str, str | None] = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            names[_norm(_("Formats, priorities and challenges"))] = None
            for list_name, heading in _list_headings().items():
                names[_norm(heading)] = list_name
    return names


# --------------------------------------------------------------------------------------
# Writing


def _xml_text(text) -> str:
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


@dataclass
class _Span:
    text: str
    bold: bool = False
    italic: bool = False
    href: str | None = None


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
        ids = [int(a.get(_w("abstractNumId"))) for a in numbering.findall(_w("abstractNum"))]
        self._bullet_abstract = max(ids, default=-1) + 1
        self._decimal_abstract = self._bullet_abstract + 1
        first_num = numbering.find(_w("num"))
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
        for index, line in enumerate(_xml_text(text).split("\n")):
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
        html = str(render_markdown(_xml_text(text)))
        if not html:
            return
        root = lxml.html.fragment_fromstring(html, create_parent="div")
        if (root.text or "").strip():
            self._inline_paragraph(container, [_Span(root.text)])
        for element in root:
            if element.tag in ("ul", "ol"):
                self._list(container, element, level=0)
            else:
                self._inline_paragraph(container, _spans(element))
            if (element.tail or "").strip():
                self._inline_paragraph(container, [_Span(element.tail)])

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


def _spans(element, *, bold=False, italic=False, href=None, into=None) -> list[_Span]:
    """The inline content of an HTML element of the sanitised Markdown output, without
    nested lists; paragraphs inside a list item are joined by line breaks."""
    spans = [] if into is None else into
    if element.text:
        spans.append(_Span(element.text, bold, italic, href))
    for child in element:
        tag = child.tag
        if tag in ("ul", "ol"):
            pass  # written as their own paragraphs by the caller
        elif tag == "br":
            spans.append(_Span("\n"))
        else:
            if tag == "p" and spans and any(s.text.strip() for s in spans):
                spans.append(_Span("\n"))
            link = child.get("href") if tag == "a" else href
            _spans(
                child,
                bold=bold or tag in ("strong", "b"),
                italic=italic or tag in ("em", "i"),
                href=link if link and _SAFE_LINK_RE.match(link) else None,
                into=spans,
            )
        if child.tail:
            spans.append(_Span(child.tail, bold, italic, href))
    return spans


def _collapse_whitespace(spans: list[_Span]) -> list[_Span]:
    """HTML's whitespace rules: runs of spaces and newlines are one space, none at the
    start or end of a line; <br> (a span "\\n") is the only line break."""
    result: list[_Span] = []
    line_start = True
    for span in spans:
        if span.text == "\n":
            if result and result[-1].text != "\n":
                result[-1].text = result[-1].text.rstrip(" ")
            result.append(_Span("\n"))
            line_start = True
            continue
        text = re.sub(r"[ \t\n\r\f]+", " ", span.text)
        if line_start or (result and result[-1].text.endswith(" ")):
            text = text.lstrip(" ")
        if text:
            result.append(_Span(text, span.bold, span.italic, span.href))
            line_start = False
    while result and result[-1].text == "\n":
        result.pop()
    if result:
        result[-1].text = result[-1].text.rstrip(" ")
    return [span for span in result if span.text]


def _core_properties(writer: _Writer, *, title: str, outline_slug: str, language: str):
    properties = writer.document.core_properties
    now = timezone.now().replace(microsecond=0, tzinfo=None)
    properties.title = _xml_text(title)[:255]
    properties.author = properties.last_modified_by = "ISCM Review Portal"
    properties.identifier = f"iscm-portal:outline:{outline_slug}"
    properties.language = language
    properties.comments = ""
    properties.keywords = ""
    properties.created = properties.modified = datetime(*now.timetuple()[:6])
    properties.revision = 1


def _reference_lists() -> dict[str, list[tuple[str, str]]]:
    """(key, label) of every item of the four lists: principles by letter, the others
    by slug (4 queries)."""
    return {
        "principles": [(p.letter, str(p)) for p in GuidingPrinciple.objects.order_by("letter")],
        "formats": [(f.slug, f.name) for f in ContributionFormat.objects.all()],
        "priorities": [(p.slug, p.name) for p in Priority.objects.all()],
        "challenges": [(c.slug, c.name) for c in Challenge.objects.all()],
    }


def _write_body(
    writer: _Writer,
    sections: list[_Section],
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
        writer.guidance(_limit_line(section))
        if section.kind == OutlineSection.Kind.OBJECTIVES:
            if template:
                writer.guidance(_objectives_how())
            _write_objectives(writer, objectives, template=template)
            continue
        if section.kind == OutlineSection.Kind.PRINCIPLES:
            if template:
                writer.guidance(_principles_how())
            for label, ticked in lists["principles"]:
                writer.check_item(label, ticked)
        writer.markdown(None, bodies.get(section.number, ""))

    writer.heading(_("Formats, priorities and challenges"), 1)
    if template:
        writer.guidance(_lists_how())
    for name, heading in _list_headings().items():
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
            for cell, part in zip(cells[1:], _OBJECTIVE_PARTS, strict=True):
                writer.markdown(_CellContainer(cell), objective.get(part, ""))


def outline_template(cycle) -> bytes:
    """The Word template of a cycle's outline, in the active interface language.

    Reads the outline's sections, the objectives and the four lists (7 queries); a new
    cycle's outline gives a new template with no code change."""
    sections = [_Section.of(s) for s in cycle.outline.sections.all()]
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
    for text in _how_to_fill():
        writer.guidance(text)
    references = _reference_lists()
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
        _Section(
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

    references = _reference_lists()
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


# --------------------------------------------------------------------------------------
# Reading: is the file safe and a Word document at all?


class WordFileRefused(ValidationError):
    """The file cannot be imported; the message says why, for the form's file field."""


def _refused(message: str, name: str, code: str, **params) -> WordFileRefused:
    return WordFileRefused(message, code=code, params={"name": name, **params})


def _not_a_word_file(name: str) -> WordFileRefused:
    return _refused(
        _(
            "“%(name)s” is not a Word (.docx) document. Fill in the portal's template in "
            "Word (or another word processor) and save it as a .docx file."
        ),
        name,
        "not_docx",
    )


# inspect_upload's refusals whose wording lists every attachment type; for an import
# the only answer that helps is "this is not a Word document".
_NOT_WORD_CODES = {"program", "web_page", "archive", "old_office", "not_accepted"}


# XML in UTF-32 or EBCDIC: allowed by XML, never written by Office, and invisible to a
# check that reads the text as UTF-8 or UTF-16.
_UNUSUAL_XML_STARTS = (
    b"\x00\x00\xfe\xff",
    b"\xff\xfe\x00\x00",
    b"\x00\x00\x00<",
    b"<\x00\x00\x00",
    b"\x00\x00<\x00",
    b"\x00<\x00\x00",
    b"\x4c\x6f\xa7\x94",
)
_XML_DECLARED_ENCODING_RE = re.compile(r"""^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([^"']*)["']""")


def _decode_xml_part(data: bytes, damaged: WordFileRefused) -> str | None:
    """The text of a package member that is XML, as the XML parser would read it; None
    for a member that is no XML at all (an image). Office writes its parts in UTF-8 or
    UTF-16; anything else that could be XML is refused as damaged."""
    if data.startswith(_UNUSUAL_XML_STARTS):
        raise damaged
    if data.startswith(codecs.BOM_UTF8):
        data, encoding = data[len(codecs.BOM_UTF8) :], "utf-8"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif data.startswith(b"<\x00"):
        encoding = "utf-16-le"
    elif data.startswith(b"\x00<"):
        encoding = "utf-16-be"
    elif data.lstrip(b" \t\r\n").startswith(b"<"):
        encoding = "utf-8"
    else:
        return None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        raise damaged from error
    if "\x00" in text:  # never in XML; UTF-32 read as UTF-16 shows them
        raise damaged
    # The parser switches to a declared encoding (UTF-7 would hide "<!DOCTYPE" from
    # this check): only the one the bytes are in is accepted.
    declared = _XML_DECLARED_ENCODING_RE.match(text)
    if declared and declared.group(1).lower().replace("_", "-") not in (
        ("utf-8", "utf8")
        if encoding == "utf-8"
        else ("utf-16", "utf16", "utf-16le", "utf-16be", "utf-16-le", "utf-16-be")
    ):
        raise damaged
    return text


def _check_package(uploaded_file, name: str) -> None:
    """Refuse a package too big to unpack here, and any XML part that is malformed,
    too large or declares a DTD.

    Every member is looked at, whatever its name, because python-docx parses a part by
    its content type, not its extension. A DTD is refused on the decoded text, before
    any parser sees it (so no entity, internal or external, is ever declared); the part
    is then parsed with a parser that resolves no entity, loads no DTD and opens no
    network connection, which refuses malformed XML."""
    damaged = _refused(
        _("“%(name)s” looks like a Word or Excel file but is damaged or incomplete."),
        name,
        "damaged",
    )
    has_dtd = _refused(
        _(
            "“%(name)s” contains XML with a document type declaration, which Word "
            "documents never have; it is refused as unsafe."
        ),
        name,
        "dtd",
    )
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
    )
    uploaded_file.seek(0)
    try:
        archive = zipfile.ZipFile(uploaded_file)
    except Exception as error:  # BadZipFile, OSError, ValueError…: all "damaged"
        raise damaged from error
    with archive:
        members = archive.infolist()
        if sum(member.file_size for member in members) > IMPORT_MAX_UNPACKED_BYTES:
            raise _refused(
                _(
                    "“%(name)s” would unpack to more than %(size)s, far more than a filled "
                    "template; it is refused."
                ),
                name,
                "too_large_unpacked",
                size=filesizeformat(IMPORT_MAX_UNPACKED_BYTES),
            )
        for member in members:
            if member.is_dir():
                continue
            try:
                with archive.open(member) as stream:
                    data = stream.read(IMPORT_MAX_XML_PART_BYTES + 1)
                text = _decode_xml_part(data, damaged)
                if text is None:
                    continue  # not XML: python-docx keeps it as bytes (an image)
                if len(data) > IMPORT_MAX_XML_PART_BYTES:
                    raise damaged
                if "<!DOCTYPE" in text or "<!ENTITY" in text:
                    raise has_dtd
                # The hardened parser above: no entities, no DTD, no network.
                root = etree.fromstring(data, parser)
            except WordFileRefused:
                raise
            except Exception as error:  # XMLSyntaxError, zlib.error, CRC errors…
                raise damaged from error
            docinfo = root.getroottree().docinfo
            if docinfo.doctype or docinfo.internalDTD is not None:
                raise has_dtd


def open_word_file(uploaded_file):
    """The python-docx Document of an uploaded .docx, or WordFileRefused saying why.

    Side effects: none; the file is read, never stored."""
    name = safe_display_name(getattr(uploaded_file, "name", "") or "")
    try:
        inspected = inspect_upload(uploaded_file)
    except UploadRefused as refusal:
        if refusal.code in _NOT_WORD_CODES:
            raise _not_a_word_file(name) from refusal
        raise WordFileRefused(refusal.message, code=refusal.code, params=refusal.params) from None
    if inspected.content_type == PDF_CONTENT_TYPE:
        raise _refused(
            _(
                "“%(name)s” is a PDF file, not a Word (.docx) document. Import the Word "
                "template itself, filled in and saved as .docx."
            ),
            name,
            "pdf",
        )
    if inspected.content_type in (PNG_CONTENT_TYPE, JPEG_CONTENT_TYPE):
        raise _refused(_("“%(name)s” is an image, not a Word (.docx) document."), name, "image")
    if inspected.content_type != DOCX_CONTENT_TYPE:
        raise _not_a_word_file(name)
    _check_package(uploaded_file, name)
    try:
        uploaded_file.seek(0)
        return docx.Document(io.BytesIO(uploaded_file.read()))
    except Exception as error:
        # Anything python-docx cannot make sense of is, for the person, a damaged file.
        raise _refused(
            _("“%(name)s” looks like a Word or Excel file but is damaged or incomplete."),
            name,
            "damaged",
        ) from error
    finally:
        uploaded_file.seek(0)


# --------------------------------------------------------------------------------------
# Reading: what the document says


@dataclass
class _Paragraph:
    spans: list[_Span]
    heading: int | None = None  # 0 for a title, 1… for headings
    list_level: int | None = None
    numbered: bool = False

    @property
    def text(self) -> str:
        return "".join(span.text for span in self.spans)


def _on(element) -> bool | None:
    """A w:b / w:i style on-off property: None when absent."""
    if element is None:
        return None
    return element.get(_w("val"), "true").lower() not in ("0", "false", "off")


class _Styles:
    """Heading levels, list numbering and bold/italic that paragraphs and runs take
    from their styles (following basedOn)."""

    def __init__(self, document):
        self.by_id = {}
        self.default_paragraph = None
        for style in document.styles.element.findall(_w("style")):
            style_id = style.get(_w("styleId"))
            self.by_id[style_id] = style
            if style.get(_w("type")) == "paragraph" and style.get(_w("default")) in (
                "1",
                "true",
                "on",
            ):
                self.default_paragraph = style_id

    def _chain(self, style_id):
        seen = set()
        while style_id and style_id in self.by_id and style_id not in seen and len(seen) < 20:
            seen.add(style_id)
            style = self.by_id[style_id]
            yield style
            based_on = style.find(_w("basedOn"))
            style_id = based_on.get(_w("val")) if based_on is not None else None

    def name(self, style_id) -> str:
        style = self.by_id.get(style_id)
        element = style.find(_w("name")) if style is not None else None
        return (element.get(_w("val"), "") if element is not None else "").lower()

    def heading_level(self, style_id, properties) -> int | None:
        name = self.name(style_id)
        if name == "title":
            return 0
        match = re.fullmatch(r"heading (\d)", name)
        if match:
            return int(match.group(1))
        candidates = [properties] + [s.find(_w("pPr")) for s in self._chain(style_id)]
        for element in candidates:
            if element is not None:
                level = element.find(_w("outlineLvl"))
                if level is not None:
                    value = int(level.get(_w("val"), "9") or 9)
                    return value + 1 if value < 9 else None
        return None

    def numbering(self, style_id):
        for style in self._chain(style_id):
            properties = style.find(_w("pPr"))
            if properties is not None and properties.find(_w("numPr")) is not None:
                return properties.find(_w("numPr"))
        return None

    def run_flags(self, style_id) -> tuple[bool | None, bool | None]:
        bold = italic = None
        for style in self._chain(style_id):
            properties = style.find(_w("rPr"))
            if properties is None:
                continue
            if bold is None:
                bold = _on(properties.find(_w("b")))
            if italic is None:
                italic = _on(properties.find(_w("i")))
        return bold, italic


class _Numbering:
    """Whether a list level is numbered (decimal, letters, roman…) or bulleted."""

    def __init__(self, document):
        self.formats: dict[str, dict[int, str]] = {}
        try:
            numbering = document.part.numbering_part.element
        except Exception:  # no numbering part: every list is a bulleted one
            return
        abstract = {}
        for element in numbering.findall(_w("abstractNum")):
            abstract[element.get(_w("abstractNumId"))] = _level_formats(element)
        for num in numbering.findall(_w("num")):
            reference = num.find(_w("abstractNumId"))
            formats = (
                dict(abstract.get(reference.get(_w("val")), {})) if reference is not None else {}
            )
            for override in num.findall(_w("lvlOverride")):
                formats.update(_level_formats(override))
            self.formats[num.get(_w("numId"))] = formats

    def numbered(self, num_id: str, level: int) -> bool:
        number_format = self.formats.get(num_id, {}).get(level, "bullet")
        return number_format not in ("bullet", "none")


def _level_formats(element) -> dict[int, str]:
    formats = {}
    for level in element.findall(_w("lvl")):
        number_format = level.find(_w("numFmt"))
        try:
            index = int(level.get(_w("ilvl"), "0"))
        except ValueError:
            continue
        if number_format is not None:
            formats[index] = number_format.get(_w("val"), "bullet")
    return formats


_INLINE_CONTAINERS = {
    _w(tag) for tag in ("ins", "smartTag", "customXml", "fldSimple", "moveTo", "dir", "bdo")
}
_BLOCK_CONTAINERS = {_w(tag) for tag in ("customXml", "ins", "moveTo", "smartTag")}


def _blocks(parent):
    """("p", element) and ("tbl", element) in reading order, through content controls
    and custom XML; deleted content (tracked deletions) is left out."""
    for child in parent:
        tag = child.tag
        if tag == _w("p"):
            yield "p", child
        elif tag == _w("tbl"):
            yield "tbl", child
        elif tag == _w("sdt"):
            content = child.find(_w("sdtContent"))
            if content is not None:
                yield from _blocks(content)
        elif tag in _BLOCK_CONTAINERS:
            yield from _blocks(child)


def _children(parent, tag: str):
    for child in parent:
        if child.tag == tag:
            yield child
        elif child.tag == _w("sdt"):
            content = child.find(_w("sdtContent"))
            if content is not None:
                yield from _children(content, tag)
        elif child.tag == _w("customXml"):
            yield from _children(child, tag)


class _DocumentText:
    """Paragraphs of a python-docx document as spans with bold, italic and links."""

    def __init__(self, document):
        self.document = document
        self.part = document.part
        self.styles = _Styles(document)
        self.numbering = _Numbering(document)

    def paragraph(self, element) -> _Paragraph:
        properties = element.find(_w("pPr"))
        style_id = self.styles.default_paragraph
        if properties is not None and properties.find(_w("pStyle")) is not None:
            style_id = properties.find(_w("pStyle")).get(_w("val"))
        paragraph = _Paragraph(spans=[])
        paragraph.heading = self.styles.heading_level(style_id, properties)
        numbering = properties.find(_w("numPr")) if properties is not None else None
        if numbering is None:
            numbering = self.styles.numbering(style_id)
        if numbering is not None:
            num_id = numbering.find(_w("numId"))
            level = numbering.find(_w("ilvl"))
            num = num_id.get(_w("val"), "0") if num_id is not None else "0"
            if num != "0":
                try:
                    paragraph.list_level = (
                        max(0, int(level.get(_w("val"), "0"))) if level is not None else 0
                    )
                except ValueError:
                    paragraph.list_level = 0
                paragraph.numbered = self.numbering.numbered(num, paragraph.list_level)
        if paragraph.heading is not None:
            paragraph.list_level = None
        self._inline(element, paragraph.spans, href=None)
        return paragraph

    def _inline(self, parent, spans, *, href):
        for child in parent:
            tag = child.tag
            if tag == _w("r"):
                self._run(child, spans, href)
            elif tag == _w("hyperlink"):
                self._inline(child, spans, href=self._link_target(child))
            elif tag in _INLINE_CONTAINERS:
                self._inline(child, spans, href=href)
            elif tag == _w("sdt"):
                self._content_control(child, spans, href)
            elif tag in (f"{{{_M}}}oMath", f"{{{_M}}}oMathPara"):
                text = "".join(child.itertext(f"{{{_M}}}t"))
                if text:
                    spans.append(_Span(text))

    def _content_control(self, sdt, spans, href):
        content = sdt.find(_w("sdtContent"))
        checkbox = sdt.find(f"{_w('sdtPr')}/{{{_W14}}}checkbox")
        inner: list[_Span] = []
        if content is not None:
            self._inline(content, inner, href=href)
        shown = "".join(span.text for span in inner).strip()
        if checkbox is not None and not _BOX_RE.match(shown):
            # A check box whose glyph is not one we know: its state decides.
            checked = checkbox.find(f"{{{_W14}}}checked")
            value = checked.get(f"{{{_W14}}}val", "0") if checked is not None else "0"
            inner = [_Span(TICKED if value in ("1", "true") else UNTICKED)]
        spans.extend(inner)

    def _link_target(self, hyperlink) -> str | None:
        relationship_id = hyperlink.get(f"{{{_R}}}id")
        if not relationship_id:
            return None
        relationship = self.part.rels.get(relationship_id)
        if relationship is None or not relationship.is_external:
            return None
        target = (relationship.target_ref or "").strip()
        return target if _SAFE_LINK_RE.match(target) else None

    def _run(self, run, spans, href):
        properties = run.find(_w("rPr"))
        bold = italic = None
        style_bold = style_italic = None
        if properties is not None:
            bold = _on(properties.find(_w("b")))
            if bold is None:
                bold = _on(properties.find(_w("bCs")))
            italic = _on(properties.find(_w("i")))
            if italic is None:
                italic = _on(properties.find(_w("iCs")))
            style = properties.find(_w("rStyle"))
            if style is not None:
                style_bold, style_italic = self.styles.run_flags(style.get(_w("val")))
        bold = bool(bold if bold is not None else style_bold)
        italic = bool(italic if italic is not None else style_italic)
        text = []
        for child in run:
            tag = child.tag
            if tag == _w("t"):
                text.append(child.text or "")
            elif tag in (_w("tab"), _w("ptab")):
                text.append(" ")
            elif tag in (_w("br"), _w("cr")):
                text.append("\n")
            elif tag == _w("noBreakHyphen"):
                text.append("-")
        if text:
            spans.append(_Span("".join(text), bold, italic, href))

    def cell_text(self, cell) -> str:
        parts = []
        for kind, element in _blocks(cell):
            if kind == "p":
                parts.append(self.paragraph(element).text.strip())
            else:
                parts.append(" ".join(self.table_rows_text(element)))
        return " ".join(" ".join(p for p in parts if p).split())

    def table_rows_text(self, table) -> list[str]:
        rows = []
        for row in _children(table, _w("tr")):
            cells = [self.cell_text(c) for c in _children(row, _w("tc"))]
            if any(cells):
                rows.append(" | ".join(cells))
        return rows


# Markdown from Word paragraphs


def _escape(text: str, *, in_link: bool = False) -> str:
    """Characters that would be Markdown in plain Word text, escaped."""
    text = text.replace("\\", "\\\\")
    text = re.sub(r"([*`])", r"\\\1", text)
    text = re.sub(r"(?<!\w)_|_(?!\w)", r"\\_", text)
    if in_link:
        return re.sub(r"([\[\]])", r"\\\1", text)
    # "[…](" would make a link; "[…]:" at the start of a line a link definition.
    text = re.sub(r"\[(?=[^\[\]\n]*\]\s*\()", r"\\[", text)
    return re.sub(r"^(\s{0,3})\[(?=[^\[\]\n]*\]:)", r"\1\\[", text)


def _escape_line_start(text: str) -> str:
    """A line of plain text that would start a list or a heading, escaped."""
    text = re.sub(r"^(\d+)\.(?=\s|$)", r"\1\\.", text)
    return re.sub(r"^([-+](?=\s|$)|#|-+$)", r"\\\1", text)


def _line_markdown(spans: list[_Span]) -> str:
    characters = [
        [character, span.href, span.bold, span.italic] for span in spans for character in span.text
    ]
    count = len(characters)
    # A formatted stretch never starts or ends with a space ("** a**" is not bold).
    for attribute in (1, 2, 3):
        index = 0
        while index < count:
            value = characters[index][attribute]
            if not value:
                index += 1
                continue
            end = index
            while end < count and characters[end][attribute] == value:
                end += 1
            position = index
            while position < end and characters[position][0].isspace():
                characters[position][attribute] = None if attribute == 1 else False
                position += 1
            position = end - 1
            while position >= index and characters[position][0].isspace():
                characters[position][attribute] = None if attribute == 1 else False
                position -= 1
            index = end
    out = []
    state = [None, False, False]  # open link, bold, italic
    markers = (None, "**", "*")

    def close(level):
        for depth in (2, 1, 0):
            if depth >= level and state[depth]:
                out.append(f"]({state[0]})" if depth == 0 else markers[depth])
                state[depth] = None if depth == 0 else False

    first = True
    for (href, bold, italic), group in itertools.groupby(characters, key=lambda c: tuple(c[1:])):
        text = "".join(c[0] for c in group)
        wanted = [href, bold, italic]
        level = next((d for d in range(3) if state[d] != wanted[d]), 3)
        close(level)
        for depth in range(level, 3):
            if wanted[depth]:
                out.append("[" if depth == 0 else markers[depth])
                state[depth] = wanted[depth]
        escaped = _escape(text, in_link=bool(href))
        if first and not (href or bold or italic):
            escaped = _escape_line_start(escaped)
        first = False
        out.append(escaped)
    close(0)
    return "".join(out)


def _link_url(url: str) -> str:
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def _inline_markdown(spans: list[_Span]) -> str:
    """Spans as Markdown lines (one per line break), edges of each line trimmed."""
    lines: list[list[_Span]] = [[]]
    for span in spans:
        href = _link_url(span.href) if span.href else None
        for index, part in enumerate(span.text.replace("\r", "").split("\n")):
            if index:
                lines.append([])
            if part:
                lines[-1].append(_Span(part.replace("\t", " "), span.bold, span.italic, href))
    result = []
    for line in lines:
        while line and not line[0].text.strip():
            line.pop(0)
        while line and not line[-1].text.strip():
            line.pop()
        if line:
            line[0] = _Span(line[0].text.lstrip(), line[0].bold, line[0].italic, line[0].href)
            line[-1] = _Span(line[-1].text.rstrip(), line[-1].bold, line[-1].italic, line[-1].href)
        result.append(_line_markdown(line))
    while result and not result[-1]:
        result.pop()
    while result and not result[0]:
        result.pop(0)
    return "\n".join(result)


class _MarkdownBuilder:
    """Word paragraphs (and tables as plain text) of one field, as Markdown: blocks
    separated by a blank line, list items one per line, nested by four spaces."""

    # Beyond twice a field's limit the field is refused anyway: stop converting text.
    MAX_CHARACTERS = 2 * MAX_TEXT_CHARACTERS

    def __init__(self):
        self.blocks: list[str] = []
        self.items: list[str] | None = None
        self.counters: dict[int, int] = {}
        self.kinds: dict[int, bool] = {}
        self.level = -1
        self.size = 0
        self.overflow = False

    def paragraph(self, paragraph: _Paragraph, *, bold=False):
        if self.overflow:
            return
        spans = paragraph.spans
        if bold:
            spans = [_Span(s.text, True, s.italic, s.href) for s in spans]
        text = _inline_markdown(spans)
        self.size += len(text)
        if self.size > self.MAX_CHARACTERS:
            self.overflow = True
            return
        if not text.strip():
            return
        if paragraph.list_level is None:
            self._end_list()
            self.blocks.append(text)
            return
        self._item(text, paragraph.list_level, paragraph.numbered)

    def _item(self, text: str, level: int, numbered: bool):
        if self.items is None:
            self.items, self.counters, self.kinds, self.level = [], {}, {}, -1
        # Markdown nests one level at a time.
        level = min(level, self.level + 1, 7)
        if level == 0 and self.items and self.kinds.get(0) not in (None, numbered):
            self._end_list()  # another kind of list: a list of its own
            self.items, self.counters, self.kinds = [], {}, {}
        for deeper in [d for d in self.counters if d > level]:
            del self.counters[deeper]
            self.kinds.pop(deeper, None)
        if self.kinds.get(level) != numbered:
            self.counters[level] = 0
        self.kinds[level] = numbered
        self.counters[level] = self.counters.get(level, 0) + 1
        marker = f"{self.counters[level]}." if numbered else "-"
        indent = "    " * level
        lines = text.split("\n")
        self.items.append(f"{indent}{marker} {lines[0]}")
        self.items.extend(f"{indent}    {line}" for line in lines[1:])
        self.level = level

    def _end_list(self):
        if self.items:
            self.blocks.append("\n".join(self.items))
        self.items = None
        self.level = -1

    def plain(self, lines: list[str]):
        for line in lines:
            self.paragraph(_Paragraph(spans=[_Span(line)]))

    def result(self) -> str:
        self._end_list()
        return "\n\n".join(self.blocks)


# The reader: headings to sections, tables to objectives, boxes to lists


@dataclass
class _Lists:
    """Match a check item's label against the four lists."""

    aliases: dict[str, dict[str, str]]  # list name -> normalised alias -> key

    @classmethod
    def load(cls, *, with_principles: bool) -> "_Lists":
        references = _reference_lists()
        aliases: dict[str, dict[str, str]] = {}
        for name, items in references.items():
            if name == "principles" and not with_principles:
                continue
            table = aliases[name] = {}
            for key, label in items:
                names = [label]
                if name == "principles":
                    title = label.split(") ", 1)[-1]
                    names = [title]
                for code, _language in settings.LANGUAGES:
                    with translation.override(code):
                        names += [_(n) for n in names[:1]]
                if name == "principles":
                    names += [f"({key}) {n}" for n in names] + [f"{key}) {n}" for n in names]
                for alias in names:
                    table.setdefault(_norm(alias), key)
        return cls(aliases)

    def match(self, label: str, preferred: list[str]) -> tuple[str, str] | None:
        key = _norm(label)
        letter = _PRINCIPLE_LETTER_RE.match(label.strip())
        order = preferred + [n for n in _LIST_NAMES if n not in preferred]
        for name in order:
            table = self.aliases.get(name)
            if table is None:
                continue
            if key in table:
                return name, table[key]
            if name == "principles" and letter:
                wanted = letter.group(1).lower()
                if wanted in table.values():
                    return name, wanted
        return None


def _excerpt(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Reader:
    def __init__(self, document, *, sections: list[_Section], objective_numbers: set[int]):
        self.text = _DocumentText(document)
        self.document = document
        self.sections = sections
        self.objective_numbers = objective_numbers
        has_principles = any(s.kind == OutlineSection.Kind.PRINCIPLES for s in sections)
        self.lists = _Lists.load(with_principles=has_principles)
        self.instructions = _instruction_texts(sections)
        self.list_headings = _list_heading_names()

        self.found: list[int] = []
        self.bodies: dict[int, str] = {}
        self.too_long: set[str] = set()
        self.objectives: dict[int, dict] = {}
        self.ticks: dict[str, set[str]] = {}
        self.unmatched: list[str] = []

        self.preamble = True
        self.section: _Section | None = None
        self.builder: _MarkdownBuilder | None = None
        self.list_context: str | None = None  # "all" or a list name, under the lists heading
        self.unknown: str | None = None  # a heading matching nothing, and what follows

    # Reporting

    def _report(self, message: str):
        if len(self.unmatched) < _MAX_UNMATCHED:
            self.unmatched.append(message)
        elif len(self.unmatched) == _MAX_UNMATCHED:
            self.unmatched.append(_("… and more that could not be matched."))

    def _close(self):
        if self.section is not None and self.builder is not None:
            if self.builder.overflow:
                self.too_long.add(f"section-{self.section.number}")
            text = self.builder.result()
            if text:
                self.bodies[self.section.number] = text
        self.section = self.builder = None
        self.list_context = None
        self.unknown = None

    # Reading

    def read(self) -> dict:
        for kind, element in _blocks(self.document.element.body):
            if kind == "p":
                self._paragraph(self.text.paragraph(element))
            else:
                self._table(element)
        self._close()
        return {
            "found": self.found,
            "sections": {str(n): t for n, t in self.bodies.items()},
            "objectives": {str(n): o for n, o in self.objectives.items()},
            "lists": {name: sorted(keys) for name, keys in self.ticks.items()},
            "unmatched": self.unmatched,
            "too_long": sorted(self.too_long),
        }

    def _match_section(self, text: str, *, styled: bool, level: int | None) -> _Section | None:
        match = _SECTION_HEADING_RE.match(text)
        number = int(match.group(1)) if match else None
        title = _norm(match.group(2)) if match else _norm(text)
        exact = [s for s in self.sections if s.number == number and _norm(s.title) == title]
        if exact or not styled:
            return exact[0] if exact else None
        by_title = [s for s in self.sections if _norm(s.title) in (title, _norm(text))]
        if by_title:
            return by_title[0]
        if number is not None and (level or 0) <= 1:
            return next((s for s in self.sections if s.number == number), None)
        return None

    def _heading(self, paragraph: _Paragraph, text: str) -> bool:
        """Handle a heading (or a paragraph that reads like a section heading); False
        when it is a plain paragraph after all."""
        styled = paragraph.heading is not None
        section = self._match_section(text, styled=styled, level=paragraph.heading)
        if section is not None:
            self._close()
            self.preamble = False
            if section.number in self.found:
                self._report(
                    _(
                        "Section %(number)s appears more than once in the file; only the "
                        "text under its first heading was imported."
                    )
                    % {"number": section.number}
                )
                self.unknown = text
                return True
            self.found.append(section.number)
            self.section, self.builder = section, _MarkdownBuilder()
            return True
        if _norm(text) in self.list_headings:
            self._close()
            self.preamble = False
            self.list_context = self.list_headings[_norm(text)] or "all"
            return True
        if not styled:
            return False
        if self.preamble:
            return True  # the title block
        if paragraph.heading >= 2 and self.section is not None:
            if self.section.kind != OutlineSection.Kind.OBJECTIVES:
                self.builder.paragraph(paragraph, bold=True)
            return True  # round-table headings: the tables carry the objectives
        if paragraph.heading >= 2 and (self.list_context or self.unknown) is not None:
            return True  # a sub-heading of the lists, or of a heading already reported
        self._close()
        self.unknown = text
        self._report(
            _("“%(heading)s” is not a heading of the outline: the text under it was not imported.")
            % {"heading": _excerpt(text)}
        )
        return True

    def _paragraph(self, paragraph: _Paragraph):
        text = paragraph.text.strip()
        if not text:
            return
        looks_like_heading = paragraph.heading is not None or _SECTION_HEADING_RE.match(text)
        if looks_like_heading and self._heading(paragraph, text):
            return
        if self.preamble or self.unknown is not None:
            return
        if _norm(text) in self.instructions:
            return
        box = _BOX_RE.match(text)
        if box is not None and self._tick(text[box.end() :], bool(box.group("ticked"))):
            return
        kind = self.section.kind if self.section is not None else None
        if kind in (OutlineSection.Kind.NARRATIVE, OutlineSection.Kind.PRINCIPLES):
            self.builder.paragraph(paragraph)
        elif box is not None:
            self._report(
                _("“%(text)s” matches no item of the lists; its box was not imported.")
                % {"text": _excerpt(text[box.end() :])}
            )
        elif kind == OutlineSection.Kind.OBJECTIVES:
            self._report(
                _(
                    "Text in section %(number)s outside the objectives tables was not "
                    "imported: “%(text)s”."
                )
                % {"number": self.section.number, "text": _excerpt(text)}
            )
        else:
            self._report(
                _("Text that belongs to no section was not imported: “%(text)s”.")
                % {"text": _excerpt(text)}
            )

    def _tick(self, label: str, ticked: bool) -> bool:
        if self.list_context in _LIST_NAMES:
            preferred = [self.list_context]
        elif self.section is not None and self.section.kind == OutlineSection.Kind.PRINCIPLES:
            preferred = ["principles"]
        else:
            preferred = []
        found = self.lists.match(label, preferred)
        if found is None:
            return False
        name, key = found
        chosen = self.ticks.setdefault(name, set())
        if ticked:
            chosen.add(key)
        return True

    def _table(self, table):
        if self.preamble or self.unknown is not None:
            return
        kind = self.section.kind if self.section is not None else None
        if kind == OutlineSection.Kind.OBJECTIVES:
            self._objective_table(table)
        elif kind is not None:
            self.builder.plain(self.text.table_rows_text(table))
        else:
            self._report(_("A table that belongs to no section was not imported."))

    def _objective_table(self, table):
        for index, row in enumerate(_children(table, _w("tr"))):
            cells = list(_children(row, _w("tc")))
            if not cells:
                continue
            first = self.text.cell_text(cells[0])
            box = _BOX_RE.match(first)
            label = first[box.end() :] if box else first
            number_match = _OBJECTIVE_NUMBER_RE.match(label)
            number = int(number_match.group(1)) if number_match else None
            texts = {}
            for cell, part in zip(cells[1:4], _OBJECTIVE_PARTS, strict=False):
                builder = _MarkdownBuilder()
                self._cell_markdown(cell, builder)
                if builder.overflow and number is not None:
                    self.too_long.add(f"objective-{number}-{part}")
                texts[part] = builder.result()
            has_text = any(texts.values())
            header = row.find(f"{_w('trPr')}/{_w('tblHeader')}") is not None
            if number is None:
                if has_text and not header and index > 0:
                    self._report(
                        _(
                            "A row of the objectives tables names no GCM objective and was "
                            "not imported: “%(text)s”."
                        )
                        % {"text": _excerpt(first or " | ".join(texts.values()))}
                    )
                continue
            ticked = bool(box and box.group("ticked"))
            if not (ticked or has_text):
                continue
            if number not in self.objective_numbers:
                self._report(
                    _("Objective %(number)s does not exist; its row was not imported.")
                    % {"number": number}
                )
                continue
            if number in self.objectives:
                self._report(
                    _(
                        "Objective %(number)s appears in more than one row; only the first "
                        "was imported."
                    )
                    % {"number": number}
                )
                continue
            self.objectives[number] = {
                "ticked": ticked,
                **{p: texts.get(p, "") for p in _OBJECTIVE_PARTS},
            }

    def _cell_markdown(self, cell, builder: _MarkdownBuilder):
        for kind, element in _blocks(cell):
            if kind == "p":
                paragraph = self.text.paragraph(element)
                if paragraph.text.strip() and _norm(paragraph.text) not in self.instructions:
                    builder.paragraph(paragraph)
            else:
                builder.plain(self.text.table_rows_text(element))


def read_word_file(uploaded_file, written_input) -> dict:
    """What a filled template (or an exported input) says, matched to the draft's
    outline: a JSON-able dict that `plan_import` and `apply_import` read and the preview
    carries, signed. Raises WordFileRefused with a message for the form.

    Side effects: none (the file is read, never stored). Queries: the outline's sections,
    the objectives and the four lists."""
    name = safe_display_name(getattr(uploaded_file, "name", "") or "")
    document = open_word_file(uploaded_file)
    sections = [_Section.of(s) for s in written_input.cycle.outline.sections.all()]
    numbers = set(GCMObjective.objects.values_list("number", flat=True))
    try:
        content = _Reader(document, sections=sections, objective_numbers=numbers).read()
    except Exception as error:
        # A structure the reader did not expect must not become a 500 for the person.
        logger.warning("Word import of %r failed", name, exc_info=True)
        raise _refused(
            _("“%(name)s” looks like a Word or Excel file but is damaged or incomplete."),
            name,
            "damaged",
        ) from error
    if not (content["found"] or content["objectives"] or content["lists"]):
        raise _refused(
            _(
                "No heading of this draft's outline was found in “%(name)s”. Import the "
                "portal's Word template (or an exported input), filled in."
            ),
            name,
            "no_outline",
        )
    try:
        identifier = document.core_properties.identifier or ""
    except Exception:  # an unreadable docProps/core.xml only loses this hint
        identifier = ""
    outline_slug = (
        identifier.removeprefix("iscm-portal:outline:")
        if identifier.startswith("iscm-portal:outline:")
        else None
    )
    content["file"] = name
    content["other_outline"] = (
        outline_slug if outline_slug and outline_slug != written_input.cycle.outline.slug else None
    )
    return content


# --------------------------------------------------------------------------------------
# Preview and apply


@dataclass
class ImportField:
    """One field the file fills, compared with the draft."""

    key: str
    label: str
    kind: str  # "text", "list" or "tick"
    status: str  # "new", "conflict" or "same"
    imported: str = ""
    current: str = ""
    added: list[str] = field(default_factory=list)  # list items the file adds
    kept: list[str] = field(default_factory=list)  # ticked in the draft, not in the file


@dataclass
class ImportPlan:
    fields: list[ImportField]
    unmatched: list[str]
    not_in_file: list[str]
    too_long: list[str]
    warnings: list[str]

    @property
    def changes(self) -> list[ImportField]:
        return [f for f in self.fields if f.status != "same"]

    @property
    def conflicts(self) -> list[ImportField]:
        return [f for f in self.fields if f.status == "conflict"]

    @property
    def same_count(self) -> int:
        return sum(1 for f in self.fields if f.status == "same")


def _list_models():
    return {
        "principles": (GuidingPrinciple, "letter"),
        "formats": (ContributionFormat, "slug"),
        "priorities": (Priority, "slug"),
        "challenges": (Challenge, "slug"),
    }


def _text_field(key, label, imported, current) -> ImportField:
    current = (current or "").replace("\r\n", "\n")
    if imported.strip() == current.strip():
        status = "same"
    elif current.strip():
        status = "conflict"
    else:
        status = "new"
    return ImportField(key, label, "text", status, imported=imported, current=current)


def plan_import(written_input, content: dict) -> ImportPlan:
    """What importing `content` (from read_word_file) would change in the draft as it is
    now. Load the input through snapshots.content_queryset(); reads the objectives and
    the four lists (5 queries)."""
    sections = list(written_input.cycle.outline.sections.all())
    bodies = {r.section_id: r.body for r in written_input.section_responses.all()}
    responses = {r.objective.number: r for r in written_input.objective_responses.all()}
    objectives = {o.number: o for o in GCMObjective.objects.all()}
    imported_sections = content.get("sections", {})
    imported_objectives = content.get("objectives", {})
    imported_lists = content.get("lists", {})
    too_long_keys = set(content.get("too_long", []))
    fields: list[ImportField] = []
    too_long: list[str] = []

    def check_size(key, label, text) -> bool:
        if key in too_long_keys:
            too_long.append(_("%(field)s: the text is too long to import.") % {"field": label})
            return False
        try:
            limit_text_size(text)
        except ValidationError as error:
            too_long.append(f"{label}: {' '.join(error.messages)}")
            return False
        return True

    for section in sections:
        heading = f"{section.number}. {section.title}"
        if section.kind == OutlineSection.Kind.OBJECTIVES:
            for number_text, row in sorted(
                imported_objectives.items(), key=lambda item: int(item[0])
            ):
                number = int(number_text)
                objective = objectives.get(number)
                if objective is None:
                    continue
                response = responses.get(number)
                name = _("Objective %(number)s: %(title)s") % {
                    "number": number,
                    "title": objective.title,
                }
                parts = []
                for part, part_label in (
                    ("progress", _("Progress at the regional level")),
                    ("practices", _("Practices worth sharing")),
                    ("challenges", _("Challenges")),
                ):
                    text = row.get(part, "")
                    key = f"objective-{number}-{part}"
                    if not text.strip() and key not in too_long_keys:
                        continue
                    label = f"{name} — {part_label}"
                    if check_size(key, label, text):
                        parts.append(
                            _text_field(
                                key, label, text, getattr(response, part) if response else ""
                            )
                        )
                if parts:
                    fields.extend(parts)
                elif response is None and row.get("ticked"):
                    fields.append(ImportField(f"objective-{number}", name, "tick", "new"))
            continue
        if section.kind == OutlineSection.Kind.PRINCIPLES and "principles" in imported_lists:
            fields.append(
                _list_field(
                    "principles",
                    _("Guiding principles"),
                    imported_lists["principles"],
                    written_input.principles.all(),
                )
            )
        text = imported_sections.get(str(section.number), "")
        key = f"section-{section.number}"
        if (text.strip() or key in too_long_keys) and check_size(key, heading, text):
            fields.append(_text_field(key, heading, text, bodies.get(section.pk, "")))

    for name, label in _list_headings().items():
        if name in imported_lists:
            fields.append(
                _list_field(name, label, imported_lists[name], getattr(written_input, name).all())
            )

    fields = [f for f in fields if f is not None]
    found = set(content.get("found", []))
    warnings = []
    if content.get("other_outline"):
        warnings.append(
            _(
                "This file was made from the template of another outline (“%(outline)s”); "
                "its headings were matched to this draft's outline by number and title."
            )
            % {"outline": content["other_outline"]}
        )
    return ImportPlan(
        fields=fields,
        unmatched=list(content.get("unmatched", [])),
        not_in_file=[f"{s.number}. {s.title}" for s in sections if s.number not in found],
        too_long=too_long,
        warnings=warnings,
    )


def _list_field(name, label, imported_keys, current_items) -> ImportField | None:
    model, attribute = _list_models()[name]
    all_items = {getattr(item, attribute): str(item) for item in model.objects.all()}
    current = {getattr(item, attribute): str(item) for item in current_items}
    imported = [key for key in imported_keys if key in all_items]
    if not imported and not current:
        return None  # nothing ticked on either side: nothing to say
    added = [all_items[k] for k in imported if k not in current]
    kept = [current[k] for k in current if k not in imported]
    status = "conflict" if kept else ("new" if added else "same")
    return ImportField(
        f"list-{name}",
        label,
        "list",
        status,
        imported=", ".join(all_items[k] for k in imported) or "—",
        current=", ".join(current.values()) or "—",
        added=added,
        kept=kept,
    )


def apply_import(
    written_input, content: dict, *, replace: set[str], by, expected_version: int
) -> tuple[int | None, int]:
    """Save what the preview showed as one content change: new fields are filled; a
    field that already has other text (or ticks the file leaves unticked) changes only
    when its key is in `replace`. Returns (the new version, or None when nothing
    changes; the number of fields changed).

    Side effects: one `editing.save_content` with `expected_version` (the version the
    preview was made from), which raises StaleEdit if anyone saved since and EditRefused
    if the input left the editable states. Never removes an objective or a text."""
    plan = plan_import(written_input, content)
    sections = {s.number: s for s in written_input.cycle.outline.sections.all()}
    objective_ids = dict(GCMObjective.objects.values_list("number", "pk"))
    changes = editing.ContentChanges(sections={}, objectives={})
    lists = content.get("lists", {})
    count = 0
    for item in plan.fields:
        chosen = item.key in replace
        # A conflict left alone changes nothing, except that a list still gets the
        # file's ticks added.
        adds_ticks = item.kind == "list" and bool(item.added)
        if item.status == "same" or (item.status == "conflict" and not chosen and not adds_ticks):
            continue
        count += 1
        kind, _sep, rest = item.key.partition("-")
        if kind == "section":
            changes.sections[sections[int(rest)].pk] = item.imported
        elif kind == "objective":
            number, _sep, part = rest.partition("-")
            texts = changes.objectives.setdefault(objective_ids[int(number)], {})
            if part:
                texts[part] = item.imported
        elif kind == "list":
            model, attribute = _list_models()[rest]
            keys = set(lists.get(rest, []))
            if not chosen:  # the draft keeps its ticks; the file's are added
                keys |= {getattr(i, attribute) for i in getattr(written_input, rest).all()}
            setattr(
                changes,
                rest,
                list(model.objects.filter(**{f"{attribute}__in": keys})),
            )
    if not count:
        return None, 0
    version = editing.save_content(
        written_input, changes, by=by, expected_version=expected_version
    )
    return version, count


def sign_content(content: dict, written_input) -> str:
    """The preview's hidden field: what the file said, signed for this input."""
    return signing.dumps(content, salt=f"{_SIGNING_SALT}:{written_input.pk}", compress=True)


class ImportExpired(Exception):
    """The preview's signed content is missing, altered or too old."""


def load_content(value: str, written_input) -> dict:
    try:
        content = signing.loads(
            value or "",
            salt=f"{_SIGNING_SALT}:{written_input.pk}",
            max_age=IMPORT_PREVIEW_MAX_AGE,
        )
    except signing.BadSignature as error:
        raise ImportExpired from error
    if not isinstance(content, dict):
        raise ImportExpired
    return content


def applied_message(count: int, name: str) -> str:
    return ngettext(
        "Imported from “%(name)s”: %(count)s field filled.",
        "Imported from “%(name)s”: %(count)s fields filled.",
        count,
    ) % {"name": name, "count": count}
