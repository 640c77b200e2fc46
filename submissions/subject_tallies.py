"""What each ISCM has published on each subject in each cycle, kept as inputs are
published: the public compare pages (`crosscycle`, Source.PUBLISHED), an ISCM's list
of subjects and an objective's "who reported, per cycle" read these rows instead of
ranking and counting every published input of the ISCM (`bench/compare.py`).

A row (`SubjectTally`) per ISCM (lead or partner), cycle and subject — a GCM
objective by number (an `ObjectiveResponse` of the input), or an outline section by key
(a non-empty `SectionResponse` of a section that is not the objectives' table) —
counts the published inputs with text on it and keeps the first EXAMPLES of them in
the order the pages show them: the inputs the ISCM leads first, then the newest
(`[led, id]` pairs, greatest first). It is kept for every region (`region` null) and for
each region the inputs target a review of, the rule of `reviewable_by`: a reviewer of
one region reads its rows (`crosscycle`, Source.LATEST). An input targets one review per
region, of its own cycle (`forms.InputDetailsForm`), so it counts once in a region's
row.

Changed in the transaction of a publication or an unpublication
(`submissions.tallies.before` / `settle`); counted from scratch by `load()` when never
counted (`rebuild()`, also after a bulk load, and after migration 0014 added the
regions), under the PublicTally "built" row of listing "subjects"
(`public_tallies.lock`), so a count from scratch and a publication never lose each
other.
"""

from django.db import transaction
from django.db.models import Case, Count, F, IntegerField, Q, Value, When, Window
from django.db.models.functions import RowNumber

from . import public_tallies
from .models import (
    InputPartner,
    InputTarget,
    ObjectiveResponse,
    OutlineSection,
    SectionResponse,
    Status,
    SubjectTally,
    WrittenInput,
)

SUBJECTS = public_tallies.SUBJECTS
OBJECTIVE, SECTION = SubjectTally.Kind.OBJECTIVE.value, SubjectTally.Kind.SECTION.value
EXAMPLES = 3


def _objective_rows():
    return ObjectiveResponse.objects.all()


def _section_rows():
    return SectionResponse.objects.exclude(section__kind=OutlineSection.Kind.OBJECTIVES).exclude(
        body=""
    )


# --- From scratch ---------------------------------------------------------------------


def compute() -> dict[tuple, list]:
    """(iscm id, cycle id, region id or None, kind, key) → [count, examples] over the
    published inputs, by GROUP BY with a window for the first inputs (eight queries:
    per kind, lead or partner, and every region or each)."""
    found = {}
    subjects = {
        OBJECTIVE: (_objective_rows(), "input", "objective__number"),
        SECTION: (_section_rows(), "input", "section__key"),
    }
    target_region = "input__target_reviews__region_id"
    for kind, (rows, link, subject) in subjects.items():
        rows = rows.filter(input__status=Status.PUBLISHED)
        for column, led in (("input__lead_iscm_id", 1), ("input__inputpartner__iscm_id", 0)):
            for region in (None, target_region):
                selection = rows.filter(**{f"{column}__isnull": False})
                partition = [F(column), F("input__cycle_id"), F(subject)]
                if region is None:
                    selection = selection.annotate(region=Value(None, IntegerField()))
                else:  # a row per target review, one per region
                    selection = selection.filter(**{f"{region}__isnull": False}).annotate(
                        region=F(region)
                    )
                    partition.append(F(region))
                ranked = (
                    selection.annotate(
                        place=Window(RowNumber(), partition_by=partition, order_by=F(link).desc()),
                        n=Window(Count(link), partition_by=partition),
                    )
                    .filter(place__lte=EXAMPLES)
                    .values_list(column, "input__cycle_id", "region", subject, link, "n", "place")
                    .order_by()
                )
                _add(found, kind, led, ranked)
    for entry in found.values():
        entry[1] = sorted(entry[1], reverse=True)[:EXAMPLES]
    return found


def _add(found: dict, kind: str, led: int, ranked) -> None:
    """Add one window query's rows (the first inputs of each partition) to `found`."""
    for iscm_id, cycle_id, region_id, key, input_id, n, place in ranked:
        entry = found.setdefault((iscm_id, cycle_id, region_id, kind, str(key)), [0, []])
        if place == 1:  # n is the same on every row of the partition
            entry[0] += n  # an ISCM leading some inputs and partnering others
        entry[1].append([led, input_id])


def rebuild(*, unless_counted: bool = False) -> None:
    """Count the rows again from scratch (`unless_counted`: only if never counted)."""
    with transaction.atomic():
        built = public_tallies.lock(SUBJECTS)
        if unless_counted and built.count:
            return
        SubjectTally.objects.all().delete()
        SubjectTally.objects.bulk_create(
            [
                SubjectTally(
                    iscm_id=iscm_id,
                    cycle_id=cycle_id,
                    region_id=region_id,
                    kind=kind,
                    key=key,
                    count=count,
                    examples=examples,
                )
                for (iscm_id, cycle_id, region_id, kind, key), (count, examples) in (
                    compute().items()
                )
            ],
            batch_size=1000,
        )
        built.count = 1
        built.save(update_fields=["count"])


def _counted() -> None:
    if not public_tallies.is_counted(SUBJECTS):
        rebuild(unless_counted=True)


def load(iscm_id: int, kind: str, key, *, region=None) -> dict[int, tuple[int, list[int]]]:
    """cycle id → (published inputs of the ISCM with text on the subject, the ids of
    the first EXAMPLES of them in the pages' order): of every region, or (`region`, an
    id) those targeting a review of that region."""
    _counted()
    return {
        cycle_id: (count, [pk for _led, pk in examples])
        for cycle_id, count, examples in SubjectTally.objects.filter(
            iscm=iscm_id, kind=kind, key=str(key), region=region
        ).values_list("cycle_id", "count", "examples")
    }


