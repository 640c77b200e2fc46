"""What a regional review's synthesis draft says, as plain data: for IOM staff who
write the secretariat's synthesis of a regional review. A read, no writes.

`gather_synthesis(review)` → `Synthesis`:
    .dashboard: the staff `coverage.Dashboard` of the review (the counts of the
        synthesis dashboard: standings, coverage, change since the previous cycle).
        Those count every input received and not declined; the excerpts below quote
        the accepted ones only.
    .round_tables: list[RoundTableSynthesis], the round tables that have objectives,
        in order: .round_table (RoundTable), .counts (coverage.RoundTableCoverage),
        .objectives (list[ObjectiveSynthesis], only the objectives on which an
        accepted input reports something).
        ObjectiveSynthesis: .objective (GCMObjective), .counts (coverage.ObjectiveRow),
        .parts (list[(part, list[Excerpt])]: "progress", "practices", "challenges" in
        that order, the parts with at least one excerpt).
    .sections: list[SectionSynthesis], the outline's other sections (not the
        objectives) with text in an accepted input: .number, .key, .entry (the
        section as a snapshot records it: title and title_i18n), .excerpts.
    .annex: list[AnnexEntry], every accepted input, by lead ISCM's acronym.

An `Excerpt` is one text as an input's accepted version has it (Markdown, untrusted:
render it through `submissions.markup`) with its `Citation`: the lead ISCM (and
partners), the input's title and language, the objective or section, the version.

The versions quoted are the review's `packages.accepted_versions` when the draft was
asked for (`synthesis_drafts.request_draft` records them): this review's own decision,
at the version it accepted, inputs not withdrawn since. A declined input, one still
under review and another region's acceptance are never quoted.

Cost: a fixed number of queries whatever the number of inputs (the dashboard's, the
accepted versions with their snapshots, their decision dates).
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from submissions.languages import direction
from submissions.models import (
    ContentLanguage,
    GCMObjective,
    InputTarget,
    InputVersion,
    ObjectiveResponse,
    OutlineSection,
    RegionalReview,
    RoundTable,
    Status,
)

from . import coverage

PARTS = ObjectiveResponse.TEXT_FIELDS  # progress, practices, challenges
OBJECTIVE, SECTION = "objective", "section"
# Separates the placeholders of a translated citation from its words (see citation_parts).
_MARKER = "\x00"


@dataclass(frozen=True)
class Citation:
    input_id: int
    lead: str  # the lead ISCM's acronym
    partners: tuple[str, ...]  # partner ISCMs' acronyms (a joint input)
    title: str
    language: str  # of the input's text
    version: int
    place: str  # OBJECTIVE or SECTION
    number: int  # the objective's or the section's number

    @property
    def direction(self) -> str:
        return direction(self.language)


@dataclass(frozen=True)
class Excerpt:
    text: str  # Markdown, as the secretariat typed it
    citation: Citation

    @property
    def language(self) -> str:
        return self.citation.language

    @property
    def direction(self) -> str:
        return self.citation.direction

    @property
    def citation_parts(self) -> list[tuple[str, str | None]]:
        """`citation_parts(self.citation)`, for templates."""
        return citation_parts(self.citation)


@dataclass(frozen=True)
class ObjectiveSynthesis:
    objective: GCMObjective
    counts: coverage.ObjectiveRow
    parts: list[tuple[str, list[Excerpt]]]

    @property
    def labelled_parts(self) -> list[tuple[str, list[Excerpt]]]:
        """`parts` with each part's heading in the active language, for templates."""
        return [(part_label(part), excerpts) for part, excerpts in self.parts]


@dataclass(frozen=True)
class RoundTableSynthesis:
    round_table: RoundTable
    counts: coverage.RoundTableCoverage
    objectives: list[ObjectiveSynthesis]


@dataclass(frozen=True)
class SectionSynthesis:
    number: int
    key: str
    entry: dict
    excerpts: list[Excerpt]


@dataclass(frozen=True)
class AnnexEntry:
    input_id: int
    lead: dict  # snapshot ISCM entries (acronym, name, name_i18n)
    partners: list[dict]
    title: str
    language: str
    version: int
    accepted_on: object  # datetime or None (decided before dates were kept)
    published: bool  # published at the version quoted
    objectives: list[int]
    sections: list[int]  # the other sections it has text in

    @property
    def direction(self) -> str:
        return direction(self.language)

    @property
    def iscms(self) -> str:
        return iscms_text(self.lead["acronym"], [p["acronym"] for p in self.partners])

    @property
    def language_name(self) -> str:
        """The input's language, named in the active language."""
        if self.language in ContentLanguage:
            return str(ContentLanguage(self.language).label)
        return self.language


@dataclass(frozen=True)
class Synthesis:
    review: RegionalReview
    dashboard: coverage.Dashboard
    round_tables: list[RoundTableSynthesis]
    sections: list[SectionSynthesis]
    annex: list[AnnexEntry]

    @property
    def excerpts(self) -> list[Excerpt]:
        """Every excerpt quoted, in the order of the draft."""
        found = [
            excerpt
            for table in self.round_tables
            for objective in table.objectives
            for _part, excerpts in objective.parts
            for excerpt in excerpts
        ]
        return found + [e for section in self.sections for e in section.excerpts]


