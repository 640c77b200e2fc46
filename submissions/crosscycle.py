"""What an ISCM wrote on one GCM objective, or on one part of the outline, in each review
cycle: the texts side by side, and the word-level changes between two cycles (with
`diffs.diff_text`, as between two versions of one input). A read, no writes. What an
ISCM has text on at all (its compare pages' subjects) is `crosscycle_subjects`.

Each cycle has its own outline, so a section is found by its `key` (OutlineSection.key,
"introduction", the same in every cycle whatever its number or title there), never by
its number; objectives keep their number (the GCM's 23). Snapshots taken before
sections had keys lack it: their section is found by the number the key has in that
cycle's outline.

Who may see which inputs is the caller's rule, passed in as a query set (public pages:
`published()`; an ISCM's secretariat: `for_secretariat(user)`; reviewers:
`reviewable_by(user)`); what the text is read from is the audience's too (`Source`).
Everything here runs in a fixed number of queries, whatever the number of cycles,
inputs or versions, and loads a bounded number of rows: at most TEXTS_PER_CYCLE texts
per cycle (the main one first), the others counted (`CycleColumn.more`). An ISCM sends
one input or two per cycle; the bound keeps a page's size and the snapshots loaded the
same when it has sent hundreds. Which inputs come first, and how many there are, is
read for published inputs from the numbers `subject_tallies` keeps: of every region
for the public pages and the ISCM's own secretariat, who sees all of them; of one
region for a reviewer of that region alone (`reviewer_region`). The database ranks and
counts the others, in one query: the inputs not published, or every input of the ISCM
in their regions for a reviewer of several regions (`bench/compare.py`).
"""

import enum
from collections import Counter
from dataclasses import dataclass, field
from itertools import groupby

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber
from django.utils.translation import gettext as _

from . import subject_tallies
from .diffs import DiffBlock, diff_text
from .languages import source_text, texts
from .models import (
    ISCM,
    InputPartner,
    InputVersion,
    ObjectiveResponse,
    OutlineSection,
    ReviewCycle,
    ReviewerAssignment,
    SectionResponse,
    Status,
    WrittenInput,
)
from .snapshots import objective_entry, target_entry

OBJECTIVE = "objective"
SECTION = "section"
KINDS = (OBJECTIVE, SECTION)

# The typed parts of one objective's report, in reading order.
OBJECTIVE_PARTS = ObjectiveResponse.TEXT_FIELDS
BODY = "body"
# The texts shown per cycle, the main one first; the others are counted.
TEXTS_PER_CYCLE = 3
# States in which nobody can have changed an input since its latest version was taken:
# its live text is that version's. In any other (a draft, changes requested, withdrawn
# while being revised) the live text may have moved on.
SENT_AS_IS = frozenset({Status.SUBMITTED, Status.ACCEPTED, Status.DECLINED, Status.PUBLISHED})
# Every state but published: an ISCM's inputs in them are few (the live cycle's work).
UNPUBLISHED = frozenset(Status.values) - {Status.PUBLISHED}


class Source(enum.Enum):
    """Which text of an input an audience reads."""

    # The version made public (`published_version`): anyone, published inputs only.
    PUBLISHED = "published"
    # The latest submitted version: reviewers read versions, never a draft.
    LATEST = "latest"
    # What the input says now, drafts included: its own ISCMs' secretariats, who see
    # every input of the ISCM (`texts_across_cycles` reads its published ones from
    # `subject_tallies`, not from the inputs passed).
    CURRENT = "current"


def part_label(name: str) -> str:
    return {
        "progress": _("Progress"),
        "practices": _("Practices worth sharing"),
        "challenges": _("Challenges"),
        BODY: _("Text"),
    }[name]


@dataclass(frozen=True)
class Part:
    """One typed text: a part of an objective's report, or a section's body."""

    name: str
    text: str

    @property
    def label(self) -> str:
        return part_label(self.name)