def subjects_of(iscm_id: int) -> tuple[set[int], set[str]]:
    """The objective numbers and section keys the ISCM's published inputs have text
    on."""
    _counted()
    numbers, keys = set(), set()
    for kind, key in (
        SubjectTally.objects.filter(iscm=iscm_id, region=None)
        .values_list("kind", "key")
        .distinct()
    ):
        if kind == OBJECTIVE:
            numbers.add(int(key))
        else:
            keys.add(key)
    return numbers, keys


def reporters(number: int) -> list[tuple[int, int]]:
    """(cycle id, ISCM id) of every ISCM with a published input on objective `number`."""
    _counted()
    return list(
        SubjectTally.objects.filter(kind=OBJECTIVE, key=str(number), region=None).values_list(
            "cycle_id", "iscm_id"
        )
    )


# --- Kept as things change ------------------------------------------------------------


def contribution(written_input: WrittenInput) -> set[tuple]:
    """(iscm id, cycle id, region id or None, kind, key, led) of every row the input
    counts in now."""
    state = (
        WrittenInput.objects.filter(pk=written_input.pk)
        .values_list("status", "cycle_id", "lead_iscm_id")
        .first()
    )
    if state is None or state[0] != Status.PUBLISHED:
        return set()
    _status, cycle_id, lead_id = state
    subjects = {
        (OBJECTIVE, str(n))
        for n in _objective_rows()
        .filter(input=written_input.pk)
        .values_list("objective__number", flat=True)
    }
    subjects |= {
        (SECTION, key)
        for key in _section_rows()
        .filter(input=written_input.pk)
        .values_list("section__key", flat=True)
    }
    iscms = {lead_id: 1}
    for iscm_id in InputPartner.objects.filter(writteninput=written_input.pk).values_list(
        "iscm_id", flat=True
    ):
        iscms.setdefault(iscm_id, 0)
    regions = {None} | set(
        InputTarget.objects.filter(writteninput=written_input.pk).values_list(
            "regionalreview__region_id", flat=True
        )
    )
    return {
        (iscm_id, cycle_id, region_id, kind, key, led)
        for iscm_id, led in iscms.items()
        for region_id in regions
        for kind, key in subjects
    }


def apply(earlier: set, now: set, input_id: int) -> None:
    """Write the difference between the input's rows `earlier` and `now`, if the rows
    were ever counted."""
    added, removed = now - earlier, earlier - now
    if not added and not removed:
        return
    if not public_tallies.lock(SUBJECTS).count:
        return  # counted from scratch when first read, after this commits
    changes = {}
    for entry in removed:
        changes.setdefault(entry[:5], []).append((-1, entry[5]))
    for entry in added:
        changes.setdefault(entry[:5], []).append((1, entry[5]))
    rows = {
        (row.iscm_id, row.cycle_id, row.region_id, row.kind, row.key): row
        for row in SubjectTally.objects.filter(
            iscm__in={key[0] for key in changes}, key__in={key[4] for key in changes}
        )
    }
    created, changed, emptied = [], [], []
    for key, steps in changes.items():
        row = rows.get(key)
        if row is None:
            iscm_id, cycle_id, region_id, kind, subject = key
            row = SubjectTally(
                iscm_id=iscm_id, cycle_id=cycle_id, region_id=region_id, kind=kind, key=subject
            )
            created.append(row)
        elif row not in changed:
            changed.append(row)
        for n, led in steps:
            row.count = max(row.count + n, 0)
            examples = [pair for pair in row.examples if pair[1] != input_id]
            if n > 0:
                examples = sorted([*examples, [led, input_id]], reverse=True)[:EXAMPLES]
            row.examples = examples
        if len(row.examples) < min(row.count, EXAMPLES):
            row.examples = _first(row, exclude=input_id)
        if row.count == 0 and row.pk:
            emptied.append(row.pk)
    SubjectTally.objects.bulk_create([row for row in created if row.count])
    changed = [row for row in changed if row.count]
    if changed:
        SubjectTally.objects.bulk_update(changed, ["count", "examples"])
    if emptied:
        SubjectTally.objects.filter(pk__in=emptied).delete()


def _first(row: SubjectTally, *, exclude: int) -> list[list[int]]:
    """The row's first inputs, read again once one of them has left it."""
    rows = _objective_rows() if row.kind == OBJECTIVE else _section_rows()
    subject = (
        Q(objective__number=int(row.key)) if row.kind == OBJECTIVE else Q(section__key=row.key)
    )
    with_text = rows.filter(subject).values("input")
    partners = InputPartner.objects.filter(iscm=row.iscm_id).values("writteninput")
    inputs = WrittenInput.objects.all()
    if row.region_id is not None:
        targeting = InputTarget.objects.filter(regionalreview__region=row.region_id)
        inputs = inputs.filter(pk__in=targeting.values("writteninput"))
    inputs = (
        inputs.filter(
            Q(lead_iscm=row.iscm_id) | Q(pk__in=partners),
            pk__in=with_text,
            status=Status.PUBLISHED,
            cycle=row.cycle_id,
        )
        .exclude(pk=exclude)
        .annotate(
            led=Case(
                When(lead_iscm=row.iscm_id, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        .order_by("-led", "-pk")
        .values_list("led", "pk")[:EXAMPLES]
    )
    return [list(pair) for pair in inputs]
