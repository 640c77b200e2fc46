"""The public list of contributions: a page of the selection, its total and the facet
counts, in a bounded number of queries whatever the data.

Facets are counted the usual way for multi-select filters: the counts of one facet
apply every other filter but not its own, so each value's count is what the list
would hold with that value chosen too (and the other values of a chosen facet stay
visible with their counts). One GROUP BY query per facet.

A filtered list and a search are bounded: the selection is evaluated once per applied
filter set, as the ids of the newest SELECTION_LIMIT inputs in it (`_candidates`); the
facets are counted, the total taken and the results ranked within those ids, never by
evaluating the filters or the match again over the archive. Up to that many (nearly
every selection a person makes) this is exact; past it, the page says that only the
newest that many are listed, ranked and counted (as large catalogues do, e.g. a code
host's search stops at 1,000 results), and the open-data files of the selection hold
all of it. So the cost stays bounded at any size of the archive.

Counts and result pages are cached (Django's cache, `PUBLIC_CACHE_SECONDS`, 0 turns it
off) under a key that holds the newest workflow event id: every publication or
withdrawal appends an event, so a cached answer never outlives a change of what is
public. The id is read from the primary-key index, in one cheap query, by every app
server and worker alike; nothing assumes one process.

Known limit: event ids are handed out at insert, not at commit. A publication whose
transaction commits after a later-numbered event has committed (both within the same
moment) can be missed by a page cached in between; it then shows once the cache entry
expires (PUBLIC_CACHE_SECONDS) or the next event is written.
"""

import hashlib
import json
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import F, Lookup, Max
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from submissions import public_tallies, search
from submissions.languages import label
from submissions.models import (
    ISCM,
    ContentLanguage,
    ContributionFormat,
    GCMObjective,
    GuidingPrinciple,
    Region,
    ReviewCycle,
    ReviewEvent,
    RoundTable,
    WrittenInput,
)

from .filters import JOINT_CHOICES, NEWEST, RELEVANCE, ContributionFilter

PAGE_SIZE = 20
# A filtered list or a search lists, ranks and counts at most this many contributions,
# the newest: its cost stays bounded whatever the size of the archive (the page says
# when the limit was reached; the open-data files of the selection hold all of it).
SELECTION_LIMIT = 500


def public_inputs():
    return WrittenInput.objects.published()


class KnownCount:
    """A query set whose number of rows is already known (kept in `public_tallies`),
    for a Paginator: no COUNT(*) over the archive on each page, only the page's slice
    read (newest first through the index on status, published_at, id)."""

    ordered = True  # the query set's order (Paginator warns about unordered lists)

    def __init__(self, queryset, count: int):
        self.queryset, self.known = queryset, count

    def count(self) -> int:
        return self.known

    def __len__(self) -> int:
        return self.known

    def __getitem__(self, index):
        return self.queryset[index]


def published_count(facet: str, key) -> int:
    """How many published contributions the kept numbers give for one facet value
    (e.g. "objective", an objective's id: those with a response on it; "iscm", an
    ISCM's id: those it leads or partners), as the unfiltered list shows them."""
    return public_tallies.load(public_tallies.CONTRIBUTIONS)[facet].get(key, 0)


def generation() -> int:
    """Changes whenever anything public may have changed (see the module docstring)."""
    return ReviewEvent.objects.aggregate(last=Max("pk"))["last"] or 0


def _digest(key_parts: dict) -> str:
    return hashlib.sha256(json.dumps(key_parts, sort_keys=True).encode()).hexdigest()


def _cached(key_parts: dict, compute):
    seconds = settings.PUBLIC_CACHE_SECONDS
    if seconds <= 0:
        return compute()
    key = f"public:{_digest(key_parts)}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, seconds)
    return value


FACET_NAMES = ContributionFilter.FACETS  # the list's facets, in the panel's order


class _AnyOf(Lookup):
    """`column = ANY(ids)` on PostgreSQL: the ids in one array parameter (ranking a
    search within its bounded candidates). Django prepares each value of an IN list one
    by one, which over a few hundred ids took more than the query; an IN list elsewhere
    (SQLite)."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        ids = [int(pk) for pk in self.rhs]
        if not ids:
            return "1 = 0", []
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*params, ids]
        return f"{lhs} IN ({', '.join(['%s'] * len(ids))})", [*params, *ids]


def _facet_counts(found: dict) -> dict:
    """Each facet's {value → count} over its bounded set of `_candidates` (its own
    when a filter of it is applied, else the whole selection's), added up by the
    database from the inputs' kept facet keys (`public_tallies.count_facets`): one
    query for all the sets, whose rows are the counts, never every input's values."""
    counted = public_tallies.count_facets({name: ids for name, (ids, _more) in found.items()})
    return {name: counted.get(name, counted[""])[name] for name in FACET_NAMES}


