"""The counts of the public lists over the whole archive, kept as inputs are published.

The contributions list (`public.browse`) and the practices list (`public.practices`)
show, unfiltered, how many entries there are and how many per value of each facet.
Counting them on every page costs more the more the archive holds; here they are kept
in `PublicTally` rows (one per list, facet and value), changed in the same
transaction as a publication or an unpublication (`submissions.tallies.before` /
`settle` call `contribution` before and after) and counted from scratch by `load()`
when a list was never counted (`rebuild()`, also after a bulk load). The counts of a
filtered list are still counted by the list itself, over the filtered rows.

What counts. Contributions: every published input. Practices: every non-empty
"practices worth sharing" text of a published input whose lead ISCM consents. Facets
and their keys (as the lists' query strings name them, kept as text):

- contributions: cycle, region (of its reviews), iscm (lead or partner), kind (of its
  ISCMs: RCP, IRF, GLOBAL; an input counts once per kind), objective (inputs reporting
  on it), round_table (inputs reporting on one of its objectives), principle, format,
  language, joint ("joint" with partners, else "direct"); and, not shown as facets, per
  cycle the sums that name its publication state (`STATE_FACETS`: the published
  inputs' ids, published version numbers and publication times (`_moment`)),
  which the open data's frozen files are named after (`public.opendata_cycles`);
- practices: cycle, region, iscm, objective, principle (each practice counted once
  per value).

A filtered list counts its facets over a bounded set of inputs (`public.browse`). So
that no value of every input has to be read for it, each published input keeps the
"facet:value" keys it counts under (`WrittenInput.facet_keys`, with "total:"), written
with its numbers (`keep_facet_keys`, from `contribution`); `count_facets` adds them up
for several sets of inputs in one query, and fills in the keys of any input that has
none yet (after a bulk load or the migration that made them: `refresh_facet_keys`).
A change of reference data that moves published inputs between facet values (an ISCM's
kind, an objective's round table, a review's region, a principle or format deleted)
has every number and key counted again (`tallies.count_everything_again`, called by
the admin on such a change and by `manage.py rebuild_counts`).
"""

from collections import Counter

from django.db import connection, transaction
from django.db.models import Count, Q
from django.dispatch import Signal

from .models import ISCM, ObjectiveResponse, PublicTally, Status, WrittenInput

# Inputs whose facet keys are computed together by `refresh_facet_keys`.
_KEYS_CHUNK = 2000

BUILT = "built"
TOTAL = "total"
CONTRIBUTIONS = PublicTally.Listing.CONTRIBUTIONS.value
PRACTICES = PublicTally.Listing.PRACTICES.value
SUBJECTS = PublicTally.Listing.SUBJECTS.value  # `subject_tallies`: only its "built" row
JOINT, DIRECT = "joint", "direct"
FACETS = {
    CONTRIBUTIONS: (
        "cycle",
        "region",
        "iscm",
        "kind",
        "objective",
        "round_table",
        "principle",
        "format",
        "language",
        "joint",
    ),
    PRACTICES: ("cycle", "region", "iscm", "objective", "principle"),
}
# Per cycle, sums over its published inputs: any change of what is public in a cycle
# (an input published or taken off, a new version published, one published again
# later) changes one of them, and every one can be counted again from scratch.
STATE_FACETS = ("cycle_ids", "cycle_versions", "cycle_times")
# Sent by `apply` when the publication state of cycles changes (an input published, taken
# off or published in a new version), inside the transaction of the change, with
# `cycle_ids`. The public site's generated open-data files listen (`public/apps.py`
# connects `public.tasks.publication_changed`, which builds them after commit): this app
# never imports that one.
publication_changed = Signal()
# Facets whose keys are ids (the others are text: language, kind, joint).
_BY_ID = {
    "cycle",
    "region",
    "iscm",
    "objective",
    "round_table",
    "principle",
    "format",
    *STATE_FACETS,
}


def _state_sums(cycle_id: int, pk: int, version, published_at) -> dict:
    """What one published input adds to its cycle's `STATE_FACETS`."""
    return {
        ("cycle_ids", str(cycle_id)): pk,
        ("cycle_versions", str(cycle_id)): version or 0,
        ("cycle_times", str(cycle_id)): _moment(published_at),
    }


