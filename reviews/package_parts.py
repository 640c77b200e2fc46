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
- **Page numbers.** Each part's page count is read from its PDF. The contents are laid
  out with the first page of every piece written in, again until the contents' own
  length is the one assumed. "Page X of Y", the running header and the review mark are
  a margin layer (pdf/package_margin_layer.html): one empty sheet per page of the
  package with the very margin rules of the whole document, drawn over the pages. It is
  cached too, by a hash of its HTML (language, edition, title and page count).
- **Assembly.** reviews/package_assembly.py joins the PDFs into the document one render
  gives (tagging, bookmarks, links, metadata, attachments).

Called by `package_pdf.compile_package`; everything here runs under
`translation.override(package.language)`.
"""

import functools
import hashlib
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

import weasyprint
from django.contrib.staticfiles import finders
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.loader import get_template, render_to_string

from submissions.pdf import PortalURLFetcher, render_html_to_pdf

from . import package_child_start
from .package_assembly import assemble, page_count

# Bump when code (not a template or stylesheet, which are hashed) changes what a cached
# part or margin layer looks like.
PACKAGE_LAYOUT_VERSION = "1"
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
# starting workers (each imports Django and WeasyPrint, about the time of one part).
PARALLEL_FROM = 6
# From this many pages, the margin layer is rendered in a worker process (see
# `_margin_layer`); a shorter one in process, where starting a worker would cost more.
MARGINS_APART_FROM = 1000
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


def input_parts(
    contexts: list[dict],
    language: str,
    *,
    workers: int | None = None,
    parallel_from: int = PARALLEL_FROM,
) -> dict[int, bytes]:
    """{input version id: its part} for every input of the editions' contexts
    (package_pdf.package_context). Side effects: the parts not in the cache are
    rendered, in worker processes when there are at least `parallel_from` of them, and
    stored in the cache."""
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
    workers = render_workers() if workers is None else workers
    for pk, pdf in zip(missing, _render_all(pages, workers, parallel_from), strict=True):
        name = part_name(pk, language)
        if not default_storage.exists(name):  # another compile may have stored it meanwhile
            default_storage.save(name, ContentFile(pdf))
        parts[pk] = pdf
    return parts


def edition_pdf(context: dict, parts: dict[int, bytes]) -> bytes:
    """One edition as one PDF, from its context and the parts of its inputs."""
    part_pages = [parts[item["version"].pk] for item in context["documents"]]
    counts = [page_count(pdf) for pdf in part_pages]
    overview = _render_piece(context, "overview")
    annexes = _render_piece(
        context, "annexes", PortalURLFetcher(attachments=context["attachment_files"])
    )
    overview_pages = page_count(overview)
    contents_pages = 2  # the cover and one page of contents, to begin with
    for _attempt in range(_CONTENTS_ATTEMPTS):
        first_pages = _first_pages(context["documents"], contents_pages, overview_pages, counts)
        cover = _render_piece({**context, **first_pages}, "cover")
        if page_count(cover) == contents_pages:
            break
        contents_pages = page_count(cover)
    else:
        raise RuntimeError("The contents' length did not settle.")
    total = contents_pages + overview_pages + sum(counts) + page_count(annexes)
    return assemble([cover, overview, *part_pages, annexes], _margin_layer(context, total))


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


def _render_piece(context: dict, piece: str, fetcher=None) -> bytes:
    html = render_to_string("pdf/package_piece.html", {**context, "piece": piece})
    return render_html_to_pdf(html, fetcher=fetcher)


def _margin_layer(context: dict, pages: int) -> bytes:
    html = render_to_string("pdf/package_margin_layer.html", {**context, "sheets": range(pages)})
    key = hashlib.sha256(f"{layout_version()}:{html}".encode()).hexdigest()[:32]
    name = f"{CACHE_FOLDER}/{layout_version()}/margins/{key}.pdf"
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as stored:
            return stored.read()
    # A long package's layer is laid out in a worker process: WeasyPrint keeps every
    # page's boxes until the end of a render, and a process keeps the memory it once
    # took, which the assembly would then come on top of (600 inputs: 3,445 sheets).
    apart = pages >= MARGINS_APART_FROM
    (pdf,) = _render_all([html], render_workers(), parallel_from=1 if apart else 2)
    if not default_storage.exists(name):
        default_storage.save(name, ContentFile(pdf))
    return pdf


def _render_all(pages: list[str], workers: int, parallel_from: int) -> list[bytes]:
    if workers < 2 or len(pages) < parallel_from:
        return [render_html_to_pdf(html) for html in pages]
    # Spawned, not forked: the compiling process runs a heartbeat thread, and a fork
    # copies whatever lock another thread holds at that moment.
    spawn = multiprocessing.get_context("spawn")
    # Each dies with this process: a compile killed outright leaves no renderer behind.
    with ProcessPoolExecutor(
        max_workers=min(workers, len(pages)),
        mp_context=spawn,
        initializer=package_child_start.pool_worker_start,
        initargs=(os.getpid(),),
    ) as pool:
        return list(pool.map(render_html_to_pdf, pages))