@dataclass
class Results:
    filterset: ContributionFilter
    page: object  # a Paginator page over the total; `inputs` holds its contributions
    inputs: list = field(default_factory=list)
    facets: dict = field(default_factory=dict)  # facet name → {value id → count}
    snippets: dict = field(default_factory=dict)  # input id → SafeString
    sort: str = NEWEST
    query: str = ""
    # Names this selection at this generation: the template caches the facet panel
    # under it (with the interface language), so a warm page skips the label queries.
    key: str = ""
    # The selection held more than SELECTION_LIMIT: only the newest that many are
    # listed and counted (the page says so).
    capped: bool = False

    @property
    def total(self) -> int:
        return self.page.paginator.count


def _filter_key(filterset) -> dict:
    """The valid filters as plain data, for cache keys."""
    data = filterset.form.cleaned_data
    key = {}
    for name in ContributionFilter.FACETS:
        value = data.get(name)
        if isinstance(value, str):
            key[name] = value
        elif value:
            key[name] = sorted(str(getattr(v, "pk", v)) for v in value)
    key["q"] = (data.get("q") or "").strip()
    return key


def _candidates(filterset, applied: dict) -> dict:
    """{facet name (or "" for the whole selection) → (ids of the newest
    SELECTION_LIMIT published inputs matching the search and every applied filter but
    that facet's, whether more matched)}: the bounded sets a filtered list or a search
    lists, ranks and counts.

    A facet with no filter applied shares the whole selection's set, so a selection
    with k filters applied costs k + 1 bounded queries whatever the size of the
    archive."""
    found = {}
    for name in ("", *ContributionFilter.FACETS):
        if name and not applied.get(name):
            continue
        selection = filterset.selection(without=name or None).order_by("-published_at", "-pk")
        ids = list(selection.values_list("pk", flat=True)[: SELECTION_LIMIT + 1])
        found[name] = (ids[:SELECTION_LIMIT], len(ids) > SELECTION_LIMIT)
    return found


def browse(params, *, page_number=None) -> Results:
    """Everything the contributions page shows for query-string `params`."""
    filterset = ContributionFilter(params, queryset=public_inputs())
    filterset.is_valid()  # invalid values are ignored and reported on the form
    query = (filterset.form.cleaned_data.get("q") or "").strip()
    sort = filterset.form.cleaned_data.get("sort") or (RELEVANCE if query else NEWEST)
    if sort == RELEVANCE and not query:
        sort = NEWEST
    key = {"generation": generation(), "filters": _filter_key(filterset)}

    def count_facets():
        if not any(key["filters"].values()):
            # The whole archive: the numbers kept as inputs are published.
            kept = public_tallies.load(public_tallies.CONTRIBUTIONS)
            facets = {name: kept[name] for name in FACET_NAMES}
            return {"facets": facets, "total": kept[public_tallies.TOTAL].get("", 0)}
        # Counted within the bounded candidates (see `_candidates`), each facet over
        # the set that leaves its own filter out.
        found = _candidates(filterset, key["filters"])
        ids, more = found[""]
        return {"facets": _facet_counts(found), "total": len(ids), "ids": ids, "capped": more}

    counted = _cached({**key, "what": "facets"}, count_facets)
    page = Paginator(range(counted["total"]), PAGE_SIZE).get_page(page_number)

    def page_of_results():
        start = page.start_index() - 1 if counted["total"] else 0
        if "ids" not in counted:  # the whole archive, newest first through the index
            selection = public_inputs().order_by("-published_at", "-pk")
            ids = list(selection.values_list("pk", flat=True)[start : start + PAGE_SIZE])
        elif sort == RELEVANCE:
            candidates = public_inputs().filter(_AnyOf(F("pk"), counted["ids"]))
            selection = search.ranked(candidates, query).order_by(
                "-search_rank", "-published_at", "-pk"
            )
            ids = list(selection.values_list("pk", flat=True)[start : start + PAGE_SIZE])
        else:
            ids = counted["ids"][start : start + PAGE_SIZE]  # already newest first
        snippets = {pk: str(s) for pk, s in search.snippets(ids, query).items()}
        return {"ids": ids, "snippets": snippets}

    found = _cached({**key, "what": "page", "sort": sort, "page": page.number}, page_of_results)
    by_id = listing_queryset().in_bulk(found["ids"])
    return Results(
        filterset=filterset,
        page=page,
        inputs=[by_id[pk] for pk in found["ids"] if pk in by_id],
        facets=counted["facets"],
        # Cached as plain str: built by search.snippets, which escapes the text.
        snippets={int(k): _safe(v) for k, v in found["snippets"].items()},
        sort=sort,
        query=query,
        key=_digest({**key, "what": "facet panel"}),
        capped=counted.get("capped", False),
    )


