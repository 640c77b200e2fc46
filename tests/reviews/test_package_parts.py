"""Packages assembled from pieces (reviews/package_parts.py, package_assembly.py): the
assembled file is the document one WeasyPrint render of the whole package gives, and
each input's part is rendered once per version, language and layout."""

import io
import re
from collections import Counter

import pikepdf
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.utils import translation
from pypdf import PdfReader

from reviews import package_parts, packages
from reviews.package_pdf import PUBLIC_EDITION, REVIEW_EDITION, package_context
from submissions.pdf import PortalURLFetcher, render_html_to_pdf

from .conftest import TYPED, accepted_typed, compiled_package, read_stored

pytestmark = pytest.mark.django_db


def _one_render(package, edition=REVIEW_EDITION) -> bytes:
    """The whole package as one WeasyPrint render (pdf/package.html), what the compile
    did before it assembled pieces."""
    with translation.override(package.language):
        context = package_context(package, edition=edition)
        html = render_to_string("pdf/package.html", context)
    return render_html_to_pdf(html, fetcher=PortalURLFetcher(context["attachment_files"]))


def _outline(reader) -> list:
    """The bookmarks as nested (title, page number, children)."""

    def walk(items):
        tree = []
        for item in items:
            if isinstance(item, list):
                tree[-1] = (*tree[-1][:2], walk(item))
            else:
                tree.append((item.title, reader.get_destination_page_number(item) + 1, []))
        return tree

    return walk(reader.outline)


def _structure(reader) -> Counter:
    """How many structure elements of each type the tagged PDF holds."""
    kinds = Counter()

    def walk(element):
        element = element.get_object()
        if isinstance(element, list):
            for child in element:
                walk(child)
        elif hasattr(element, "get") and element.get("/Type") == "/StructElem":
            kinds[element["/S"]] += 1
            if "/K" in element:
                walk(element["/K"])

    walk(reader.trailer["/Root"]["/StructTreeRoot"]["/K"])
    return kinds


def _words(page) -> list[str]:
    # Brackets set aside: in right-to-left text pypdf extracts "(2028)" drawn on the
    # page as ")2028(" but the same glyphs drawn from a form XObject (the margin layer)
    # as "(2028)".
    return sorted(word.strip("()") for word in page.extract_text().split())


def test_assembled_package_is_the_document_one_render_gives(world, compiler):
    """An Arabic (right to left) package of inputs in four scripts, both editions."""
    language = "ar"
    for typed in ("en", "ar", "zh", "ru"):
        accepted_typed(world, typed)
    package = compiled_package(world, compiler, language)

    for edition, stored in ((REVIEW_EDITION, package.file), (PUBLIC_EDITION, package.public_file)):
        assembled = PdfReader(io.BytesIO(read_stored(stored)))
        single = PdfReader(io.BytesIO(_one_render(package, edition)))
        # Same pages with the same words on each: contents' numbers, running header,
        # "page X of Y" and the review mark included.
        assert len(assembled.pages) == len(single.pages)
        for number, (ours, theirs) in enumerate(
            zip(assembled.pages, single.pages, strict=True), start=1
        ):
            assert _words(ours) == _words(theirs), (edition, number)
        assert _outline(assembled) == _outline(single)
        assert _structure(assembled) == _structure(single)
        root, single_root = assembled.trailer["/Root"], single.trailer["/Root"]
        assert root["/Lang"] == single_root["/Lang"] == language
        assert root["/MarkInfo"]["/Marked"] and root["/ViewerPreferences"]["/DisplayDocTitle"]
        assert b"pdfuaid" in root["/Metadata"].get_object().get_data()
        for key in ("/Title", "/Author", "/Subject", "/Keywords"):
            assert assembled.metadata[key] == single.metadata[key], key

    # Text extraction per script, as typed, from the assembled review edition.
    assembled = PdfReader(io.BytesIO(read_stored(package.file)))
    pages = [" ".join(page.extract_text().split()) for page in assembled.pages]
    text = " ".join(pages)
    for typed_title, typed_text in TYPED.values():
        assert typed_title in text and typed_text in text


