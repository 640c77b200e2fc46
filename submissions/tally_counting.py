"""What the regional dashboards count, and counting it from scratch.

`submissions.tallies` keeps the numbers as inputs move (see its docstring for which
inputs count and the kinds of numbers); this module says what one input contributes
(`entries_of`, `Reference` for the rows snapshots name) and counts whole reviews by
GROUP BY (`compute`), which is how a review is counted the first time and what the
tests compare the kept numbers with.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, F, Min, OuterRef, Q, Subquery, Window
from django.db.models.functions import RowNumber

from .languages import source_text
from .models import (
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


def examples_kept(kind: str) -> int:
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


def counted_q(prefix: str, *, public: bool) -> Q:
    """The target links (`prefix` leads from the queried model to InputTarget) whose
    input counts for their review; `counts_for` as a query."""
    if public:
        return Q(**{f"{prefix}writteninput__status": Status.PUBLISHED})
    return Q(**{f"{prefix}writteninput__status__in": Status.DECIDED_ON}) & ~Q(
        **{f"{prefix}decision": Decision.DECLINED}
    )


def compute(review_ids: list[int], *, public: bool) -> dict[int, Tally]:
    """review id → Tally of its counted inputs, counted by the database in a fixed
    number of queries; the snapshots of the inputs back with their secretariat are
    added one by one (a handful in a review)."""
    tallies = {pk: Tally() for pk in review_ids}
    round_table_of = dict(GCMObjective.objects.values_list("pk", "round_table"))
    counted = InputTarget.objects.filter(regionalreview__in=review_ids).filter(
        counted_q("", public=public)
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
        counted_q(link, public=public),
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
            .values_list(
                f"{link}regionalreview_id", "objective_id", column, "input_id", "n", "place"
            )
            .order_by()
        )
        for review_id, objective_id, iscm_id, input_id, n, place in cells:
            cell = tallies[review_id].cells[objective_id].setdefault(iscm_id, [0, []])
            if place == 1:  # n is the same on every row of the partition; an ISCM that
                cell[0] += n  # leads some inputs and partners others adds both
            cell[1].append(input_id)

    wlink = "writteninput__target_links__"
    for kind, (_model, column) in CHOICES.items():
        through = getattr(WrittenInput, kind).through
        for review_id, row_id, n in (
            through.objects.filter(
                Q(**{f"{wlink}regionalreview__in": review_ids}),
                counted_q(wlink, public=public),
                ~Q(writteninput__status__in=Status.EDITABLE),
            )
            .values_list(f"{wlink}regionalreview_id", column)
            .annotate(n=Count("writteninput_id", distinct=True))
            .order_by()
        ):
            tallies[review_id].choices[kind][row_id] += n

    if not public:  # a published input is never editable: no snapshot to read
        add_snapshots(counted.filter(writteninput__status__in=Status.EDITABLE), tallies)
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


def add_snapshots(editable, tallies) -> None:
    """Add what the latest versions of the counted inputs back with their secretariat
    say (their live rows may hold unsubmitted edits)."""
    input_ids = list(editable.values_list("writteninput_id", flat=True).distinct())
    if not input_ids:
        return
    reference = Reference()
    snapshots = latest_snapshots(input_ids)
    iscms = iscms_of(input_ids)
    for review_id, input_id in editable.values_list("regionalreview_id", "writteninput_id"):
        said = reference.read_snapshot(snapshots.get(input_id, {}))
        _count_into(tallies[review_id], input_id, said, iscms[input_id], reference)


def _count_into(tally: Tally, input_id: int, said: dict, iscms: list[int], reference) -> None:
    """Add one input's content (read from a snapshot); its "inputs" and "iscm" are
    counted with the live rows."""
    for kind, entry_key, n in entries_of(said, iscms, reference):
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


def entries_of(said: dict, iscms: list[int], reference) -> list[tuple[str, object, int]]:
    """What one counted input adds, besides "inputs" and "iscm": (kind, key, n)."""
    objectives = said["objectives"]
    tables = Counter(reference.round_table_of[pk] for pk in objectives)
    entries = [("objective", pk, 1) for pk in objectives]
    entries += [("round_table", table, 1) for table in tables]
    entries += [("responses", table, n) for table, n in tables.items()]
    entries += [("cell", (pk, iscm), 1) for pk in objectives for iscm in iscms]
    entries += [(kind, pk, 1) for kind in CHOICES for pk in said[kind]]
    return entries


class Reference:
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


def latest_snapshots(input_ids) -> dict[int, dict]:
    latest = InputVersion.objects.filter(input=OuterRef("input")).order_by("-number")
    return dict(
        InputVersion.objects.filter(
            input__in=input_ids, number=Subquery(latest.values("number")[:1])
        ).values_list("input_id", "snapshot")
    )


def iscms_of(input_ids) -> dict[int, list[int]]:
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
