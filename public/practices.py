"""Practices worth sharing as records: what one published contribution says under
"practices worth sharing" for one GCM objective is one practice, listed across cycles
and regions with facets and a text search, at a stable address, and exported in the
fields the UN Network on Migration's repository of practices asks for.

Which texts. A practice is a (published input, objective) whose
`ObjectiveResponse.practices` is not empty. Only inputs that are published and whose
lead ISCM consents appear (`published()` and `publication_consent`, which publication
requires and which cannot change while published).

Where the text comes from. A practice's page shows the text recorded in the published
version's snapshot (`InputVersion.snapshot["objectives"][…]["practices"]`) and names
that version. The list, its counts and the exports read the `ObjectiveResponse` rows,
which for a published input hold that same text: nothing edits a published input
(`editing.save_content` works only in draft or changes requested), and a new text
reaches the public only through a new submission (a new version) and a new
publication. Rows keep the list cheap: no JSON of twenty thousand snapshots to parse
for a count, and no table of its own (the public search and the objective pages read
the same rows). `tests/public/views/test_practices.py` checks the exports against the
snapshots.

Addresses. `/practices/<contribution slug>/<objective number>/`: the slug never changes,
so the address stays when a new version is published, and shows the newest published
text.

Search. Each word must occur in the practice's own text and a word after a minus must
not; a phrase in quotes counts as one word: `icontains` (SQLite: LIKE, case-insensitive
for ASCII letters only; PostgreSQL: ILIKE). On PostgreSQL the words (not those after a
minus) must also match the contribution's full-text index (`submissions.search.matching`,
GIN): a practice holding a word belongs to a contribution whose text holds it, so this
only narrows the rows ILIKE reads, from every practice to those of the contributions
found (measured at 20,000 inputs, 80,000 practices, cold: a rare word 3.9 s → 0.6 s).
It also makes PostgreSQL match whole words, stemmed, where SQLite matches any part of a
word. The full-text index alone does not fit: its one vector per contribution holds the
title, the sections and every objective's three texts, so it cannot tell which
objective's practices matched. Known limit: a word most practices hold costs a full
ILIKE read per count (about 5 s cold at 80,000 practices; then cached); a vector per
practice (a new column or table, migration 0011) would remove it.

Counts and cache. Unfiltered, the list reads the counts kept as inputs are published
(`submissions.public_tallies`: one small row per facet value), so its cost does not
grow with the archive. Filtered, as the contributions list (`browse.py`): each facet
counts with the other filters applied, one GROUP BY query per facet (the ISCM facet
two: leads and partners). Both are cached under `browse.generation()` so a publication
shows at once.
"""

import hashlib
import json
import re
from dataclasses import dataclass, field

import django_filters
from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from submissions import public_tallies, search
from submissions.languages import label
from submissions.markup import plain_text
from submissions.models import (
    ISCM,
    GCMObjective,
    GuidingPrinciple,
    InputVersion,
    ObjectiveResponse,
    Region,
    ReviewCycle,
    WrittenInput,
)

from . import browse
from .filters import ReferenceFilters

PAGE_SIZE = 20
MAX_WORDS = 8
EXCERPT_CHARS = 400
_HAS_LETTER = re.compile(r"\w")
# A word, a "quoted phrase", or either with a minus in front (left out).
_WORD = re.compile(r'(-?)"([^"]+)"|(-?)(\S+)')


def practices_queryset():
    """Every public practice: a non-empty text of a published, consented input."""
    return public_tallies.public_practices()


def query_words(text: str) -> tuple[list[str], list[str]]:
    """(words or phrases that must occur, those after a minus that must not), at most
    MAX_WORDS in all."""
    wanted, left_out = [], []
    for minus_phrase, phrase, minus_word, word in _WORD.findall(text.strip())[:MAX_WORDS]:
        term = (phrase or word).strip()
        if term:
            (left_out if minus_phrase or minus_word else wanted).append(term)
    return wanted, left_out


