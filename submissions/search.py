"""Full-text search over published contributions, in every content language: the one
module that knows how the databases and the languages differ.

PostgreSQL: each published input keeps a weighted `tsvector` (title A, sections B,
objective texts C), GIN-indexed (migration 0003), built from its text in three steps
(`indexed_text`, then the configuration):

1. Arabic is normalised (`normalise`): the short vowels and other marks (U+064B–U+065F,
   U+0670) and the tatweel (U+0640) are removed, the alef forms أ إ آ ٱ become ا and
   the alef maqsura ى becomes ي. The query is normalised the same way, so a word is found
   with or without its diacritics, whichever side carries them. Teh marbuta ة is kept:
   folding it into ه would merge it with the pronoun suffix "his" in every text, and the
   Arabic stemmer already gives both endings one stem (مدرسة, مدرسه → مدرس).
2. CJK runs (Han, Japanese kana, Korean hangul) become overlapping bigrams
   (国际移民组织 → 国际 际移 移民 民组 组织), in place, so positions stay in order.
   PostgreSQL has no Chinese segmenter: its parser takes a whole run between two
   punctuation marks as one word, so a word inside a sentence was never found. A query
   run becomes the phrase of its bigrams (移民组织 → 移民 <-> 民组 <-> 组织), which
   matches where those characters stand together. A run of one character stays a word
   of its own, so a one-character query finds only a character standing alone.
3. The text-search configuration of the input's language: Snowball stemming for
   English, French, Spanish, Portuguese, Russian and Arabic (the Arabic stemmer also
   strips the article and the common affixes: المهاجرين → مهاجر); `simple` for Chinese.

A query is normalised and segmented the same way, then parsed in every configuration
and the results OR-ed: a French word finds French documents with French stemming, and
the whole query stays one constant the GIN index can answer. Results are ranked with
`ts_rank` and snippets come from `ts_headline` over the stored text, which keeps the
diacritics as written (over a window around the first place the query's longest word is
written as typed, or over all of it when only its stem occurs: `_headline_window`);
where the headline cannot mark the match (a Chinese word, or an Arabic word in an input
of another language) the snippet is cut in Python instead.

Why bigrams and not pg_trgm, measured by `bench/search_languages.py` (PostgreSQL 15,
20,000 Chinese documents of 1,521 characters, median of 15 runs): pg_trgm cannot use
its index for a pattern of fewer than three characters, and most Chinese words have two,
so `LIKE '%蝴蝶%'` read the whole table: a two-character word in 1 % of the documents
took 766 ms against 0.24 ms for the bigram vector, two such words 1,162 ms against
3.1 ms, an absent one 525 ms against 0.15 ms; only a four-character word used the
trigram index (39 ms against 8.2 ms). Both found exactly the documents holding the
word; the vectors of whole runs (before) found none. pg_trgm would also need an
extension, a second index (67 MB; the bigram GIN index is 24 MB) and a second kind of
condition beside the one tsquery. The price of bigrams is the vector column: Chinese
text takes 4.3 times the room of whole runs (230 MB against 54 MB for those documents).

Limits. A vector holds positions up to 16,383: in a Chinese input longer than about
16,000 characters, a word of three characters or more written after that point is not
found (it is a phrase of bigrams), two-character words are. PostgreSQL refuses a
vector of 1 MB or more; `_fitted` cuts the sections and objectives texts of an input
that would pass it (only possible where an outline has sections without a word limit)
and indexes their beginning. A one-character query finds a character only where it
stands alone.

SQLite (`make run`): the same stored plain text, matched word by word (every word
must occur, a word after a minus must not; no stemming) by a regular expression that
finds the normalised word with or without its Arabic marks and letter forms; title
matches first, snippets cut in Python with the same expression. Chinese needs nothing
more there: a word is found wherever it stands in a sentence.

Side effects are limited to the `search_document` and `search_vector` columns of
`WrittenInput`; `workflow.publish_input` calls `index_input`, migration 0008 and
`manage.py rebuild_search_index` call `reindex`.
"""

