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

Cost: a fixed number of queries, and rows read, whatever the number of inputs: the
database counts (GROUP BY with Count) and hands over at most CELL_EXAMPLES inputs per
cell of the matrix and one per ISCM; only the snapshots of the inputs back with their
secretariat are read one by one (a handful in a review). `dashboard()` reads the
review and its previous one in the same queries.

Return shapes (frozen dataclasses of plain values and reference rows, ready for a
template, a CSV or a .docx):

`standings(review, public=, today=)` → `Standings`
    .rows: list[Standing], one per ISCM of the review's region (ISCM.regions), by
        acronym. Standing: .iscm (ISCM), .state (one of STATES; .state_label), .input
        (InputRef of its most advanced input for the review, lead or partner, the
        oldest of them when several; None for "nothing"), .inputs (how many inputs it
        has for the review, not withdrawn; public: published), .decision (this
        review's Decision value on .input, or None), .deadline (date or None: the
        review's, or the input's extension when later), .days_left (int, negative once
        passed, or None; .days_overdue), .extension (the extension date when it moves
        the deadline, else None).
    .totals: Totals(expected, received, accepted, published, by_state) — received
        counts the ISCMs whose state is past draft, accepted those accepted or
        published; by_state maps every state of STATES to its number of ISCMs. In the
        public version received and accepted are None and the states are only
        "published" and "nothing".