@dataclass(frozen=True)
class CycleText:
    """One input's text on the objective or section, as one version records it (or as
    the input is now, `version_number` None)."""

    input: WrittenInput
    version_number: int | None
    # The objective or section as that version names it (a snapshot entry: its title in
    # English and `title_i18n`; `{{ heading|label:"title" }}`).
    heading: dict
    parts: tuple[Part, ...]
    title: str  # the input's title in that version
    language: str
    direction: str
    targets: list[dict]  # snapshot target entries: "region", "region_name(_i18n)"
    led: bool  # the ISCM leads the input (else a partner of a joint input)

    @property
    def is_draft_text(self) -> bool:
        return self.version_number is None

    def text(self, part: str) -> str:
        return next((p.text for p in self.parts if p.name == part), "")


@dataclass
class CycleColumn:
    """A cycle in which the ISCM wrote on the subject, with each input's text. Most
    cycles hold one; `main` (the input it leads, else the most advanced) is what the
    comparison between cycles reads."""

    cycle: ReviewCycle
    texts: list[CycleText]  # at most TEXTS_PER_CYCLE
    more: int = 0  # the other inputs of the ISCM with text on the subject in this cycle

    @property
    def main(self) -> CycleText:
        return self.texts[0]


# --- Which inputs -------------------------------------------------------------------


def reviewer_region(user) -> int | None:
    """The id of the region `user` reviews, when it is one alone: their
    `reviewable_by` inputs are then exactly those ever submitted to a review of that
    region, which are, once published, the inputs `subject_tallies` keeps for it (a
    published input was submitted), and `texts_across_cycles` reads them there. None
    for a reviewer of several regions: an input may target two of them, so the
    regions' numbers do not add up, and their inputs are ranked in SQL, every one. (An
    administrator reviews what their assignments say, as anyone: `reviewable_by` has
    no exception for staff.) One query."""
    if not user.is_authenticated or not user.is_active:
        return None
    regions = list(
        ReviewerAssignment.objects.filter(user=user, role=ReviewerAssignment.Role.REVIEWER)
        .values_list("region", flat=True)
        .order_by()[:2]
    )
    return regions[0] if len(regions) == 1 else None


def inputs_of(inputs, iscm: ISCM):
    """The inputs among `inputs` that `iscm` leads or is a partner of."""
    partners = InputPartner.objects.filter(iscm=iscm).values("writteninput")
    return inputs.filter(Q(lead_iscm=iscm) | Q(pk__in=partners))


def _has_text_in_tables(kind: str, key, *, per_input: bool = False) -> Q:
    """Inputs whose current text has something on the subject (one subquery): a report
    on the objective, or a body in a section with `key`. (Whether that section is of
    the input's own outline is left to `_from_tables`: checking it here joins every
    response to its input, which took nearly twice as long at 20,000 inputs.)

    `per_input`: for a handful of inputs (the unpublished ones), one lookup per input
    by the unique index of its responses; else `pk IN` every input with text on the
    subject, a list that grows with the archive and is read whole (68 ms of the 70 of
    ranking six unpublished inputs at 20,000), but faster for an ISCM's every input."""
    if kind == OBJECTIVE:
        rows = ObjectiveResponse.objects.filter(objective__number=key)
    else:
        rows = (
            SectionResponse.objects.filter(section__key=key)
            .exclude(section__kind=OutlineSection.Kind.OBJECTIVES)
            .exclude(body="")
        )
    if per_input:
        return Q(Exists(rows.filter(input=OuterRef("pk"))))
    return Q(pk__in=rows.values("input"))


def _read_first(selection, iscm_pk: int, groups: list):
    """`selection` with each input's place among those of its group (`groups`: its
    cycle, …) in the order the texts are shown (`_main_first`, in SQL) and the size of
    its group (`in_group`), both computed over the whole selection."""
    led = Case(When(lead_iscm=iscm_pk, then=Value(1)), default=Value(0))
    progress = Case(
        *(When(status=state, then=Value(n)) for n, state in enumerate(Status.PROGRESS_ORDER)),
        default=Value(-1),
    )
    return selection.annotate(
        place=Window(
            RowNumber(),
            partition_by=groups,
            order_by=[led.desc(), progress.desc(), F("pk").desc()],
        ),
        in_group=Window(Count("pk"), partition_by=groups),
    )