def _moment(published_at) -> int:
    """The publication time to the microsecond (the open data writes it so), folded
    below 2**31 so that a cycle's sum fits in its kept number: two publications of the
    same version a moment apart still differ."""
    if published_at is None:
        return 0
    return round(published_at.timestamp() * 1_000_000) % 2_147_483_647


def public_practices():
    """Every public practice: a non-empty text of a published, consented input."""
    # Conditions on the input joined (not a subquery), so the list's newest-first order
    # reads the index on (status, published_at, id) and stops at a page.
    return ObjectiveResponse.objects.filter(
        input__status=Status.PUBLISHED, input__publication_consent=True
    ).exclude(practices="")


# --- From scratch ---------------------------------------------------------------------


def _grouped(queryset, column: str, n) -> Counter:
    return Counter(
        {
            key: count
            for key, count in queryset.order_by().values_list(column).annotate(n=n)
            if key is not None
        }
    )


def _count_contributions() -> Counter:
    inputs = WrittenInput.objects.published()
    partners = WrittenInput.partner_iscms.through.objects
    found = Counter({(TOTAL, ""): inputs.count()})
    columns = {
        "cycle": (inputs, "cycle", Count("pk")),
        "region": (inputs, "target_links__regionalreview__region", Count("pk")),
        "iscm": (inputs, "lead_iscm", Count("pk")),
        "principle": (inputs, "principles", Count("pk")),
        "format": (inputs, "formats", Count("pk")),
        "language": (inputs, "language", Count("pk")),
        "objective": (inputs, "objective_responses__objective", Count("pk")),
        "round_table": (
            inputs,
            "objective_responses__objective__round_table",
            Count("pk", distinct=True),
        ),
    }
    for facet, (queryset, column, n) in columns.items():
        for key, count in _grouped(queryset, column, n).items():
            found[(facet, str(key))] += count
    for key, count in _grouped(
        partners.filter(writteninput__in=inputs.values("pk")), "iscm", Count("pk")
    ).items():
        found[("iscm", str(key))] += count
    for kind in ISCM.Kind.values:
        found[("kind", kind)] = inputs.filter(
            Q(lead_iscm__kind=kind)
            | Q(pk__in=partners.filter(iscm__kind=kind).values("writteninput"))
        ).count()
    joint = inputs.filter(pk__in=partners.values("writteninput")).count()
    found[("joint", JOINT)] = joint
    found[("joint", DIRECT)] = found[(TOTAL, "")] - joint
    states = inputs.values_list("cycle", "pk", "published_version", "published_at")
    for row in states.order_by().iterator(chunk_size=2000):
        found.update(_state_sums(*row))
    return found


def _count_practices() -> Counter:
    practices = public_practices()
    found = Counter({(TOTAL, ""): practices.count()})
    columns = {
        "cycle": ("input__cycle",),
        "region": ("input__target_links__regionalreview__region",),
        # An ISCM is never lead and partner of the same input: the two counts add up.
        "iscm": ("input__lead_iscm", "input__partner_iscms"),
        "objective": ("objective",),
        "principle": ("input__principles",),
    }
    for facet, names in columns.items():
        for column in names:
            for key, count in _grouped(practices, column, Count("pk")).items():
                found[(facet, str(key))] += count
    return found


def compute(listing: str) -> Counter:
    """(facet, key) → count over the archive, by GROUP BY."""
    counted = _count_contributions() if listing == CONTRIBUTIONS else _count_practices()
    return Counter({entry: n for entry, n in counted.items() if n})


def lock(listing: str) -> PublicTally:
    """The list's "built" row, created if missing and locked: counting the list from
    scratch and applying a publication's difference take turns on it, so neither is
    lost. Its `count` is 1 once the list has been counted."""
    PublicTally.objects.bulk_create(
        [PublicTally(listing=listing, facet=BUILT)], ignore_conflicts=True
    )
    return PublicTally.objects.select_for_update().get(listing=listing, facet=BUILT)


