"""What `reviews.coverage` returns: frozen dataclasses of plain values and reference
rows, ready for a template, a CSV or a .docx, and where an ISCM stands for a review.

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
        .iscms: Cell(count, examples, iscm_slug) — the number of inputs of that ISCM,
        lead or partner, reporting on the objective, and the first CELL_SHOWN of them
        as InputRef by id; none in the previous review's coverage), .inputs (int),
        .iscms (int, distinct ISCMs).
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
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from submissions import tallies as coverage_tallies
from submissions.models import (
    ISCM,
    Challenge,
    ContributionFormat,
    Decision,
    GCMObjective,
    GuidingPrinciple,
    Priority,
    RegionalReview,
    RoundTable,
    Status,
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
# Inputs kept per cell of the matrix (the next ones are known when the first goes).
CELL_EXAMPLES = coverage_tallies.CELL_EXAMPLES
# Inputs named and linked per cell; the cell gives the number of the others. An ISCM
# sends one input to a review, sometimes a second one jointly: one link and "+1" read
# well, and a full matrix (23 objectives × 30 ISCMs) stays a page of the same weight
# whatever the number of inputs (`bench/dashboard.py`).
CELL_SHOWN = 1


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
    iscm_slug: str = ""  # the column's ISCM, for the link to the cell's other inputs

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