import functools
import re
from collections import Counter
from functools import reduce

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVector,
)
from django.db import connection, connections
from django.db.models import Case, F, Q, TextField, Value, When
from django.db.models.functions import Coalesce, Greatest, Lower, StrIndex, Substr
from django.db.models.lookups import GreaterThan
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .markup import plain_text
from .models import ContentLanguage, WrittenInput

# PostgreSQL's configurations for the content languages it has a stemmer for.
CONFIGS = {
    ContentLanguage.ENGLISH: "english",
    ContentLanguage.FRENCH: "french",
    ContentLanguage.SPANISH: "spanish",
    ContentLanguage.PORTUGUESE: "portuguese",
    ContentLanguage.RUSSIAN: "russian",
    ContentLanguage.ARABIC: "arabic",
}
FALLBACK_CONFIG = "simple"
QUERY_CONFIGS = [*CONFIGS.values(), FALLBACK_CONFIG]

# Bytes of estimated vector per input (see `_fitted`), a quarter under PostgreSQL's
# limit of 1 MB: its parser also indexes the parts of hyphenated words.
VECTOR_BUDGET = 768 * 1024
_TOKEN = re.compile(r"\w+")
MAX_QUERY_LENGTH = 200
MAX_FALLBACK_WORDS = 8
# Private-use characters mark the matches inside a headline: removed from the stored
# text, so only the database can put them there, and replaced after escaping.
_START, _STOP = "\ue000", "\ue001"
_MARKERS = re.compile(f"[{_START}{_STOP}]")
SNIPPET_CHARS = 240
# Characters of stored text a headline is looked for in (see `_headline_window`).
HEADLINE_WINDOW = 1500

# Arabic: the marks (tashkeel, superscript alef) and the tatweel dropped; the letters
# written several ways folded into one (see the module docstring).
ARABIC_MARKS = "\u064b-\u065f\u0670\u0640"
_ARABIC_MARK = re.compile(f"[{ARABIC_MARKS}]")
ARABIC_FOLDS = {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي"}
_ARABIC_TABLE = str.maketrans(ARABIC_FOLDS)
_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f]")
# Han (with extension A, the compatibility block and the supplementary planes), kana
# and hangul syllables: Chinese and Japanese have no spaces between words, and Korean
# writes particles and endings onto its words.
_CJK_RUN = re.compile(
    "[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
    "\U00020000-\U0002fa1f]+"
)


def uses_postgres(using: str | None = None) -> bool:
    return (connections[using] if using else connection).vendor == "postgresql"


def config_for(language: str) -> str:
    return CONFIGS.get(language, FALLBACK_CONFIG)


def normalise(text: str) -> str:
    """`text` with Arabic marks and tatweel removed and alef and yeh forms folded;
    other scripts unchanged."""
    return _ARABIC_MARK.sub("", text).translate(_ARABIC_TABLE)


def _bigrams(run: str) -> str:
    return " ".join(run[i : i + 2] for i in range(len(run) - 1)) or run


def indexed_text(text: str) -> str:
    """What PostgreSQL's parser is given for `text`: Arabic normalised, CJK runs
    replaced by their bigrams."""
    return _CJK_RUN.sub(lambda m: f" {_bigrams(m.group())} ", normalise(text))


def query_text(text: str) -> str:
    """The user's query prepared for `websearch_to_tsquery` like `indexed_text`
    prepares the documents: a CJK run outside quotes becomes a quoted phrase of its
    bigrams (a minus before it still excludes it); inside quotes, its bigrams join the
    phrase the user wrote."""
    pieces = re.split(r'(")', normalise(text))
    quoted = False
    for i, piece in enumerate(pieces):
        if piece == '"':
            quoted = not quoted
        elif quoted:
            pieces[i] = _CJK_RUN.sub(lambda m: f" {_bigrams(m.group())} ", piece)
        else:
            pieces[i] = _CJK_RUN.sub(_quoted_bigrams, piece)
    return "".join(pieces)


