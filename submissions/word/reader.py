"""Reading a filled template (or an exported input) back: `read_word_file` matches what
the document says to a draft's outline and returns a JSON-able dict that the import plan
reads and the preview carries, signed.

- Headings map to sections: a heading "<number>. <title>" is the section with that
  number and title; failing that, the section with that title, or — for a top-level
  heading — with that number. A plain paragraph counts as a heading only when it is
  exactly "<number>. <title>" of a section. Any other top-level heading ends the section
  before it, and what follows it is reported as not matched; a lower-level heading
  inside a section becomes a bold paragraph of its text. Everything before the first
  section heading (the title block) is never imported.
- Paragraphs the portal writes as instructions (guidance, word limits, how to tick) are
  recognised by their text, in every interface language, and skipped.
- Check boxes (documented on the import page): a check-list paragraph or an objective's
  first cell starting with ☒ ☑ ✓ ✔ or "[x]" is ticked, with ☐ or "[ ]" unticked. The
  template writes Word check box content controls (clickable in Word and LibreOffice);
  what the box shows is what counts. Only the lists whose boxes are in the file change.
- Table rows map to objectives by the number in their first cell; the text of each
  field becomes Markdown (`submissions.word.text`)."""

import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from ..models import GCMObjective, OutlineSection
from ..uploads import safe_display_name
from .common import (
    BOX_RE,
    OBJECTIVE_PARTS,
    Section,
    instruction_texts,
    list_heading_names,
    norm,
    reference_lists,
    w,
)
from .safety import open_word_file, refused
from .text import DocumentText, MarkdownBuilder, Paragraph, blocks, children

logger = logging.getLogger(__name__)

_SECTION_HEADING_RE = re.compile(r"^\s*(\d{1,3})\s*[.):\-–—]?\s*(.*)$", re.DOTALL)
# "5.", "Objective 5", "Obj. 5 –": an optional word, then the number.
_OBJECTIVE_NUMBER_RE = re.compile(r"^\W*(?:[^\W\d_]+\.?\s*)?(\d{1,3})(?!\d)")
_PRINCIPLE_LETTER_RE = re.compile(r"^\(?([a-z])\)\s*", re.IGNORECASE)
_LIST_NAMES = ("principles", "formats", "priorities", "challenges")
_MAX_UNMATCHED = 50


@dataclass
class _Lists:
    """Match a check item's label against the four lists."""

    aliases: dict[str, dict[str, str]]  # list name -> normalised alias -> key

    @classmethod
    def load(cls, *, with_principles: bool) -> "_Lists":
        references = reference_lists()
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
                    table.setdefault(norm(alias), key)
        return cls(aliases)

    def match(self, label: str, preferred: list[str]) -> tuple[str, str] | None:
        key = norm(label)
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
    def __init__(self, document, *, sections: list[Section], objective_numbers: set[int]):
        self.text = DocumentText(document)
        self.document = document
        self.sections = sections
        self.objective_numbers = objective_numbers
        has_principles = any(s.kind == OutlineSection.Kind.PRINCIPLES for s in sections)
        self.lists = _Lists.load(with_principles=has_principles)
        self.instructions = instruction_texts(sections)
        self.list_headings = list_heading_names()

        self.found: list[int] = []
        self.bodies: dict[int, str] = {}
        self.too_long: set[str] = set()
        self.objectives: dict[int, dict] = {}
        self.ticks: dict[str, set[str]] = {}
        self.unmatched: list[str] = []

        self.preamble = True
        self.section: Section | None = None
        self.builder: MarkdownBuilder | None = None
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
        for kind, element in blocks(self.document.element.body):
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

    def _match_section(self, text: str, *, styled: bool, level: int | None) -> Section | None:
        match = _SECTION_HEADING_RE.match(text)
        number = int(match.group(1)) if match else None
        title = norm(match.group(2)) if match else norm(text)
        exact = [s for s in self.sections if s.number == number and norm(s.title) == title]
        if exact or not styled:
            return exact[0] if exact else None
        by_title = [s for s in self.sections if norm(s.title) in (title, norm(text))]
        if by_title:
            return by_title[0]
        if number is not None and (level or 0) <= 1:
            return next((s for s in self.sections if s.number == number), None)
        return None

    def _heading(self, paragraph: Paragraph, text: str) -> bool:
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
            self.section, self.builder = section, MarkdownBuilder()
            return True
        if norm(text) in self.list_headings:
            self._close()
            self.preamble = False
            self.list_context = self.list_headings[norm(text)] or "all"
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

    def _paragraph(self, paragraph: Paragraph):
        text = paragraph.text.strip()
        if not text:
            return
        looks_like_heading = paragraph.heading is not None or _SECTION_HEADING_RE.match(text)
        if looks_like_heading and self._heading(paragraph, text):
            return
        if self.preamble or self.unknown is not None:
            return
        if norm(text) in self.instructions:
            return
        box = BOX_RE.match(text)
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
        for index, row in enumerate(children(table, w("tr"))):
            cells = list(children(row, w("tc")))
            if not cells:
                continue
            first = self.text.cell_text(cells[0])
            box = BOX_RE.match(first)
            label = first[box.end() :] if box else first
            number_match = _OBJECTIVE_NUMBER_RE.match(label)
            number = int(number_match.group(1)) if number_match else None
            texts = {}
            for cell, part in zip(cells[1:4], OBJECTIVE_PARTS, strict=False):
                builder = MarkdownBuilder()
                self._cell_markdown(cell, builder)
                if builder.overflow and number is not None:
                    self.too_long.add(f"objective-{number}-{part}")
                texts[part] = builder.result()
            has_text = any(texts.values())
            header = row.find(f"{w('trPr')}/{w('tblHeader')}") is not None
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
                **{p: texts.get(p, "") for p in OBJECTIVE_PARTS},
            }

    def _cell_markdown(self, cell, builder: MarkdownBuilder):
        for kind, element in blocks(cell):
            if kind == "p":
                paragraph = self.text.paragraph(element)
                if paragraph.text.strip() and norm(paragraph.text) not in self.instructions:
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
    sections = [Section.of(s) for s in written_input.cycle.outline.sections.all()]
    numbers = set(GCMObjective.objects.values_list("number", flat=True))
    try:
        content = _Reader(document, sections=sections, objective_numbers=numbers).read()
    except Exception as error:
        # A structure the reader did not expect must not become a 500 for the person.
        logger.warning("Word import of %r failed", name, exc_info=True)
        raise refused(
            _("“%(name)s” looks like a Word or Excel file but is damaged or incomplete."),
            name,
            "damaged",
        ) from error
    if not (content["found"] or content["objectives"] or content["lists"]):
        raise refused(
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