def _to_read(selection, iscm: ISCM, kind: str, key, source: Source, *, few: bool = False):
    """The inputs of `selection` whose text `texts_across_cycles` reads: in each cycle
    the TEXTS_PER_CYCLE first of those the tables say have text on the subject
    (`by_tables` True, `in_group`: how many they are in the cycle), and under LATEST
    every input not SENT_AS_IS (`by_tables` False: few, the inputs being revised),
    whose latest version alone can tell.

    A published input cannot change (it is in no editable state), so its live text is
    that of its published version: the tables tell which inputs have text, and only
    their snapshots are loaded. A reviewer reads latest versions, which are the live
    text only for the inputs SENT_AS_IS. `few`: `selection` holds a handful of inputs
    (`_has_text_in_tables`'s `per_input`)."""
    has_text = _has_text_in_tables(kind, key, per_input=few)
    if source is not Source.LATEST:
        selection = selection.filter(has_text).annotate(by_tables=Value(True))
        selection = _read_first(selection, iscm.pk, [F("cycle")])
        return selection.filter(place__lte=TEXTS_PER_CYCLE)
    sent = Q(status__in=SENT_AS_IS)
    selection = selection.filter((sent & has_text) | ~sent).annotate(
        by_tables=ExpressionWrapper(sent, output_field=BooleanField())
    )
    selection = _read_first(selection, iscm.pk, [F("cycle"), F("by_tables")])
    return selection.filter(Q(place__lte=TEXTS_PER_CYCLE) | Q(by_tables=False))


def _place(row: WrittenInput, iscm_pk: int):
    """`_main_first` on an input's row: its place in `_read_first`'s order."""
    return (row.lead_iscm_id != iscm_pk, -Status(row.status).progress, -row.pk)


def _kept_and_unpublished(
    inputs, iscm: ISCM, kind: str, key, source: Source, *, region: int | None = None
) -> list[WrittenInput]:
    """The rows of `_to_read` over the inputs of `iscm` in `inputs`, without ranking the
    published ones: those `subject_tallies` keeps first stand for them, with their
    counts (of every region, or of `region`); the others, few (the live cycle's work),
    are ranked in SQL. A cycle's first TEXTS_PER_CYCLE are among the first of either
    part, and it counts both; under LATEST the inputs being revised (`by_tables`
    False) are all read, as `_to_read` reads them.

    `inputs` must hold every published input the kept numbers count: under CURRENT
    every input of `iscm` (its own secretariat's), under LATEST those ever submitted
    to a review of `region` (`reviewable_by` a reviewer of it alone)."""
    unpublished = inputs_of(inputs, iscm).filter(status__in=UNPUBLISHED)
    ranked = _to_read(unpublished, iscm, kind, key, source, few=True)
    kept = subject_tallies.load(iscm.pk, kind, key, region=region)
    with_text = {cycle_id: count for cycle_id, (count, _firsts) in kept.items()}
    firsts = [pk for _count, kept_firsts in kept.values() for pk in kept_firsts]
    others, revised = [], set()
    for pk, cycle_id, in_group, by_tables in ranked.values_list(
        "pk", "cycle", "in_group", "by_tables"
    ).order_by():
        others.append(pk)
        if by_tables:  # `in_group` is the same on every row of the cycle
            with_text[cycle_id] = kept.get(cycle_id, (0,))[0] + in_group
        else:
            revised.add(pk)
    rows = _rows(
        WrittenInput.objects.filter(Q(pk__in=firsts, status=Status.PUBLISHED) | Q(pk__in=others)),
        source,
    )
    read, taken = [], Counter()
    for row in sorted(rows, key=lambda r: (r.cycle_id, *_place(r, iscm.pk))):
        row.by_tables = row.pk not in revised
        if row.by_tables:
            taken[row.cycle_id] += 1
            if taken[row.cycle_id] > TEXTS_PER_CYCLE:
                continue
            row.in_group = with_text[row.cycle_id]
        read.append(row)
    return read