def test_assembled_package_is_tagged_and_its_links_land_on_their_inputs(world, compiler):
    made = [accepted_typed(world, typed) for typed in ("en", "ru")]
    package = compiled_package(world, compiler)
    reader = PdfReader(io.BytesIO(read_stored(package.file)))
    root = reader.trailer["/Root"]["/StructTreeRoot"]
    nums = root["/ParentTree"]["/Nums"]
    entries = {nums[i]: nums[i + 1] for i in range(0, len(nums), 2)}
    # Every page and every annotation has its parent tree entry, numbered as
    # WeasyPrint numbers them: pages first, then annotations.
    annotations = [
        annotation.get_object()
        for page in reader.pages
        for annotation in page.get("/Annots") or []
    ]
    assert [page["/StructParents"] for page in reader.pages] == list(range(len(reader.pages)))
    keys = sorted(a["/StructParent"] for a in annotations if "/StructParent" in a)
    assert keys == list(range(len(reader.pages), len(reader.pages) + len(keys))) and keys
    assert sorted(entries) == [*range(len(reader.pages)), *keys]
    assert root["/ParentTreeNextKey"] == len(reader.pages) + len(keys)
    for annotation in annotations:  # each annotation's element holds it
        element = entries[annotation["/StructParent"]].get_object()
        kids = element["/K"] if isinstance(element["/K"], list) else [element["/K"]]
        held = [kid.get_object().get("/Obj") for kid in kids if hasattr(kid.get_object(), "get")]
        assert annotation.indirect_reference.idnum in {ref.idnum for ref in held if ref}

    # The contents' links name the inputs' anchors, which point at their first pages,
    # the pages the contents give.
    pages = [" ".join(page.extract_text().split()) for page in reader.pages]
    contents = next(page for page in pages if page.startswith("Contents"))
    for written_input in made:
        destination = reader.named_destinations[f"input-{written_input.pk}"]
        first_page = reader.get_destination_page_number(destination) + 1
        assert written_input.title in pages[first_page - 1]
        assert re.search(rf"{re.escape(written_input.title)}\W*{first_page}\b", contents)


def _parts_stored():
    folder = f"{package_parts.CACHE_FOLDER}/{package_parts.layout_version()}/en"
    return set(default_storage.listdir(folder)[1]) if default_storage.exists(folder) else set()


def test_a_recompile_renders_only_the_part_of_the_input_that_changed(world, compiler):
    first = [accepted_typed(world, "en", title=f"Input {n}") for n in range(3)]
    package = compiled_package(world, compiler)
    versions = {v.input_id: v.pk for v in package.input_versions.all()}
    assert _parts_stored() == {f"{versions[i.pk]}.pdf" for i in first}
    cached = {
        name: default_storage.get_modified_time(f"{package_parts.CACHE_FOLDER}/"
                                                f"{package_parts.layout_version()}/en/{name}")
        for name in _parts_stored()
    }  # fmt: skip

    added = accepted_typed(world, "en", title="Input added late")
    newer = compiled_package(world, compiler)
    assert newer.number == 2
    new_version = newer.input_versions.get(input=added).pk
    # One part more, the others untouched (read from the cache, not rendered and stored).
    assert _parts_stored() == {*cached, f"{new_version}.pdf"}
    for name, modified in cached.items():
        path = f"{package_parts.CACHE_FOLDER}/{package_parts.layout_version()}/en/{name}"
        assert default_storage.get_modified_time(path) == modified
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(read_stored(newer.file))).pages)
    assert "Input added late" in text and "Input 2" in text

    # Another language is another part.
    compiled_package(world, compiler, "fr")
    folder = f"{package_parts.CACHE_FOLDER}/{package_parts.layout_version()}/fr"
    assert len(default_storage.listdir(folder)[1]) == 4


def test_a_new_layout_version_renders_every_part_again(world, compiler, monkeypatch):
    accepted_typed(world, "en")
    package = compiled_package(world, compiler)
    assert len(_parts_stored()) == 1
    monkeypatch.setattr(package_parts, "PACKAGE_LAYOUT_VERSION", "bumped")
    package_parts.layout_version.cache_clear()
    try:
        assert _parts_stored() == set()  # the old layout's parts are not used
        with translation.override("en"):
            package_parts.input_parts([package_context(package)], "en", workers=1)
        assert len(_parts_stored()) == 1
    finally:
        package_parts.layout_version.cache_clear()