def is_counted(listing: str) -> bool:
    """Whether the list was counted (its "built" row says so); no lock."""
    return PublicTally.objects.filter(listing=listing, facet=BUILT, count__gt=0).exists()


def rebuild(listings=(CONTRIBUTIONS, PRACTICES), *, unless_counted: bool = False) -> None:
    """Count the lists again from scratch and replace their kept numbers
    (`unless_counted`: only the lists never counted)."""
    for listing in listings:
        with transaction.atomic():
            built = lock(listing)
            if unless_counted and built.count:
                continue  # another reader counted it meanwhile
            PublicTally.objects.filter(listing=listing).exclude(facet=BUILT).delete()
            PublicTally.objects.bulk_create(
                [
                    PublicTally(listing=listing, facet=facet, key=key, count=n)
                    for (facet, key), n in compute(listing).items()
                ],
                batch_size=1000,
            )
            built.count = 1
            built.save(update_fields=["count"])


def load(listing: str) -> dict[str, dict]:
    """facet → {value → count} (ids as int, other values as text), and "total" → {"":
    count}; counted first when the list was never counted."""
    rows = list(PublicTally.objects.filter(listing=listing).values_list("facet", "key", "count"))
    if not any(facet == BUILT and n for facet, _key, n in rows):
        rebuild([listing], unless_counted=True)
        rows = list(
            PublicTally.objects.filter(listing=listing).values_list("facet", "key", "count")
        )
    found = {facet: {} for facet in (TOTAL, *FACETS[listing])}
    if listing == CONTRIBUTIONS:
        found.update({facet: {} for facet in STATE_FACETS})
    for facet, key, n in rows:
        if facet in found:
            found[facet][int(key) if facet in _BY_ID else key] = n
    return found


# --- Kept as things change ------------------------------------------------------------


def contribution(written_input: WrittenInput) -> Counter:
    """What the input adds to both lists' numbers as it stands in the database now:
    (listing, facet, key) → n."""
    found = Counter()
    state = (
        WrittenInput.objects.filter(pk=written_input.pk)
        .values_list(
            "status",
            "publication_consent",
            "cycle_id",
            "lead_iscm_id",
            "language",
            "published_version",
            "published_at",
        )
        .first()
    )
    if state is None or state[0] != Status.PUBLISHED:
        return found
    _status, consent, cycle_id, lead_id, language, version, published_at = state
    links = WrittenInput.target_reviews.through.objects.filter(writteninput=written_input.pk)
    regions = set(links.values_list("regionalreview__region_id", flat=True))
    iscm_kinds = dict(ISCM.objects.filter(pk=lead_id).values_list("pk", "kind"))
    iscm_kinds.update(
        WrittenInput.partner_iscms.through.objects.filter(
            writteninput=written_input.pk
        ).values_list("iscm_id", "iscm__kind")
    )
    principles = set(
        WrittenInput.principles.through.objects.filter(writteninput=written_input.pk).values_list(
            "guidingprinciple_id", flat=True
        )
    )
    formats = set(
        WrittenInput.formats.through.objects.filter(writteninput=written_input.pk).values_list(
            "contributionformat_id", flat=True
        )
    )
    responses = list(
        ObjectiveResponse.objects.filter(input=written_input.pk).values_list(
            "objective_id", "objective__round_table", "practices"
        )
    )
    shared = {
        "cycle": {cycle_id},
        "region": regions,
        "iscm": set(iscm_kinds),
        "principle": principles,
    }
    entries = {
        **shared,
        "kind": set(iscm_kinds.values()),
        "objective": {objective for objective, _table, _text in responses},
        "round_table": {table for _objective, table, _text in responses},
        "format": formats,
        "language": {language},
        "joint": {JOINT if len(iscm_kinds) > 1 else DIRECT},
    }
    found[(CONTRIBUTIONS, TOTAL, "")] += 1
    for (facet, key), n in _state_sums(cycle_id, written_input.pk, version, published_at).items():
        found[(CONTRIBUTIONS, facet, key)] += n
    for facet, keys in entries.items():
        for key in keys:
            found[(CONTRIBUTIONS, facet, str(key))] += 1
    practices = [objective for objective, _table, text in responses if text]
    if consent and practices:
        found[(PRACTICES, TOTAL, "")] += len(practices)
        for facet, keys in shared.items():
            for key in keys:
                found[(PRACTICES, facet, str(key))] += len(practices)
        for objective in practices:
            found[(PRACTICES, "objective", str(objective))] += 1
    return found


