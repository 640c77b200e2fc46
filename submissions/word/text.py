"""The text of a Word document as the import reads it: `DocumentText` turns
WordprocessingML paragraphs into `Paragraph`s of spans (bold, italic, links, heading
level, list level, numbered or not, following styles and numbering definitions), and
`MarkdownBuilder` turns the paragraphs of one field into the Markdown subset of
`submissions.markup`.

Paragraphs, line breaks, bulleted and numbered (nested) lists, bold, italic and links
(http, https, mailto) are kept; everything else becomes plain text (a table inside a
section: one line per row, cells separated by " | "). Tracked changes are read as if
accepted; content controls and custom XML are read through. Images, text boxes,
footnotes, comments, headers and footers are not read."""

import itertools
import re
from dataclasses import dataclass

from ..validators import MAX_TEXT_CHARACTERS
from .common import BOX_RE, M_NS, R_NS, SAFE_LINK_RE, TICKED, UNTICKED, W14_NS, Span, w

# Word XML to paragraphs of spans


@dataclass
class Paragraph:
    spans: list[Span]
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
    return element.get(w("val"), "true").lower() not in ("0", "false", "off")


class _Styles:
    """Heading levels, list numbering and bold/italic that paragraphs and runs take
    from their styles (following basedOn)."""

    def __init__(self, document):
        self.by_id = {}
        self.default_paragraph = None
        for style in document.styles.element.findall(w("style")):
            style_id = style.get(w("styleId"))
            self.by_id[style_id] = style
            if style.get(w("type")) == "paragraph" and style.get(w("default")) in (
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
            based_on = style.find(w("basedOn"))
            style_id = based_on.get(w("val")) if based_on is not None else None

    def name(self, style_id) -> str:
        style = self.by_id.get(style_id)
        element = style.find(w("name")) if style is not None else None
        return (element.get(w("val"), "") if element is not None else "").lower()

    def heading_level(self, style_id, properties) -> int | None:
        name = self.name(style_id)
        if name == "title":
            return 0
        match = re.fullmatch(r"heading (\d)", name)
        if match:
            return int(match.group(1))
        candidates = [properties] + [s.find(w("pPr")) for s in self._chain(style_id)]
        for element in candidates:
            if element is not None:
                level = element.find(w("outlineLvl"))
                if level is not None:
                    value = int(level.get(w("val"), "9") or 9)
                    return value + 1 if value < 9 else None
        return None

    def numbering(self, style_id):
        for style in self._chain(style_id):
            properties = style.find(w("pPr"))
            if properties is not None and properties.find(w("numPr")) is not None:
                return properties.find(w("numPr"))
        return None

    def run_flags(self, style_id) -> tuple[bool | None, bool | None]:
        bold = italic = None
        for style in self._chain(style_id):
            properties = style.find(w("rPr"))
            if properties is None:
                continue
            if bold is None:
                bold = _on(properties.find(w("b")))
            if italic is None:
                italic = _on(properties.find(w("i")))
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
        for element in numbering.findall(w("abstractNum")):
            abstract[element.get(w("abstractNumId"))] = _level_formats(element)
        for num in numbering.findall(w("num")):
            reference = num.find(w("abstractNumId"))
            formats = (
                dict(abstract.get(reference.get(w("val")), {})) if reference is not None else {}
            )
            for override in num.findall(w("lvlOverride")):
                formats.update(_level_formats(override))
            self.formats[num.get(w("numId"))] = formats

    def numbered(self, num_id: str, level: int) -> bool:
        number_format = self.formats.get(num_id, {}).get(level, "bullet")
        return number_format not in ("bullet", "none")


def _level_formats(element) -> dict[int, str]:
    formats = {}
    for level in element.findall(w("lvl")):
        number_format = level.find(w("numFmt"))
        try:
            index = int(level.get(w("ilvl"), "0"))
        except ValueError:
            continue
        if number_format is not None:
            formats[index] = number_format.get(w("val"), "bullet")
    return formats


_INLINE_CONTAINERS = {
    w(tag) for tag in ("ins", "smartTag", "customXml", "fldSimple", "moveTo", "dir", "bdo")
}
_BLOCK_CONTAINERS = {w(tag) for tag in ("customXml", "ins", "moveTo", "smartTag")}


def blocks(parent):
    """("p", element) and ("tbl", element) in reading order, through content controls
    and custom XML; deleted content (tracked deletions) is left out."""
    for child in parent:
        tag = child.tag
        if tag == w("p"):
            yield "p", child
        elif tag == w("tbl"):
            yield "tbl", child
        elif tag == w("sdt"):
            content = child.find(w("sdtContent"))
            if content is not None:
                yield from blocks(content)
        elif tag in _BLOCK_CONTAINERS:
            yield from blocks(child)


def children(parent, tag: str):
    for child in parent:
        if child.tag == tag:
            yield child
        elif child.tag == w("sdt"):
            content = child.find(w("sdtContent"))
            if content is not None:
                yield from children(content, tag)
        elif child.tag == w("customXml"):
            yield from children(child, tag)


class DocumentText:
    """Paragraphs of a python-docx document as spans with bold, italic and links."""

    def __init__(self, document):
        self.document = document
        self.part = document.part
        self.styles = _Styles(document)
        self.numbering = _Numbering(document)

    def paragraph(self, element) -> Paragraph:
        properties = element.find(w("pPr"))
        style_id = self.styles.default_paragraph
        if properties is not None and properties.find(w("pStyle")) is not None:
            style_id = properties.find(w("pStyle")).get(w("val"))
        paragraph = Paragraph(spans=[])
        paragraph.heading = self.styles.heading_level(style_id, properties)
        numbering = properties.find(w("numPr")) if properties is not None else None
        if numbering is None:
            numbering = self.styles.numbering(style_id)
        if numbering is not None:
            num_id = numbering.find(w("numId"))
            level = numbering.find(w("ilvl"))
            num = num_id.get(w("val"), "0") if num_id is not None else "0"
            if num != "0":
                try:
                    paragraph.list_level = (
                        max(0, int(level.get(w("val"), "0"))) if level is not None else 0
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
            if tag == w("r"):
                self._run(child, spans, href)
            elif tag == w("hyperlink"):
                self._inline(child, spans, href=self._link_target(child))
            elif tag in _INLINE_CONTAINERS:
                self._inline(child, spans, href=href)
            elif tag == w("sdt"):
                self._content_control(child, spans, href)
            elif tag in (f"{{{M_NS}}}oMath", f"{{{M_NS}}}oMathPara"):
                text = "".join(child.itertext(f"{{{M_NS}}}t"))
                if text:
                    spans.append(Span(text))

    def _content_control(self, sdt, spans, href):
        content = sdt.find(w("sdtContent"))
        checkbox = sdt.find(f"{w('sdtPr')}/{{{W14_NS}}}checkbox")
        inner: list[Span] = []
        if content is not None:
            self._inline(content, inner, href=href)
        shown = "".join(span.text for span in inner).strip()
        if checkbox is not None and not BOX_RE.match(shown):
            # A check box whose glyph is not one we know: its state decides.
            checked = checkbox.find(f"{{{W14_NS}}}checked")
            value = checked.get(f"{{{W14_NS}}}val", "0") if checked is not None else "0"
            inner = [Span(TICKED if value in ("1", "true") else UNTICKED)]
        spans.extend(inner)

    def _link_target(self, hyperlink) -> str | None:
        relationship_id = hyperlink.get(f"{{{R_NS}}}id")
        if not relationship_id:
            return None
        relationship = self.part.rels.get(relationship_id)
        if relationship is None or not relationship.is_external:
            return None
        target = (relationship.target_ref or "").strip()
        return target if SAFE_LINK_RE.match(target) else None

    def _run(self, run, spans, href):
        properties = run.find(w("rPr"))
        bold = italic = None
        style_bold = style_italic = None
        if properties is not None:
            bold = _on(properties.find(w("b")))
            if bold is None:
                bold = _on(properties.find(w("bCs")))
            italic = _on(properties.find(w("i")))
            if italic is None:
                italic = _on(properties.find(w("iCs")))
            style = properties.find(w("rStyle"))
            if style is not None:
                style_bold, style_italic = self.styles.run_flags(style.get(w("val")))
        bold = bool(bold if bold is not None else style_bold)
        italic = bool(italic if italic is not None else style_italic)
        text = []
        for child in run:
            tag = child.tag
            if tag == w("t"):
                text.append(child.text or "")
            elif tag in (w("tab"), w("ptab")):
                text.append(" ")
            elif tag in (w("br"), w("cr")):
                text.append("\n")
            elif tag == w("noBreakHyphen"):
                text.append("-")
        if text:
            spans.append(Span("".join(text), bold, italic, href))

    def cell_text(self, cell) -> str:
        parts = []
        for kind, element in blocks(cell):
            if kind == "p":
                parts.append(self.paragraph(element).text.strip())
            else:
                parts.append(" ".join(self.table_rows_text(element)))
        return " ".join(" ".join(p for p in parts if p).split())

    def table_rows_text(self, table) -> list[str]:
        rows = []
        for row in children(table, w("tr")):
            cells = [self.cell_text(c) for c in children(row, w("tc"))]
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


def _line_markdown(spans: list[Span]) -> str:
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


def _inline_markdown(spans: list[Span]) -> str:
    """Spans as Markdown lines (one per line break), edges of each line trimmed."""
    lines: list[list[Span]] = [[]]
    for span in spans:
        href = _link_url(span.href) if span.href else None
        for index, part in enumerate(span.text.replace("\r", "").split("\n")):
            if index:
                lines.append([])
            if part:
                lines[-1].append(Span(part.replace("\t", " "), span.bold, span.italic, href))
    result = []
    for line in lines:
        while line and not line[0].text.strip():
            line.pop(0)
        while line and not line[-1].text.strip():
            line.pop()
        if line:
            line[0] = Span(line[0].text.lstrip(), line[0].bold, line[0].italic, line[0].href)
            line[-1] = Span(line[-1].text.rstrip(), line[-1].bold, line[-1].italic, line[-1].href)
        result.append(_line_markdown(line))
    while result and not result[-1]:
        result.pop()
    while result and not result[0]:
        result.pop(0)
    return "\n".join(result)


class MarkdownBuilder:
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

    def paragraph(self, paragraph: Paragraph, *, bold=False):
        if self.overflow:
            return
        spans = paragraph.spans
        if bold:
            spans = [Span(s.text, True, s.italic, s.href) for s in spans]
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
            self.paragraph(Paragraph(spans=[Span(line)]))

    def result(self) -> str:
        self._end_list()
        return "\n\n".join(self.blocks)