def _rows(selection, source: Source) -> list[WrittenInput]:
    """The inputs of `selection` with what `texts_across_cycles` shows of them."""
    selection = selection.select_related("cycle", "lead_iscm").prefetch_related("partner_iscms")
    if source is Source.CURRENT:
        selection = selection.prefetch_related("target_reviews__region")
    return list(selection.order_by())


def versions_read(input_ids: list[int], source: Source):
    """The version each input is read at under `source` (PUBLISHED or LATEST)."""
    versions = InputVersion.objects.filter(input__in=input_ids)
    if source is Source.PUBLISHED:
        return versions.filter(number=F("input__published_version"))
    latest = (
        InputVersion.objects.filter(input=OuterRef("input"))
        .order_by("-number")
        .values("number")[:1]
    )
    return versions.filter(number=Subquery(latest))


def _key_numbers(cycle_ids, key: str) -> dict[int, int]:
    """cycle id → the number of the section with `key` in that cycle's outline: how a
    snapshot without keys (taken before sections had them) names the section."""
    rows = OutlineSection.objects.filter(key=key, outline__cycles__in=cycle_ids).values_list(
        "outline__cycles", "number"
    )
    return dict(rows)


# --- Reading one text from a snapshot or from the live tables ----------------------


def _snapshot_entry(snapshot: dict, kind: str, key, number: int | None) -> dict | None:
    """The objective or section entry of a snapshot with text on it, else None."""
    if kind == OBJECTIVE:
        return next((o for o in snapshot.get("objectives", []) if o["number"] == key), None)
    for section in snapshot.get("sections", []):
        found = section.get("key") == key if "key" in section else section["number"] == number
        if found and section["kind"] != OutlineSection.Kind.OBJECTIVES and section["body"]:
            return section
    return None


def _parts(kind: str, entry: dict) -> tuple[Part, ...]:
    if kind == OBJECTIVE:
        return tuple(Part(name, entry.get(name, "")) for name in OBJECTIVE_PARTS)
    return (Part(BODY, entry.get("body", "")),)


def _section_entry(section: OutlineSection, body: str) -> dict:
    """A section as snapshots record it (see `snapshots.take_snapshot`)."""
    return {
        "number": section.number,
        "key": section.key,
        "title": source_text(section, "title"),
        "title_i18n": texts(section, "title"),
        "kind": section.kind,
        "body": body,
    }


def _from_versions(rows, kind: str, key, source: Source, iscm_pk: int) -> list[CycleText]:
    numbers = _key_numbers({row.cycle_id for row in rows}, key) if kind == SECTION else {}
    by_id = {row.pk: row for row in rows}
    found = []
    for version in versions_read(list(by_id), source):
        written_input = by_id[version.input_id]
        snapshot = version.snapshot
        entry = _snapshot_entry(snapshot, kind, key, numbers.get(written_input.cycle_id))
        if entry is None:
            continue
        found.append(
            CycleText(
                input=written_input,
                version_number=version.number,
                heading=entry,
                parts=_parts(kind, entry),
                title=snapshot["title"],
                language=snapshot["language"],
                direction=snapshot["direction"],
                targets=snapshot.get("targets", []),
                led=written_input.lead_iscm_id == iscm_pk,
            )
        )
    return found