`coverage(review, public=)` → `Coverage`
    .iscms: list[ISCM], the matrix's columns: the region's ISCMs by acronym, then any
        other ISCM (lead or partner) of a counted input (`.expected_ids` tells which
        are the region's).
    .input_count: int, the counted inputs.
    .iscm_ids_reporting: frozenset of the ISCMs (lead or partner) of counted inputs.
    .round_tables: list[RoundTableCoverage], the four round tables in order, each with
        .round_table (RoundTable), .objectives (list[ObjectiveRow]), .inputs (counted
        inputs reporting on at least one of its objectives), .iscms (distinct ISCMs of
        those), .responses (objective responses in all), .covered (objectives with at
        least one input).
        ObjectiveRow: .objective (GCMObjective), .cells (list[Cell] aligned with
        .iscms: Cell(count, examples) — the number of inputs of that ISCM, lead or
        partner, reporting on the objective, and the first CELL_EXAMPLES of them as
        InputRef by id), .inputs (int), .iscms (int, distinct ISCMs).
    .objective_rows: the ObjectiveRows of all round tables, in order.
    .principles / .formats / .priorities / .challenges: list[(row, int)], every
        reference row in its order with the number of counted inputs that chose it.
    .objectives_covered: int, objectives with at least one counted input.
`change_since_previous(review, public=)` → `Change`
    .previous: the same region's review of the cycle before (by start_year) or None;
    .objectives: list[ObjectiveChange(objective, before, now)] for the 23 objectives,
        before/now the number of ISCMs covering it (.delta = now - before, .size);
    .more / .fewer: the ObjectiveChanges with delta > 0 / < 0;
    .not_yet: list[ISCM] that reported to the previous review (a counted input) and
        have no counted input in this one yet.
`dashboard(review, public=, today=)` → `Dashboard(review, public, standings,
    coverage, change)`: all three in one set of queries; .named_inputs lists the
    InputRefs it names (standings and the cells' examples).
`staff_reviews(user)` → the RegionalReview query set whose staff dashboards `user`
    may open (administrators all, reviewers and compilers their regions').
`cross_region(cycle, public=)` → list[RegionSummary], one per regional review of the
    cycle by region code: .review, .expected, .received, .accepted, .published (ISCM
    counts as in Totals; received and accepted None when public), .inputs (counted
    inputs), .objectives_covered.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Min
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from submissions import tallies as coverage_tallies
from submissions.models import (
    ISCM,
    Challenge,
    ContributionFormat,
    Decision,
    GCMObjective,
    GuidingPrinciple,
    InputTarget,
    Priority,
    RegionalReview,
    ReviewCycle,
    ReviewerAssignment,
    RoundTable,
    Status,
    WrittenInput,
)
from submissions.models.inputs import RIGHT_TO_LEFT

# Where an ISCM stands for a review, least to most advanced.
NOTHING = "nothing"
STATES = (
    NOTHING,
    Status.DRAFT.value,
    Status.DECLINED.value,
    Status.CHANGES_REQUESTED.value,
    Status.SUBMITTED.value,
    Status.ACCEPTED.value,
    Status.PUBLISHED.value,
)
STATE_LABELS = {
    NOTHING: _("No input"),
    Status.DRAFT.value: Status.DRAFT.label,
    Status.SUBMITTED.value: Status.SUBMITTED.label,
    Status.CHANGES_REQUESTED.value: Status.CHANGES_REQUESTED.label,
    Status.ACCEPTED.value: Status.ACCEPTED.label,
    Status.DECLINED.value: Status.DECLINED.label,
    Status.PUBLISHED.value: Status.PUBLISHED.label,
}
RECEIVED_STATES = frozenset(STATES) - {NOTHING, Status.DRAFT.value}
ACCEPTED_STATES = frozenset({Status.ACCEPTED.value, Status.PUBLISHED.value})
# Inputs named per cell of the matrix; the cell gives the number of the others.
CELL_EXAMPLES = coverage_tallies.CELL_EXAMPLES


@dataclass(frozen=True)
class InputRef:
    """An input as the dashboard names and links it (no content)."""

    pk: int
    slug: str
    title: str
    lead_id: int
    status: str
    language: str  # of its text, for lang/dir where its title is shown

    @property
    def direction(self) -> str:
        return "rtl" if self.language in RIGHT_TO_LEFT else "ltr"


@dataclass(frozen=True)
class Standing:
    iscm: ISCM
    state: str
    input: InputRef | None
    inputs: int
    decision: str | None
    deadline: datetime.date | None
    days_left: int | None
    extension: datetime.date | None

    @property
    def state_label(self):
        return STATE_LABELS[self.state]

    @property
    def days_overdue(self) -> int | None:
        """Days since the deadline passed, None while it has not."""
        return -self.days_left if self.days_left is not None and self.days_left < 0 else None


@dataclass(frozen=True)
class Totals:
    expected: int
    received: int | None
    accepted: int | None
    published: int
    by_state: dict[str, int]


@dataclass(frozen=True)
class Standings:
    rows: list[Standing]
    totals: Totals


@dataclass(frozen=True)
class Cell:
    count: int
    examples: list[InputRef]

    @property
    def more(self) -> int:
        """Inputs in the cell beyond the examples."""
        return self.count - len(self.examples)


@dataclass(frozen=True)
class ObjectiveRow:
    objective: GCMObjective
    cells: list[Cell]
    inputs: int
    iscms: int


@dataclass(frozen=True)
class RoundTableCoverage:
    round_table: RoundTable
    objectives: list[ObjectiveRow]
    inputs: int
    iscms: int
    responses: int
    covered: int


@dataclass(frozen=True)
class Coverage:
    iscms: list[ISCM]
    expected_ids: frozenset[int]
    input_count: int
    iscm_ids_reporting: frozenset[int]
    round_tables: list[RoundTableCoverage]
    principles: list[tuple[GuidingPrinciple, int]]
    formats: list[tuple[ContributionFormat, int]]
    priorities: list[tuple[Priority, int]]
    challenges: list[tuple[Challenge, int]]

    @property
    def objectives_covered(self) -> int:
        return sum(table.covered for table in self.round_tables)

    @property
    def objective_rows(self) -> list[ObjectiveRow]:
        return [row for table in self.round_tables for row in table.objectives]

    # The largest numbers, which scale the charts' bars.
    @property
    def most_round_table_inputs(self) -> int:
        return max((table.inputs for table in self.round_tables), default=0)

    @property
    def most_principle_inputs(self) -> int:
        return max((n for _principle, n in self.principles), default=0)


@dataclass(frozen=True)
class ObjectiveChange:
    objective: GCMObjective
    before: int
    now: int

    @property
    def delta(self) -> int:
        return self.now - self.before

    @property
    def size(self) -> int:
        return abs(self.delta)


@dataclass(frozen=True)
class Change:
    previous: RegionalReview | None
    objectives: list[ObjectiveChange]
    not_yet: list[ISCM]

    @property
    def more(self) -> list[ObjectiveChange]:
        return [c for c in self.objectives if c.delta > 0]

    @property
    def fewer(self) -> list[ObjectiveChange]:
        return [c for c in self.objectives if c.delta < 0]

    @property
    def most(self) -> int:
        """The largest number of ISCMs on an objective in either cycle (chart scale)."""
        return max((max(c.before, c.now) for c in self.objectives), default=0)


@dataclass(frozen=True)
class Dashboard:
    review: RegionalReview
    public: bool
    standings: Standings
    coverage: Coverage
    change: Change

    @property
    def named_inputs(self) -> list[InputRef]:
        """The inputs the dashboard names: each ISCM's in the standings, the examples of
        the matrix's cells (a bounded number, whatever the number of inputs)."""
        standing = [row.input for row in self.standings.rows if row.input]
        rows = self.coverage.objective_rows
        return standing + [ref for row in rows for cell in row.cells for ref in cell.examples]


@dataclass(frozen=True)
class RegionSummary:
    review: RegionalReview
    expected: int
    received: int | None
    accepted: int | None
    published: int
    inputs: int
    objectives_covered: int


def state_for(status: str, decision: str | None) -> str:
    """Where an input stands for one review: its status, read through that review's
    own decision (a joint input accepted by one region and declined by another is
    "declined" for the second)."""
    if status == Status.DRAFT:
        return Status.DRAFT.value
    if decision == Decision.DECLINED:
        return Status.DECLINED.value
    if decision == Decision.ACCEPTED:
        return Status.PUBLISHED.value if status == Status.PUBLISHED else Status.ACCEPTED.value
    if decision == Decision.CHANGES_REQUESTED or status == Status.CHANGES_REQUESTED:
        return Status.CHANGES_REQUESTED.value
    if status in (Status.ACCEPTED, Status.PUBLISHED, Status.DECLINED):
        return str(status)
    return Status.SUBMITTED.value


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
    targets = InputTarget.objects.filter(regionalreview__in=review_ids)
    if public:
        targets = targets.filter(writteninput__status=Status.PUBLISHED)
    else:
        targets = targets.exclude(writteninput__status=Status.WITHDRAWN)

    # Per review, ISCM (lead, then partner) and state: how many inputs, the oldest.
    groups = defaultdict(lambda: defaultdict(dict))
    for column in (_LEAD, _PARTNER):
        rows = (
            targets.filter(**{f"writteninput__{column}__isnull": False})
            .values_list(
                "regionalreview_id", f"writteninput__{column}", "writteninput__status", "decision"
            )
            .annotate(n=Count("writteninput_id", distinct=True), first=Min("writteninput_id"))
            .order_by()
        )
        for review_id, iscm_id, status, decision, n, first in rows:
            key = (status, decision)
            group = groups[review_id][iscm_id].get(key)
            if group is None:
                groups[review_id][iscm_id][key] = _Group(n, first)
            else:  # an ISCM both leads and partners inputs in the same state
                groups[review_id][iscm_id][key] = _Group(group.count + n, min(group.first, first))

    region_iscms = defaultdict(list)
    for iscm_id, region_id in ISCM.regions.through.objects.filter(
        region__in=[r.region_id for r in reviews]
    ).values_list("iscm_id", "region_id"):
        region_iscms[region_id].append(iscm_id)

    tallies, reference, named = {}, {}, set()
    if content:
        reference = _reference_rows(choices=choices)
        tallies = coverage_tallies.load(review_ids, public=public)
        named = {
            pk
            for tally in tallies.values()
            for by_iscm in tally.cells.values()
            for _count, firsts in by_iscm.values()
            for pk in firsts
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
                            examples=[material.refs[pk] for pk in by_iscm[iscm.pk][1]],
                        )
                        if iscm.pk in by_iscm
                        else Cell(count=0, examples=[])
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
    before = None if previous is None else _coverage(previous, material)
    before_rows = {row.objective.pk: row.iscms for row in before.objective_rows} if before else {}
    objectives = [
        ObjectiveChange(
            objective=row.objective, before=before_rows.get(row.objective.pk, 0), now=row.iscms
        )
        for row in now.objective_rows
    ]
    not_yet = []
    if before is not None:
        gone = before.iscm_ids_reporting - now.iscm_ids_reporting
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
    material = _load(reviews, public=public, choices=False)
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
    "CELL_EXAMPLES",
    "STATES",
    "STATE_LABELS",
    "Cell",
    "Change",
    "Coverage",
    "Dashboard",
    "RegionSummary",
    "Standings",
    "change_since_previous",
    "coverage",
    "cross_region",
    "dashboard",
    "previous_review",
    "staff_reviews",
    "standings",
    "state_for",
]
