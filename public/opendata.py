"""Open data's records and their data dictionary: every published contribution and
every practice worth sharing as a plain record (`records`, `practice_records`), and the
one description of each field (`CONTRIBUTION_SCHEMA`, `PRACTICE_SCHEMA`) that gives the
files' columns, the Table Schemas of the data package (`resource_descriptor`) and the
open-data page's tables, so the three cannot disagree.

Contribution ids are the database ids (an input is never renumbered), slugs never
change once made, a practice is named by its contribution's slug and objective number.
Every record carries its cycle (`cycle`) and the regional reviews it was sent to
(`regional_reviews`, each "<cycle slug>/<region code>"). Records are built from plain
values, in the order of the query set given, in a fixed number of queries per thousand.

The files that carry the records: `public/opendata_formats.py` (CSV and JSON);
a cycle's own files, frozen once it is closed, and the data package that lists every
file: `public/opendata_cycles.py`. The views: `public/views/opendata.py`.
"""

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.urls import reverse
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
from .opendata_formats import MEDIA_TYPES

CHUNK = 1000


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


def resource_descriptor(resource: Resource, fmt: str, *, name: str, path: str) -> dict:
    """One resource in one format as a Data Package resource: its file's dialect,
    a description of its layout and its Table Schema (`Field.descriptor`)."""
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
    if path.endswith(f"/open-data/{resource.name}.{fmt}"):
        described["description"] += " " + str(
            _(
                "With filters in the query string, a page of 1,000 records at a time: "
                'the JSON adds "page", "page_size", "next" and "previous" (the addresses '
                "of the following and preceding pages, null at the ends); both formats "
                'give the next page in a Link header (rel="next").'
            )
        )
    described["schema"] = {
        "fields": [f.descriptor() for f in resource.schema],
        "primaryKey": "id",
    }
    return described


# --- the records -----------------------------------------------------------------------


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
