"""A package edition rendered in pieces and assembled, instead of one WeasyPrint render:
each input's part is rendered once and reused, and parts are rendered in parallel.

The design (docs/architecture.md, "Regional packages in pieces"):

- **Pieces.** templates/pdf/package_piece.html renders one piece at a time, from the
  same partials as the whole document (pdf/package.html): the cover and contents, the
  overview, one input, the annexes. Every piece starts on a new page in one document
  too, so a piece's pages are the pages one render would lay out for it. Pieces carry no
  running header or footer.
- **The parts cache.** An input's part depends only on its version's snapshot (an
  immutable InputVersion), the package's language (the portal's words in it) and the
  layout. It is stored through Django's storage API as
  `package-parts/<layout version>/<language>/<input version id>.pdf` and shared by both
  editions and by every later package holding that version: after a late correction
  only the corrected input's part is rendered again. The edition is not in the key: a
  part is the same in both (the edition shows on the cover, in the margins and in which
  parts there are). The layout version is a hash of the templates and stylesheets a
  part is made from, of WeasyPrint's version and of PACKAGE_LAYOUT_VERSION (bump it when
  code changes what a part looks like): any change to them leaves the old parts unused.
- **Parallel parts.** The parts missing from the cache are rendered in worker processes
  (one per core, `PACKAGE_RENDER_WORKERS` overrides); a handful is rendered in process,
  since starting a worker costs about what one part does.
- **Both editions at once.** A compile of PARALLEL_FROM inputs or more starts its worker
  processes first thing (`render_pool`: their start-up overlaps the contexts and the
  parts cache) and keeps them for the whole compile: one per core while many parts are
  missing, else one fewer and this process renders beside them (a long package, of
  MARGINS_APART_FROM part pages or more, lets them go after its parts and is made here
  as before, for memory: see there). After the parts, the
  two editions' pieces are made phase by phase (overviews, covers and contents, margin
  layers, assemblies), each phase's pieces of both editions side by side. The HTML is
  rendered here (templates read the database); the workers only turn HTML into PDF, or
  join PDFs. A piece whose HTML is the same in both editions (the overview and annexes
  when every input is public) is rendered once; the overview is cached by a hash of
  its HTML (unchanged in an edition a late input is not in); the margin layers are
  laid out first, for the length the last compile's contents and overview took, the
  workers' chunks while this process renders an overview and covers. The annexes
  are rendered here: they embed stored files, which only this process's settings
  locate.
- **Page numbers.** Each part's page count is read from its PDF. The contents are laid
  out with the first page of every piece written in, again until the contents' own
  length is the one assumed, starting from the length the last compile of the review
  (language, edition) settled on, kept in the cache with the overview's: one more input
  rarely changes them (a wrong guess costs one more layout of the contents and of the
  margin layer).
  "Page X of Y", the running header and the review mark are a margin layer
  (pdf/package_margin_layer.html): one empty sheet per page of the package with the
  very margin rules of the whole document, drawn over the pages. It is cached too, by a
  hash of its HTML (language, edition, title and page count). It is rendered untagged:
  all of it is artifact, and the assembly marks it so where it draws it (WeasyPrint's
  tagging of thousands of sheets costs a tenth of their layout and grows with the
  square of their number).
- **Assembly.** reviews/package_assembly.py joins the PDFs into the document one render
  gives (tagging, bookmarks, links, metadata, attachments).

Called by `package_pdf.compile_package`; everything here runs under
`translation.override(package.language)`.
"""

import contextlib
import functools
import hashlib
import itertools
import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor

import weasyprint
from django.contrib.staticfiles import finders
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.loader import get_template, render_to_string
from django.utils.safestring import mark_safe

from submissions.pdf import BASE_URL, PortalURLFetcher, render_html_to_pdf

from . import package_child_start
from .package_assembly import assemble, page_count

