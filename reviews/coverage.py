"""The regional synthesis in numbers: for one regional review, who was expected and
who sent what, which GCM objectives the inputs cover and by whom, and what changed
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

Queries: a fixed number whatever the number of inputs (values lists and Count
aggregates, no query per input); `dashboard()` reads the review and its previous one
in the same queries.

Return shapes (frozen dataclasses of plain values and reference rows, ready for a
template, a CSV or a .docx):

`standings(review, public=, today=)` → `Standings`
    .rows: list[Standing], one per ISCM of the review's region (ISCM.regions), by
        acronym. Standing: .iscm (ISCM), .state (one of STATES), .input (InputRef of
        its most advanced input for the review, lead or partner; None for "nothing"),
        .decision (this review's Decision value on it, or None), .deadline (date or
        None: the review's, or the input's extension when later), .days_left (int,
        negative once passed, or None), .extension (the input's extension date when it
        moves the deadline, else None).
    .totals: Totals(expected, received, accepted, published, by_state) — received
        counts the ISCMs whose state is past draft, accepted those accepted or
        published; by_state maps every state of STATES to its number of ISCMs. In the
        public version received and accepted are None and the states are only
        "published" and "nothing".
`coverage(review, public=)` → `Coverage`
    .iscms: list[ISCM], the matrix's columns: the region's ISCMs by acronym, then any
        other ISCM (lead or partner) of a counted input (`.expected_ids` tells which
        are the region's).
    .inputs: list[InputRef], the counted inputs.
    .round_tables: list[RoundTableCoverage], the four round tables in order, each with
        .round_table (RoundTable), .objectives (list[ObjectiveRow]), .inputs (counted
        inputs reporting on at least one of its objectives), .iscms (distinct ISCMs of
        those), .responses (objective responses in all), .covered (objectives with at
        least one input).
        ObjectiveRow: .objective (GCMObjective), .cells (list[list[InputRef]] aligned
        with .iscms: the inputs of that ISCM, lead or partner, reporting on it),
        .inputs (int), .iscms (int, distinct ISCMs).
    .principles / .formats / .priorities / .challenges: list[(row, int)], every
        reference row in its order with the number of counted inputs that chose it.
    .objectives_covered: int, objectives with at least one counted input.
`change_since_previous(review, public=)` → `Change`
    .previous: the same region's review of the cycle before (by start_year) or None;
    .objectives: list[ObjectiveChange(objective, before, now)] for the 23 objectives,
        before/now the number of ISCMs covering it (.delta = now - before);
    .more / .fewer: the ObjectiveChanges with delta > 0 / < 0;
    .not_yet: list[ISCM] that reported to the previous review (a counted input) and
        have no counted input in this one yet.
`dashboard(review, public=, today=)` → `Dashboard(review, public, standings,
    coverage, change)`: all three in one set of queries.
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

from django.db.models import Count, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from submissions.languages import source_text
from submissions.models import (
    ISCM,
    Challenge,
    ContributionFormat,
    Decision,
    GCMObjective,
    GuidingPrinciple,
    InputPartner,
    InputTarget,
    InputVersion,
    ObjectiveResponse,
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


@dataclass(frozen=True)
class InputRef:
    """An input as the dashboard names and links it (no content)."""

    pk: int
    slug: str
    title: str
    lead_id: int
    status: str
    iscm_ids: tuple[int, ...]  # the lead's, then the partners' by acronym
    language: str  # of its text, for lang/dir where its title is shown

    @property
    def direction(self) -> str:
        return "rtl" if self.language in RIGHT_TO_LEFT else "ltr"


@dataclass(frozen=True)
class Standing:
    iscm: ISCM
    state: str
    input: InputRef | None
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
class ObjectiveRow:
    objective: GCMObjective
    cells: list[list[InputRef]]
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
    inputs: list[InputRef]
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


# --- Loading: one set of queries for any number of reviews -------------------------


@dataclass(frozen=True)
class _Link:
    review_id: int
    ref: InputRef
    decision: str
    extension: datetime.date | None

    @property
    def iscm_ids(self) -> tuple[int, ...]:
        return self.ref.iscm_ids


@dataclass
class _Material:
    links: list[_Link]
    iscms: dict[int, ISCM]
    region_iscms: dict[int, list[int]]  # region id → ISCM ids of the region
    objective_pairs: list[tuple[int, int]]  # (input id, objective id), counted inputs
    choices: dict[str, dict[int, int]]  # kind → row id → counted inputs
    reference: dict[str, list]  # "objectives" and each kind → its rows in order


def _counted(link: _Link, public: bool) -> bool:
    if public:
        return link.ref.status == Status.PUBLISHED
    return link.ref.status in Status.DECIDED_ON and link.decision != Decision.DECLINED


_CHOICE_MODELS = {
    "principles": (GuidingPrinciple, "guidingprinciple_id"),
    "formats": (ContributionFormat, "contributionformat_id"),
    "priorities": (Priority, "priority_id"),
    "challenges": (Challenge, "challenge_id"),
}


def _load(
    reviews: list[RegionalReview], *, public: bool, content: bool = True, choices: bool = True
) -> _Material:
    """What the dashboards of `reviews` read. `content`: the objectives reported on;
    `choices`: the counts of principles, formats, priorities and challenges."""
    targets = InputTarget.objects.filter(regionalreview__in=[r.pk for r in reviews])
    if public:
        targets = targets.filter(writteninput__status=Status.PUBLISHED)
    else:
        targets = targets.exclude(writteninput__status=Status.WITHDRAWN)
    partners = defaultdict(list)
    for input_id, iscm_id in (
        InputPartner.objects.filter(writteninput__in=targets.values("writteninput"))
        .order_by("iscm__acronym")
        .values_list("writteninput_id", "iscm_id")
    ):
        partners[input_id].append(iscm_id)
    links = [
        _Link(
            review_id=row["regionalreview_id"],
            ref=InputRef(
                pk=row["writteninput_id"],
                slug=row["writteninput__slug"],
                title=row["writteninput__title"],
                lead_id=row["writteninput__lead_iscm_id"],
                status=row["writteninput__status"],
                language=row["writteninput__language"],
                iscm_ids=(
                    row["writteninput__lead_iscm_id"],
                    *partners[row["writteninput_id"]],
                ),
            ),
            decision=row["decision"],
            extension=row["writteninput__deadline_extension"],
        )
        for row in targets.values(
            "regionalreview_id",
            "decision",
            "writteninput_id",
            "writteninput__slug",
            "writteninput__title",
            "writteninput__lead_iscm_id",
            "writteninput__status",
            "writteninput__language",
            "writteninput__deadline_extension",
        ).order_by("writteninput__title", "writteninput_id")
    ]

    region_iscms = defaultdict(list)
    for iscm_id, region_id in ISCM.regions.through.objects.filter(
        region__in=[r.region_id for r in reviews]
    ).values_list("iscm_id", "region_id"):
        region_iscms[region_id].append(iscm_id)
    wanted = {i for ids in region_iscms.values() for i in ids}
    wanted.update(i for link in links for i in link.iscm_ids)
    iscms = {iscm.pk: iscm for iscm in ISCM.objects.filter(pk__in=wanted)}

    # The counted inputs, split by where their content is read: live rows when the
    # secretariat cannot change them, the latest version's snapshot when they can.
    if public:
        counted = targets.filter(writteninput__status=Status.PUBLISHED)
    else:
        counted = targets.filter(writteninput__status__in=Status.DECIDED_ON).exclude(
            decision=Decision.DECLINED
        )
    live = counted.exclude(writteninput__status__in=Status.EDITABLE).values("writteninput")
    editable = counted.filter(writteninput__status__in=Status.EDITABLE).values("writteninput")

    objective_pairs: list[tuple[int, int]] = []
    counts: dict[str, dict[int, int]] = {}
    if not content:
        return _Material(links, iscms, region_iscms, objective_pairs, counts, reference={})
    reference = _reference_rows(choices=choices)
    objective_pairs = list(
        ObjectiveResponse.objects.filter(input__in=live)
        .order_by()
        .values_list("input_id", "objective_id")
    )
    if choices:
        # Counted for the first review only (the other is the previous cycle's, whose
        # change is measured in objectives).
        live_first = (
            counted.filter(regionalreview=reviews[0].pk)
            .exclude(writteninput__status__in=Status.EDITABLE)
            .values("writteninput")
        )
        for kind, (_model, column) in _CHOICE_MODELS.items():
            through = getattr(WrittenInput, kind).through
            counts[kind] = dict(
                through.objects.filter(writteninput__in=live_first)
                .order_by()
                .values_list(column)
                .annotate(n=Count("writteninput_id", distinct=True))
            )
    snapshots = []
    if not public:  # a published input is never editable: no snapshot to read
        latest = InputVersion.objects.filter(input=OuterRef("input")).order_by("-number")
        snapshots = list(
            InputVersion.objects.filter(
                input__in=editable, number=Subquery(latest.values("number")[:1])
            ).values_list("input_id", "snapshot")
        )
    if snapshots:
        first = {link.ref.pk for link in links if link.review_id == reviews[0].pk}
        _add_snapshots(snapshots, objective_pairs, counts, reference, first)
    return _Material(links, iscms, region_iscms, objective_pairs, counts, reference)


def _reference_rows(*, choices: bool) -> dict[str, list]:
    """The objectives in order, and with `choices` the rows of principles, formats,
    priorities and challenges (one small query each)."""
    rows = {"objectives": list(GCMObjective.objects.order_by("number"))}
    if choices:
        for kind, (model, _column) in _CHOICE_MODELS.items():
            rows[kind] = list(model.objects.all())
    return rows


def _add_snapshots(snapshots, objective_pairs, counts, reference, counted_ids) -> None:
    """Add what the latest versions of inputs back with their secretariat say (their
    live rows may hold unsubmitted edits): their objectives, and the lists they chose
    to `counts` for the inputs in `counted_ids`. Snapshots name objectives by number,
    principles by letter and the other lists by their English names."""
    objectives = {objective.number: objective.pk for objective in reference["objectives"]}
    by_name = {
        kind: {
            (row.letter if kind == "principles" else source_text(row, "name")): row.pk
            for row in reference[kind]
        }
        for kind in _CHOICE_MODELS
        if kind in reference
    }
    for input_id, snapshot in snapshots:
        for entry in snapshot.get("objectives", []):
            if entry.get("number") in objectives:
                objective_pairs.append((input_id, objectives[entry["number"]]))
        if not by_name or input_id not in counted_ids:
            continue
        chosen = {
            "principles": [p.get("letter") for p in snapshot.get("principles", [])],
            "formats": snapshot.get("formats", []),
            "priorities": snapshot.get("priorities", []),
            "challenges": snapshot.get("challenges", []),
        }
        for kind, names in chosen.items():
            for name in set(names):
                pk = by_name[kind].get(name)
                if pk is not None:
                    counts[kind][pk] = counts[kind].get(pk, 0) + 1


# --- Per review ---------------------------------------------------------------------


def _standings(review, material: _Material, *, public: bool, today) -> Standings:
    best: dict[int, tuple[str, _Link]] = {}
    for link in material.links:
        if link.review_id != review.pk:
            continue
        state = Status.PUBLISHED.value if public else state_for(link.ref.status, link.decision)
        for iscm_id in link.iscm_ids:
            current = best.get(iscm_id)
            if current is None or STATES.index(state) > STATES.index(current[0]):
                best[iscm_id] = (state, link)
    rows = []
    for iscm in sorted(
        (material.iscms[i] for i in material.region_iscms.get(review.region_id, [])),
        key=lambda iscm: iscm.acronym,
    ):
        state, link = best.get(iscm.pk, (NOTHING, None))
        deadline, extension = review.deadline, None
        if link and link.extension and deadline and link.extension > deadline and not public:
            deadline = extension = link.extension
        rows.append(
            Standing(
                iscm=iscm,
                state=state,
                input=link.ref if link else None,
                decision=None if link is None or public else link.decision,
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


def _coverage(review, material: _Material, *, public: bool) -> Coverage:
    reference = material.reference
    links = [
        link for link in material.links if link.review_id == review.pk and _counted(link, public)
    ]
    by_input = {link.ref.pk: link for link in links}
    expected = sorted(
        (material.iscms[i] for i in material.region_iscms.get(review.region_id, [])),
        key=lambda iscm: iscm.acronym,
    )
    expected_ids = frozenset(iscm.pk for iscm in expected)
    others = sorted(
        {material.iscms[i] for link in links for i in link.iscm_ids} - set(expected),
        key=lambda iscm: iscm.acronym,
    )
    columns = expected + others
    column_of = {iscm.pk: n for n, iscm in enumerate(columns)}

    inputs_on: dict[int, list[_Link]] = defaultdict(list)  # objective id → links
    for input_id, objective_id in sorted(set(material.objective_pairs)):
        link = by_input.get(input_id)
        if link is not None:
            inputs_on[objective_id].append(link)

    tables = []
    for table in RoundTable:
        rows, table_inputs, table_iscms, responses = [], set(), set(), 0
        for objective in reference["objectives"]:
            if objective.round_table != table:
                continue
            cells = [[] for _column in columns]
            iscm_ids = set()
            for link in inputs_on.get(objective.pk, []):
                for iscm_id in dict.fromkeys(link.iscm_ids):
                    cells[column_of[iscm_id]].append(link.ref)
                    iscm_ids.add(iscm_id)
                table_inputs.add(link.ref.pk)
            responses += len(inputs_on.get(objective.pk, []))
            table_iscms |= iscm_ids
            rows.append(
                ObjectiveRow(
                    objective=objective,
                    cells=cells,
                    inputs=len(inputs_on.get(objective.pk, [])),
                    iscms=len(iscm_ids),
                )
            )
        tables.append(
            RoundTableCoverage(
                round_table=table,
                objectives=rows,
                inputs=len(table_inputs),
                iscms=len(table_iscms),
                responses=responses,
                covered=sum(1 for row in rows if row.inputs),
            )
        )
    return Coverage(
        iscms=columns,
        expected_ids=expected_ids,
        inputs=[link.ref for link in links],
        round_tables=tables,
        **{
            kind: [(row, material.choices.get(kind, {}).get(row.pk, 0)) for row in reference[kind]]
            for kind in _CHOICE_MODELS
        },
    )


def _change(previous, material: _Material, now: Coverage, *, public) -> Change:
    before = None if previous is None else _coverage(previous, material, public=public)
    before_rows = {row.objective.pk: row.iscms for row in before.objective_rows} if before else {}
    objectives = [
        ObjectiveChange(
            objective=row.objective, before=before_rows.get(row.objective.pk, 0), now=row.iscms
        )
        for row in now.objective_rows
    ]
    not_yet = []
    if before is not None:
        reporting_now = {i for ref in now.inputs for i in ref.iscm_ids}
        reported_before = {i for ref in before.inputs for i in ref.iscm_ids}
        not_yet = [
            iscm
            for iscm in before.iscms
            if iscm.pk in reported_before and iscm.pk not in reporting_now
        ]
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
    return _coverage(review, material, public=public)


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
    now = _coverage(review, material, public=public)
    return Dashboard(
        review=review,
        public=public,
        standings=_standings(review, material, public=public, today=_today(today)),
        coverage=now,
        change=_change(previous, material, now, public=public),
    )


def cross_region(cycle: ReviewCycle, *, public: bool) -> list[RegionSummary]:
    """The cycle's regional reviews side by side (see the module's doc)."""
    reviews = list(
        RegionalReview.objects.filter(cycle=cycle)
        .select_related("region", "cycle")
        .order_by("region__code")
    )
    material = _load(reviews, public=public, choices=False)
    today = timezone.localdate()
    summaries = []
    for review in reviews:
        totals = _standings(review, material, public=public, today=today).totals
        counted = {
            link.ref.pk
            for link in material.links
            if link.review_id == review.pk and _counted(link, public)
        }
        covered = {o for input_id, o in material.objective_pairs if input_id in counted}
        summaries.append(
            RegionSummary(
                review=review,
                expected=totals.expected,
                received=totals.received,
                accepted=totals.accepted,
                published=totals.published,
                inputs=len(counted),
                objectives_covered=len(covered),
            )
        )
    return summaries


__all__ = [
    "STATES",
    "STATE_LABELS",
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
