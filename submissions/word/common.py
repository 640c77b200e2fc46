"""What the Word documents say besides the input's text, shared by the writer and the
reader: the portal's style and check-box glyphs, the outline section as the documents
see it, the instructions and list headings (and the same texts in every interface
language, so that the reader skips what the writer wrote), the four reference lists,
and the WordprocessingML names both sides use."""

import re
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from ..models import (
    Challenge,
    ContributionFormat,
    GuidingPrinciple,
    ObjectiveResponse,
    OutlineSection,
    Priority,
)

GUIDANCE_STYLE = "Portal Guidance"
UNTICKED, TICKED = "☐", "☒"
# A box at the start of a check-list paragraph or of an objective's first cell.
BOX_RE = re.compile(r"^\s*(?:(?P<ticked>[☒☑✓✔]|\[[xX✓✔]\])|(?P<unticked>☐|\[ ?\]))\s*")
SAFE_LINK_RE = re.compile(r"^(?:https?://|mailto:)", re.IGNORECASE)
OBJECTIVE_PARTS = ObjectiveResponse.TEXT_FIELDS

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
W14_NS = "http://schemas.microsoft.com/office/word/2010/wordml"
M_NS = "http://schemas.openxmlformats.org/officeDocument/2006/math"


def w(tag: str) -> str:
    """The full name of a WordprocessingML element or attribute: w("p")."""
    return f"{{{W_NS}}}{tag}"


@dataclass(frozen=True)
class Section:
    number: int
    title: str
    kind: str
    required: bool
    word_limit: int | None
    guidance: str

    @classmethod
    def of(cls, section: OutlineSection) -> "Section":
        return cls(
            section.number,
            section.title,
            section.kind,
            section.required,
            section.word_limit,
            section.guidance,
        )


def limit_line(section: Section) -> str:
    parts = []
    if not section.required:
        parts.append(_("Optional."))
    if section.word_limit:
        if section.kind == OutlineSection.Kind.OBJECTIVES:
            parts.append(_("Up to %(limit)s words per objective.") % {"limit": section.word_limit})
        else:
            parts.append(_("Up to %(limit)s words.") % {"limit": section.word_limit})
    return " ".join(parts)


def how_to_fill() -> list[str]:
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


def objectives_how() -> str:
    return _(
        "Tick the objectives the ISCM reports on and fill in their rows; leave the others empty."
    )


def principles_how() -> str:
    return _("Tick the guiding principles reflected in the ISCM's work, then describe how below.")


def lists_how() -> str:
    return _("Tick what applies.")


def list_headings() -> dict[str, str]:
    return {
        "formats": _("Formats of contribution"),
        "priorities": _("Priorities"),
        "challenges": _("Challenges met"),
    }


def norm(text: str) -> str:
    """Text compared loosely: compatibility forms, case, spaces, edge punctuation."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(text.split()).strip(" .:;,–—-")


def _in_every_language(make) -> set[str]:
    """`make()` in every interface language, normalised."""
    found = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            found.update(norm(text) for text in make() if text)
    return found


def instruction_texts(sections: list[Section]) -> set[str]:
    def every():
        texts = [*how_to_fill(), objectives_how(), principles_how(), lists_how()]
        texts.append(_("No objective reported."))
        for section in sections:
            texts.append(limit_line(section))
        return texts

    return _in_every_language(every) | {norm(s.guidance) for s in sections if s.guidance}


def list_heading_names() -> dict[str, str | None]:
    """Normalised heading text (every language) -> the list it introduces (None: the
    heading of all three)."""
    names: dict[str, str | None] = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            names[norm(_("Formats, priorities and challenges"))] = None
            for list_name, heading in list_headings().items():
                names[norm(heading)] = list_name
    return names


@dataclass
class Span:
    text: str
    bold: bool = False
    italic: bool = False
    href: str | None = None


def reference_lists() -> dict[str, list[tuple[str, str]]]:
    """(key, label) of every item of the four lists: principles by letter, the others
    by slug (4 queries)."""
    return {
        "principles": [(p.letter, str(p)) for p in GuidingPrinciple.objects.order_by("letter")],
        "formats": [(f.slug, f.name) for f in ContributionFormat.objects.all()],
        "priorities": [(p.slug, p.name) for p in Priority.objects.all()],
        "challenges": [(c.slug, c.name) for c in Challenge.objects.all()],
    }
