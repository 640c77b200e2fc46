"""One PDF from the pieces of a regional package, as one WeasyPrint render would have
written it (reviews/package_parts.py renders the pieces; this module only joins PDFs).

The pieces are WeasyPrint PDF/UA-1 files laid out with the package's page size and
margins and no running header or footer; the margin layer is one more WeasyPrint file
with as many pages as the package, holding only the running header, "page X of Y" and
the review mark. Joined here with pikepdf (qpdf), so that:

- pages follow each other, and the margin layer's page n is drawn over page n (as a
  form XObject, inside an /Artifact marked-content sequence: the layer is rendered
  untagged, and PDF/UA wants every drawing tagged or marked as an artifact);
- the structure tree (PDF/UA tagging) is one Document element whose children are every
  piece's, in order: WeasyPrint builds its tree page by page, so concatenating is what
  one render gives; the parent tree is renumbered (pages first, then annotations, as
  WeasyPrint numbers them), with each page's /StructParents and each annotation's
  /StructParent;
- the bookmarks keep their pieces' order and positions; every later piece's top-level
  bookmarks nest under the first piece's single top-level one (the cover's h1), as one
  document nests every h2 after the h1 it follows;
- named destinations (the anchors the contents' links point at) are merged, so a link
  to an input in another piece still lands on it;
- metadata, /Lang, /MarkInfo, /ViewerPreferences and XMP come from the first piece
  (the cover), embedded files from whichever piece embeds them (the annexes).

Memory: each open piece costs qpdf about half a megabyte whatever its size, and a page
copied from another PDF reads its streams from it until the output is saved. So each
piece after the first is opened, copied, its streams' data taken over by the output
(`_take_over_streams`) and closed before the next: 600 inputs' pieces took 370 MB
more open all at once (issue 21).
"""

import io
import warnings

import pikepdf
from pikepdf import Array, Dictionary, Name, OutlineItem

# See `_take_over_streams`.
_GAP = 16


def assemble(pieces: list[bytes], margin_layers: list[bytes]) -> bytes:
    """The pieces' pages in order, the margin layer drawn over them, as one tagged PDF.
    The margin layer comes in one or more chunks (laid out side by side), whose pages
    together must be exactly as many as the pieces'."""
    out = pikepdf.new()
    # qpdf reads a copied stream's data from its source at save: each source but the
    # first is closed once `_take_over_streams` gave its streams their data.
    first = pikepdf.open(io.BytesIO(pieces[0]))  # open to the end: its metadata is copied
    layers = [pikepdf.open(io.BytesIO(chunk)) for chunk in margin_layers]
    structure_root = out.make_indirect(Dictionary(Type=Name.StructTreeRoot))
    document = out.make_indirect(
        Dictionary(Type=Name.StructElem, S=Name.Document, K=Array(), P=structure_root)
    )
    structure_root.K = Array([document])
    page_entries, annotation_entries = [], []  # (key, value) of the parent tree
    outline, destinations, embedded = [], [], None
    next_id = len(out.objects) + 1  # the first object number the copies will get
    for number, data in enumerate(pieces):
        source = first if number == 0 else pikepdf.open(io.BytesIO(data))
        offset = len(out.pages)
        source_index = {page.obj.objgen: index for index, page in enumerate(source.pages)}
        children = _detached_structure(source)
        with warnings.catch_warnings():
            # Named destinations are merged below, links and all (_copied_destinations).
            warnings.simplefilter("ignore", pikepdf.exceptions.PageCopyWarning)
            out.pages.extend(source.pages)
        for child in children:  # copied after the pages: /Pg maps to the copied pages
            copied = out.copy_foreign(child)
            copied.P = document
            document.K.append(copied)
        page_entries += _renumbered_parent_tree(out, source, offset, annotation_entries)
        outline.append(_copied_outline(out, source, source_index, offset))
        destinations += _copied_destinations(out, source, source_index, offset)
        names = source.Root.get("/Names")
        if names is not None and "/EmbeddedFiles" in names:
            embedded = _copied_name_tree(out, source, names.EmbeddedFiles)
        if source is not first:
            next_id = _take_over_streams(out, next_id)
            source.close()

    layer_pages = [page for layer in layers for page in layer.pages]
    if len(layer_pages) != len(out.pages):
        raise ValueError(f"margin layer of {len(layer_pages)} pages for {len(out.pages)}")
    for page, margins in zip(out.pages, layer_pages, strict=True):
        _draw_artifact_over(page, margins)

    # Annotations after every page, numbered from the page count as WeasyPrint does.
    nums = []  # a Python list: extending a pikepdf Array item by item is quadratic
    for key, value in page_entries:
        nums += [key, value]
    for key, (annotation, value) in enumerate(annotation_entries, start=len(out.pages)):
        annotation.StructParent = key
        nums += [key, value]
    structure_root.ParentTree = out.make_indirect(Dictionary(Nums=Array(nums)))
    structure_root.ParentTreeNextKey = len(out.pages) + len(annotation_entries)
    out.Root.StructTreeRoot = structure_root

    out.Root.Lang = pikepdf.String(bytes(first.Root.Lang))
    for key in ("/MarkInfo", "/ViewerPreferences"):  # a few names and booleans
        out.Root[key] = Dictionary(dict(first.Root[key].items()))
    if "/Metadata" in first.Root:  # XMP: title, language, PDF/UA identification
        out.Root.Metadata = out.copy_foreign(first.Root.Metadata)
    for key, value in first.docinfo.items():
        out.docinfo[key] = value
    names = Dictionary()
    if destinations:
        # A name several pieces define points where the last one does: the contents
        # define their targets on themselves only so that WeasyPrint keeps their links
        # (package_parts.py), the pieces after them define where they really are.
        unique = {bytes(name): (name, target) for name, target in destinations}
        names.Dests = Dictionary(
            Names=Array([item for key in sorted(unique) for item in unique[key]])
        )
    if embedded is not None:
        names.EmbeddedFiles = embedded
    if names.keys():
        out.Root.Names = names
    _write_outline(out, outline)

    buffer = io.BytesIO()
    out.save(
        buffer,
        compress_streams=True,
        object_stream_mode=pikepdf.ObjectStreamMode.generate,
        deterministic_id=True,
    )
    return buffer.getvalue()


