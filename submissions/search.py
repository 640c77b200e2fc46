"""Full-text search over published contributions: the one module that knows how the
databases differ.

PostgreSQL: each published input keeps a weighted `tsvector` (title A, sections B,
objective texts C) built with the text-search configuration of its language (English,
French, Spanish, Russian; `simple` for the others), GIN-indexed (migration 0003). A
query is parsed in every configuration and the results OR-ed, so a French word finds
French documents with French stemming and the whole query stays one constant the index
can answer. Results are ranked with `ts_rank` and snippets come from `ts_headline`.

SQLite (`make run`): the same stored plain text, matched word by word with LIKE
(every word must occur, no stemming), title matches first, snippets cut in Python.

Side effects are limited to the `search_document` and `search_vector` columns of
`WrittenInput`; `workflow.publish_input` calls `index_input`.
"""

import functools
import re
from functools import reduce

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVector,
)
from django.db import connection
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .markup import plain_text
from .models import ContentLanguage, ObjectiveResponse, SectionResponse, WrittenInput

# PostgreSQL's configurations for the content languages it has a stemmer for.
CONFIGS = {
    ContentLanguage.ENGLISH: "english",
    ContentLanguage.FRENCH: "french",
    ContentLanguage.SPANISH: "spanish",
    ContentLanguage.RUSSIAN: "russian",
}
FALLBACK_CONFIG = "simple"
QUERY_CONFIGS = [*CONFIGS.values(), FALLBACK_CONFIG]

MAX_QUERY_LENGTH = 200
MAX_FALLBACK_WORDS = 8
# Private-use characters mark the matches inside a headline: removed from the stored
# text, so only the database can put them there, and replaced after escaping.
_START, _STOP = "\ue000", "\ue001"
_MARKERS = re.compile(f"[{_START}{_STOP}]")
SNIPPET_CHARS = 240


def uses_postgres() -> bool:
    return connection.vendor == "postgresql"


def config_for(language: str) -> str:
    return CONFIGS.get(language, FALLBACK_CONFIG)


@functools.lru_cache(maxsize=512)
def _plain(text: str) -> str:
    # Cached because many inputs repeat texts (and the benchmark seeds thousands).
    return _MARKERS.sub("", plain_text(text)) if text else ""


def _texts(input_ids) -> dict[int, tuple[list[str], list[str]]]:
    """{input id: (section texts, objective texts)} in two queries."""
    texts = {pk: ([], []) for pk in input_ids}
    for input_id, body in (
        SectionResponse.objects.filter(input__in=input_ids)
        .order_by("input", "section__number")
        .values_list("input", "body")
    ):
        texts[input_id][0].append(_plain(body))
    for input_id, *parts in (
        ObjectiveResponse.objects.filter(input__in=input_ids)
        .order_by("input", "objective__number")
        .values_list("input", "progress", "practices", "challenges")
    ):
        texts[input_id][1].extend(_plain(part) for part in parts)
    return texts


def index_input(written_input: WrittenInput) -> None:
    """Store the input's search text (and vector on PostgreSQL) from its content."""
    reindex(WrittenInput.objects.filter(pk=written_input.pk))


def reindex(queryset, *, batch_size: int = 200) -> int:
    """Rebuild the search columns of every input in `queryset`; returns how many."""
    done = 0
    ids = list(queryset.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), batch_size):
        batch = ids[start : start + batch_size]
        rows = WrittenInput.objects.filter(pk__in=batch).values_list("pk", "title", "language")
        titles = {pk: (title, language) for pk, title, language in rows}
        for pk, (sections, objectives) in _texts(batch).items():
            title, language = titles[pk]
            title = _MARKERS.sub("", title)
            section_text = "\n".join(t for t in sections if t)
            objective_text = "\n".join(t for t in objectives if t)
            parts = [title, section_text, objective_text]
            changes = {"search_document": "\n".join(p for p in parts if p)}
            if uses_postgres():
                config = config_for(language)
                changes["search_vector"] = reduce(
                    lambda a, b: a + b,
                    [
                        SearchVector(Value(text), config=config, weight=weight)
                        for text, weight in (
                            (title, "A"),
                            (section_text, "B"),
                            (objective_text, "C"),
                        )
                    ],
                )
            WrittenInput.objects.filter(pk=pk).update(**changes)
            done += 1
    return done


def _query(text: str) -> SearchQuery:
    return reduce(
        lambda a, b: a | b,
        [SearchQuery(text, config=c, search_type="websearch") for c in QUERY_CONFIGS],
    )


def _words(text: str) -> list[str]:
    return re.findall(r"[^\s\"']+", text)[:MAX_FALLBACK_WORDS]


def matching(queryset, text: str):
    """`queryset` narrowed to the inputs whose text matches `text`, annotated with
    `search_rank` (higher is better)."""
    text = text.strip()[:MAX_QUERY_LENGTH]
    if not text:
        return queryset
    if uses_postgres():
        query = _query(text)
        return queryset.filter(search_vector=query).annotate(
            search_rank=SearchRank(F("search_vector"), query)
        )
    words = _words(text) or [text]
    condition = reduce(lambda a, b: a & b, [Q(search_document__icontains=w) for w in words])
    in_title = reduce(lambda a, b: a & b, [Q(title__icontains=w) for w in words])
    return queryset.filter(condition).annotate(
        search_rank=Case(When(in_title, then=Value(1.0)), default=Value(0.5))
    )


def snippets(input_ids, text: str) -> dict[int, SafeString]:
    """{input id: an HTML excerpt around the matches, with <mark>} for a page of
    results: one query, only for these inputs."""
    text = text.strip()[:MAX_QUERY_LENGTH]
    if not text or not input_ids:
        return {}
    if uses_postgres():
        config = Case(
            *[When(language=lang, then=Value(cfg)) for lang, cfg in CONFIGS.items()],
            default=Value(FALLBACK_CONFIG),
        )
        rows = (
            WrittenInput.objects.filter(pk__in=input_ids)
            .annotate(
                snippet=SearchHeadline(
                    Coalesce(F("search_document"), Value("")),
                    _query(text),
                    config=config,
                    start_sel=_START,
                    stop_sel=_STOP,
                    max_words=40,
                    min_words=15,
                    max_fragments=2,
                    fragment_delimiter=" … ",
                )
            )
            .values_list("pk", "snippet")
        )
        return {pk: _marked(snippet) for pk, snippet in rows}
    words = _words(text) or [text]
    documents = WrittenInput.objects.filter(pk__in=input_ids).values_list("pk", "search_document")
    return {pk: _cut(document, words) for pk, document in documents}


def _marked(headline: str) -> SafeString:
    # Escape first: the text is what secretariats typed.
    return mark_safe(  # noqa: S308 — escaped above, only our own <mark> added
        escape(headline).replace(_START, "<mark>").replace(_STOP, "</mark>")
    )


def _cut(document: str, words: list[str]) -> SafeString:
    lowered = document.lower()
    positions = [lowered.find(w.lower()) for w in words]
    first = min((p for p in positions if p >= 0), default=0)
    start = max(0, first - SNIPPET_CHARS // 3)
    excerpt = document[start : start + SNIPPET_CHARS]
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    marked = pattern.sub(lambda m: f"{_START}{m.group(0)}{_STOP}", excerpt)
    prefix = "… " if start else ""
    suffix = " …" if start + SNIPPET_CHARS < len(document) else ""
    return _marked(f"{prefix}{marked}{suffix}")