def test_parts_rendered_in_worker_processes_are_the_parts_rendered_in_process(world, compiler):
    for typed in ("en", "zh"):
        accepted_typed(world, typed)
    package, _ = packages.request_compile(world.reviews.amr, by=compiler, enqueue=False)
    with translation.override(package.language):
        context = package_context(package)
        in_workers = package_parts.input_parts([context], "en", workers=2, parallel_from=2)
        stored = {}
        for pk in in_workers:
            with default_storage.open(package_parts.part_name(pk, "en"), "rb") as part:
                stored[package_parts.part_name(pk, "en")] = part.read()
        for name in stored:
            default_storage.delete(name)
        in_process = package_parts.input_parts([context], "en", workers=1)
    assert in_workers.keys() == in_process.keys() and len(in_workers) == 2
    for pk, pdf in in_workers.items():
        assert stored[package_parts.part_name(pk, "en")] == pdf
        ours, theirs = PdfReader(io.BytesIO(pdf)), PdfReader(io.BytesIO(in_process[pk]))
        assert [_words(p) for p in ours.pages] == [_words(p) for p in theirs.pages]


def test_a_long_margin_layer_rendered_in_a_worker_process_is_the_one_rendered_here(
    world, compiler, monkeypatch
):
    """From MARGINS_APART_FROM pages the layer is laid out in a worker process of its
    own (its memory then goes with it); the sheets are the same as laid out in process."""
    accepted_typed(world, "en")
    package, _ = packages.request_compile(world.reviews.amr, by=compiler, enqueue=False)
    monkeypatch.setenv("PACKAGE_RENDER_WORKERS", "2")
    monkeypatch.setattr(package_parts, "MARGINS_APART_FROM", 3)
    real, calls = package_parts._pool, []

    def spy(workers):
        calls.append(workers)
        return real(workers)

    monkeypatch.setattr(package_parts, "_pool", spy)
    with translation.override(package.language):
        context = package_context(package)
        editions = [{"context": context, "total": 3}]
        package_parts._margin_layers(editions, package_parts._Renderer(None))
        (apart,) = [chunk.result() for chunk in editions[0]["margins"]]
        html = render_to_string("pdf/package_margin_layer.html", {**context, "sheets": range(3)})
        here = package_parts.render_untagged(html)
    assert calls == [1]  # a pool of one worker process, for the layer alone
    ours, theirs = PdfReader(io.BytesIO(apart)), PdfReader(io.BytesIO(here))
    assert len(ours.pages) == len(theirs.pages) == 3
    assert [_words(p) for p in ours.pages] == [_words(p) for p in theirs.pages]


def _drawn_text(page) -> list:
    """What a page draws as text: (font size, text matrix, glyphs) of each TJ/Tj, with
    marked content and the grouping of text objects set aside."""
    drawn, size, matrix = [], None, None
    if "/Contents" not in page.obj:  # nothing drawn
        return drawn
    for operands, operator in pikepdf.parse_content_stream(page):
        operator = str(operator)
        if operator == "Tf":
            size = float(operands[1])
        elif operator == "Tm":
            matrix = [float(value) for value in operands]
        elif operator in ("TJ", "Tj"):
            drawn.append(
                (size, matrix, bytes(pikepdf.unparse_content_stream([(operands, operator)])))
            )
    return drawn


def test_the_untagged_margin_layer_draws_what_a_tagged_render_draws(world, compiler):
    """Untagged (its tagging was a tenth of its cost) and marked as an artifact by the
    assembly: the same text at the same places as the PDF/UA render, no tags of its own."""
    accepted_typed(world, "en")
    package, _ = packages.request_compile(world.reviews.amr, by=compiler, enqueue=False)
    with translation.override(package.language):
        context = package_context(package)
        html = render_to_string("pdf/package_margin_layer.html", {**context, "sheets": range(3)})
    untagged = pikepdf.open(io.BytesIO(package_parts.render_untagged(html)))
    tagged = pikepdf.open(io.BytesIO(render_html_to_pdf(html)))
    assert "/StructTreeRoot" not in untagged.Root and "/StructTreeRoot" in tagged.Root
    for ours, theirs in zip(untagged.pages, tagged.pages, strict=True):
        assert _drawn_text(ours) == _drawn_text(theirs) and _drawn_text(ours)
        assert not [op for _, op in pikepdf.parse_content_stream(ours) if str(op) == "BDC"]