def _draw_artifact_over(page, margins) -> None:
    """Draw the layer's page `margins` over `page` as pikepdf's `add_overlay` does (a
    form XObject, the page's own drawing kept in its graphics state), with the layer's
    drawing marked as an artifact (running header and footer, not content)."""
    form = margins.as_form_xobject()
    placed = page.add_resource(form, Name.XObject)
    placement = page.calc_form_xobject_placement(form, placed, pikepdf.Rectangle(page.trimbox))
    page.contents_add(b"q\n", prepend=True)
    page.contents_add(b"Q\n/Artifact BMC\n" + placement + b"\nEMC\n", prepend=False)
    page.contents_coalesce()


def _take_over_streams(out, next_id: int) -> int:
    """Give the streams copied into `out` from object number `next_id` on their data
    (still compressed, with their filters), so that the PDF they came from can be
    closed; returns the next object number. qpdf numbers new objects one after the
    other; a run of `_GAP` missing (or null) numbers ends them. A stream missed would
    fail the save loudly (its source closed), never write a wrong file."""
    number, missing = next_id, 0
    while missing < _GAP:
        copied = out.get_object((number, 0))
        number += 1
        if copied is None:
            missing += 1
            continue
        next_id, missing = number, 0
        if isinstance(copied, pikepdf.Stream):
            copied.write(
                copied.read_raw_bytes(),
                filter=copied.get("/Filter"),
                decode_parms=copied.get("/DecodeParms"),
            )
    return next_id


def page_count(data: bytes) -> int:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return len(pdf.pages)


def _detached_structure(source) -> list:
    """The children of the source's Document element, no longer pointing at it (copying
    them would otherwise copy the source's whole tree through /P)."""
    root = source.Root.get("/StructTreeRoot")
    if root is None:
        return []
    children = list(root.K[0].K) if isinstance(root.K, Array) else list(root.K.K)
    for child in children:
        if "/P" in child:
            del child.P
    return children


def _renumbered_parent_tree(out, source, offset, annotation_entries) -> list:
    """The source's parent tree entries for its pages, keyed by their page's number in
    the package; its annotations' entries are appended to `annotation_entries` (numbered
    once the page count is known)."""
    root = source.Root.get("/StructTreeRoot")
    if root is None:
        return []
    nums = root.ParentTree.Nums
    values = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
    entries = []
    for index in range(len(source.pages)):
        page = out.pages[offset + index]
        page.obj.StructParents = offset + index
        marked = values.get(index)
        copied = Array([out.copy_foreign(element) for element in marked]) if marked else Array()
        entries.append((offset + index, copied))
        for annotation in page.obj.get("/Annots") or []:
            key = annotation.get("/StructParent")
            if key is not None and int(key) in values:
                annotation_entries.append((annotation, out.copy_foreign(values[int(key)])))
    return entries


def _target(out, destination, source_index, offset):
    """A copy of an explicit destination ([page /XYZ x y zoom]) aimed at the package's page."""
    page = out.pages[offset + source_index[destination[0].objgen]].obj
    return Array([page, *list(destination)[1:]])


def _copied_outline(out, source, source_index, offset) -> list:
    def copy(items):
        copies = []
        for item in items:
            destination = item.destination
            if isinstance(destination, Array):
                destination = _target(out, destination, source_index, offset)
            copied = OutlineItem(item.title, destination)
            copied.children.extend(copy(item.children))
            copies.append(copied)
        return copies

    with source.open_outline() as source_outline:
        return copy(source_outline.root)


def _write_outline(out, outlines: list[list]) -> None:
    first, *later = outlines or [[]]
    with out.open_outline() as outline:
        outline.root.extend(first)
        nest_under = first[0].children if len(first) == 1 else outline.root
        for items in later:
            nest_under.extend(items)


def _copied_destinations(out, source, source_index, offset) -> list:
    names = source.Root.get("/Names")
    if names is None or "/Dests" not in names:
        return []
    flat = names.Dests.Names
    return [
        (pikepdf.String(bytes(flat[i])), _target(out, flat[i + 1], source_index, offset))
        for i in range(0, len(flat), 2)
    ]


def _copied_name_tree(out, tree_source, tree):
    flat = tree.Names
    copied = Array()
    for i in range(0, len(flat), 2):
        value = flat[i + 1]
        value = value if value.is_indirect else tree_source.make_indirect(value)
        copied.extend([flat[i], out.copy_foreign(value)])
    return Dictionary(Names=copied)
