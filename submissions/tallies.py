"""The numbers of the regional synthesis dashboards, kept as they change.

A regional review's dashboard (`reviews.coverage`) shows, for its counted inputs, how
many there are, which ISCMs they come from, how many report on each GCM objective and
round table, the objectives × ISCMs matrix (with the first inputs of each cell) and the
counts per principle, format, priority and challenge. Counting them over the archive
on every page costs more the more inputs there are; here they are kept in
`CoverageTally` rows, a few hundred per review, changed in the same transaction as
what changes them:

- `workflow._transition` (submission, decisions, publication, withdrawal) and
  `editing.update_details` (partners and reviews of an input back with its
  secretariat) call `before(input)` once the input is locked and `settle(input,
  before)` at the end: the input's contribution is computed before and after, and
  only the difference is written, under a lock on the reviews concerned (two
  decisions in one review take turns on its numbers, never lose one).
- A review without its "built" row (new, or after a bulk load: `seed_bench`,
  `manage.py rebuild_coverage_tallies`) is counted from scratch by `load()` the first
  time it is read, with the GROUP BY queries of `compute()`; `rebuild()` does the same
  on request. `compute()` is also what the tests compare the kept numbers with.

Which inputs count (`counts_for`): `public` — published inputs, for every review they
target; staff — inputs submitted, with changes requested, accepted or published, for
each review whose decision is not "declined". What they say: the live rows of an input
its secretariat cannot edit; the latest submitted version's snapshot of one that is
back with them (changes requested), so a half-edited draft never counts. Its ISCMs:
the lead and the partners.

Kinds (`KINDS`), each a count of counted inputs unless said otherwise: "inputs" (key
0); "iscm" (key: an ISCM, lead or partner); "objective" (key: a GCMObjective id);
"round_table" (key: a RoundTable, inputs reporting on at least one of its objectives);
"responses" (key: a RoundTable, (input, objective) pairs); "cell" (key: an objective,
iscm: an ISCM; `examples`: the ids of its first CELL_EXAMPLES inputs); "principles",
"formats", "priorities", "challenges" (key: the row's id). And, for the standings,
"group" (key: an ISCM, lead or partner; iscm: `group_code(status, decision)`;
`examples`: its first input): the inputs of that ISCM the review has, in that status
and with that decision, counted or not — every input but the withdrawn ones for staff,
the published ones for the public.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, F, Min, OuterRef, Q, Subquery, Window
from django.db.models.functions import RowNumber

from . import practice_tallies
from .languages import source_text
from .models import (
    Challenge,
    ContributionFormat,
    CoverageTally,
    Decision,
    GCMObjective,
    GuidingPrinciple,
    InputPartner,
    InputTarget,
    InputVersion,
    ObjectiveResponse,
    Priority,
    RegionalReview,
    Status,
    WrittenInput,
)

CELL_EXAMPLES = 3
BUILT = "built"
CHOICES = {
    "principles": (GuidingPrinciple, "guidingprinciple_id"),
    "formats": (ContributionFormat, "contributionformat_id"),
    "priorities": (Priority, "priority_id"),
    "challenges": (Challenge, "challenge_id"),
}
KINDS = ("inputs", "iscm", "objective", "round_table", "responses", "cell", *CHOICES, "group")
_STATUSES, _DECISIONS = tuple(Status.values), tuple(Decision.values)


def group_code(status: str, decision: str) -> int:
    """A (status, decision) pair as the number a "group" row keeps."""
    return _STATUSES.index(status) * 10 + _DECISIONS.index(decision)


def group_key(code: int) -> tuple[str, str]:
    """The (status, decision) pair of a "group" row's number."""
    return _STATUSES[code // 10], _DECISIONS[code % 10]


def _examples_kept(kind: str) -> int:
    return 1 if kind == "group" else CELL_EXAMPLES


AUDIENCES = (True, False)  # public, staff
# The ISCMs of an input, as seen from a row that reaches the input through a prefix:
# its lead, and (a second query) each partner.
_LEAD, _PARTNER = "lead_iscm_id", "inputpartner__iscm_id"


@dataclass
class Tally:
    """One review's numbers for one audience, as `reviews.coverage` reads them."""

    inputs: int = 0
    # objective id → ISCM id → [count, first ids]
    cells: dict = field(default_factory=lambda: defaultdict(dict))
    # ISCM id → group_code → [count, [first id]]: the standings
    groups: dict = field(default_factory=lambda: defaultdict(dict))
    per_objective: dict = field(default_factory=lambda: defaultdict(int))
    per_round_table: dict = field(default_factory=lambda: defaultdict(int))  # distinct inputs
    responses: dict = field(default_factory=lambda: defaultdict(int))  # per round table
    choices: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    iscms: dict = field(default_factory=lambda: defaultdict(int))  # ISCM id → inputs

    @property
    def iscm_ids(self) -> frozenset:
        """The ISCMs (lead or partner) of the counted inputs."""
        return frozenset(pk for pk, n in self.iscms.items() if n)

    def rows(self) -> list[tuple[str, int, int, int, list]]:
        """(kind, key, iscm, count, examples) of every number that is not 0."""
        rows = [("inputs", 0, 0, self.inputs, [])] if self.inputs else []
        for kind, numbers in (
            ("iscm", self.iscms),
            ("objective", self.per_objective),
            ("round_table", self.per_round_table),
            ("responses", self.responses),
        ):
            rows += [(kind, int(key), 0, n, []) for key, n in numbers.items() if n]
        for objective_id, by_iscm in self.cells.items():
            rows += [
                ("cell", objective_id, iscm_id, n, sorted(firsts)[:CELL_EXAMPLES])
                for iscm_id, (n, firsts) in by_iscm.items()
                if n
            ]
        for kind, numbers in self.choices.items():
            rows += [(kind, key, 0, n, []) for key, n in numbers.items() if n]
        for iscm_id, by_code in self.groups.items():
            rows += [
                ("group", iscm_id, code, n, sorted(firsts)[:1])
                for code, (n, firsts) in by_code.items()
                if n
            ]
        return rows

    def add(self, kind: str, key: int, iscm: int, count: int, examples: list) -> None:
        if kind == "inputs":
            self.inputs = count
        elif kind == "iscm":
            self.iscms[key] = count
        elif kind == "objective":
            self.per_objective[key] = count
        elif kind == "round_table":
            self.per_round_table[key] = count
        elif kind == "responses":
            self.responses[key] = count
        elif kind == "cell":
            self.cells[key][iscm] = [count, list(examples)]
        elif kind == "group":
            self.groups[key][iscm] = [count, list(examples)]
        elif kind in CHOICES:
            self.choices[kind][key] = count


def counts_for(status: str, decision: str, *, public: bool) -> bool:
    """Whether an input in `status` counts for a review that decided `decision`."""
    if public:
        return status == Status.PUBLISHED
    return status in Status.DECIDED_ON and decision != Decision.DECLINED


def _counted_q(prefix: str, *, public: bool) -> Q:
    """The target links (`prefix` leads from the queried model to InputTarget) whose
    input counts for their review; `counts_for` as a query."""
    if public:
        return Q(**{f"{prefix}writteninput__status": Status.PUBLISHED})
    return Q(**{f"{prefix}writteninput__status__in": Status.DECIDED_ON}) & ~Q(
        **{f"{prefix}decision": Decision.DECLINED}
    )


# --- From scratch ---------------------------------------------------------------------


def compute(review_ids: list[int], *, public: bool) -> dict[int, Tally]:
    """review id → Tally of its counted inputs, counted by the database in a fixed
    number of queries; the snapshots of the inputs back with their secretariat are
    added one by one (a handful in a review)."""
    tallies = {pk: Tally() for pk in review_ids}
    round_table_of = dict(GCMObjective.objects.values_list("pk", "round_table"))
    counted = InputTarget.objects.filter(regionalreview__in=review_ids).filter(
        _counted_q("", public=public)
    )
    for review_id, n in (
        counted.values_list("regionalreview_id").annotate(n=Count("pk")).order_by()
    ):
        tallies[review_id].inputs = n
    for column in (_LEAD, _PARTNER):
        # An ISCM never both leads and partners one input: the two counts add up.
        for review_id, iscm_id, n in (
            counted.filter(**{f"writteninput__{column}__isnull": False})
            .values_list("regionalreview_id", f"writteninput__{column}")
            .annotate(n=Count("writteninput_id", distinct=True))
            .order_by()
        ):
            tallies[review_id].iscms[iscm_id] += n

    _count_groups(review_ids, tallies, public=public)

    # Objective responses of live content, through the target link of their review.
    link = "input__target_links__"
    responses = ObjectiveResponse.objects.filter(
        Q(**{f"{link}regionalreview__in": review_ids}),
        _counted_q(link, public=public),
        ~Q(input__status__in=Status.EDITABLE),
    )
    for review_id, objective_id, n in (
        responses.values_list(f"{link}regionalreview_id", "objective_id")
        .annotate(n=Count("input_id", distinct=True))
        .order_by()
    ):
        tallies[review_id].per_objective[objective_id] += n
        tallies[review_id].responses[round_table_of[objective_id]] += n
    for review_id, table, n in (
        responses.values_list(f"{link}regionalreview_id", "objective__round_table")
        .annotate(n=Count("input_id", distinct=True))
        .order_by()
    ):
        tallies[review_id].per_round_table[table] += n
    for column in ("input__" + _LEAD, "input__" + _PARTNER):
        partition = [F(f"{link}regionalreview_id"), F("objective_id"), F(column)]
        cells = (
            responses.filter(**{f"{column}__isnull": False})
            .annotate(
                place=Window(RowNumber(), partition_by=partition, order_by=F("input_id").asc()),
                n=Window(Count("input_id"), partition_by=partition),
            )
            .filter(place__lte=CELL_EXAMPLES)
            .values_list(f"{link}regionalreview_id", "objective_id", column, "input_id", "n")
            .order_by()
        )
        for review_id, objective_id, iscm_id, input_id, n in cells:
            cell = tallies[review_id].cells[objective_id].setdefault(iscm_id, [0, []])
            cell[0] = max(cell[0], n)  # the same on every row of the partition
            cell[1].append(input_id)

    wlink = "writteninput__target_links__"
    for kind, (_model, column) in CHOICES.items():
        through = getattr(WrittenInput, kind).through
        for review_id, row_id, n in (
            through.objects.filter(
                Q(**{f"{wlink}regionalreview__in": review_ids}),
                _counted_q(wlink, public=public),
                ~Q(writteninput__status__in=Status.EDITABLE),
            )
            .values_list(f"{wlink}regionalreview_id", column)
            .annotate(n=Count("writteninput_id", distinct=True))
            .order_by()
        ):
            tallies[review_id].choices[kind][row_id] += n

    if not public:  # a published input is never editable: no snapshot to read
        _add_snapshots(counted.filter(writteninput__status__in=Status.EDITABLE), tallies)
    for tally in tallies.values():
        for by_iscm in tally.cells.values():
            for cell in by_iscm.values():
                cell[1] = sorted(cell[1])[:CELL_EXAMPLES]
    return tallies


def _in_groups(targets, *, public: bool):
    """The target links the standings count: published (public), not withdrawn (staff)."""
    if public:
        return targets.filter(writteninput__status=Status.PUBLISHED)
    return targets.exclude(writteninput__status=Status.WITHDRAWN)


def _count_groups(review_ids, tallies, *, public: bool) -> None:
    """Per review, ISCM (lead, then partner), status and decision: how many inputs, the
    oldest."""
    targets = _in_groups(InputTarget.objects.filter(regionalreview__in=review_ids), public=public)
    for column in (_LEAD, _PARTNER):
        for review_id, iscm_id, status, decision, n, first in (
            targets.filter(**{f"writteninput__{column}__isnull": False})
            .values_list(
                "regionalreview_id", f"writteninput__{column}", "writteninput__status", "decision"
            )
            .annotate(n=Count("writteninput_id", distinct=True), first=Min("writteninput_id"))
            .order_by()
        ):
            group = (
                tallies[review_id]
                .groups[iscm_id]
                .setdefault(group_code(status, decision), [0, []])
            )
            group[0] += n  # an ISCM leads some inputs in this state and partners others
            group[1] = sorted([*group[1], first])[:1]


def _add_snapshots(editable, tallies) -> None:
    """Add what the latest versions of the counted inputs back with their secretariat
    say (their live rows may hold unsubmitted edits)."""
    input_ids = list(editable.values_list("writteninput_id", flat=True).distinct())
    if not input_ids:
        return
    reference = _Reference()
    snapshots = _latest_snapshots(input_ids)
    iscms_of = _iscms_of(input_ids)
    for review_id, input_id in editable.values_list("regionalreview_id", "writteninput_id"):
        said = reference.read_snapshot(snapshots.get(input_id, {}))
        _count_into(tallies[review_id], input_id, said, iscms_of[input_id], reference)


def _count_into(tally: Tally, input_id: int, said: dict, iscms: list[int], reference) -> None:
    """Add one input's content (read from a snapshot); its "inputs" and "iscm" are
    counted with the live rows."""
    for kind, entry_key, n in _entries(said, iscms, reference):
        if kind == "cell":
            objective_id, iscm_id = entry_key
            cell = tally.cells[objective_id].setdefault(iscm_id, [0, []])
            cell[0] += n
            cell[1].append(input_id)
        elif kind == "objective":
            tally.per_objective[entry_key] += n
        elif kind == "round_table":
            tally.per_round_table[entry_key] += n
        elif kind == "responses":
            tally.responses[entry_key] += n
        elif kind in CHOICES:
            tally.choices[kind][entry_key] += n


def _entries(said: dict, iscms: list[int], reference) -> list[tuple[str, object, int]]:
    """What one counted input adds, besides "inputs" and "iscm": (kind, key, n)."""
    objectives = said["objectives"]
    tables = Counter(reference.round_table_of[pk] for pk in objectives)
    entries = [("objective", pk, 1) for pk in objectives]
    entries += [("round_table", table, 1) for table in tables]
    entries += [("responses", table, n) for table, n in tables.items()]
    entries += [("cell", (pk, iscm), 1) for pk in objectives for iscm in iscms]
    entries += [(kind, pk, 1) for kind in CHOICES for pk in said[kind]]
    return entries


class _Reference:
    """The reference rows snapshots name by number, letter or English name (five
    small queries, made once)."""

    def __init__(self):
        objectives = list(GCMObjective.objects.values_list("pk", "number", "round_table"))
        self.round_table_of = {pk: table for pk, _number, table in objectives}
        self.objective_by_number = {number: pk for pk, number, _table in objectives}
        self.by_name = {
            "principles": dict(GuidingPrinciple.objects.values_list("letter", "pk")),
            **{
                kind: {source_text(row, "name"): row.pk for row in model.objects.all()}
                for kind, (model, _column) in CHOICES.items()
                if kind != "principles"
            },
        }

    def read_snapshot(self, snapshot: dict) -> dict:
        numbers = {entry.get("number") for entry in snapshot.get("objectives", [])}
        said = {
            "objectives": sorted(
                self.objective_by_number[n] for n in numbers if n in self.objective_by_number
            )
        }
        names = {
            "principles": [p.get("letter") for p in snapshot.get("principles", [])],
            "formats": snapshot.get("formats", []),
            "priorities": snapshot.get("priorities", []),
            "challenges": snapshot.get("challenges", []),
        }
        for kind, listed in names.items():
            said[kind] = sorted({self.by_name[kind][n] for n in listed if n in self.by_name[kind]})
        return said


def _latest_snapshots(input_ids) -> dict[int, dict]:
    latest = InputVersion.objects.filter(input=OuterRef("input")).order_by("-number")
    return dict(
        InputVersion.objects.filter(
            input__in=input_ids, number=Subquery(latest.values("number")[:1])
        ).values_list("input_id", "snapshot")
    )


def _iscms_of(input_ids) -> dict[int, list[int]]:
    """input id → its lead, then its partners."""
    iscms = {
        pk: [lead]
        for pk, lead in WrittenInput.objects.filter(pk__in=input_ids).values_list(
            "pk", "lead_iscm_id"
        )
    }
    for input_id, iscm_id in InputPartner.objects.filter(writteninput__in=input_ids).values_list(
        "writteninput_id", "iscm_id"
    ):
        if iscm_id not in iscms[input_id]:
            iscms[input_id].append(iscm_id)
    return defaultdict(list, iscms)


def rebuild(review_ids) -> None:
    """Count the reviews' numbers from scratch and replace the kept ones."""
    review_ids = sorted(set(review_ids))
    if not review_ids:
        return
    with transaction.atomic():
        list(RegionalReview.objects.select_for_update().filter(pk__in=review_ids).order_by("pk"))
        CoverageTally.objects.filter(review__in=review_ids).delete()
        rows = []
        for public in AUDIENCES:
            for review_id, tally in compute(review_ids, public=public).items():
                rows.append(CoverageTally(review_id=review_id, public=public, kind=BUILT))
                rows += [
                    CoverageTally(
                        review_id=review_id,
                        public=public,
                        kind=kind,
                        key=key,
                        iscm=iscm,
                        count=count,
                        examples=examples,
                    )
                    for kind, key, iscm, count, examples in tally.rows()
                ]
        CoverageTally.objects.bulk_create(rows, batch_size=1000)


def load(review_ids, *, public: bool) -> dict[int, Tally]:
    """review id → its kept Tally for the audience; reviews never counted are counted
    first (`rebuild`)."""
    review_ids = list(review_ids)
    built = set(
        CoverageTally.objects.filter(review__in=review_ids, public=public, kind=BUILT).values_list(
            "review_id", flat=True
        )
    )
    if missing := [pk for pk in review_ids if pk not in built]:
        rebuild(missing)
    tallies = {pk: Tally() for pk in review_ids}
    for review_id, kind, key, iscm, count, examples in (
        CoverageTally.objects.filter(review__in=review_ids, public=public)
        .exclude(kind=BUILT)
        .values_list("review_id", "kind", "key", "iscm", "count", "examples")
    ):
        tallies[review_id].add(kind, key, iscm, count, examples)
    return tallies


# --- Kept as things change ------------------------------------------------------------


def contribution(written_input: WrittenInput) -> Counter:
    """What the input adds to the numbers as it stands in the database now:
    (review id, public, kind, key, iscm) → n."""
    found = Counter()
    targets = list(
        InputTarget.objects.filter(writteninput=written_input.pk).values_list(
            "regionalreview_id", "decision", "writteninput__status"
        )
    )
    if not targets:
        return found
    status = targets[0][2]
    iscms = _iscms_of([written_input.pk])[written_input.pk]
    for public in AUDIENCES:
        for review_id, decision, _status in targets:
            if status == Status.PUBLISHED or (not public and status != Status.WITHDRAWN):
                code = group_code(status, decision)
                for iscm in iscms:
                    found[(review_id, public, "group", iscm, code)] += 1
    counted = [
        (review_id, public)
        for public in AUDIENCES
        for review_id, decision, _status in targets
        if counts_for(status, decision, public=public)
    ]
    if not counted:
        return found
    reference = _Reference()
    if status in Status.EDITABLE:
        said = reference.read_snapshot(
            _latest_snapshots([written_input.pk]).get(written_input.pk, {})
        )
    else:
        said = _live(written_input.pk)
    for review_id, public in counted:
        found[(review_id, public, "inputs", 0, 0)] += 1
        for iscm in iscms:
            found[(review_id, public, "iscm", iscm, 0)] += 1
        for kind, key, n in _entries(said, iscms, reference):
            key, iscm = key if kind == "cell" else (key, 0)
            found[(review_id, public, kind, key, iscm)] += n
    return found


def _live(input_id: int) -> dict:
    said = {
        "objectives": sorted(
            ObjectiveResponse.objects.filter(input=input_id).values_list("objective_id", flat=True)
        )
    }
    for kind, (_model, column) in CHOICES.items():
        through = getattr(WrittenInput, kind).through
        said[kind] = sorted(
            through.objects.filter(writteninput=input_id).values_list(column, flat=True)
        )
    return said


NOTHING_YET = (Counter(), Counter())  # what an input about to be created contributes


def before(written_input: WrittenInput) -> tuple[Counter, Counter]:
    """Call once the input is locked, before changing it; pass the result to
    `settle`. Covers the practices list's counts too (`practice_tallies`)."""
    return contribution(written_input), practice_tallies.contribution(written_input)


def settle(written_input: WrittenInput, earlier: tuple[Counter, Counter]) -> None:
    """Write the difference the change made to the input's contribution."""
    coverage_before, practices_before = earlier
    delta = Counter(contribution(written_input))
    delta.subtract(coverage_before)
    delta = {entry: n for entry, n in delta.items() if n}
    if delta:
        _apply(delta, written_input.pk)
    practices = Counter(practice_tallies.contribution(written_input))
    practices.subtract(practices_before)
    practice_tallies.apply(practices)


def _apply(delta: dict, input_id: int) -> None:
    review_ids = sorted({review_id for review_id, *_rest in delta})
    # One review's numbers change one transaction at a time (a no-op on SQLite, whose
    # writes take turns anyway).
    list(RegionalReview.objects.select_for_update().filter(pk__in=review_ids).order_by("pk"))
    built = set(
        CoverageTally.objects.filter(review__in=review_ids, kind=BUILT).values_list(
            "review_id", "public"
        )
    )
    delta = {entry: n for entry, n in delta.items() if (entry[0], entry[1]) in built}
    if not delta:
        return  # counted from scratch when first read
    rows = {
        (row.review_id, row.public, row.kind, row.key, row.iscm): row
        for row in CoverageTally.objects.filter(
            review__in=review_ids, kind__in={entry[2] for entry in delta}
        )
    }
    created, changed, emptied, refill = [], [], [], []
    for entry, n in delta.items():
        review_id, public, kind, key, iscm = entry
        row = rows.get(entry)
        if row is None:
            row = CoverageTally(review_id=review_id, public=public, kind=kind, key=key, iscm=iscm)
            created.append(row)
        elif row not in changed:
            changed.append(row)
        row.count = max(row.count + n, 0)
        if kind in ("cell", "group"):
            kept = _examples_kept(kind)
            examples = [pk for pk in row.examples if pk != input_id]
            if n > 0:
                examples = sorted([*examples, input_id])[:kept]
            elif len(examples) < min(row.count, kept):
                refill.append(row)
            row.examples = examples
        if row.count == 0 and row.pk:
            emptied.append(row.pk)
    for row in refill:
        row.examples = _first_inputs(row, exclude=input_id)
    CoverageTally.objects.bulk_create([row for row in created if row.count])
    changed = [row for row in changed if row.count]
    if changed:
        CoverageTally.objects.bulk_update(changed, ["count", "examples"])
    if emptied:
        CoverageTally.objects.filter(pk__in=emptied).delete()


def _first_inputs(row: CoverageTally, *, exclude: int) -> list[int]:
    """The first inputs of a cell or a group, read again once one of them has left it."""
    if row.kind == "group":
        status, decision = group_key(row.iscm)
        return list(
            InputTarget.objects.filter(
                Q(writteninput__lead_iscm=row.key) | Q(writteninput__inputpartner__iscm=row.key),
                regionalreview=row.review_id,
                writteninput__status=status,
                decision=decision,
            )
            .exclude(writteninput=exclude)
            .values_list("writteninput_id", flat=True)
            .order_by("writteninput_id")
            .distinct()[:1]
        )
    link = "input__target_links__"
    live = (
        ObjectiveResponse.objects.filter(
            Q(objective=row.key, **{f"{link}regionalreview": row.review_id}),
            _counted_q(link, public=row.public),
            ~Q(input__status__in=Status.EDITABLE),
            Q(input__lead_iscm=row.iscm) | Q(input__inputpartner__iscm=row.iscm),
        )
        .exclude(input=exclude)
        .values_list("input_id", flat=True)
        .order_by("input_id")
        .distinct()[:CELL_EXAMPLES]
    )
    found = list(live)
    if not row.public:
        editable = InputTarget.objects.filter(
            _counted_q("", public=False),
            regionalreview=row.review_id,
            writteninput__status__in=Status.EDITABLE,
        ).exclude(writteninput=exclude)
        tallies = {row.review_id: Tally()}
        _add_snapshots(editable, tallies)
        found += tallies[row.review_id].cells.get(row.key, {}).get(row.iscm, [0, []])[1]
    return sorted(set(found))[:CELL_EXAMPLES]