def test_the_margin_layer_is_drawn_as_an_artifact_on_every_page(world, compiler):
    accepted_typed(world, "en")
    package = compiled_package(world, compiler)
    with pikepdf.open(io.BytesIO(read_stored(package.file))) as pdf:
        for page in pdf.pages:
            operations = [
                (operands, str(operator))
                for operands, operator in pikepdf.parse_content_stream(page)
            ]
            # ... q <the page's own drawing> Q /Artifact BMC q <cm> /Fx Do Q EMC
            (index,) = [i for i, (_, op) in enumerate(operations) if op == "Do"][-1:]
            layer = page.Resources.XObject[operations[index][0][0]]
            assert "/StructParents" not in layer and layer.Subtype == "/Form"
            assert operations[index - 3] == ([pikepdf.Name.Artifact], "BMC")
            assert [op for _, op in operations[index + 1 :]] == ["Q", "EMC"]
            assert operations[index - 4][1] == "Q"  # the page's drawing closed before


def test_a_piece_the_two_editions_share_is_rendered_once(world, compiler, monkeypatch):
    """Every input public: the overview and annexes are the same HTML in both editions,
    rendered once; the covers and margin layers differ (the edition shows)."""
    accepted_typed(world, "en")
    package, _ = packages.request_compile(world.reviews.amr, by=compiler, enqueue=False)
    # As if its ISCM had consented and it were published.
    package.public_input_versions.set(package.input_versions.all())
    real, rendered = package_parts.render_html_to_pdf, []
    real_piece, asked = package_parts._Renderer.piece, []

    def counting(html, **kwargs):
        rendered.append(html)
        return real(html, **kwargs)

    def asking(renderer, context, piece, **kwargs):
        asked.append(piece)
        return real_piece(renderer, context, piece, **kwargs)

    monkeypatch.setattr(package_parts, "render_html_to_pdf", counting)
    monkeypatch.setattr(package_parts._Renderer, "piece", asking)
    with translation.override(package.language):
        contexts = {
            edition: package_context(package, edition=edition)
            for edition in (REVIEW_EDITION, PUBLIC_EDITION)
        }
        parts = package_parts.input_parts(list(contexts.values()), "en", workers=1)
        rendered.clear()
        pdfs = package_parts.edition_pdfs(contexts, parts)
    assert len(rendered) == len(set(rendered))
    # Asked for by each edition, the overview and annexes rendered once each.
    assert asked.count("overview") == asked.count("annexes") == 2
    assert len(rendered) == len(asked) - 2
    assert pdfs[REVIEW_EDITION] != pdfs[PUBLIC_EDITION]


def test_the_contents_length_is_guessed_from_the_last_compile(world, compiler, monkeypatch):
    """The cover and contents are laid out again while their length changes their page
    numbers; the next compile starts from the lengths the last one settled on (contents
    and overview: its margin layers are laid out for them before the overview is)."""
    monkeypatch.setattr(package_parts, "_CONTENTS_ATTEMPTS", 4)
    for n in range(3):
        accepted_typed(world, "en", title=f"Input {n}")
    first = compiled_package(world, compiler)
    with translation.override(first.language):
        context = package_context(first)
    stored = package_parts._lengths_guess(context)
    assert stored[0] >= 2 and stored[1] >= 1
    # A wrong guess is corrected, not trusted: the contents' numbers and the page
    # count ("page X of Y") stay right.
    name = package_parts._lengths_guess_name(context)
    default_storage.delete(name)
    default_storage.save(name, ContentFile(b"7 9"))
    added = accepted_typed(world, "en", title="Input added late")
    newer = compiled_package(world, compiler)
    assert package_parts._lengths_guess(context) == stored
    reader = PdfReader(io.BytesIO(read_stored(newer.file)))
    pages = [" ".join(page.extract_text().split()) for page in reader.pages]
    assert f"of {len(pages)}" in pages[-1]
    contents = next(page for page in pages if page.startswith("Contents"))
    destination = reader.named_destinations[f"input-{added.pk}"]
    first_page = reader.get_destination_page_number(destination) + 1
    assert "Input added late" in pages[first_page - 1][:50]
    assert re.search(rf"Input added late\W*{first_page}\b", contents)