def _quoted_bigrams(match) -> str:
    run = match.group()
    before = match.string[match.start() - 1 : match.start()]
    # A space ends the word before the run, but not a minus: `-"…"` is "without".
    space = "" if before in ("", "-") or before.isspace() else " "
    if len(run) <= 2:
        return f"{space}{run} "
    return f'{space}"{_bigrams(run)}" '


def searched_languages() -> list[str]:
    """The names of the languages a search covers, in the interface language and in
    alphabetical order: all the content languages (how each is matched: the module
    docstring)."""
    return sorted((str(label) for label in ContentLanguage.labels), key=str.casefold)


def stems_words() -> bool:
    """Whether a query finds other forms of its words (PostgreSQL) or only the forms
    typed (SQLite)."""
    return uses_postgres()


@functools.lru_cache(maxsize=512)
def _plain(text: str) -> str:
    # Cached because many inputs repeat texts (and the benchmark seeds thousands).
    return _MARKERS.sub("", plain_text(text)) if text else ""


def _texts(models, input_ids, using) -> dict[int, tuple[list[str], list[str]]]:
    """{input id: (section texts, objective texts)} in two queries."""
    section_model, objective_model = models
    texts = {pk: ([], []) for pk in input_ids}
    for input_id, body in (
        section_model.objects.using(using)
        .filter(input__in=input_ids)
        .order_by("input", "section__number")
        .values_list("input", "body")
    ):
        texts[input_id][0].append(_plain(body))
    for input_id, *parts in (
        objective_model.objects.using(using)
        .filter(input__in=input_ids)
        .order_by("input", "objective__number")
        .values_list("input", "progress", "practices", "challenges")
    ):
        texts[input_id][1].extend(_plain(part) for part in parts)
    return texts


def index_input(written_input: WrittenInput) -> None:
    """Store the input's search text (and vector on PostgreSQL) from its content."""
    reindex(WrittenInput.objects.filter(pk=written_input.pk))


def reindex(queryset, *, batch_size: int = 200) -> int:
    """Rebuild the search columns of every input in `queryset`; returns how many.

    The models are taken from the queryset, so migration 0008 can pass one of its
    historical models; `batch_size` inputs are read at a time, in three queries, and
    each is written by one UPDATE (committed one by one outside a transaction)."""
    model = queryset.model
    related = (
        model._meta.get_field("section_responses").related_model,
        model._meta.get_field("objective_responses").related_model,
    )
    using = queryset.db
    postgres = uses_postgres(using)
    done = 0
    ids = list(queryset.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), batch_size):
        batch = ids[start : start + batch_size]
        rows = model.objects.using(using).filter(pk__in=batch)
        titles = {pk: (t, lang) for pk, t, lang in rows.values_list("pk", "title", "language")}
        for pk, (sections, objectives) in _texts(related, batch, using).items():
            title, language = titles[pk]
            title = _MARKERS.sub("", title)
            section_text = "\n".join(t for t in sections if t)
            objective_text = "\n".join(t for t in objectives if t)
            parts = [title, section_text, objective_text]
            changes = {"search_document": "\n".join(p for p in parts if p)}
            if postgres:
                config = config_for(language)
                changes["search_vector"] = reduce(
                    lambda a, b: a + b,
                    [
                        SearchVector(Value(text), config=config, weight=weight)
                        for text, weight in zip(_fitted(parts), "ABC", strict=True)
                    ],
                )
            model.objects.using(using).filter(pk=pk).update(**changes)
            done += 1
    return done


def _vector_bytes(texts) -> int:
    """About the size of the `simple` vector of `texts` (a stemmer only makes it
    smaller): per distinct word its entry, its bytes and its positions (PostgreSQL
    keeps 256 at most)."""
    counts = Counter(w for text in texts for w in _TOKEN.findall(text.lower()))
    return sum(8 + len(w.encode()) + 2 * min(n, 256) for w, n in counts.items())