# Bump when code (not a template or stylesheet, which are hashed) changes what a cached
# part or margin layer looks like.
PACKAGE_LAYOUT_VERSION = "1"
# Part of the margin layers' cache key: 2 since they are rendered untagged (a layer
# cached before was tagged, and the assembly now marks the layer as an artifact itself).
_MARGINS_VERSION = "2"
_LAYOUT_TEMPLATES = (
    "pdf/package_piece.html",
    "pdf/_package_input.html",
    "pdf/package_margin_layer.html",
    "pdf/_package_margins.html",
    "submissions/_input_document.html",
    "submissions/_comments.html",
)
_LAYOUT_STYLESHEETS = ("css/print.css", "css/package.css")
CACHE_FOLDER = "package-parts"
# Below this many parts to render, rendering them in this process is faster than
# starting workers (each imports Django and WeasyPrint, about the time of one part). A
# compile of this many inputs or more starts its workers at once (`render_pool`).
PARALLEL_FROM = 6
# From this many pages, a margin layer is rendered in a worker process of its own and
# an edition is assembled in this process, one edition after the other (see
# `_margin_layers`): WeasyPrint keeps every page's boxes until the end of a render, and
# a process keeps the memory it once took (600 inputs: 3,445 sheets).
MARGINS_APART_FROM = 1000
# From this many pages, a margin layer is laid out in chunks side by side, one per
# process the compile renders in (each chunk's first page numbered where it starts).
MARGINS_CHUNKS_FROM = 100
# The contents are laid out again while their length changes the numbers in them.
_CONTENTS_ATTEMPTS = 4


@functools.cache
def layout_version() -> str:
    """A short hash of everything a cached piece's look depends on but its inputs."""
    digest = hashlib.sha256(f"{PACKAGE_LAYOUT_VERSION}:{weasyprint.__version__}".encode())
    paths = [get_template(name).origin.name for name in _LAYOUT_TEMPLATES]
    paths += [finders.find(name) for name in _LAYOUT_STYLESHEETS]
    for path in paths:
        with open(path, "rb") as source:
            digest.update(source.read())
    return digest.hexdigest()[:16]


def part_name(version_pk: int, language: str) -> str:
    return f"{CACHE_FOLDER}/{layout_version()}/{language}/{version_pk}.pdf"


def render_workers() -> int:
    return int(os.environ.get("PACKAGE_RENDER_WORKERS") or min(2, os.cpu_count() or 1))


@contextlib.contextmanager
def render_pool(contexts: list[dict], language: str, *, workers: int | None = None):
    """What a compile of the editions' `contexts` renders its pieces with (a
    `_Renderer`): worker processes started now, so that their start-up overlaps what
    the compile does meanwhile, and this process. Every core's worth (`workers`) of them
    when PARALLEL_FROM parts or more are missing from the cache (this process then only
    waits); else one fewer, this process rendering one edition's pieces beside them;
    none with one core or fewer than PARALLEL_FROM inputs. The workers end with the
    `with` block, and die with this process if it is killed."""
    workers = render_workers() if workers is None else workers
    versions = {item["version"].pk for context in contexts for item in context["documents"]}
    if workers < 2 or len(versions) < PARALLEL_FROM:
        yield _Renderer(None)
        return
    missing = sum(not default_storage.exists(part_name(pk, language)) for pk in versions)
    helping = missing < PARALLEL_FROM
    workers -= helping
    with _pool(workers) as pool:
        for _worker in range(workers):  # all start at once
            pool.submit(_warm_up)
        try:
            yield _Renderer(pool, workers=workers, helping=helping)
        except BaseException:
            # A failed compile does not wait for the pieces still queued.
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _pool(workers: int) -> ProcessPoolExecutor:
    # Spawned, not forked: the compiling process runs a heartbeat thread, and a fork
    # copies whatever lock another thread holds at that moment.
    spawn = multiprocessing.get_context("spawn")
    # Each dies with this process: a compile killed outright leaves no renderer behind.
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=spawn,
        initializer=package_child_start.pool_worker_start,
        initargs=(os.getpid(),),
    )


def _warm_up() -> None:
    """A worker's first job: its first render's one-time costs (fonts found and
    loaded) paid while the compile still prepares the pieces."""
    render_html_to_pdf(
        '<html lang="en"><link rel="stylesheet" href="/static/css/print.css"><p>.</p></html>'
    )