def _from_tables(rows, kind: str, key, iscm_pk: int) -> list[CycleText]:
    by_id = {row.pk: row for row in rows}
    if kind == OBJECTIVE:
        responses = ObjectiveResponse.objects.filter(
            input__in=list(by_id), objective__number=key
        ).select_related("objective")
        entries = {r.input_id: objective_entry(r.objective, r) for r in responses}
    else:
        responses = (
            SectionResponse.objects.filter(input__in=list(by_id), section__key=key)
            .exclude(section__kind=OutlineSection.Kind.OBJECTIVES)
            .exclude(body="")
            .select_related("section")
        )
        # An input answers the sections of its own cycle's outline only.
        entries = {
            r.input_id: _section_entry(r.section, r.body)
            for r in responses
            if r.section.outline_id == by_id[r.input_id].cycle.outline_id
        }
    return [
        CycleText(
            input=by_id[pk],
            version_number=None,
            heading=entry,
            parts=_parts(kind, entry),
            title=by_id[pk].title,
            language=by_id[pk].language,
            direction=by_id[pk].direction,
            targets=[
                target_entry(review)
                for review in sorted(by_id[pk].target_reviews.all(), key=lambda r: r.region.code)
            ],
            led=by_id[pk].lead_iscm_id == iscm_pk,
        )
        for pk, entry in entries.items()
    ]


# --- Texts across cycles --------------------------------------------------------------


def _kept_rows(iscm: ISCM, kind: str, key) -> list[WrittenInput]:
    """Source.PUBLISHED: in each cycle the first published inputs with text on the
    subject and how many they are, as `subject_tallies` keeps them (the same order as
    `_read_first`: every published input is equally advanced)."""
    kept = subject_tallies.load(iscm.pk, kind, key)
    ids = [pk for _count, firsts in kept.values() for pk in firsts]
    published = WrittenInput.objects.filter(pk__in=ids, status=Status.PUBLISHED)
    rows = _rows(published, Source.PUBLISHED)
    for row in rows:
        row.by_tables, row.in_group = True, kept[row.cycle_id][0]
    return rows


def _main_first(text: CycleText):
    """The input the ISCM leads before one it partners; then the most advanced; then the
    newest."""
    return (not text.led, -Status(text.input.status).progress, -text.input.pk)


def texts_across_cycles(
    inputs, *, iscm: ISCM, kind: str, key: int | str, source: Source, region: int | None = None
) -> list[CycleColumn]:
    """Per cycle, oldest first, the texts of `iscm`'s inputs among `inputs` (as lead or
    partner) on objective number `key` (kind OBJECTIVE) or on the outline section with
    `key` (kind SECTION), read as `source` says: at most TEXTS_PER_CYCLE, the main one
    first, and how many more there are. Cycles without text are left out.

    Under CURRENT `inputs` must hold every input of `iscm` (its own secretariat's,
    `for_secretariat`): its published inputs are those `subject_tallies` keeps. Under
    LATEST, `region` (`reviewer_region`) says `inputs` are `reviewable_by` a reviewer
    of that region alone: its published inputs are those kept for the region. Without
    it (a reviewer of several regions) every input is ranked in SQL.

    Queries: the inputs, their partners, then the versions (and, for a section, the
    outlines' numbers) or the live texts with the target reviews: five at most; under
    PUBLISHED the inputs are those `subject_tallies` keeps first (two more: whether
    its rows were counted, and the rows); under CURRENT, or LATEST with a `region`,
    those and the first of the others (three more)."""
    if kind not in KINDS:
        raise ValueError(kind)
    key = int(key) if kind == OBJECTIVE else key
    if source is Source.PUBLISHED:
        rows = _kept_rows(iscm, kind, key)
    elif source is Source.CURRENT:
        rows = _kept_and_unpublished(inputs, iscm, kind, key, source)
    elif region is not None:
        rows = _kept_and_unpublished(inputs, iscm, kind, key, source, region=region)
    else:
        rows = _rows(_to_read(inputs_of(inputs, iscm), iscm, kind, key, source), source)
    if not rows:
        return []
    if source is Source.CURRENT:
        cycle_texts = _from_tables(rows, kind, key, iscm.pk)
    else:
        cycle_texts = _from_versions(rows, kind, key, source, iscm.pk)
    # How many have text in each cycle: as the tables count them, plus (under LATEST)
    # each input being revised whose latest version has text.
    with_text = {row.cycle_id: row.in_group for row in rows if row.by_tables}
    for text in cycle_texts:
        if not text.input.by_tables:
            with_text[text.input.cycle_id] = with_text.get(text.input.cycle_id, 0) + 1
    cycle_texts.sort(key=lambda t: (t.input.cycle.start_year, t.input.cycle.slug))
    columns = []
    for _slug, group in groupby(cycle_texts, key=lambda t: t.input.cycle.slug):
        group = sorted(group, key=_main_first)[:TEXTS_PER_CYCLE]
        cycle = group[0].input.cycle
        more = with_text.get(cycle.pk, 0) - len(group)
        columns.append(CycleColumn(cycle=cycle, texts=group, more=more))
    return columns