def facet_keys(counted: Counter) -> list[str]:
    """The "facet:value" keys of an input's `contribution` to the contributions list
    (with "total:"; the cycles' state sums left out): empty unless it is published."""
    return sorted(
        f"{facet}:{key}"
        for (listing, facet, key), n in counted.items()
        if listing == CONTRIBUTIONS and n > 0 and facet not in STATE_FACETS
    )


def keep_facet_keys(input_id: int, counted: Counter) -> None:
    """Store the input's facet keys as `counted` (its `contribution` now) gives them."""
    WrittenInput.objects.filter(pk=input_id).update(facet_keys=facet_keys(counted))


def _facet_values(ids) -> dict[int, dict[str, set]]:
    """{published input id: {facet: the keys (text) it counts under}} for `ids`, in six
    queries: what `contribution` finds for one input, for many at once."""
    values = {}
    inputs = WrittenInput.objects.published().filter(pk__in=ids)
    for pk, cycle_id, language, lead_id, lead_kind in inputs.values_list(
        "pk", "cycle_id", "language", "lead_iscm_id", "lead_iscm__kind"
    ):
        values[pk] = {
            TOTAL: {""},
            "cycle": {cycle_id},
            "language": {language},
            "iscm": {lead_id},
            "kind": {lead_kind},
            **{name: set() for name in ("region", "objective", "round_table")},
            **{name: set() for name in ("principle", "format")},
        }
    related = (
        ("region", WrittenInput.target_reviews.through, "regionalreview__region_id"),
        ("principle", WrittenInput.principles.through, "guidingprinciple_id"),
        ("format", WrittenInput.formats.through, "contributionformat_id"),
    )
    for name, through, column in related:
        rows = through.objects.filter(writteninput__in=list(values))
        for pk, value in rows.values_list("writteninput_id", column):
            values[pk][name].add(value)
    partners = WrittenInput.partner_iscms.through.objects.filter(writteninput__in=list(values))
    for pk, iscm_id, kind in partners.values_list("writteninput_id", "iscm_id", "iscm__kind"):
        values[pk]["iscm"].add(iscm_id)
        values[pk]["kind"].add(kind)
    responses = ObjectiveResponse.objects.filter(input__in=list(values)).values_list(
        "input_id", "objective_id", "objective__round_table"
    )
    for pk, objective_id, round_table in responses:
        values[pk]["objective"].add(objective_id)
        values[pk]["round_table"].add(round_table)
    for found in values.values():
        found["joint"] = {JOINT if len(found["iscm"]) > 1 else DIRECT}
    return values


def refresh_facet_keys(ids=None) -> None:
    """Compute again and store the facet keys of the inputs `ids` (all inputs when
    None): those of the published ones, none for the others (`rebuild_counts`, after a
    bulk load or a change of reference data; `count_facets` for keys missing).

    A chunk of inputs at a time, each in a transaction of its own that first locks its
    inputs' rows (in id order), as the workflow locks an input before changing it: a
    change under way is waited for and its keys read after it, never written back
    over. It takes no other lock (never a list's "built" row, which a publication
    takes while holding its input's row)."""
    inputs = WrittenInput.objects.all() if ids is None else WrittenInput.objects.filter(pk__in=ids)
    concerned = inputs.filter(Q(status=Status.PUBLISHED) | ~Q(facet_keys=[]))
    pks = list(concerned.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(pks), _KEYS_CHUNK):
        with transaction.atomic():
            chunk = WrittenInput.objects.select_for_update().filter(
                pk__in=pks[start : start + _KEYS_CHUNK]
            )
            stored = dict(chunk.order_by("pk").values_list("pk", "facet_keys"))
            values = _facet_values(list(stored))  # the published ones
            changed = []
            for pk, kept in stored.items():
                found = values.get(pk, {})
                now = sorted(f"{facet}:{key}" for facet, keys in found.items() for key in keys)
                if now != kept:
                    changed.append(WrittenInput(pk=pk, facet_keys=now))
            WrittenInput.objects.bulk_update(changed, ["facet_keys"], batch_size=500)