def input_parts(
    contexts: list[dict],
    language: str,
    *,
    renderer: "_Renderer | None" = None,
    workers: int | None = None,
    parallel_from: int = PARALLEL_FROM,
) -> dict[int, bytes]:
    """{input version id: its part} for every input of the editions' contexts
    (package_pdf.package_context). Side effects: the parts not in the cache are
    rendered, when there are at least `parallel_from` of them in worker processes (the
    compile's `renderer`'s, else started for them), else in process; and stored in the
    cache."""
    items = {item["version"].pk: item for context in contexts for item in context["documents"]}
    parts, missing = {}, []
    for pk in items:
        name = part_name(pk, language)
        if default_storage.exists(name):
            with default_storage.open(name, "rb") as stored:
                parts[pk] = stored.read()
        else:
            missing.append(pk)
    if not missing:
        return parts
    context = contexts[0]
    pages = [
        render_to_string(
            "pdf/package_piece.html", {**context, "piece": "input", "item": items[pk]}
        )
        for pk in missing
    ]
    if renderer is not None and renderer.pool is not None and len(pages) >= parallel_from:
        rendered = list(renderer.pool.map(render_html_to_pdf, pages))
    else:  # a few in process (meanwhile the pool's workers start), or a pool for them
        workers = render_workers() if workers is None else workers
        rendered = _render_all(pages, workers, parallel_from)
    for pk, pdf in zip(missing, rendered, strict=True):
        name = part_name(pk, language)
        if not default_storage.exists(name):  # another compile may have stored it meanwhile
            default_storage.save(name, ContentFile(pdf))
        parts[pk] = pdf
    return parts


def edition_pdfs(
    contexts: dict[str, dict], parts: dict[int, bytes], renderer: "_Renderer | None" = None
) -> dict[str, bytes]:
    """{edition: its PDF} for the editions' contexts, from the parts of their inputs;
    the editions' pieces are rendered side by side by `renderer` (render_pool), phase by
    phase, each phase needing the page counts of the one before. Side effects: the
    margin layers and the contents' length (a guess for the next compile) are cached."""
    renderer = renderer or _Renderer(None)
    counts = {pk: page_count(pdf) for pk, pdf in parts.items()}
    if sum(counts.values()) >= MARGINS_APART_FROM:
        # A long package is made here as before the workers stayed (see
        # MARGINS_APART_FROM): the workers' memory goes back first.
        renderer.close()
    editions = [
        {
            "context": context,
            "parts": [parts[item["version"].pk] for item in context["documents"]],
            "counts": [counts[item["version"].pk] for item in context["documents"]],
        }
        for context in contexts.values()
    ]
    for state in editions:
        context = state["context"]
        fetcher = PortalURLFetcher(attachments=context["attachment_files"])
        state["annexes"] = renderer.piece(context, "annexes", fetcher=fetcher).result()
        # The lengths the last compile's contents and overview settled on (one more
        # input rarely changes them): the edition's length, guessed.
        state["contents_pages"], state["overview_pages"] = _lengths_guess(context) or (0, 0)
        state["total"] = _total_pages(state) if state["contents_pages"] else None
    # The margin layers for that length, first: the workers lay their chunks out while
    # this process renders an overview, then the covers (this process's chunks once
    # the workers have their covers); laid out again for an edition whose length was
    # another.
    here = _margin_layers([state for state in editions if state["total"]], renderer)
    # Each edition's overview, cached (unchanged in an edition a late input is not in);
    # the last one to render is rendered here, after the workers were given theirs.
    uncached = [c for c in contexts.values() if not renderer.in_cache(c, "overview")]
    for state in editions:
        context = state["context"]
        here_too = bool(uncached) and context is uncached[-1]
        state["overview"] = renderer.piece(context, "overview", here=here_too, cached=True)
    for state in editions:
        state["overview"] = state["overview"].result()
        state["overview_pages"] = page_count(state["overview"])
    _settle_contents(renderer, editions, meanwhile=here)
    again = [state for state in editions if _total_pages(state) != state["total"]]
    for state in again:
        state["total"] = _total_pages(state)
    for rendered, html in _margin_layers(again, renderer):
        rendered.set_result(render_untagged(html))
    for index, state in enumerate(editions):
        pieces = [state["cover"], state["overview"], *state["parts"], state["annexes"]]
        margins = [chunk.result() for chunk in state["margins"]]
        if state["total"] >= MARGINS_APART_FROM:  # here, one after the other: see there
            state["pdf"] = _done(assemble(pieces, margins))
        else:
            state["pdf"] = renderer.run(assemble, pieces, margins, here=index == len(editions) - 1)
    return {
        context["edition"]: state["pdf"].result()
        for context, state in zip(contexts.values(), editions, strict=True)
    }


def _total_pages(state: dict) -> int:
    counts = (state["overview_pages"], sum(state["counts"]), page_count(state["annexes"]))
    return state["contents_pages"] + sum(counts)