# --- Comparing two cycles ---------------------------------------------------------------


@dataclass
class Comparison:
    """Everything a compare page shows."""

    columns: list[CycleColumn]
    without_text: list[ReviewCycle]  # the other cycles, oldest first
    old: CycleColumn | None = None
    new: CycleColumn | None = None
    blocks: list[DiffBlock] = field(default_factory=list)
    # Why the cycles asked for were not compared ("" when they were, or none was asked).
    notice: str = ""

    @property
    def changed(self) -> bool:
        return any(block.changed for block in self.blocks)


def _choose(columns: list[CycleColumn], from_slug: str, to_slug: str):
    """(old, new, notice): the cycles asked for when both have text and differ; the last
    two cycles with text otherwise, with a notice when something else was asked for."""
    by_slug = {column.cycle.slug: column for column in columns}
    default = (columns[-2], columns[-1], "")
    if not (from_slug or to_slug):
        return default
    new = by_slug.get(to_slug) if to_slug else columns[-1]
    if from_slug:
        old = by_slug.get(from_slug)
    else:
        # Only "to" given: the cycle with text before it.
        position = columns.index(new) if new else 0
        old = columns[position - 1] if position else None
    if old is None or new is None or old is new:
        notice = _(
            "The cycles asked for cannot be compared here (each must be a different cycle "
            "with text on this): showing the last two cycles with text instead."
        )
        return (*default[:2], notice)
    return old, new, ""


def diff_blocks(kind: str, key: str, old: CycleText, new: CycleText) -> list[DiffBlock]:
    """The word-level changes from `old` to `new`, one block per typed part."""
    return [
        DiffBlock(
            key=f"{kind}-{key}-{part.name}",
            label=part.label,
            fragments=diff_text(old.text(part.name), part.text),
            changed=old.text(part.name) != part.text,
        )
        for part in new.parts
    ]


def compare_across_cycles(
    inputs,
    *,
    iscm: ISCM,
    kind: str,
    key: int | str,
    source: Source,
    region: int | None = None,
    from_slug: str = "",
    to_slug: str = "",
) -> Comparison:
    """The texts of `texts_across_cycles` and the changes between two of its cycles
    (`from_slug` → `to_slug`, by default the last two with text). Unknown or unusable
    cycle slugs fall back to the default with a `notice`; never an error. One query
    more than `texts_across_cycles` (the cycles without text)."""
    columns = texts_across_cycles(
        inputs, iscm=iscm, kind=kind, key=key, source=source, region=region
    )
    shown = {column.cycle.pk for column in columns}
    without_text = [
        cycle
        for cycle in ReviewCycle.objects.order_by("start_year", "slug")
        if cycle.pk not in shown
    ]
    comparison = Comparison(columns=columns, without_text=without_text)
    if len(columns) < 2:
        if from_slug or to_slug:
            comparison.notice = _("Fewer than two cycles have text on this: nothing to compare.")
        return comparison
    old, new, notice = _choose(columns, from_slug, to_slug)
    comparison.old, comparison.new, comparison.notice = old, new, notice
    comparison.blocks = diff_blocks(kind, key, old.main, new.main)
    return comparison
