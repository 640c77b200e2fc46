"""The synthesis draft of a regional review as an editable Word document, in the house
style of the Word template (`submissions.word.writer.house_style_writer`: its page,
styles and list numbering, Markdown written through the same sanitised HTML the pages
show). What it says comes from `synthesis.gather_synthesis`.

Languages: the portal's words are in the draft's language (the document's default
language, right to left for Arabic); every excerpt and every input title is marked with
its own language (w:lang on each run; for Arabic also w:bidi on its paragraphs and w:rtl
on its runs), so Word spell-checks and lays out each in its own.
"""

from datetime import datetime

from django.utils import formats, timezone, translation
from django.utils.translation import get_language_bidi, ngettext
from django.utils.translation import gettext as _
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor

from submissions.languages import direction, pick, texts
from submissions.word.common import w
from submissions.word.writer import house_style_writer, xml_text

from .synthesis import Synthesis, citation_parts, part_label

CITATION_STYLE = "Synthesis Citation"
# Word's language tags for the languages inputs and the interface are written in.
WORD_LANGUAGES = {
    "ar": "ar-SA",
    "zh": "zh-CN",
    "zh-hans": "zh-CN",
    "en": "en-GB",
    "fr": "fr-FR",
    "es": "es-ES",
    "ru": "ru-RU",
    "pt": "pt-PT",
}
# A paragraph's text as (text, language) pieces, None for the draft's language.
_PIECES = list[tuple[str, str | None]]


def word_language(language: str) -> str:
    return WORD_LANGUAGES.get(language, language)


def language_element(language: str):
    """A w:lang for text in `language`: its tag for Latin and Cyrillic script, and for
    Arabic (complex script) or Chinese (East Asian) the attribute Word reads there."""
    tag = word_language(language)
    element = OxmlElement("w:lang")
    element.set(qn("w:val"), tag)
    if direction(language) == "rtl":
        element.set(qn("w:bidi"), tag)
    elif language.startswith("zh"):
        element.set(qn("w:eastAsia"), tag)
    return element


def _mark_run(run, language: str):
    properties = run.find(w("rPr"))
    if properties is None:
        properties = OxmlElement("w:rPr")
        run.insert(0, properties)
    for old in properties.findall(w("lang")):
        properties.remove(old)
    # w:lang comes after every property the writer sets (b, i, color, u, rtl).
    properties.append(language_element(language))


def _mark_paragraph(paragraph, language: str):
    for run in paragraph._p.iter(w("r")):
        _mark_run(run, language)


class _Recorder:
    """The document body, remembering the paragraphs written through it (the writer's
    Markdown adds them one by one), so an excerpt's paragraphs can be marked with its
    language afterwards."""

    def __init__(self, document):
        self.document = document
        self.paragraphs = []

    def add_paragraph(self, text="", style=None):
        paragraph = self.document.add_paragraph(text, style)
        self.paragraphs.append(paragraph)
        return paragraph


class _SynthesisWriter:
    def __init__(self, language: str):
        self.language = language
        self.rtl = get_language_bidi()
        self.writer = house_style_writer(rtl=self.rtl)
        self.document = self.writer.document
        self._styles()

    def _styles(self):
        styles = self.document.styles
        normal = styles["Normal"].element.get_or_add_rPr()
        for old in normal.findall(w("lang")):
            normal.remove(old)
        normal.append(language_element(self.language))
        citation = styles.add_style(CITATION_STYLE, WD_STYLE_TYPE.PARAGRAPH)
        citation.base_style = styles["Normal"]
        citation.next_paragraph_style = styles["Normal"]
        citation.quick_style = True
        citation.font.size = Pt(9)
        citation.font.color.rgb = RGBColor(0x40, 0x40, 0x40)
        citation.paragraph_format.space_after = Pt(10)

    # Paragraphs of the portal's words, with pieces in other languages marked

    def pieces(self, pieces: _PIECES, *, style=None, bold=False, container=None):
        """A paragraph in the draft's language and direction; each piece whose
        language is not None is marked with it."""
        paragraph = self.writer.paragraph(container, style=style, rtl=self.rtl)
        self.fill(paragraph, pieces, bold=bold)
        return paragraph

    def fill(self, paragraph, pieces: _PIECES, *, bold=False):
        for text, language in pieces:
            language = language or self.language
            self.writer.run(
                paragraph._p, text, bold=bold, rtl=direction(language) == "rtl" or self.rtl
            )
            _mark_run(paragraph._p[-1], language)

    def heading(self, pieces: _PIECES | str, level: int):
        if isinstance(pieces, str):
            pieces = [(pieces, None)]
        return self.pieces(pieces, style=f"Heading {level}")

    def text(self, text: str, **options):
        return self.pieces([(text, None)], **options)

    def excerpt(self, text: str, language: str):
        """Markdown in `language`, its paragraphs marked and laid out in its direction."""
        recorder = _Recorder(self.document)
        self.writer.rtl = direction(language) == "rtl"
        try:
            self.writer.markdown(recorder, text)
        finally:
            self.writer.rtl = self.rtl
        for paragraph in recorder.paragraphs:
            _mark_paragraph(paragraph, language)

    def table(self, headers: list[str], rows: list[list], widths: list[float]):
        """A table with a header row; a cell is a text in the draft's language or a list
        of pieces."""
        table = self.writer.table(len(rows) + 1, widths, rtl=self.rtl)
        for cell, header in zip(table.rows[0].cells, headers, strict=True):
            self._cell(cell, [(header, None)], bold=True)
        for row, values in zip(table.rows[1:], rows, strict=True):
            for cell, value in zip(row.cells, values, strict=True):
                self._cell(cell, value if isinstance(value, list) else [(str(value), None)])
        return table

    def _cell(self, cell, pieces: _PIECES, *, bold=False):
        paragraph = cell.paragraphs[0]
        if self.rtl:
            paragraph._p.get_or_add_pPr().append(OxmlElement("w:bidi"))
        self.fill(paragraph, pieces, bold=bold)