def _settle_contents(renderer, editions: list[dict], meanwhile=()) -> None:
    """Lay out each edition's cover and contents (its "cover") until the contents' own
    length is the one their page numbers assumed, starting from "contents_pages" (the
    length the last compile of that review, language and edition settled on); both
    editions' attempts side by side. `meanwhile`: margin layer chunks this process
    renders once the first attempts are under way."""
    for state in editions:
        state["contents_pages"] = state["contents_pages"] or 2  # the cover, one page
    pending = editions
    for _attempt in range(_CONTENTS_ATTEMPTS):
        for index, state in enumerate(pending):
            first_pages = _first_pages(
                state["context"]["documents"],
                state["contents_pages"],
                state["overview_pages"],
                state["counts"],
            )
            state["cover"] = renderer.piece(
                {**state["context"], **first_pages}, "cover", here=index == len(pending) - 1
            )
        for rendered, html in meanwhile:
            rendered.set_result(render_untagged(html))
        meanwhile = ()
        unsettled = []
        for state in pending:
            state["cover"] = state["cover"].result()
            pages = page_count(state["cover"])
            if pages != state["contents_pages"]:
                state["contents_pages"] = pages
                unsettled.append(state)
        pending = unsettled
        if not pending:
            break
    else:
        raise RuntimeError("The contents' length did not settle.")
    for state in editions:
        name = _lengths_guess_name(state["context"])
        if default_storage.exists(name):
            default_storage.delete(name)
        lengths = f"{state['contents_pages']} {state['overview_pages']}"
        default_storage.save(name, ContentFile(lengths.encode()))


def _lengths_guess_name(context: dict) -> str:
    package = context["package"]
    return (
        f"{CACHE_FOLDER}/{layout_version()}/lengths/"
        f"{package.review_id}-{package.language}-{context['edition']}.txt"
    )


def _lengths_guess(context: dict) -> tuple[int, int] | None:
    """How many pages the cover and contents, and the overview, probably take: what
    they took at the last compile of the same review, language and edition (one more
    input rarely changes them), else None. Only a guess: a wrong one costs one more
    layout of the contents and of the margin layer."""
    try:  # another compile of the review may be replacing it: then no guess
        with default_storage.open(_lengths_guess_name(context), "rb") as stored:
            numbers = stored.read().decode(errors="replace").split()
    except OSError:
        return None
    if len(numbers) == 2 and all(n.isdigit() and int(n) > 0 for n in numbers):
        return int(numbers[0]), int(numbers[1])
    return None


class _Renderer:
    """Turns a compile's pieces into PDFs: in the pool's worker processes when there is
    one, else in this process, and in this process too when it `helping` them (a piece
    asked for `here`); each distinct HTML once (`piece` returns the same future for the
    same HTML, as the two editions' overviews often are)."""

    def __init__(
        self, pool: ProcessPoolExecutor | None, *, workers: int = 0, helping: bool = False
    ):
        self.pool, self.workers, self.helping = pool, workers, helping
        self.futures: dict[tuple, Future] = {}

    def piece(self, context: dict, piece: str, *, fetcher=None, here: bool = False, cached=False):
        """A future of the piece's PDF; with `cached`, taken from the cache or stored
        there, by a hash of its HTML (as margin layers are)."""
        html, name = self._html_and_name(context, piece)
        key = (name, fetcher is not None)
        if key not in self.futures:
            if cached and default_storage.exists(name):
                with default_storage.open(name, "rb") as stored:
                    self.futures[key] = _done(stored.read())
            elif fetcher is not None:  # embeds stored files: only this process locates them
                self.futures[key] = _done(render_html_to_pdf(html, fetcher=fetcher))
            else:
                rendered = self.run(render_html_to_pdf, html, here=here)
                self.futures[key] = _Stored(rendered, name) if cached else rendered
        return self.futures[key]

    def in_cache(self, context: dict, piece: str) -> bool:
        return default_storage.exists(self._html_and_name(context, piece)[1])

    @staticmethod
    def _html_and_name(context: dict, piece: str) -> tuple[str, str]:
        html = render_to_string("pdf/package_piece.html", {**context, "piece": piece})
        digest = hashlib.sha256(f"{layout_version()}:{html}".encode()).hexdigest()
        return html, f"{CACHE_FOLDER}/{layout_version()}/pieces/{digest[:32]}.pdf"

    def close(self) -> None:
        """From now on, everything in this process; the workers end."""
        if self.pool is not None:
            self.pool.shutdown()
        self.pool, self.workers, self.helping = None, 0, False

    @property
    def processes(self) -> int:
        """How many processes render side by side."""
        if self.pool is None:
            return 1
        return self.workers + self.helping

    def run(self, function, *args, here: bool = False) -> Future:
        if self.pool is None or (here and self.helping):
            return _done(function(*args))
        return self.pool.submit(function, *args)