def part_label(part: str) -> str:
    """The heading of an objective's part, in the active language."""
    return {
        "progress": _("Progress"),
        "practices": _("Practices worth sharing"),
        "challenges": _("Challenges"),
    }[part]


def iscms_text(lead: str, partners) -> str:
    """The ISCMs of an input by acronym: the lead, and the partners of a joint input."""
    if not partners:
        return lead
    return _("%(lead)s (joint with %(partners)s)") % {
        "lead": lead,
        "partners": ", ".join(partners),
    }


def citation_parts(citation: Citation) -> list[tuple[str, str | None]]:
    """The citation of an excerpt in the active language, as (text, language) pieces:
    the input's title in the input's language, the rest None (the draft's language). The
    translation decides the word order."""
    values = {
        "iscm": iscms_text(citation.lead, citation.partners),
        "title": f"{_MARKER}{_MARKER}",
        "number": citation.number,
        "version": citation.version,
    }
    if citation.place == OBJECTIVE:
        text = _("%(iscm)s, “%(title)s”, objective %(number)s, version %(version)s") % values
    else:
        text = _("%(iscm)s, “%(title)s”, section %(number)s, version %(version)s") % values
    pieces = text.split(_MARKER)
    if len(pieces) != 3:  # a translation that lost the title: its words as they are
        return [(text.replace(_MARKER, ""), None)]
    before, _empty, after = pieces
    parts = [(before, None), (citation.title, citation.language), (after, None)]
    return [(piece, language) for piece, language in parts if piece]


def citation_text(citation: Citation) -> str:
    """The citation as one plain string (tests, plain-text places)."""
    return "".join(piece for piece, _language in citation_parts(citation))


def _citation(version: InputVersion, place: str, number: int) -> Citation:
    doc = version.snapshot
    return Citation(
        input_id=version.input_id,
        lead=doc["lead"]["acronym"],
        partners=tuple(p["acronym"] for p in doc["partners"]),
        title=doc["title"],
        language=doc["language"],
        version=version.number,
        place=place,
        number=number,
    )


def _text_sections(doc: dict) -> list[dict]:
    """The sections of a snapshot that are narrative text (the objectives section's
    content is its objectives), with text."""
    return [
        section
        for section in doc["sections"]
        if section["kind"] != OutlineSection.Kind.OBJECTIVES and (section["body"] or "").strip()
    ]


def _section_key(section: dict) -> str:
    # Snapshots taken before sections had keys are grouped by their number.
    return section.get("key") or f"section-{section['number']}"


def gather_synthesis(review: RegionalReview, versions: list[InputVersion]) -> Synthesis:
    """Everything the synthesis draft of `review` says, quoting `versions` (the
    review's `packages.accepted_versions`, their inputs and lead ISCMs loaded, in the
    order of the annex); see the module's doc."""
    dashboard = coverage.dashboard(review, public=False)
    decided = dict(
        InputTarget.objects.accepted_for(review).values_list("writteninput_id", "decided_at")
    )

    # objective number → part → excerpts; section key → (entry, excerpts)
    by_objective: dict[int, dict[str, list[Excerpt]]] = {}
    by_section: dict[str, tuple[dict, list[Excerpt]]] = {}
    annex = []
    for version in versions:
        doc = version.snapshot
        for entry in doc["objectives"]:
            parts = by_objective.setdefault(entry["number"], {part: [] for part in PARTS})
            for part in PARTS:
                text = entry.get(part) or ""
                if text.strip():
                    citation = _citation(version, OBJECTIVE, entry["number"])
                    parts[part].append(Excerpt(text=text, citation=citation))
        sections = _text_sections(doc)
        for section in sections:
            _entry, excerpts = by_section.setdefault(_section_key(section), (section, []))
            citation = _citation(version, SECTION, section["number"])
            excerpts.append(Excerpt(text=section["body"], citation=citation))
        annex.append(
            AnnexEntry(
                input_id=version.input_id,
                lead=doc["lead"],
                partners=doc["partners"],
                title=doc["title"],
                language=doc["language"],
                version=version.number,
                accepted_on=decided.get(version.input_id),
                published=version.input.status == Status.PUBLISHED
                and version.input.published_version == version.number,
                objectives=[o["number"] for o in doc["objectives"]],
                sections=[s["number"] for s in sections],
            )
        )

    round_tables = []
    for table in dashboard.coverage.round_tables:
        if not table.objectives:
            continue
        objectives = []
        for row in table.objectives:
            parts = by_objective.get(row.objective.number, {})
            reported = [(part, parts[part]) for part in PARTS if parts.get(part)]
            if reported:
                objectives.append(
                    ObjectiveSynthesis(objective=row.objective, counts=row, parts=reported)
                )
        round_tables.append(
            RoundTableSynthesis(round_table=table.round_table, counts=table, objectives=objectives)
        )
    sections = [
        SectionSynthesis(number=entry["number"], key=key, entry=entry, excerpts=excerpts)
        for key, (entry, excerpts) in sorted(
            by_section.items(), key=lambda item: (item[1][0]["number"], item[0])
        )
    ]
    return Synthesis(
        review=review,
        dashboard=dashboard,
        round_tables=round_tables,
        sections=sections,
        annex=annex,
    )
