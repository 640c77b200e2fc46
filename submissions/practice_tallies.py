"""The counts of the public practices list, kept as inputs are published.

A practice (`public.practices`) is a non-empty "practices worth sharing" text of a
published input whose lead ISCM consents. The list shows, over the whole archive, how
many there are and how many per cycle, region (of the input's reviews), ISCM (lead or
partner), objective and guiding principle. Counting them on every page costs more the
more the archive holds; here they are kept in `PracticeTally` rows (one per facet
value), changed in the same transaction as publication or unpublication
(`submissions.tallies.before` / `settle` call `contribution` before and after) and
counted from scratch by `load()` when never counted (`rebuild()`, after a bulk load).
The counts with filters applied are still counted by the list itself, over the
filtered rows only.
"""

from collections import Counter

from django.db import transaction
from django.db.models import Count

from .models import ObjectiveResponse, PracticeTally, Status, WrittenInput

BUILT = "built"
FACETS = ("total", "cycle", "region", "iscm", "objective", "principle")
# facet → the column that names its value, from a practice (ObjectiveResponse)
_COLUMNS = {
    "cycle": ("input__cycle",),
    "region": ("input__target_links__regionalreview__region",),
    # An ISCM is never lead and partner of the same input: the two counts add up.
    "iscm": ("input__lead_iscm", "input__partner_iscms"),
    "objective": ("objective",),
    "principle": ("input__principles",),
}


def public_practices():
    """Every public practice: a non-empty text of a published, consented input."""
    # Conditions on the input joined (not a subquery), so the list's newest-first order
    # reads the index on (status, published_at, id) and stops at a page.
    return ObjectiveResponse.objects.filter(
        input__status=Status.PUBLISHED, input__publication_consent=True
    ).exclude(practices="")


def compute() -> Counter:
    """(facet, key) → count over the archive, by GROUP BY (one query per column)."""
    counts = Counter()
    practices = public_practices()
    counts[("total", 0)] = practices.count()
    for facet, columns in _COLUMNS.items():
        for column in columns:
            for key, n in practices.order_by().values_list(column).annotate(n=Count("pk")):
                if key is not None:
                    counts[(facet, key)] += n
    return counts


def rebuild() -> None:
    """Count the practices again from scratch and replace the kept numbers."""
    with transaction.atomic():
        # Publications wait for the count (they change the rows it reads).
        PracticeTally.objects.select_for_update().filter(facet=BUILT).first()
        PracticeTally.objects.all().delete()
        rows = [PracticeTally(facet=BUILT)]
        rows += [
            PracticeTally(facet=facet, key=key, count=n)
            for (facet, key), n in compute().items()
            if n
        ]
        PracticeTally.objects.bulk_create(rows, batch_size=1000)


def load() -> dict[str, dict[int, int]]:
    """facet → {value id → count}, and "total" → {0: count}; counted first when the
    numbers were never counted."""
    rows = list(PracticeTally.objects.values_list("facet", "key", "count"))
    if not any(facet == BUILT for facet, _key, _n in rows):
        rebuild()
        rows = list(PracticeTally.objects.values_list("facet", "key", "count"))
    found = {facet: {} for facet in FACETS}
    for facet, key, n in rows:
        if facet in found:
            found[facet][key] = n
    return found


def contribution(written_input: WrittenInput) -> Counter:
    """What the input adds to the counts as it stands in the database now."""
    found = Counter()
    state = (
        WrittenInput.objects.filter(pk=written_input.pk)
        .values_list("status", "publication_consent", "cycle_id", "lead_iscm_id")
        .first()
    )
    if state is None or state[0] != Status.PUBLISHED or not state[1]:
        return found
    _status, _consent, cycle_id, lead_id = state
    objectives = list(
        ObjectiveResponse.objects.filter(input=written_input.pk)
        .exclude(practices="")
        .values_list("objective_id", flat=True)
    )
    if not objectives:
        return found
    regions = set(
        written_input.target_reviews.through.objects.filter(
            writteninput=written_input.pk
        ).values_list("regionalreview__region_id", flat=True)
    )
    partners = list(
        written_input.partner_iscms.through.objects.filter(
            writteninput=written_input.pk
        ).values_list("iscm_id", flat=True)
    )
    principles = list(
        written_input.principles.through.objects.filter(writteninput=written_input.pk).values_list(
            "guidingprinciple_id", flat=True
        )
    )
    n = len(objectives)
    found[("total", 0)] += n
    found[("cycle", cycle_id)] += n
    for region_id in regions:
        found[("region", region_id)] += n
    for iscm_id in {lead_id, *partners}:
        found[("iscm", iscm_id)] += n
    for objective_id in objectives:
        found[("objective", objective_id)] += 1
    for principle_id in set(principles):
        found[("principle", principle_id)] += n
    return found


def apply(delta: dict) -> None:
    """Add `delta` ((facet, key) → n) to the kept numbers, if they were ever counted."""
    delta = {entry: n for entry, n in delta.items() if n}
    if not delta:
        return
    # Locks the "built" row: two publications change the numbers one after the other.
    if PracticeTally.objects.select_for_update().filter(facet=BUILT).first() is None:
        return  # counted from scratch when first read
    rows = {
        (row.facet, row.key): row
        for row in PracticeTally.objects.filter(facet__in={facet for facet, _key in delta})
    }
    created, changed, emptied = [], [], []
    for (facet, key), n in delta.items():
        row = rows.get((facet, key))
        if row is None:
            created.append(PracticeTally(facet=facet, key=key, count=max(n, 0)))
            continue
        row.count = max(row.count + n, 0)
        (changed if row.count else emptied).append(row)
    PracticeTally.objects.bulk_create([row for row in created if row.count])
    if changed:
        PracticeTally.objects.bulk_update(changed, ["count"])
    if emptied:
        PracticeTally.objects.filter(pk__in=[row.pk for row in emptied]).delete()
