"""Open data: every published contribution and every practice worth sharing as plain
records, the files that carry them (JSON and CSV, for any selection and per cycle), and
their data dictionary, a Frictionless Data package (`datapackage`).

Records. Contribution ids are the database ids (an input is never renumbered), slugs
never change once made, a practice is named by its contribution's slug and objective
number. Every record carries its cycle (`cycle`) and the regional reviews it was sent to
(`regional_reviews`, each "<cycle slug>/<region code>"). One description per field
(`CONTRIBUTION_SCHEMA`, `PRACTICE_SCHEMA`) gives the files' columns, the data package's
schemas and the open-data page's tables, so the three cannot disagree.

Cycles, closed and frozen. Each cycle has its own files at
`/open-data/<cycle slug>/<file>` (`CYCLE_FILES`). A cycle is closed when every regional
review of it has held its meeting (`RegionalReview.status_on(today) == HELD`: the
meeting date is past) or when its last year is before the current year (`is_closed`).
A closed cycle's files are frozen: built once, kept in the default storage and served
as stored, so every download is the same bytes with the same sha256, which the
open-data page and the data package publish. To make that hold:

- serialisation is deterministic: records and fields in a fixed order, English texts
  whatever the page's language, no time of generation, `ensure_ascii=False`, CSV lines
  ending in CRLF; building the same data twice gives the same bytes;
- the stored file is named after the cycle's publication state (`_publication_state`:
  how many of its inputs are published, the sum of their ids and published version
  numbers, the latest publication time). Publishing, taking off the portal or
  publishing a new version in that cycle changes it, so the frozen files are built
  anew then, and only then: a contribution taken off the portal leaves its cycle's
  open data too. Anything else, an edit of reference data (an ISCM's name) or a
  publication in another cycle, leaves them as they are. (Should two app servers'
  clocks disagree, taking one input off and publishing another of the same cycle at
  once still changes the sum of ids.)

An open cycle's files are built on every request by the same code, and so are the
files that take the list's filters (`/open-data/contributions.csv?region=ECA`).
"""

import csv
import hashlib
import itertools
import json
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import Count, Max, Prefetch, Sum
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from submissions.languages import source_text
from submissions.models import (
    ISCM,
    ContentLanguage,
    GCMObjective,
    GuidingPrinciple,
    ObjectiveResponse,
    RegionalReview,
    ReviewCycle,
    WrittenInput,
)

from . import practices
from .filters import ContributionFilter

CHUNK = 1000
CSV_LIST_SEPARATOR = ";"
# A cell starting with one of these is a formula to spreadsheet programs (CSV
# injection: `=HYPERLINK(…)` in a title would send whoever opens the file to any site).
CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Frozen files larger than this are spooled to a temporary file while they are built.
SPOOL_BYTES = 8 * 1024 * 1024
STORAGE_FOLDER = "open-data"