def matching(queryset, text: str):
    """`queryset` narrowed to the practices whose text holds every word of `text` and
    none after a minus (see the module docstring)."""
    wanted, left_out = query_words(text[: search.MAX_QUERY_LENGTH])
    words = [term for term in wanted if _HAS_LETTER.search(term)]
    if words and search.uses_postgres(queryset.db):
        # The contributions' full-text index narrows the candidates first (GIN): a
        # practice holding a word belongs to a contribution whose text holds it.
        # Minus words stay out of it: another objective of the same contribution may
        # hold them.
        query = " ".join(f'"{w}"' if " " in w else w for w in words)
        inputs = search.matching(WrittenInput.objects.published(), query).values("pk")
        queryset = queryset.filter(input__in=inputs)
    for term in wanted:
        queryset = queryset.filter(practices__icontains=term)
    for term in left_out:
        queryset = queryset.exclude(practices__icontains=term)
    return queryset


def _inputs_through(relation: str, **lookup):
    through = getattr(WrittenInput, relation).through
    return through.objects.filter(**lookup).values("writteninput")


class PracticeFilter(ReferenceFilters):
    """Filters of the practices list and its exports (`?objective=7&region=ECA&q=…`).
    Several values of one filter widen the selection, different filters narrow it;
    relations are filtered through subqueries, so no row is counted twice."""

    FACETS = ("cycle", "region", "iscm", "objective", "principle")

    q = django_filters.CharFilter(
        label=gettext_lazy("Search"), max_length=search.MAX_QUERY_LENGTH, method="filter_text"
    )

    class Meta:
        model = ObjectiveResponse
        fields = []

    def filter_text(self, queryset, name, value):
        return matching(queryset, value) if value else queryset

    def filter_cycle(self, queryset, name, value):
        return queryset.filter(input__cycle__in=value) if value else queryset

    def filter_region(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(
            input__in=_inputs_through("target_reviews", regionalreview__region__in=value)
        )

    def filter_iscm(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(
            Q(input__lead_iscm__in=value)
            | Q(input__in=_inputs_through("partner_iscms", iscm__in=value))
        )

    def filter_objective(self, queryset, name, value):
        return queryset.filter(objective__in=value) if value else queryset

    def filter_principle(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(input__in=_inputs_through("principles", guidingprinciple__in=value))

    def selection(self, *, without: str | None = None):
        """The practices matching every valid filter except `without` (what a facet
        counts over). Call after `is_valid()`."""
        queryset = self.queryset
        data = self.form.cleaned_data
        for name, filter_ in self.filters.items():
            if name != without and name in data and data[name] not in (None, "", []):
                queryset = filter_.filter(queryset, data[name])
        return queryset


def filtered(params) -> PracticeFilter:
    """The filter set over the public practices for query-string `params`; invalid
    values are reported by its form and ignored."""
    filterset = PracticeFilter(params, queryset=practices_queryset())
    filterset.is_valid()
    return filterset


# --- the list ----------------------------------------------------------------------


def _counts(column: str, selection) -> dict:
    # A practice's input targets one review per region and holds a principle once, so
    # the joins give each practice once per value.
    rows = selection.order_by().values(column).annotate(n=Count("pk"))
    return {row[column]: row["n"] for row in rows if row[column] is not None}


def _iscm_counts(selection) -> dict:
    # An ISCM is never lead and partner of the same input: the two counts add up.
    counts = _counts("input__lead_iscm", selection)
    for iscm_id, n in _counts("input__partner_iscms", selection).items():
        counts[iscm_id] = counts.get(iscm_id, 0) + n
    return counts


COUNTERS = {
    "cycle": lambda s: _counts("input__cycle", s),
    "region": lambda s: _counts("input__target_links__regionalreview__region", s),
    "iscm": _iscm_counts,
    "objective": lambda s: _counts("objective", s),
    "principle": lambda s: _counts("input__principles", s),
}
NEWEST_FIRST = ("-input__published_at", "-input_id", "objective__number")


def _cached(key_parts: dict, compute):
    seconds = settings.PUBLIC_CACHE_SECONDS
    if seconds <= 0:
        return compute()
    digest = hashlib.sha256(json.dumps(key_parts, sort_keys=True).encode()).hexdigest()
    key = f"public:practices:{digest}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, seconds)
    return value


def _filter_key(filterset) -> dict:
    data = filterset.form.cleaned_data
    key = {}
    for name in PracticeFilter.FACETS:
        value = data.get(name)
        if value:
            key[name] = sorted(str(v.pk) for v in value)
    key["q"] = (data.get("q") or "").strip()
    return key


@dataclass
class Results:
    filterset: PracticeFilter
    page: object  # a Paginator page over the total; `practices` holds its rows
    practices: list = field(default_factory=list)
    facets: dict = field(default_factory=dict)  # facet name → {value id → count}
    query: str = ""
    key: str = ""  # names this selection at this generation (the cached facet panel)

    @property
    def total(self) -> int:
        return self.page.paginator.count


def listing_queryset():
    """Practices with what a list entry shows, in a fixed number of queries."""
    return ObjectiveResponse.objects.select_related(
        "input__lead_iscm", "input__cycle", "objective"
    ).prefetch_related("input__partner_iscms", "input__target_reviews__region")


def browse_practices(params, *, page_number=None) -> Results:
    """Everything the practices page shows for query-string `params`, newest
    publication first, then by objective."""
    filterset = filtered(params)
    key = {"generation": browse.generation(), "filters": _filter_key(filterset)}

    def count_facets():
        if not any(key["filters"].values()):
            # The whole archive: the numbers kept as inputs are published.
            kept = public_tallies.load(public_tallies.PRACTICES)
            facets = {name: kept[name] for name in COUNTERS}
            return {"facets": facets, "total": kept[public_tallies.TOTAL].get("", 0)}
        counts = {
            name: counter(filterset.selection(without=name)) for name, counter in COUNTERS.items()
        }
        return {"facets": counts, "total": filterset.selection().count()}

    counted = _cached({**key, "what": "facets"}, count_facets)
    page = Paginator(range(counted["total"]), PAGE_SIZE).get_page(page_number)

    def page_ids():
        start = page.start_index() - 1 if counted["total"] else 0
        selection = filterset.selection().order_by(*NEWEST_FIRST)
        return list(selection.values_list("pk", flat=True)[start : start + PAGE_SIZE])

    ids = _cached({**key, "what": "page", "page": page.number}, page_ids)
    by_id = listing_queryset().in_bulk(ids)
    shown = [by_id[pk] for pk in ids if pk in by_id]
    for response in shown:
        response.excerpt = excerpt(response.practices)
    return Results(
        filterset=filterset,
        page=page,
        practices=shown,
        facets=counted["facets"],
        query=key["filters"]["q"],
        key=hashlib.sha256(
            json.dumps({**key, "what": "facet panel"}, sort_keys=True).encode()
        ).hexdigest(),
    )


def excerpt(text: str) -> str:
    """The beginning of a practice as plain text, for the list."""
    plain = plain_text(text)
    if len(plain) <= EXCERPT_CHARS:
        return plain
    return plain[:EXCERPT_CHARS].rsplit(" ", 1)[0] + " …"


def _choices(name: str) -> list[tuple[str, object, str]]:
    """(query-string value, count key, label) of every value of a facet, in display
    order: one small query per facet."""
    match name:
        case "cycle":
            return [
                (c.slug, c.pk, format_html("{} ({})", label(c, "name"), c.years))
                for c in ReviewCycle.objects.order_by("-start_year")
            ]
        case "region":
            return [
                (r.code, r.pk, format_html("{} — {}", r.code, label(r, "name")))
                for r in Region.objects.all()
            ]
        case "iscm":
            return [(i.slug, i.pk, i.acronym) for i in ISCM.objects.order_by("acronym")]
        case "objective":
            return [
                (str(o.number), o.pk, format_html("{}. {}", o.number, label(o, "short_title")))
                for o in GCMObjective.objects.all()
            ]
        case "principle":
            return [
                (p.letter, p.pk, format_html("({}) {}", p.letter, label(p, "title")))
                for p in GuidingPrinciple.objects.all()
            ]
    raise ValueError(name)


def facets(results: Results) -> list[browse.Facet]:
    """The facets to show: every value with a count and every chosen one, labelled in
    the interface language (the contributions list's `browse.Facet`)."""
    form = results.filterset.form
    shown = []
    for name in PracticeFilter.FACETS:
        chosen = set(form.data.getlist(name)) if name not in form.errors else set()
        counts = results.facets.get(name, {})
        options = [
            browse.FacetOption(value, str(text), counts.get(key, 0), value in chosen)
            for value, key, text in _choices(name)
            if counts.get(key, 0) or value in chosen
        ]
        shown.append(browse.Facet(name, str(results.filterset.filters[name].label), options))
    return shown


# --- one practice --------------------------------------------------------------------


@dataclass
class Practice:
    """A practice as its page shows it: from the published version's snapshot."""

    input: WrittenInput
    version: InputVersion
    objective: dict  # the snapshot's entry: number, titles, practices, …

    @property
    def doc(self) -> dict:
        return self.version.snapshot

    @property
    def url(self) -> str:
        return practice_url(self.input.slug, self.objective["number"])


def practice_url(slug: str, number: int) -> str:
    return reverse("public:practice-detail", args=[slug, number])


def published_practice(slug: str, number: int) -> Practice:
    """The practice of the published contribution `slug` on objective `number`, in
    its latest published version; 404 when there is none."""
    written_input = get_object_or_404(
        browse.public_inputs()
        .filter(publication_consent=True)
        .select_related("lead_iscm", "cycle"),
        slug=slug,
    )
    version = InputVersion.objects.filter(
        input=written_input, number=written_input.published_version
    ).first()
    if version is None:
        raise Http404("No published version")
    entry = next(
        (
            o
            for o in version.snapshot.get("objectives", [])
            if o.get("number") == number and (o.get("practices") or "").strip()
        ),
        None,
    )
    if entry is None:
        raise Http404("No practice on this objective")
    return Practice(input=written_input, version=version, objective=entry)


def in_other_cycles(practice: Practice, *, limit: int = 10):
    """The lead ISCM's practices on the same objective in other contributions (other
    cycles first), oldest cycle first: one query."""
    return list(
        practices_queryset()
        .filter(
            objective__number=practice.objective["number"],
            input__lead_iscm=practice.input.lead_iscm,
        )
        .exclude(input=practice.input)
        .select_related("input__cycle")
        .order_by("input__cycle__start_year", "input__published_at", "input_id")[:limit]
    )


def citation(practice: Practice) -> str:
    """A suggested citation of the practice, in the interface language."""
    doc = practice.doc
    authors = ", ".join(
        f"{iscm['name']} ({iscm['acronym']})" for iscm in [doc["lead"], *doc["partners"]]
    )
    return _(
        "%(authors)s (%(year)s). %(title)s. Practice worth sharing on objective %(number)s "
        "of the Global Compact for Migration, in: %(input)s, written input to the "
        "%(regions)s regional review(s), %(cycle)s, version %(version)s. ISCM Review "
        "Portal. %(url)s"
    ) % {
        "authors": authors,
        "year": practice.input.published_at.year,
        # Isolated (FSI … PDI): an Arabic title cannot reorder what follows.
        "title": f"\u2068{title_of(doc, practice.objective)}\u2069",
        "number": practice.objective["number"],
        "input": f"\u2068{doc['title']}\u2069",
        "regions": ", ".join(t["region"] for t in doc["targets"]),
        "cycle": doc["cycle"]["name"],
        "version": practice.version.number,
        "url": settings.SITE_URL + practice.url,
    }


def make_title(acronyms: list[str], objective_title: str, years: str) -> str:
    """The title of a practice, which ISCMs never give one: "<acronyms>: <objective's
    short title> (<cycle's years>)", e.g. "RCM: Reduce vulnerabilities (2024–2025)";
    a joint input's ISCMs lead first, joined by commas. The exports use the English
    short title; the pages, the interface language's."""
    return f"{', '.join(acronyms)}: {objective_title} ({years})"


def title_of(doc: dict, objective: dict) -> str:
    """The English title of a practice from a snapshot and its objective entry."""
    acronyms = [doc["lead"]["acronym"], *(p["acronym"] for p in doc["partners"])]
    return make_title(acronyms, objective["short_title"], doc["cycle"]["years"])


# --- the exports' order (records: opendata.practice_records) -------------------------


def export_order(queryset):
    """Oldest publication first, then the input, then the objective: a fixed order,
    so the same practices always serialise to the same bytes."""
    return queryset.order_by("input__published_at", "input_id", "objective__number")