def test_a_compile_in_worker_processes_is_the_compile_in_process(world, compiler, monkeypatch):
    """With worker processes (a pool of two for the parts, then one beside this process
    for a recompile with one part missing) and margin layers in chunks, the editions are
    the ones rendered in process."""
    monkeypatch.setenv("PACKAGE_RENDER_WORKERS", "2")
    monkeypatch.setattr(package_parts, "PARALLEL_FROM", 2)
    monkeypatch.setattr(package_parts, "MARGINS_CHUNKS_FROM", 1)  # layers in chunks too
    for typed in ("en", "ar"):
        accepted_typed(world, typed)
    compiled_package(world, compiler)
    accepted_typed(world, "zh")
    pools = []
    real = package_parts._pool
    monkeypatch.setattr(
        package_parts, "_pool", lambda workers: pools.append(workers) or real(workers)
    )
    package = compiled_package(world, compiler)
    assert pools == [1]  # one part missing: one worker, this process helping
    for edition, stored in ((REVIEW_EDITION, package.file), (PUBLIC_EDITION, package.public_file)):
        assembled = PdfReader(io.BytesIO(read_stored(stored)))
        single = PdfReader(io.BytesIO(_one_render(package, edition)))
        assert [_words(p) for p in assembled.pages] == [_words(p) for p in single.pages]
        assert _outline(assembled) == _outline(single)


def test_a_margin_layer_in_chunks_draws_what_one_layer_draws(world, compiler, monkeypatch):
    """Laid out side by side in chunks, each numbering its pages from where it starts
    and writing "of Y" in: the same text at the same places as one layer."""
    accepted_typed(world, "ar")
    package, _ = packages.request_compile(
        world.reviews.amr, language="ar", by=compiler, enqueue=False
    )
    monkeypatch.setattr(package_parts, "MARGINS_CHUNKS_FROM", 3)
    with translation.override(package.language):
        context = package_context(package)
        ((whole, _name),) = package_parts._margin_chunks(context, 7, 1)
        chunks = package_parts._margin_chunks(context, 7, 2)
    assert len(chunks) == 2 and len({name for _html, name in chunks}) == 2
    one = pikepdf.open(io.BytesIO(package_parts.render_untagged(whole)))
    opened = [pikepdf.open(io.BytesIO(package_parts.render_untagged(html))) for html, _ in chunks]
    pages = [page for chunk in opened for page in chunk.pages]
    assert len(pages) == len(one.pages) == 7
    for ours, theirs in zip(pages, one.pages, strict=True):
        assert _drawn_text(ours) == _drawn_text(theirs)
    # The cover has the review mark only, the later pages header and footer too.
    assert len(_drawn_text(one.pages[0])) < len(_drawn_text(one.pages[3]))


def test_a_long_package_lets_its_workers_go_after_its_parts(world, compiler, monkeypatch):
    """From MARGINS_APART_FROM part pages, the editions are made as before the workers
    stayed (issue 21's memory): each margin layer whole in a process of its own."""
    monkeypatch.setenv("PACKAGE_RENDER_WORKERS", "2")
    monkeypatch.setattr(package_parts, "PARALLEL_FROM", 2)
    monkeypatch.setattr(package_parts, "MARGINS_APART_FROM", 2)
    for typed in ("en", "ru"):
        accepted_typed(world, typed)
    pools, real = [], package_parts._pool
    monkeypatch.setattr(
        package_parts, "_pool", lambda workers: pools.append(workers) or real(workers)
    )
    package = compiled_package(world, compiler)
    assert pools == [2, 1, 1]  # the parts' two workers, then one per edition's layer
    assembled = PdfReader(io.BytesIO(read_stored(package.file)))
    single = PdfReader(io.BytesIO(_one_render(package)))
    assert [_words(p) for p in assembled.pages] == [_words(p) for p in single.pages]


def test_an_overview_unchanged_since_the_last_compile_is_not_rendered_again(
    world, compiler, monkeypatch
):
    """Cached by a hash of its HTML (which holds nothing of the package's version): a
    late input not consented to leaves the public edition's overview as it was."""
    accepted_typed(world, "en")
    compiled_package(world, compiler)
    accepted_typed(world, "ru")
    real, overviews = package_parts.render_html_to_pdf, []

    def counting(html, **kwargs):
        if 'class="overview"' in html:
            overviews.append(html)
        return real(html, **kwargs)

    monkeypatch.setattr(package_parts, "render_html_to_pdf", counting)
    package = compiled_package(world, compiler)
    assert len(overviews) == 1 and TYPED["ru"][0] in overviews[0]  # the review edition's
    assert package.public_page_count == len(
        PdfReader(io.BytesIO(read_stored(package.public_file))).pages
    )