def _label(obj, field: str) -> list[tuple[str, str | None]]:
    """A reference row's translated field as one piece: in the draft's language, or
    the fallback it falls back to, marked with that language."""
    if isinstance(obj, dict):
        found = dict(obj.get(f"{field}_i18n") or {})
        text, language = pick(found, obj.get(field, ""), obj.get("original_language", ""))
    else:
        original = getattr(obj, "original_language", "")
        text, language = pick(texts(obj, field), getattr(obj, field, ""), original)
    return [(text, language)]


def _date(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = timezone.localtime(value).date()
    return formats.date_format(value, "DATE_FORMAT")


def synthesis_document(synthesis: Synthesis, *, language: str, on_progress=None) -> bytes:
    """The draft as .docx bytes, its portal words in `language`. `on_progress(share)`
    is told how far it got (0 to 1) after each round table."""
    with translation.override(language):
        doc = _SynthesisWriter(language)
        _title(doc, synthesis)
        _numbers(doc, synthesis)
        steps = len(synthesis.round_tables) + 2
        for index, table in enumerate(synthesis.round_tables, start=1):
            _round_table(doc, table)
            if on_progress:
                on_progress(index / steps)
        _sections(doc, synthesis)
        _annex(doc, synthesis)
        if on_progress:
            on_progress(1)
        return doc.writer.save()


def _title(doc: _SynthesisWriter, synthesis: Synthesis):
    review = synthesis.review
    title = _("Synthesis of the inputs by inter-State consultation mechanisms on migration")
    properties = doc.document.core_properties
    now = timezone.now().replace(microsecond=0, tzinfo=None)
    properties.title = xml_text(f"{title} — {review.region.code} — {review.cycle.years}")[:255]
    properties.author = properties.last_modified_by = "ISCM Review Portal"
    properties.identifier = f"iscm-portal:synthesis:{review.cycle.slug}:{review.region.code}"
    properties.language = word_language(doc.language)
    properties.created = properties.modified = datetime(*now.timetuple()[:6])
    properties.revision = 1
    doc.text(title, style="Title")
    doc.pieces(
        [
            *_label(review.region, "name"),
            (" — ", None),
            *_label(review.cycle, "name"),
            (f" ({review.cycle.years})", None),
        ],
        style="Subtitle",
    )
    doc.text(
        _(
            "Draft generated by the ISCM Review Portal on %(date)s, for IOM staff. It "
            "quotes what each input accepted by this regional review reports, at the "
            "version the review accepted, with its source; edit it freely."
        )
        % {"date": _date(timezone.now())}
    )


def _numbers(doc: _SynthesisWriter, synthesis: Synthesis):
    dashboard = synthesis.dashboard
    covered = dashboard.coverage
    totals = dashboard.standings.totals
    doc.heading(_("The inputs in numbers"), 1)
    doc.text(
        ngettext(
            "Counted over %(inputs)s input this review received and did not decline, "
            "each as its latest submitted version.",
            "Counted over %(inputs)s inputs this review received and did not decline, "
            "each as its latest submitted version.",
            covered.input_count,
        )
        % {"inputs": covered.input_count}
        + " "
        + _("%(covered)s of the 23 objectives are covered.")
        % {"covered": covered.objectives_covered}
    )
    doc.table(
        [_("ISCMs expected"), _("Received"), _("Accepted"), _("Published")],
        [[totals.expected, totals.received, totals.accepted, totals.published]],
        [4.2, 4.2, 4.2, 4.2],
    )
    doc.heading(_("Expected and received"), 2)
    doc.table(
        [_("ISCM"), _("State")],
        [[[(row.iscm.acronym, None)], str(row.state_label)] for row in dashboard.standings.rows],
        [5.0, 11.8],
    )
    doc.heading(_("Per round table"), 2)
    doc.table(
        [_("Round table"), _("Inputs"), _("ISCMs"), _("Objectives covered")],
        [
            [
                f"{table.round_table.value}. {table.round_table.label}",
                table.inputs,
                table.iscms,
                f"{table.covered}/{len(table.objectives)}",
            ]
            for table in covered.round_tables
            if table.objectives
        ],
        [9.8, 2.2, 2.2, 2.6],
    )
    doc.heading(_("Coverage of the GCM objectives"), 2)
    doc.table(
        [_("Objective"), _("Inputs"), _("ISCMs")],
        [
            [
                [(f"{row.objective.number}. ", None), *_label(row.objective, "short_title")],
                row.inputs,
                row.iscms,
            ]
            for row in covered.objective_rows
        ],
        [12.4, 2.2, 2.2],
    )
    for heading, column, rows, field in (
        (_("Per guiding principle"), _("Guiding principle"), covered.principles, "title"),
        (_("Per contribution format"), _("Format"), covered.formats, "name"),
        (_("Per priority"), _("Priority"), covered.priorities, "name"),
        (_("Per challenge"), _("Challenge"), covered.challenges, "name"),
    ):
        if not rows:
            continue
        doc.heading(heading, 2)
        doc.table(
            [column, _("Inputs")],
            [[_label(row, field), count] for row, count in rows],
            [14.6, 2.2],
        )
    _change(doc, synthesis)


def _change(doc: _SynthesisWriter, synthesis: Synthesis):
    change = synthesis.dashboard.change
    doc.heading(_("Change since the previous cycle"), 2)
    if change.previous is None:
        doc.text(_("No earlier review of this region is recorded."))
        return
    for heading, rows in (
        (_("Covered by more ISCMs"), change.more),
        (_("Covered by fewer ISCMs"), change.fewer),
    ):
        doc.heading(heading, 3)
        for item in rows or []:
            doc.pieces(
                [
                    (f"{item.objective.number}. ", None),
                    *_label(item.objective, "short_title"),
                    (f" ({item.before} → {item.now})", None),
                ],
                style="List Bullet",
            )
        if not rows:
            doc.text(_("None."))
    doc.heading(
        _("Reported in %(before)s, not yet now") % {"before": change.previous.cycle.years}, 3
    )
    for iscm in change.not_yet:
        doc.pieces([(f"{iscm.acronym} — ", None), *_label(iscm, "name")], style="List Bullet")
    if not change.not_yet:
        doc.text(_("None."))


def _cite(doc: _SynthesisWriter, excerpt):
    doc.pieces([("— ", None), *citation_parts(excerpt.citation)], style=CITATION_STYLE)


def _round_table(doc: _SynthesisWriter, table):
    label = _("Round table %(number)s") % {"number": table.round_table.value}
    doc.heading(f"{label}: {table.round_table.label}", 1)
    if not table.objectives:
        doc.text(_("No accepted input reports on the objectives of this round table."))
        return
    for item in table.objectives:
        number = _("Objective %(number)s") % {"number": item.objective.number}
        doc.heading([(f"{number}: ", None), *_label(item.objective, "title")], 2)
        counts = item.counts
        doc.text(
            _(
                "Inputs received by this review that report on it: %(inputs)s; "
                "their ISCMs: %(iscms)s."
            )
            % {"inputs": counts.inputs, "iscms": counts.iscms}
        )
        for part, excerpts in item.parts:
            doc.heading(part_label(part), 3)
            for excerpt in excerpts:
                doc.excerpt(excerpt.text, excerpt.language)
                _cite(doc, excerpt)


def _sections(doc: _SynthesisWriter, synthesis: Synthesis):
    if not synthesis.sections:
        return
    doc.heading(_("Other sections of the outline"), 1)
    for section in synthesis.sections:
        doc.heading([(f"{section.number}. ", None), *_label(section.entry, "title")], 2)
        for excerpt in section.excerpts:
            doc.excerpt(excerpt.text, excerpt.language)
            _cite(doc, excerpt)


def _annex(doc: _SynthesisWriter, synthesis: Synthesis):
    doc.heading(_("Annex: the inputs quoted"), 1)
    if not synthesis.annex:
        doc.text(_("No input has been accepted for this review yet."))
        return
    rows = []
    for index, entry in enumerate(synthesis.annex, start=1):
        rows.append(
            [
                str(index),
                entry.iscms,
                [(entry.title, entry.language)],
                entry.language_name,
                str(entry.version),
                _date(entry.accepted_on),
                _("yes") if entry.published else _("no"),
            ]
        )
    doc.table(
        [
            "#",
            _("ISCM"),
            _("Input"),
            _("Language"),
            _("Version"),
            _("Accepted on"),
            _("Published"),
        ],
        rows,
        [0.8, 2.6, 5.6, 1.8, 1.4, 2.4, 2.2],
    )