def _safe(html: str) -> SafeString:
    return mark_safe(html)  # noqa: S308 — produced by search.snippets (escaped)


# Columns no list entry shows, and the largest of an input's row: its whole text and
# vector for search (13,000 characters on average in the benchmarks' archive) and the
# kept facet and carry-over data. Read for 20 entries, they were most of a cached page.
UNLISTED_FIELDS = ("search_document", "search_vector", "facet_keys", "carried_over")


def listing_queryset():
    """Published inputs with what a list entry shows, in a fixed number of queries."""
    return (
        public_inputs()
        .defer(*UNLISTED_FIELDS)
        .select_related("lead_iscm", "cycle")
        .prefetch_related("partner_iscms", "target_reviews__region")
    )


@dataclass
class FacetOption:
    value: str
    label: str
    count: int
    checked: bool


@dataclass
class Facet:
    name: str
    label: str
    options: list[FacetOption]

    @property
    def any_checked(self) -> bool:
        return any(option.checked for option in self.options)


def _choices(name: str) -> list[tuple[str, object, str]]:
    """(query-string value, count key, label) of every possible value of a facet, in
    display order: one small query for the facets over reference tables."""
    match name:
        case "cycle":
            return [
                (c.slug, c.pk, label(c, "name")) for c in ReviewCycle.objects.order_by("-slug")
            ]
        case "region":
            return [
                (r.code, r.pk, format_html("{} — {}", r.code, label(r, "name")))
                for r in Region.objects.all()
            ]
        case "iscm":
            return [(i.slug, i.pk, i.acronym) for i in ISCM.objects.order_by("acronym")]
        case "kind":
            return [(v, v, label) for v, label in ISCM.Kind.choices]
        case "objective":
            return [
                (str(o.number), o.pk, format_html("{}. {}", o.number, label(o, "short_title")))
                for o in GCMObjective.objects.all()
            ]
        case "round_table":
            return [(str(v), v, f"{v}. {label}") for v, label in RoundTable.choices]
        case "principle":
            return [
                (p.letter, p.pk, format_html("({}) {}", p.letter, label(p, "title")))
                for p in GuidingPrinciple.objects.all()
            ]
        case "format":
            return [(f.slug, f.pk, label(f, "name")) for f in ContributionFormat.objects.all()]
        case "language":
            return list(
                zip(
                    ContentLanguage.values,
                    ContentLanguage.values,
                    ContentLanguage.labels,
                    strict=True,
                )
            )
        case "joint":
            return [(v, v, label) for v, label in JOINT_CHOICES]
    raise ValueError(name)


def facets(results: Results) -> list[Facet]:
    """The facets to show: every value with a count, and every chosen value (count 0
    when nothing matches any more), with its label in the interface language."""
    # Only what was applied is shown ticked: a filter with an invalid value is ignored
    # as a whole, and the panel is cached under the applied filters alone.
    form = results.filterset.form
    chosen = {
        name: set(form.data.getlist(name)) if name not in form.errors else set()
        for name in ContributionFilter.FACETS
    }
    shown = []
    for name in ContributionFilter.FACETS:
        counts = results.facets.get(name, {})
        options = [
            FacetOption(value, str(label), counts.get(key, 0), value in chosen[name])
            for value, key, label in _choices(name)
            if counts.get(key, 0) or value in chosen[name]
        ]
        label = results.filterset.filters[name].label
        shown.append(Facet(name, str(label), options))
    return shown
