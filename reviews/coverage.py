"""The regional synthesis in numbers: for one regional review, who was expected and
where each stands, which GCM objectives the inputs cover and by whom, and what changed
since the region's review of the previous cycle. A read, no writes.

Every function takes `public`:

- `public=True` counts the published inputs that target the review, exactly the rows
  of the open data (`public.opendata.records`: an input counts for a review when its
  cycle is the review's and the review's region is among its `regions`); nothing
  about an unpublished input is read.
- `public=False` (IOM staff) counts the inputs the review has received and not
  declined: submitted, changes requested, accepted or published, with this review's
  decision other than "declined". Their content is what reviewers read: the live rows
  of an input that its secretariat cannot edit, and the latest submitted version's
  snapshot of one that is back with them (changes requested), so a half-edited draft
  never shows.

Cost: a fixed number of queries. The counted inputs' numbers (matrix, counts, the
first CELL_EXAMPLES inputs of each cell) are kept as inputs move
(`submissions.tallies`) and read as a few hundred rows per review, with the
standings' inputs per ISCM and state and the first of each; the inputs named (each
cell's first CELL_SHOWN, each ISCM's standing) are read by id. `dashboard()` reads
the review and its previous one in the same queries.

The return shapes and where an ISCM stands (`STATES`, `state_for`) are in
`reviews.coverage_shapes`; this module's names include them.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.utils import timezone

from submissions import tallies as coverage_tallies
from submissions.models import (
    ISCM,
    GCMObjective,
    RegionalReview,
    ReviewCycle,
    ReviewerAssignment,
    RoundTable,
    Status,
    WrittenInput,
)

from .coverage_shapes import (
    ACCEPTED_STATES,
    CELL_EXAMPLES,
    CELL_SHOWN,
    NOTHING,
    RECEIVED_STATES,
    STATE_LABELS,
    STATES,
    Cell,
    Change,
    Coverage,
    Dashboard,
    InputRef,
    ObjectiveChange,
    ObjectiveRow,
    RegionSummary,
    RoundTableCoverage,
    Standing,
    Standings,
    Totals,
    state_for,
)


def staff_reviews(user):
    """The regional reviews whose staff dashboard `user` may open: administrators every
    one, reviewers and compilers those of the regions they are assigned to; nobody
    else any (the pages answer 404)."""
    if not user.is_authenticated or not user.is_active:
        return RegionalReview.objects.none()
    if user.is_staff:
        return RegionalReview.objects.all()
    return RegionalReview.objects.filter(
        region__in=ReviewerAssignment.objects.filter(user=user).values("region")
    )


def previous_review(review: RegionalReview) -> RegionalReview | None:
    """The same region's review in the latest cycle that started before this one's."""
    return (
        RegionalReview.objects.filter(
            region_id=review.region_id, cycle__start_year__lt=review.cycle.start_year
        )
        .select_related("cycle", "region")
        .order_by("-cycle__start_year")
        .first()
    )


# --- Loading: one set of queries for any number of reviews and inputs ---------------

# The ISCMs of an input, as seen from a row that reaches the input through `prefix`:
# its lead, and (a second query) each partner.
_LEAD, _PARTNER = "lead_iscm_id", "inputpartner__iscm_id"


@dataclass
class _Group:
    """Inputs of one ISCM for one review in one (status, decision)."""

    count: int
    first: int  # the oldest input's id


@dataclass
class _Material:
    groups: dict  # review id → ISCM id → {(status, decision): _Group}
    extensions: dict  # input id → deadline extension, for the standings' inputs
    refs: dict  # input id → InputRef, for every input named
    iscms: dict  # ISCM id → ISCM
    region_iscms: dict  # region id → ISCM ids of the region
    tallies: dict  # review id → tallies.Tally (content=True)
    reference: dict  # "objectives" and each kind → its rows in order


def _load(
    reviews: list[RegionalReview], *, public: bool, content: bool = True, choices: bool = True
) -> _Material:
    """What the dashboards of `reviews` read. `content`: the objectives reported on,
    per ISCM; `choices`: the counts of principles, formats, priorities and challenges
    (for the first review only)."""
    review_ids = [r.pk for r in reviews]
    # Without `content` (the regions side by side, the standings alone): no cells, and
    # every review has standings. With it, only the first review has standings and
    # names inputs; the others (the previous cycle's) give numbers only.
    kinds = None if content else ("inputs", "objective", "group")
    standing_ids = review_ids[:1] if content else review_ids
    tallies = coverage_tallies.load(
        review_ids, public=public, kinds=kinds, examples_of=standing_ids
    )
    # Per review, ISCM (lead or partner) and (status, decision): how many inputs, the
    # oldest.
    groups = defaultdict(lambda: defaultdict(dict))
    for review_id in standing_ids:
        for iscm_id, by_code in tallies[review_id].groups.items():
            for code, (n, firsts) in by_code.items():
                key = coverage_tallies.group_key(code)
                groups[review_id][iscm_id][key] = _Group(n, firsts[0])

    region_iscms = defaultdict(list)
    for iscm_id, region_id in ISCM.regions.through.objects.filter(
        region__in=[r.region_id for r in reviews]
    ).values_list("iscm_id", "region_id"):
        region_iscms[region_id].append(iscm_id)

    reference, named = {}, set()
    if content and review_ids:
        reference = _reference_rows(choices=choices)
        # The cells of the first review name inputs; the others' give numbers only
        # (the previous cycle's, for the change).
        named = {
            pk
            for by_iscm in tallies[review_ids[0]].cells.values()
            for _count, firsts in by_iscm.values()
            for pk in firsts[:CELL_SHOWN]
        }
    # The standings name each ISCM's most advanced input.
    for review in reviews:
        for by_state in groups[review.pk].values():
            best = max(by_state, key=lambda key: STATES.index(_state(key, public)))
            named.add(by_state[best].first)
    refs, extensions = {}, {}
    for row in WrittenInput.objects.filter(pk__in=named).values(
        "pk", "slug", "title", "lead_iscm_id", "status", "language", "deadline_extension"
    ):
        extensions[row["pk"]] = row.pop("deadline_extension")
        row["lead_id"] = row.pop("lead_iscm_id")
        refs[row["pk"]] = InputRef(**row)

    wanted = {i for ids in region_iscms.values() for i in ids}
    wanted |= {i for by_iscm in groups.values() for i in by_iscm}
    wanted |= {i for tally in tallies.values() for i in tally.iscm_ids}
    iscms = {iscm.pk: iscm for iscm in ISCM.objects.filter(pk__in=wanted)}
    return _Material(
        groups=groups,
        extensions=extensions,
        refs=refs,
        iscms=iscms,
        region_iscms=region_iscms,
        tallies=tallies,
        reference=reference,
    )


def _state(key: tuple[str, str], public: bool) -> str:
    status, decision = key
    return Status.PUBLISHED.value if public else state_for(status, decision)


def _reference_rows(*, choices: bool) -> dict[str, list]:
    """The objectives in order, and with `choices` the rows of principles, formats,
    priorities and challenges (one small query each)."""
    rows = {"objectives": list(GCMObjective.objects.order_by("number"))}
    if choices:
        for kind, (model, _column) in coverage_tallies.CHOICES.items():
            rows[kind] = list(model.objects.all())
    return rows


# --- Per review ---------------------------------------------------------------------


def _expected(review, material: _Material) -> list[ISCM]:
    return sorted(
        (material.iscms[i] for i in material.region_iscms.get(review.region_id, [])),
        key=lambda iscm: iscm.acronym,
    )


def _standings(review, material: _Material, *, public: bool, today) -> Standings:
    rows = []
    for iscm in _expected(review, material):
        by_state = material.groups[review.pk].get(iscm.pk, {})
        state, ref, decision, extension = NOTHING, None, None, None
        deadline = review.deadline
        if by_state:
            key = max(by_state, key=lambda k: STATES.index(_state(k, public)))
            state = _state(key, public)
            first = by_state[key].first
            ref = material.refs[first]
            if not public:
                decision = key[1]
                moved = material.extensions.get(first)
                if moved and deadline and moved > deadline:
                    deadline = extension = moved
        rows.append(
            Standing(
                iscm=iscm,
                state=state,
                input=ref,
                inputs=sum(group.count for group in by_state.values()),
                decision=decision,
                deadline=deadline,
                days_left=(deadline - today).days if deadline else None,
                extension=extension,
            )
        )
    by_state = dict.fromkeys((NOTHING, Status.PUBLISHED.value) if public else STATES, 0)
    for row in rows:
        by_state[row.state] += 1
    totals = Totals(
        expected=len(rows),
        received=None if public else sum(by_state[s] for s in RECEIVED_STATES),
        accepted=None if public else sum(by_state[s] for s in ACCEPTED_STATES),
        published=by_state[Status.PUBLISHED],
        by_state=by_state,
    )
    return Standings(rows=rows, totals=totals)


def _coverage(review, material: _Material) -> Coverage:
    """The matrix and counts of `review` (the first review `_load` was given: its cells
    name their first CELL_SHOWN inputs)."""
    reference = material.reference
    tally = material.tallies[review.pk]
    expected = _expected(review, material)
    expected_ids = frozenset(iscm.pk for iscm in expected)
    others = sorted(
        (material.iscms[i] for i in tally.iscm_ids - expected_ids), key=lambda iscm: iscm.acronym
    )
    columns = expected + others
    tables = []
    for table in RoundTable:
        rows, table_iscms = [], set()
        for objective in reference["objectives"]:
            if objective.round_table != table:
                continue
            by_iscm = tally.cells.get(objective.pk, {})
            table_iscms |= set(by_iscm)
            rows.append(
                ObjectiveRow(
                    objective=objective,
                    cells=[
                        Cell(
                            count=by_iscm[iscm.pk][0],
                            examples=[
                                material.refs[pk] for pk in by_iscm[iscm.pk][1][:CELL_SHOWN]
                            ],
                            iscm_slug=iscm.slug,
                        )
                        if iscm.pk in by_iscm
                        else Cell(count=0, examples=[], iscm_slug=iscm.slug)
                        for iscm in columns
                    ],
                    inputs=tally.per_objective.get(objective.pk, 0),
                    iscms=len(by_iscm),
                )
            )
        tables.append(
            RoundTableCoverage(
                round_table=table,
                objectives=rows,
                inputs=tally.per_round_table.get(table.value, 0),
                iscms=len(table_iscms),
                responses=tally.responses.get(table.value, 0),
                covered=sum(1 for row in rows if row.inputs),
            )
        )
    return Coverage(
        iscms=columns,
        expected_ids=expected_ids,
        input_count=tally.inputs,
        iscm_ids_reporting=tally.iscm_ids,
        round_tables=tables,
        **{
            kind: [(row, tally.choices[kind].get(row.pk, 0)) for row in reference.get(kind, [])]
            for kind in coverage_tallies.CHOICES
        },
    )


def _change(previous, material: _Material, now: Coverage) -> Change:
    """Read from the previous review's kept numbers directly: the ISCMs per objective
    (its matrix's cells, counted) and the ISCMs reporting."""
    before = None if previous is None else material.tallies[previous.pk]
    objectives = [
        ObjectiveChange(
            objective=row.objective,
            before=len(before.cells.get(row.objective.pk, {})) if before else 0,
            now=row.iscms,
        )
        for row in now.objective_rows
    ]
    not_yet = []
    if before is not None:
        gone = before.iscm_ids - now.iscm_ids_reporting
        not_yet = sorted((material.iscms[i] for i in gone), key=lambda iscm: iscm.acronym)
    return Change(previous=previous, objectives=objectives, not_yet=not_yet)


# --- The public functions -------------------------------------------------------------


def _today(today):
    return today or timezone.localdate()


def standings(
    review: RegionalReview, *, public: bool, today: datetime.date | None = None
) -> Standings:
    """Every ISCM of the review's region and where it stands (see the module's doc)."""
    material = _load([review], public=public, content=False)
    return _standings(review, material, public=public, today=_today(today))


def coverage(review: RegionalReview, *, public: bool) -> Coverage:
    """The objectives × ISCMs matrix and the counts (see the module's doc)."""
    material = _load([review], public=public)
    return _coverage(review, material)


def change_since_previous(review: RegionalReview, *, public: bool) -> Change:
    """What changed since the region's previous review (see the module's doc)."""
    return dashboard(review, public=public).change


def dashboard(
    review: RegionalReview, *, public: bool, today: datetime.date | None = None
) -> Dashboard:
    """Standings, coverage and change for one review, in one fixed set of queries."""
    previous = previous_review(review)
    reviews = [review, previous] if previous else [review]
    material = _load(reviews, public=public)
    now = _coverage(review, material)
    return Dashboard(
        review=review,
        public=public,
        standings=_standings(review, material, public=public, today=_today(today)),
        coverage=now,
        change=_change(previous, material, now),
    )


def cross_region(cycle: ReviewCycle, *, public: bool) -> list[RegionSummary]:
    """The cycle's regional reviews side by side (see the module's doc)."""
    reviews = list(
        RegionalReview.objects.filter(cycle=cycle)
        .select_related("region", "cycle")
        .order_by("region__code")
    )
    if not reviews:
        return []
    material = _load(reviews, public=public, content=False)
    today = timezone.localdate()
    summaries = []
    for review in reviews:
        totals = _standings(review, material, public=public, today=today).totals
        tally = material.tallies[review.pk]
        summaries.append(
            RegionSummary(
                review=review,
                expected=totals.expected,
                received=totals.received,
                accepted=totals.accepted,
                published=totals.published,
                inputs=tally.inputs,
                objectives_covered=sum(1 for n in tally.per_objective.values() if n),
            )
        )
    return summaries


__all__ = [
    "ACCEPTED_STATES",
    "CELL_EXAMPLES",
    "CELL_SHOWN",
    "NOTHING",
    "RECEIVED_STATES",
    "STATES",
    "STATE_LABELS",
    "Cell",
    "Change",
    "Coverage",
    "Dashboard",
    "InputRef",
    "ObjectiveChange",
    "ObjectiveRow",
    "RegionSummary",
    "RoundTableCoverage",
    "Standing",
    "Standings",
    "Totals",
    "change_since_previous",
    "coverage",
    "cross_region",
    "dashboard",
    "previous_review",
    "staff_reviews",
    "standings",
    "state_for",
]