def _count_keys(sets: dict[str, list]) -> dict[str, Counter]:
    """{set name: Counter of "facet:value" keys over its inputs}, one query for all
    (a GROUP BY per set over the keys unnested, joined by UNION ALL; SQL of our own,
    since the ORM cannot unnest a JSON array: only the table name and placeholders are
    written into it)."""
    table = connection.ops.quote_name(WrittenInput._meta.db_table)
    parts, params = [], []
    for name, ids in sets.items():
        ids = [int(pk) for pk in ids]
        if not ids:
            continue
        if connection.vendor == "postgresql":
            parts.append(
                f"SELECT %s, k.value, COUNT(*) FROM {table} w"  # noqa: S608
                " CROSS JOIN LATERAL jsonb_array_elements_text(w.facet_keys) AS k(value)"
                " WHERE w.id = ANY(%s) GROUP BY k.value"
            )
            params += [name, ids]
        else:
            marks = ", ".join(["%s"] * len(ids))
            parts.append(
                f"SELECT %s, k.value, COUNT(*) FROM {table} w, json_each(w.facet_keys) k"  # noqa: S608
                f" WHERE w.id IN ({marks}) GROUP BY k.value"
            )
            params += [name, *ids]
    counted = {name: Counter() for name in sets}
    if parts:
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), params)
            for name, key, n in cursor.fetchall():
                counted[name][key] += n
    return counted


def count_facets(sets: dict[str, list]) -> dict[str, dict[str, dict]]:
    """{set name: {facet: {value: count}}} over sets of published input ids (values as
    `load` gives them: ids as int), from the inputs' kept facet keys, in one query.
    An input without keys yet (after a bulk load) gets them first."""
    counted = _count_keys(sets)
    if any(counted[name][f"{TOTAL}:"] < len(ids) for name, ids in sets.items()):
        refresh_facet_keys(sorted({pk for ids in sets.values() for pk in ids}))
        counted = _count_keys(sets)
    found = {}
    for name, keys in counted.items():
        found[name] = {facet: {} for facet in (TOTAL, *FACETS[CONTRIBUTIONS])}
        for entry, n in keys.items():
            facet, key = entry.split(":", 1)
            if facet in found[name]:
                found[name][facet][int(key) if facet in _BY_ID else key] = n
    return found


def apply(delta: dict) -> None:
    """Add `delta` ((listing, facet, key) → n) to the kept numbers of the lists that
    were ever counted; when it changes a cycle's publication state (`STATE_FACETS`),
    send `publication_changed` first (its receivers act after commit)."""
    delta = {entry: n for entry, n in delta.items() if n}
    if not delta:
        return
    changed_cycles = {int(key) for _listing, facet, key in delta if facet in STATE_FACETS}
    if changed_cycles:
        publication_changed.send(sender=PublicTally, cycle_ids=changed_cycles)
    # Each list's "built" row, locked: publications change the numbers in turn, and a
    # count from scratch waits for this transaction (so it sees this publication).
    built = {
        listing
        for listing in sorted({listing for listing, _facet, _key in delta})
        if lock(listing).count
    }
    delta = {entry: n for entry, n in delta.items() if entry[0] in built}
    if not delta:
        return  # counted from scratch when first read, after this commits
    rows = {
        (row.listing, row.facet, row.key): row
        for row in PublicTally.objects.filter(
            listing__in=built, facet__in={facet for _listing, facet, _key in delta}
        )
    }
    created, changed, emptied = [], [], []
    for (listing, facet, key), n in delta.items():
        row = rows.get((listing, facet, key))
        if row is None:
            if n > 0:
                created.append(PublicTally(listing=listing, facet=facet, key=key, count=n))
            continue
        row.count = max(row.count + n, 0)
        (changed if row.count else emptied).append(row)
    PublicTally.objects.bulk_create(created)
    if changed:
        PublicTally.objects.bulk_update(changed, ["count"])
    if emptied:
        PublicTally.objects.filter(pk__in=[row.pk for row in emptied]).delete()
