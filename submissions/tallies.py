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
  `manage.py rebuild_counts`) is counted from scratch by `load()` the first
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

from collections import Counter

from django.db import transaction
from django.db.models import Case, F, JSONField, Q, Value, When

from . import public_tallies, subject_tallies
from .models import (
    CoverageTally,
    InputTarget,
    ObjectiveResponse,
    RegionalReview,
    Status,
    WrittenInput,
)
from .tally_counting import (
    AUDIENCES,
    BUILT,
    CELL_EXAMPLES,
    CHOICES,
    KINDS,
    Reference,
    Tally,
    add_snapshots,
    compute,
    counted_q,
    counts_for,
    entries_of,
    examples_kept,
    group_code,
    group_key,
    iscms_of,
    latest_snapshots,
)

__all__ = [
    "AUDIENCES",
    "BUILT",
    "CELL_EXAMPLES",
    "CHOICES",
    "KINDS",
    "NOTHING_YET",
    "Tally",
    "before",
    "compute",
    "contribution",
    "counts_for",
    "group_code",
    "group_key",
    "load",
    "rebuild",
    "settle",
]


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


def count_everything_again(review_ids=None) -> None:
    """Count every kept number again from the inputs: the reviews' (all, or
    `review_ids`), the public lists', the ISCMs' subjects, and every input's facet
    keys. After a bulk load or a restore (`manage.py rebuild_counts`), and after a
    change of reference data that moves published inputs between the values they are
    counted under (the admin: an ISCM's kind, an objective's round table, a review's
    region, a principle or format deleted), which no workflow step sees."""
    if review_ids is None:
        review_ids = RegionalReview.objects.values_list("pk", flat=True)
    rebuild(review_ids)
    public_tallies.rebuild()
    subject_tallies.rebuild()
    # Outside the lists' locks (see refresh_facet_keys).
    public_tallies.refresh_facet_keys()


def load(review_ids, *, public: bool, kinds=None, examples_of=None) -> dict[int, Tally]:
    """review id → its kept Tally for the audience (only the numbers of `kinds`, when
    given); reviews never counted are counted first (`rebuild`). The first inputs of
    the cells and groups are read for the reviews of `examples_of` (default: all); the
    others' are left empty, not decoded (a previous cycle's dashboard numbers)."""
    review_ids = list(review_ids)
    built = set(
        CoverageTally.objects.filter(review__in=review_ids, public=public, kind=BUILT).values_list(
            "review_id", flat=True
        )
    )
    if missing := [pk for pk in review_ids if pk not in built]:
        rebuild(missing)
    tallies = {pk: Tally() for pk in review_ids}
    examples = F("examples")
    if examples_of is not None:
        examples = Case(
            When(review__in=list(examples_of), then=examples),
            default=Value(None),
            output_field=JSONField(),
        )
    rows = CoverageTally.objects.filter(
        review__in=review_ids, public=public, kind__in=kinds or KINDS
    ).annotate(firsts=examples)
    for review_id, kind, key, iscm, count, firsts in rows.values_list(
        "review_id", "kind", "key", "iscm", "count", "firsts"
    ):
        tallies[review_id].add(kind, key, iscm, count, firsts or [])
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
    iscms = iscms_of([written_input.pk])[written_input.pk]
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
    reference = Reference()
    if status in Status.EDITABLE:
        said = reference.read_snapshot(
            latest_snapshots([written_input.pk]).get(written_input.pk, {})
        )
    else:
        said = _live(written_input.pk)
    for review_id, public in counted:
        found[(review_id, public, "inputs", 0, 0)] += 1
        for iscm in iscms:
            found[(review_id, public, "iscm", iscm, 0)] += 1
        for kind, key, n in entries_of(said, iscms, reference):
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


NOTHING_YET = (Counter(), Counter(), set())  # what an input about to be created contributes


def before(written_input: WrittenInput) -> tuple[Counter, Counter, set]:
    """Call once the input is locked, before changing it; pass the result to
    `settle`. Covers the public lists' counts (`public_tallies`) and the ISCMs'
    subjects (`subject_tallies`) too."""
    return (
        contribution(written_input),
        public_tallies.contribution(written_input),
        subject_tallies.contribution(written_input),
    )


def settle(written_input: WrittenInput, earlier: tuple[Counter, Counter, set]) -> None:
    """Write the difference the change made to the input's contribution."""
    coverage_before, practices_before, subjects_before = earlier
    delta = Counter(contribution(written_input))
    delta.subtract(coverage_before)
    delta = {entry: n for entry, n in delta.items() if n}
    if delta:
        _apply(delta, written_input.pk)
    now_public = public_tallies.contribution(written_input)
    if public_tallies.facet_keys(now_public) != public_tallies.facet_keys(practices_before):
        public_tallies.keep_facet_keys(written_input.pk, now_public)
    practices = Counter(now_public)
    practices.subtract(practices_before)
    public_tallies.apply(practices)
    subject_tallies.apply(
        subjects_before, subject_tallies.contribution(written_input), written_input.pk
    )


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
            kept = examples_kept(kind)
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
            counted_q(link, public=row.public),
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
            counted_q("", public=False),
            regionalreview=row.review_id,
            writteninput__status__in=Status.EDITABLE,
        ).exclude(writteninput=exclude)
        tallies = {row.review_id: Tally()}
        add_snapshots(editable, tallies)
        found += tallies[row.review_id].cells.get(row.key, {}).get(row.iscm, [0, []])[1]
    return sorted(set(found))[:CELL_EXAMPLES]