def _fitted(parts: list[str]) -> list[str]:
    """The indexed texts of (title, sections, objectives), the last two cut from their
    end, by halves, until their vector fits in VECTOR_BUDGET: PostgreSQL refuses a
    vector of 1 MB or more, and an input may hold 500,000 characters (varied Chinese
    text takes about 13 bytes a character in bigrams). The stored text stays whole;
    only what follows the cut is not found."""
    texts = [indexed_text(part) for part in parts]
    share = 1.0
    fitted = texts
    while _vector_bytes(fitted) > VECTOR_BUDGET:
        share /= 2
        fitted = [texts[0], *(text[: int(len(text) * share)] for text in texts[1:])]
    return fitted


_NEGATED = re.compile(r'(?:^|\s)-("[^"]+"|[^\s"]+)')


def _in_every_config(text: str) -> SearchQuery:
    prepared = query_text(text)
    return reduce(
        lambda a, b: a | b,
        [SearchQuery(prepared, config=c, search_type="websearch") for c in QUERY_CONFIGS],
    )


def _query(text: str) -> SearchQuery:
    """The words wanted, in every configuration (OR-ed), and none of the words after a
    minus in any configuration: "migration -data" excludes an English input with
    "data" although the French stem of "data" differs. Still one constant."""
    negated = _NEGATED.findall(text)
    wanted = _NEGATED.sub(" ", text).strip()
    if not negated or not wanted:
        return _in_every_config(text)
    query = _in_every_config(wanted)
    for word in negated:
        prepared = query_text(word)
        for config in QUERY_CONFIGS:
            query &= ~SearchQuery(prepared, config=config, search_type="websearch")
    return query


def _words(text: str) -> tuple[list[str], list[str]]:
    """(the words that must occur, those after a minus that must not), normalised, for
    the fallback's regular expressions and the snippets cut in Python."""
    words = re.findall(r"[^\s\"']+", normalise(text))[:MAX_FALLBACK_WORDS]
    left_out = [w[1:] for w in words if w.startswith("-") and len(w) > 1]
    wanted = [w for w in words if not (w.startswith("-") and len(w) > 1)]
    return (wanted if wanted or left_out else [text]), left_out


def matching(queryset, text: str):
    """`queryset` narrowed to the inputs whose text matches `text`, annotated with
    `search_rank` (higher is better)."""
    text = text.strip()[:MAX_QUERY_LENGTH]
    if not text:
        return queryset
    if uses_postgres(queryset.db):
        return ranked(queryset.filter(search_vector=_query(text)), text)
    # Regular expressions (Django gives SQLite a REGEXP function): the pattern of a
    # normalised word also finds it with its diacritics and alef or yeh forms.
    words, left_out = _words(text)
    queryset = queryset.filter(
        *[Q(search_document__iregex=_pattern(w)) for w in words],
        *[~Q(search_document__iregex=_pattern(w)) for w in left_out],
    )
    return ranked(queryset, text)


def ranked(queryset, text: str):
    """`queryset` annotated with `search_rank` for `text` (higher is better), without
    narrowing it: for ordering inputs already known to match (`browse` ranks only its
    bounded candidates, so the rank is computed for at most that many vectors)."""
    text = text.strip()[:MAX_QUERY_LENGTH]
    if not text:
        return queryset.annotate(search_rank=Value(0.5))
    if uses_postgres(queryset.db):
        return queryset.annotate(search_rank=SearchRank(F("search_vector"), _query(text)))
    words = _words(text)[0]
    if not words:
        return queryset.annotate(search_rank=Value(0.5))
    in_title = reduce(lambda a, b: a & b, [Q(title__iregex=_pattern(w)) for w in words])
    return queryset.annotate(search_rank=Case(When(in_title, then=Value(1.0)), default=Value(0.5)))