def _done(result) -> Future:
    future = Future()
    future.set_result(result)
    return future


def _first_pages(documents, contents_pages: int, overview_pages: int, counts) -> dict:
    """What the contents need to number their entries when the cover and contents
    take `contents_pages`: where the overview, each input and the annexes start."""
    start = contents_pages + 1
    overview_start = start
    start += overview_pages
    numbered = []
    for item, count in zip(documents, counts, strict=True):
        numbered.append({**item, "start_page": start})
        start += count
    return {
        "overview_start_page": overview_start,
        "documents": numbered,
        "annexes_start_page": start,
    }


def _margin_layers(editions: list[dict], renderer: "_Renderer") -> list[tuple]:
    """Set each edition's "margins": its margin layer of "total" pages as chunks
    (futures of PDFs), from the cache or rendered untagged, side by side by `renderer`
    (from MARGINS_APART_FROM pages in one piece, in a worker process of its own whose
    memory goes with it); each stored in the cache once waited for. Returns the chunks
    this process is to render, as (future to set, HTML)."""
    here = []  # this process's chunks, rendered once the workers have theirs
    for state in editions:
        chunks = _margin_chunks(state["context"], state["total"], renderer.processes)
        state["margins"] = []
        for index, (html, name) in enumerate(chunks):
            if default_storage.exists(name):
                with default_storage.open(name, "rb") as stored:
                    state["margins"].append(_done(stored.read()))
                continue
            if state["total"] >= MARGINS_APART_FROM and render_workers() >= 2:
                with _pool(1) as pool:
                    rendered = _done(pool.submit(render_untagged, html).result())
            elif renderer.helping and index == len(chunks) - 1:
                rendered = Future()
                here.append((rendered, html))
            else:
                rendered = renderer.run(render_untagged, html)
            state["margins"].append(_Stored(rendered, name))
    return here


def _margin_chunks(context: dict, pages: int, processes: int) -> list[tuple[str, str]]:
    """The HTML of an edition's margin layer of `pages` pages in chunks, one per
    process (one below MARGINS_CHUNKS_FROM pages or from MARGINS_APART_FROM), each with
    its cache name (a hash of its HTML: language, edition, title, pages)."""
    count = processes if MARGINS_CHUNKS_FROM <= pages < MARGINS_APART_FROM else 1
    bounds = [pages * index // count for index in range(count + 1)]
    chunks = []
    for start, end in itertools.pairwise(bounds):
        chunk = {**context, "sheets": range(start, end), "first_page": start + 1}
        if count > 1:
            # "of Y" written in, a chunk having only some of the pages: the
            # placeholder package_pdf._css_content made of %(pages)s.
            chunk["page_footer"] = mark_safe(  # noqa: S308 (a number in a CSS value)
                str(context["page_footer"]).replace("counter(pages)", f'"{pages}"')
            )
        html = render_to_string("pdf/package_margin_layer.html", chunk)
        key = hashlib.sha256(f"{layout_version()}:{_MARGINS_VERSION}:{html}".encode())
        chunks.append(
            (html, f"{CACHE_FOLDER}/{layout_version()}/margins/{key.hexdigest()[:32]}.pdf")
        )
    return chunks


class _Stored:
    """A rendered piece that is stored in the cache as `name` once it is waited for
    (here, not in the pool's thread that completes the future)."""

    def __init__(self, rendered: Future, name: str):
        self.rendered, self.name = rendered, name

    def result(self) -> bytes:
        pdf = self.rendered.result()
        if not default_storage.exists(self.name):  # another compile may have stored it
            default_storage.save(self.name, ContentFile(pdf))
        return pdf


def render_untagged(html: str) -> bytes:
    """A margin layer as PDF, without PDF/UA tags: only its drawing is used, which the
    assembly marks as an artifact (package_assembly.py)."""
    document = weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=PortalURLFetcher())
    return document.write_pdf(pdf_version="1.7", uncompressed_pdf=False)


def _render_all(pages: list[str], workers: int, parallel_from: int) -> list[bytes]:
    if workers < 2 or len(pages) < parallel_from:
        return [render_html_to_pdf(html) for html in pages]
    with _pool(min(workers, len(pages))) as pool:
        return list(pool.map(render_html_to_pdf, pages))