# --- the data dictionary -----------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """One column of a resource, as a Table Schema field: name, type, a description
    (translated on the page, English in the data package) and constraints."""

    name: str
    type: str
    description: object  # a lazy translation
    constraints: dict = field(default_factory=dict)
    format: str = "default"

    def descriptor(self) -> dict:
        described = {"name": self.name, "type": self.type, "format": self.format}
        described["description"] = str(self.description)
        if self.constraints:
            described["constraints"] = self.constraints
        return described


REQUIRED = {"required": True}
LANGUAGES = {"required": True, "enum": list(ContentLanguage.values)}
LIST_OF_NUMBERS = {"pattern": r"^([0-9]+(;[0-9]+)*)?$"}
LIST_OF_LETTERS = {"pattern": r"^([a-j](;[a-j])*)?$"}
LIST_OF_REVIEWS = {
    "required": True,
    "pattern": r"^[-a-zA-Z0-9_]+/[A-Z]+(;[-a-zA-Z0-9_]+/[A-Z]+)*$",
}
SLUG = {"required": True, "unique": True, "pattern": r"^[-a-zA-Z0-9_]+$"}

CONTRIBUTION_SCHEMA = (
    Field(
        "id",
        "integer",
        _("Stable numeric identifier of the contribution."),
        {"required": True, "unique": True, "minimum": 1},
    ),
    Field("slug", "string", _("Stable readable identifier, used in the page address."), SLUG),
    Field("title", "string", _("Title, in the language of the contribution."), REQUIRED),
    Field("url", "string", _("Address of the contribution's page."), REQUIRED, "uri"),
    Field("pdf_url", "string", _("Address of the PDF of the published version."), REQUIRED, "uri"),
    Field("cycle", "string", _("Review cycle (identifier)."), REQUIRED),
    Field(
        "regional_reviews",
        "string",
        _(
            "The regional reviews the contribution was sent to, each as the cycle's "
            "identifier and the region's code (2024-2025/ECLAC)."
        ),
        LIST_OF_REVIEWS,
    ),
    Field("lead_iscm", "string", _("Acronym of the lead ISCM."), REQUIRED),
    Field(
        "partner_iscms",
        "string",
        _("Acronyms of the partner ISCMs of a joint input (empty for a direct input)."),
    ),
    Field(
        "regions",
        "string",
        _("Codes of the regions whose reviews the contribution was sent to."),
        REQUIRED,
    ),
    Field(
        "objectives",
        "string",
        _("Numbers (1–23) of the GCM objectives reported on."),
        LIST_OF_NUMBERS,
    ),
    Field(
        "principles",
        "string",
        _("Letters (a–j) of the guiding principles addressed."),
        LIST_OF_LETTERS,
    ),
    Field("language", "string", _("Language of the contribution (ISO 639-1 code)."), LANGUAGES),
    Field(
        "basis",
        "string",
        _(
            "written_input (following the indicative outline) or meeting_outcome "
            "(outcome of a dedicated ISCM meeting)."
        ),
        {"required": True, "enum": list(WrittenInput.Basis.values)},
    ),
    Field(
        "published_at",
        "datetime",
        _("Date and time of publication (ISO 8601, UTC)."),
        REQUIRED,
        "any",
    ),
)

PRACTICE_SCHEMA = (
    Field(
        "id",
        "string",
        _(
            "Stable identifier of the practice: the contribution's identifier and the "
            "objective's number (slug/7)."
        ),
        {"required": True, "unique": True, "pattern": r"^[-a-zA-Z0-9_]+/[0-9]+$"},
    ),
    Field(
        "title",
        "string",
        _(
            "Title made by the portal, in English: the ISCMs' acronyms, the objective's "
            "short title and the cycle's years (RCM: Reduce vulnerabilities (2024–2025))."
        ),
        REQUIRED,
    ),
    Field(
        "description",
        "string",
        _(
            "The practice as published, in the language of the contribution (paragraphs, "
            "lists, emphasis and links written in Markdown)."
        ),
        REQUIRED,
    ),
    Field(
        "objectives",
        "string",
        _("Number (1–23) of the GCM objective the practice was reported under."),
        {"required": True, **LIST_OF_NUMBERS},
    ),
    Field(
        "guiding_principles",
        "string",
        _("Letters (a–j) of the guiding principles the contribution addresses."),
        LIST_OF_LETTERS,
    ),
    Field(
        "geographic_scope",
        "string",
        _("Codes of the regions whose reviews the contribution was sent to."),
        REQUIRED,
    ),
    Field(
        "implementing_iscm",
        "string",
        _("Name and acronym of the lead ISCM, in English."),
        REQUIRED,
    ),
    Field(
        "partner_iscms",
        "string",
        _("Names and acronyms of the partner ISCMs of a joint input, in English."),
    ),
    Field("period", "string", _("Years of the review cycle (2024–2025)."), REQUIRED),
    Field("cycle", "string", _("Review cycle (identifier)."), REQUIRED),
    Field(
        "regional_reviews",
        "string",
        _(
            "The regional reviews the contribution was sent to, each as the cycle's "
            "identifier and the region's code (2024-2025/ECLAC)."
        ),
        LIST_OF_REVIEWS,
    ),
    Field("url", "string", _("Stable address of the practice's page."), REQUIRED, "uri"),
    Field(
        "contribution_url",
        "string",
        _("Address of the contribution the practice was published in."),
        REQUIRED,
        "uri",
    ),
    Field("language", "string", _("Language of the contribution (ISO 639-1 code)."), LANGUAGES),
    Field(
        "version",
        "integer",
        _("Number of the published version the text comes from."),
        {"required": True, "minimum": 1},
    ),
    Field(
        "published_at",
        "datetime",
        _("Date and time that version was published (ISO 8601, UTC)."),
        REQUIRED,
        "any",
    ),
)

FIELDS = tuple(f.name for f in CONTRIBUTION_SCHEMA)
PRACTICE_FIELDS = tuple(f.name for f in PRACTICE_SCHEMA)


@dataclass(frozen=True)
class Resource:
    """A kind of record: its name in file names and in the JSON, and its schema."""

    name: str
    title: object
    schema: tuple[Field, ...]

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.schema)


CONTRIBUTIONS = Resource("contributions", _("Published contributions"), CONTRIBUTION_SCHEMA)
PRACTICES = Resource("practices", _("Practices worth sharing"), PRACTICE_SCHEMA)
RESOURCES = (CONTRIBUTIONS, PRACTICES)
FORMATS = ("csv", "json")
CYCLE_FILES = tuple(f"{r.name}.{fmt}" for r in RESOURCES for fmt in FORMATS)
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json; charset=utf-8"}
# The URL names of the files over all cycles (which take the lists' filters).
URL_NAMES = {
    ("contributions", "csv"): "public:open-data-csv",
    ("contributions", "json"): "public:open-data-json",
    ("practices", "csv"): "public:open-data-practices-csv",
    ("practices", "json"): "public:open-data-practices-json",
}


# --- contributions -------------------------------------------------------------------


def selection(params) -> tuple[ContributionFilter, object]:
    """The published inputs the query-string filters select (invalid values are
    reported by the filter set's form and ignored), oldest publication first."""
    filterset = ContributionFilter(params, queryset=WrittenInput.objects.published())
    filterset.is_valid()
    return filterset, filterset.selection().order_by("published_at", "pk")


@dataclass
class _Reference:
    """The reference rows every record names, read once per file (a few hundred rows
    at most, whatever the number of records)."""

    cycles: dict  # id → (slug, years)
    iscms: dict  # id → (acronym, English name)
    review_regions: dict  # regional review id → region code
    principles: dict  # id → letter
    objectives: dict  # id → (number, English short title)

    @classmethod
    def load(cls) -> "_Reference":
        return cls(
            cycles={c.pk: (c.slug, c.years) for c in ReviewCycle.objects.all()},
            iscms={i.pk: (i.acronym, source_text(i, "name")) for i in ISCM.objects.all()},
            review_regions=dict(RegionalReview.objects.values_list("pk", "region__code")),
            principles=dict(GuidingPrinciple.objects.values_list("pk", "letter")),
            objectives={
                o.pk: (o.number, source_text(o, "short_title")) for o in GCMObjective.objects.all()
            },
        )


def _pairs(relation: str, column: str, input_ids) -> dict[int, list[int]]:
    """{input id: [ids of `column`]} through a many-to-many table, in one query."""
    found: dict[int, list[int]] = {}
    through = getattr(WrittenInput, relation).through.objects
    for input_id, value in through.filter(writteninput__in=input_ids).values_list(
        "writteninput", column
    ):
        found.setdefault(input_id, []).append(value)
    return found


def _inputs(input_ids, reference: _Reference) -> dict[int, dict]:
    """What the records say of each input, in four queries for any number of inputs:
    plain values, never model instances (twenty thousand of those took 36 s)."""
    partners = _pairs("partner_iscms", "iscm", input_ids)
    reviews = _pairs("target_reviews", "regionalreview", input_ids)
    principles = _pairs("principles", "guidingprinciple", input_ids)
    found = {}
    for row in WrittenInput.objects.filter(pk__in=input_ids).values(
        "pk",
        "slug",
        "title",
        "cycle_id",
        "lead_iscm_id",
        "language",
        "basis",
        "published_version",
        "published_at",
    ):
        pk = row["pk"]
        row["cycle"], row["years"] = reference.cycles[row["cycle_id"]]
        row["regions"] = sorted({reference.review_regions[r] for r in reviews.get(pk, [])})
        row["partners"] = sorted(reference.iscms[i] for i in partners.get(pk, []))
        row["principles"] = sorted(reference.principles[p] for p in principles.get(pk, []))
        found[pk] = row
    return found


def _addresses(name: str, *example) -> tuple[str, str]:
    """(what comes before, what comes after) the slug and numbers in the address of
    URL `name`, reversed once: reverse() for each of 80,000 records took 12 s. `example`
    holds the slug "SLUG" and then the numbers 1."""
    address = settings.SITE_URL + reverse(name, args=example)
    before, after = address.split("/".join(map(str, example)))
    return before, after


def _chunks(rows: Iterable, size: int = CHUNK) -> Iterator[list]:
    rows = iter(rows)
    while chunk := list(itertools.islice(rows, size)):
        yield chunk


def records(queryset) -> Iterator[dict]:
    """One dict per published input of `queryset`, in its order, fields in FIELDS
    order; a fixed number of queries per thousand inputs."""
    reference = _Reference.load()
    page = _addresses("public:contribution-detail", "SLUG")
    pdf = _addresses("public:contribution-pdf", "SLUG")
    ids = queryset.values_list("pk", flat=True).iterator(chunk_size=CHUNK)
    for chunk in _chunks(ids):
        inputs = _inputs(chunk, reference)
        objectives: dict[int, list[int]] = {}
        responses = ObjectiveResponse.objects.filter(input__in=chunk)
        for input_id, objective_id in responses.values_list("input", "objective"):
            objectives.setdefault(input_id, []).append(reference.objectives[objective_id][0])
        for pk in chunk:
            row = inputs[pk]
            slug, cycle = row["slug"], row["cycle"]
            yield {
                "id": pk,
                "slug": slug,
                "title": row["title"],
                "url": page[0] + slug + page[1],
                "pdf_url": pdf[0] + slug + pdf[1],
                "cycle": cycle,
                "regional_reviews": [f"{cycle}/{code}" for code in row["regions"]],
                "lead_iscm": reference.iscms[row["lead_iscm_id"]][0],
                "partner_iscms": [acronym for acronym, _name in row["partners"]],
                "regions": row["regions"],
                "objectives": sorted(objectives.get(pk, [])),
                "principles": row["principles"],
                "language": row["language"],
                "basis": row["basis"],
                "published_at": row["published_at"].isoformat(),
            }


def practice_records(queryset) -> Iterator[dict]:
    """One dict per practice of `queryset` (ObjectiveResponse rows), in its order,
    fields in PRACTICE_FIELDS order, in English; a fixed number of queries per
    thousand practices."""
    reference = _Reference.load()
    page = _addresses("public:practice-detail", "SLUG", 1)
    contribution = _addresses("public:contribution-detail", "SLUG")
    rows = queryset.values_list("input_id", "objective_id", "practices").iterator(chunk_size=CHUNK)
    for chunk in _chunks(rows):
        inputs = _inputs({input_id for input_id, _o, _t in chunk}, reference)
        for input_id, objective_id, text in chunk:
            row = inputs[input_id]
            number, short_title = reference.objectives[objective_id]
            slug, cycle = row["slug"], row["cycle"]
            lead = reference.iscms[row["lead_iscm_id"]]
            yield {
                "id": f"{slug}/{number}",
                "title": practices.make_title(
                    [lead[0], *(acronym for acronym, _name in row["partners"])],
                    short_title,
                    row["years"],
                ),
                "description": text,
                "objectives": [number],
                "guiding_principles": row["principles"],
                "geographic_scope": row["regions"],
                "implementing_iscm": f"{lead[1]} ({lead[0]})",
                "partner_iscms": [f"{name} ({acronym})" for acronym, name in row["partners"]],
                "period": row["years"],
                "cycle": cycle,
                "regional_reviews": [f"{cycle}/{code}" for code in row["regions"]],
                "url": f"{page[0]}{slug}/{number}{page[1]}",
                "contribution_url": contribution[0] + slug + contribution[1],
                "language": row["language"],
                "version": row["published_version"],
                "published_at": row["published_at"].isoformat(),
            }


# --- serialisation -------------------------------------------------------------------


class _Echo:
    def write(self, value):
        return value


def csv_cell(value):
    """A list joined with ';'; a text a spreadsheet program would compute gets an
    apostrophe in front, which makes it show as text (OWASP's advice on CSV
    injection); the JSON keeps it as typed."""
    if isinstance(value, list):
        value = CSV_LIST_SEPARATOR.join(map(str, value))
    if isinstance(value, str) and value.startswith(CSV_FORMULA_STARTS):
        return "'" + value
    return value


def csv_chunks(fields: Iterable[str], rows: Iterable[dict]) -> Iterator[str]:
    """A CSV file, a line at a time: UTF-8 with a byte-order mark (so spreadsheet
    programs read Arabic and Chinese right), CRLF line ends, a header."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(list(fields))
    for row in rows:
        yield writer.writerow([csv_cell(value) for value in row.values()])


def json_chunks(head: dict, key: str, rows: Iterable[dict]) -> Iterator[str]:
    """`head` with the list of `rows` under `key`, streamed so twenty thousand records
    never sit in memory at once. Keys in the order given; no whitespace choices left
    to chance."""
    yield json.dumps(head, ensure_ascii=False)[:-1] + f', "{key}": ['
    for n, row in enumerate(rows):
        yield ("," if n else "") + json.dumps(row, ensure_ascii=False)
    yield "]}"


# --- cycles --------------------------------------------------------------------------


def is_closed(cycle: ReviewCycle, reviews: list[RegionalReview], today) -> bool:
    """Closed: its last year is over, or every one of its regional reviews (at least
    one) has held its meeting. A closed cycle's files are frozen."""
    if cycle.end_year < today.year:
        return True
    return bool(reviews) and all(
        review.status_on(today) == RegionalReview.Status.HELD for review in reviews
    )


@dataclass
class ExportFile:
    """One file of a cycle: its address and, when frozen, its sha256 and size."""

    filename: str
    url: str
    sha256: str | None = None
    size: int | None = None
    stored_name: str | None = None

    @property
    def format(self) -> str:
        return self.filename.rsplit(".", 1)[1]


@dataclass
class CycleExport:
    cycle: ReviewCycle
    reviews: list[RegionalReview]
    closed: bool
    state: dict  # the publication state of the cycle (see `_publication_state`)
    files: list[ExportFile] = field(default_factory=list)

    def file(self, filename: str) -> ExportFile:
        return next(f for f in self.files if f.filename == filename)

    def descriptor(self) -> dict:
        """The cycle and its regional reviews, as the per-cycle JSON files carry them."""
        return {
            "slug": self.cycle.slug,
            "name": source_text(self.cycle, "name"),
            "years": self.cycle.years,
            "closed": self.closed,
            "regional_reviews": [
                {
                    "id": f"{self.cycle.slug}/{review.region.code}",
                    "region": review.region.code,
                    "region_name": source_text(review.region, "name"),
                    "meeting_date": review.meeting_date.isoformat()
                    if review.meeting_date
                    else None,
                }
                for review in self.reviews
            ],
        }


def _publication_states(cycle_ids) -> dict:
    """{cycle id: what its published inputs are} in one query (see the module
    docstring: any change of what is public in a cycle changes its entry)."""
    rows = (
        WrittenInput.objects.published()
        .filter(cycle__in=cycle_ids)
        .values("cycle")
        .annotate(
            n=Count("pk"),
            ids=Sum("pk"),
            versions=Sum("published_version"),
            last=Max("published_at"),
        )
        .order_by()
    )
    return {
        row["cycle"]: {
            "n": row["n"],
            # PostgreSQL sums integers as numeric (a Decimal here).
            "ids": int(row["ids"]),
            "versions": int(row["versions"] or 0),
            "last": row["last"].isoformat() if row["last"] else None,
        }
        for row in rows
    }


def cycle_exports(today, *, slug: str | None = None, build: bool = True) -> list[CycleExport]:
    """Every cycle (or the one named `slug`), newest first, with its reviews, whether it
    is closed and its files; a closed cycle's files are built if they are not stored
    yet (`build`). Three queries, whatever the number of records, unless a file is
    built."""
    cycles = ReviewCycle.objects.order_by("-start_year").prefetch_related(
        Prefetch(
            "regional_reviews",
            queryset=RegionalReview.objects.select_related("region").order_by("region__code"),
        )
    )
    if slug is not None:
        cycles = cycles.filter(slug=slug)
    cycles = list(cycles)
    states = _publication_states([c.pk for c in cycles])
    exports = []
    for cycle in cycles:
        reviews = list(cycle.regional_reviews.all())
        export = CycleExport(
            cycle=cycle,
            reviews=reviews,
            closed=is_closed(cycle, reviews, today),
            state=states.get(cycle.pk, {"n": 0}),
        )
        export.files = [
            ExportFile(
                filename=name,
                url=settings.SITE_URL
                + reverse("public:open-data-cycle-file", args=[cycle.slug, name]),
            )
            for name in CYCLE_FILES
        ]
        if export.closed and build:
            for export_file in export.files:
                freeze(export, export_file)
        exports.append(export)
    return exports


def cycle_chunks(export: CycleExport, filename: str) -> Iterator[str]:
    """The file `filename` (one of CYCLE_FILES) of a cycle, built from the database."""
    resource_name, fmt = filename.rsplit(".", 1)
    # English whatever the page: a frozen file must not depend on who built it.
    with translation.override("en"):
        if resource_name == CONTRIBUTIONS.name:
            resource = CONTRIBUTIONS
            queryset = WrittenInput.objects.published().filter(cycle=export.cycle)
            queryset = queryset.order_by("published_at", "pk")
            count, rows = queryset.count(), records(queryset)
        else:
            resource = PRACTICES
            queryset = practices.practices_queryset().filter(input__cycle=export.cycle)
            count, rows = queryset.count(), practice_records(practices.export_order(queryset))
        if fmt == "csv":
            yield from csv_chunks(resource.fields, rows)
            return
        head = {
            "source": export.file(filename).url,
            "cycle": export.descriptor(),
            "count": count,
            "fields": list(resource.fields),
            "datapackage": settings.SITE_URL
            + reverse("public:open-data-cycle-file", args=[export.cycle.slug, "datapackage.json"]),
        }
        yield from json_chunks(head, resource.name, rows)


def _stored_name(export: CycleExport, filename: str) -> str:
    state = hashlib.sha256(json.dumps(export.state, sort_keys=True).encode()).hexdigest()[:20]
    return f"{STORAGE_FOLDER}/{export.cycle.slug}/{state}/{filename}"


def freeze(export: CycleExport, export_file: ExportFile) -> ExportFile:
    """Fill in the stored name, sha256 and size of a closed cycle's file, building and
    storing it first if this publication state has none yet.

    Side effects: may write the file and its digest (`<name>.sha256`, written second,
    so a digest found means its file is whole) into the default storage. Two first
    requests at once both build; the storage keeps both names and both files are the
    same bytes (the serialisation is deterministic)."""
    name = _stored_name(export, export_file.filename)
    digest_name = name + ".sha256"
    if default_storage.exists(digest_name):
        with default_storage.open(digest_name, "rb") as stored:
            sha256, size = stored.read().decode().split()
    else:
        digest = hashlib.sha256()
        size = 0
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
            for chunk in cycle_chunks(export, export_file.filename):
                data = chunk.encode()
                digest.update(data)
                size += len(data)
                spool.write(data)
            spool.seek(0)
            default_storage.save(name, File(spool, name=export_file.filename))
        sha256 = digest.hexdigest()
        default_storage.save(digest_name, ContentFile(f"{sha256} {size}".encode()))
    export_file.sha256, export_file.size, export_file.stored_name = sha256, int(size), name
    return export_file


# --- the data package ----------------------------------------------------------------


def _resource_descriptors(resource: Resource, fmt: str, *, name: str, path: str) -> dict:
    described = {
        "name": name,
        "path": path,
        "title": str(resource.title),
        "format": fmt,
        "mediatype": MEDIA_TYPES[fmt].split(";")[0],
        "encoding": "utf-8",
    }
    if fmt == "csv":
        described["profile"] = "tabular-data-resource"
        described["dialect"] = {
            "delimiter": ",",
            "doubleQuote": True,
            "lineTerminator": "\r\n",
            "quoteChar": '"',
            "header": True,
        }
        described["description"] = str(
            _(
                "One row per record. Lists are separated by semicolons; a text that "
                "starts with =, +, -, @ or a tab has an apostrophe in front."
            )
        )
    else:
        described["profile"] = "data-resource"
        described["description"] = str(
            _(
                'An object with the number of records ("count"), the field names '
                '("fields") and the records under "%(key)s"; lists are arrays and every '
                "text is as published."
            )
            % {"key": resource.name}
        )
    described["schema"] = {
        "fields": [f.descriptor() for f in resource.schema],
        "primaryKey": "id",
    }
    return described


def datapackage(exports: list[CycleExport], *, scope: CycleExport | None = None) -> dict:
    """The Frictionless Data package (Data Package v1, tabular) describing every file:
    the files over all cycles and each cycle's own files, a closed cycle's with their
    sha256 and size. `scope`: one cycle's package. English, so that it is the same
    document for everyone."""
    site = settings.SITE_URL
    with translation.override("en"):
        resources = []
        if scope is None:
            for resource in RESOURCES:
                for fmt in FORMATS:
                    path = site + reverse(URL_NAMES[resource.name, fmt])
                    resources.append(
                        _resource_descriptors(
                            resource, fmt, name=f"{resource.name}-{fmt}", path=path
                        )
                    )
        for export in [scope] if scope else exports:
            for export_file in export.files:
                resource_name, fmt = export_file.filename.rsplit(".", 1)
                resource = CONTRIBUTIONS if resource_name == CONTRIBUTIONS.name else PRACTICES
                described = _resource_descriptors(
                    resource,
                    fmt,
                    name=f"{resource_name}-{fmt}-{export.cycle.slug}",
                    path=export_file.url,
                )
                described["title"] = f"{resource.title}, {export.cycle.years}"
                if export_file.sha256:
                    described["hash"] = f"sha256:{export_file.sha256}"
                    described["bytes"] = export_file.size
                resources.append(described)
        slug = f"-{scope.cycle.slug}" if scope else ""
        return {
            "profile": "tabular-data-package",
            "name": f"iscm-review-portal{slug}",
            "title": str(_("ISCM contributions to the GCM regional reviews"))
            + (f", {scope.cycle.years}" if scope else ""),
            "description": str(
                _(
                    "Written inputs of inter-State consultation mechanisms on migration "
                    "(ISCMs) to the regional reviews of the Global Compact for Migration, "
                    "and the practices worth sharing they report, as published on the "
                    "ISCM Review Portal. A closed cycle's files never change: their "
                    "sha256 is given under hash."
                )
            ),
            "homepage": site + reverse("public:open-data"),
            "resources": resources,
        }
