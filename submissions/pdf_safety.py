"""Active content in PDF attachments: what `submissions.uploads` refuses in a PDF.

A PDF can carry more than pages: JavaScript, Launch actions that start programs or
open other files, embedded files, rich media (Flash, video, 3D), XFA forms and
additional actions (/AA) that run by themselves when the file is opened or read.
Reviewers open attachments in their own PDF readers, and PDF annexes go into the
regional packages, so each of these is a way for an uploaded file to act on a
reader's computer. `active_content` finds them; `uploads.inspect_upload` refuses the
file, saying how to get rid of them (`ACTIVE_CONTENT_MESSAGES`).

Refused rather than rewritten: an annex is embedded byte-identical in the public
regional package with its SHA-256 printed beside it, and reviewers read exactly what
the ISCM sent; a rewritten file would be a document nobody uploaded, under a hash
nobody can check against their own copy. Removing one kind of object while keeping
the file valid (and tagged, and signed) is also easy to get almost right. Printing to
a new PDF, which every uploader can do, writes the pages only (docs/architecture.md,
"Active content in PDFs").

The walk is bounded: `uploads` refuses a PDF with more than PDF_MAX_OBJECTS objects
(`object_count`) before this module walks it.
"""

from django.utils.translation import gettext_lazy
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

# A PDF is walked object by object to find active content (`active_content`). About
# 40,000 objects a second are read, and even a long tagged report has far fewer than
# this; more would only make the upload wait.
PDF_MAX_OBJECTS = 300_000


# Reasons to refuse a PDF, most serious first: a file with several is refused for the
# first one, so the uploader hears about the worst.
ACTIVE_CONTENT_ORDER = (
    "launch",
    "javascript",
    "embedded_files",
    "rich_media",
    "xfa",
    "automatic_action",
)
# How to get rid of any of them without special software: printing to a PDF writes
# pages only, dropping actions, scripts, attachments and forms.
ACTIVE_CONTENT_MESSAGES = {
    "launch": gettext_lazy(
        "“%(name)s” is a PDF that can start programs or open other files (a Launch "
        "action), which is not accepted. Print it to a new PDF (“Save as PDF” or "
        "“Microsoft Print to PDF”) and attach that."
    ),
    "javascript": gettext_lazy(
        "“%(name)s” is a PDF containing JavaScript, which is not accepted. Print it to a "
        "new PDF (“Save as PDF” or “Microsoft Print to PDF”) and attach that."
    ),
    "embedded_files": gettext_lazy(
        "“%(name)s” is a PDF with files embedded in it, which is not accepted. Attach "
        "those files separately, and print the PDF to a new PDF (“Save as PDF” or "
        "“Microsoft Print to PDF”) to attach it without them."
    ),
    "rich_media": gettext_lazy(
        "“%(name)s” is a PDF with rich media (Flash, video or 3D content), which is not "
        "accepted. Print it to a new PDF (“Save as PDF” or “Microsoft Print to PDF”) and "
        "attach that."
    ),
    "xfa": gettext_lazy(
        "“%(name)s” is a PDF with an XFA form (made with Adobe LiveCycle or AEM Forms), "
        "which is not accepted. Print it to a new PDF (“Save as PDF” or “Microsoft Print "
        "to PDF”) and attach that."
    ),
    "automatic_action": gettext_lazy(
        "“%(name)s” is a PDF with actions that run by themselves when it is opened or "
        "read, which is not accepted. Print it to a new PDF (“Save as PDF” or “Microsoft "
        "Print to PDF”) and attach that."
    ),
}


def object_count(reader: PdfReader) -> int:
    return sum(len(numbers) for numbers in reader.xref.values()) + len(reader.xref_objStm)


def active_content(reader: PdfReader) -> set[str]:
    """The reasons (keys of `ACTIVE_CONTENT_MESSAGES`) found anywhere in the PDF.

    Every object is visited: everything reachable from the trailer (catalog, its /Names
    trees and /OpenAction, pages, annotations and their /A and /AA actions, /AcroForm
    and its fields, /Next chains), and every object the cross-reference tables list even
    when nothing refers to it, since a reader repairing a damaged file may find those.
    The objects come from pypdf's parser, so what a byte search would miss is seen too:
    objects inside compressed object streams, and names written with #-escapes
    (`/J#61vaScript` is read as `/JavaScript`, as a PDF reader reads it). Stream data
    (page content, images, fonts) is never decoded: no active content can live there
    except through the keys checked here.
    """
    found: set[str] = set()
    seen: set[tuple[int, int]] = set()
    stack: list = [reader.trailer]
    for generation, numbers in reader.xref.items():
        stack.extend(IndirectObject(idnum, generation, reader) for idnum in numbers)
    stack.extend(IndirectObject(idnum, 0, reader) for idnum in reader.xref_objStm)
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            key = (item.idnum, item.generation)
            if key in seen:
                continue
            seen.add(key)
            item = item.get_object()
        if isinstance(item, DictionaryObject):
            found |= _dictionary_active_content(item)
            # Raw values: indirect references stay references, so each object is
            # visited once and reference cycles end.
            stack.extend(dict.values(item))
        elif isinstance(item, ArrayObject):
            stack.extend(list.__iter__(item))
    return found


def _name(dictionary: DictionaryObject, key: str) -> str | None:
    value = dict.get(dictionary, key)
    if isinstance(value, IndirectObject):
        value = value.get_object()
    return value if isinstance(value, str) else None


def _dictionary_active_content(dictionary: DictionaryObject) -> set[str]:
    keys = set(dictionary.keys())
    action = _name(dictionary, "/S")  # the type of an action dictionary
    subtype = _name(dictionary, "/Subtype")
    found = set()
    # /JS is the script of a JavaScript (or Rendition) action; /JavaScript is the
    # document-level script tree in the catalog's /Names. An /OpenAction that is a
    # JavaScript action is found here as that action.
    if action == "/JavaScript" or keys & {"/JS", "/JavaScript"}:
        found.add("javascript")
    if action == "/Launch":
        found.add("launch")
    # /EmbeddedFiles: the catalog's attachments; /EF: the file stream of a file
    # specification (file attachment annotations, portfolios, GoToE targets).
    if (
        keys & {"/EmbeddedFiles", "/EF"}
        or subtype == "/FileAttachment"
        or _name(dictionary, "/Type") == "/EmbeddedFile"
    ):
        found.add("embedded_files")
    if subtype == "/RichMedia" or keys & {"/RichMediaContent", "/RichMediaSettings"}:
        found.add("rich_media")
    if "/XFA" in keys:
        found.add("xfa")
    # Additional actions (/AA): on the catalog (close, save, print), on a page (open,
    # close), on an annotation or form field (focus, mouse over, keystroke…). They run
    # without a click on a link, whatever action they hold.
    if "/AA" in keys:
        found.add("automatic_action")
    return found