def snippets(input_ids, text: str) -> dict[int, SafeString]:
    """{input id: an HTML excerpt around the matches, with <mark>} for a page of
    results: one query, only for these inputs (a second for the few whose headline window
    missed the match: `_headline_window`)."""
    text = text.strip()[:MAX_QUERY_LENGTH]
    if not text or not input_ids:
        return {}
    words = _words(text)[0] or [text]
    if uses_postgres():
        config = Case(
            *[When(language=lang, then=Value(cfg)) for lang, cfg in CONFIGS.items()],
            default=Value(FALLBACK_CONFIG),
        )
        # The stored text as a second answer only when the headline may miss: a CJK
        # word (one "word" to the parser) or an Arabic one (matched only by the Arabic
        # configuration's own folding).
        needs_document = bool(_CJK_RUN.search(text) or _ARABIC.search(text))

        def headline(document):
            return SearchHeadline(
                document,
                _query(text),
                config=config,
                start_sel=_START,
                stop_sel=_STOP,
                max_words=40,
                min_words=15,
                max_fragments=2,
                fragment_delimiter=" … ",
            )

        def rows(ids, document):
            return (
                WrittenInput.objects.filter(pk__in=ids)
                .annotate(
                    snippet=headline(document),
                    document=F("search_document") if needs_document else Value(""),
                )
                .values_list("pk", "snippet", "document")
            )

        found = {pk: (s, d) for pk, s, d in rows(input_ids, _headline_window(max(words, key=len)))}
        # A window without the match (the word written inside a longer one first, the
        # match itself further on): those few again, over the whole text (one query).
        # (A CJK or Arabic query's misses are cut from the stored text in Python instead.)
        missed = [pk for pk, (snippet, _d) in found.items() if _START not in snippet]
        if missed and not needs_document:
            whole = Coalesce(F("search_document"), Value(""), output_field=TextField())
            found.update({pk: (s, d) for pk, s, d in rows(missed, whole)})
        return {
            pk: _marked(snippet) if _START in snippet or not document else _cut(document, words)
            for pk, (snippet, document) in found.items()
        }
    documents = WrittenInput.objects.filter(pk__in=input_ids).values_list("pk", "search_document")
    return {pk: _cut(document, words) for pk, document in documents}


def _headline_window(word: str):
    """The stored text a headline is cut from: HEADLINE_WINDOW characters around the
    first place `word` is written as it was typed (case aside), or the whole text
    when it is not (a match by its stem only). `ts_headline` parses all the text it
    is given, with the query in every configuration: over a whole input (13,000
    characters on average in the benchmark) that was most of a search page's time."""
    document = Coalesce(F("search_document"), Value(""), output_field=TextField())
    at = StrIndex(Lower(document), Value(word.lower()))
    start = Greatest(at - HEADLINE_WINDOW // 3, Value(1))
    return Case(
        When(GreaterThan(at, 0), then=Substr(document, start, HEADLINE_WINDOW)),
        default=document,
        output_field=TextField(),
    )


def _marked(headline: str) -> SafeString:
    # Escape first: the text is what secretariats typed.
    return mark_safe(  # noqa: S308 — escaped above, only our own <mark> added
        escape(headline).replace(_START, "<mark>").replace(_STOP, "</mark>")
    )


def _pattern(word: str) -> str:
    """A regular expression finding the normalised `word` in the text as written:
    any alef or yeh form where it has the plain one, marks anywhere after a letter."""
    marks = f"[{ARABIC_MARKS}]*"
    variants = {"ا": "[اأإآٱ]", "ي": "[يى]"}
    return marks.join(variants.get(c) or re.escape(c) for c in word) + marks


def _cut(document: str, words: list[str]) -> SafeString:
    pattern = re.compile("|".join(_pattern(w) for w in words), re.IGNORECASE)
    found = pattern.search(document)
    first = found.start() if found else 0
    start = max(0, first - SNIPPET_CHARS // 3)
    excerpt = document[start : start + SNIPPET_CHARS]
    marked = pattern.sub(lambda m: f"{_START}{m.group(0)}{_STOP}", excerpt)
    prefix = "… " if start else ""
    suffix = " …" if start + SNIPPET_CHARS < len(document) else ""
    return _marked(f"{prefix}{marked}{suffix}")
