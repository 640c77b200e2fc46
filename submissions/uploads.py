"""Whether an uploaded attachment is acceptable, decided from its bytes.

Secretariats attach PDF, Word (.docx), Excel (.xlsx), PNG and JPEG files to their
written inputs. Reviewers download and open those files on their own computers, so an
attachment is untrusted input that ends up in desktop software. The rules here:

- The type is decided from the content only. The uploaded name and the browser's
  Content-Type header are chosen by the uploader (or by their operating system's guess)
  and prove nothing.
- Each accepted type is opened with a real parser (pypdf, zipfile, Pillow) so damaged,
  truncated, encrypted and macro-carrying files are refused at upload time, with a
  message that says why, rather than failing later on a reviewer's machine.
- Active content is refused, never removed: Office macros, and in PDFs JavaScript,
  Launch actions, embedded files, rich media, XFA forms and automatic actions (found
  by `submissions.pdf_safety`, which says why they are refused rather than removed).
- Parsing is bounded: the file size is capped before anything is parsed, ZIP archives
  are judged from their central directory before anything is decompressed, and images
  are refused above Pillow's pixel limit before they are decoded.
- The stored file name never comes from the upload (`storage_name`); the uploaded name
  is only shown, after `safe_display_name` has cleaned it.

Serving the files is not this module's job, but it relies on the download view sending
the content type recorded here, `Content-Disposition: attachment` and
`X-Content-Type-Options: nosniff`.
"""

import hashlib
import re
import unicodedata
import uuid
import xml.etree.ElementTree as etree
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image
from pypdf import PdfReader

from . import pdf_safety
from .pdf_safety import PDF_MAX_OBJECTS  # a module global here: tests may lower it

PDF_CONTENT_TYPE = "application/pdf"
DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PNG_CONTENT_TYPE = "image/png"
JPEG_CONTENT_TYPE = "image/jpeg"

# Content type -> canonical extension (without the dot) of every accepted type.
ACCEPTED_TYPES: dict[str, str] = {
    PDF_CONTENT_TYPE: "pdf",
    DOCX_CONTENT_TYPE: "docx",
    XLSX_CONTENT_TYPE: "xlsx",
    PNG_CONTENT_TYPE: "png",
    JPEG_CONTENT_TYPE: "jpg",
}

# Signatures at offset 0. A PDF must start with its header: PDF readers tolerate up to
# 1 KB of junk before it, but real files almost never have any, and refusing it keeps
# out polyglots that put HTML or script in front of a PDF for a browser to sniff.
_PDF_SIGNATURE = b"%PDF-"
_ZIP_SIGNATURE = b"PK\x03\x04"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JPEG_SIGNATURE = b"\xff\xd8\xff"
_JPEG_END = b"\xff\xd9"
# OLE2 compound file: legacy .doc/.xls, and also what Office writes when a .docx/.xlsx is
# saved with a password (the encrypted package is wrapped in this older container).
_OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Only used to word the refusal more precisely; none of these is ever accepted.
_PROGRAM_SIGNATURES = (
    b"\x7fELF",  # Linux and most Unix executables
    b"MZ",  # Windows .exe/.dll
    b"\xfe\xed\xfa\xce",  # Mach-O 32-bit
    b"\xfe\xed\xfa\xcf",  # Mach-O 64-bit
    b"\xce\xfa\xed\xfe",  # Mach-O 32-bit, little-endian
    b"\xcf\xfa\xed\xfe",  # Mach-O 64-bit, little-endian
    b"\xca\xfe\xba\xbe",  # Mach-O universal binary (also Java .class)
    b"\x00asm",  # WebAssembly
    b"#!",  # script with an interpreter line
)
_WEB_PAGE_MARKERS = (b"<html", b"<svg", b"<script")

# How much of the start of the file is kept to recognise its type.
_SNIFF_BYTES = 1024
# Acrobat accepts a PDF whose %%EOF marker is anywhere in the last 1024 bytes; a file
# without it there has almost certainly been cut short.
_PDF_EOF_MARKER = b"%%EOF"
_PDF_EOF_WINDOW = 1024

# Office files are ZIP archives. These limits are checked against the central directory
# before anything is decompressed. A real .docx/.xlsx of at most 20 MB unpacks to far
# less than 200 MB, XML compresses about 10:1 (rarely above 50:1), and even a large
# workbook has a few hundred members.
ZIP_MAX_MEMBERS = 10_000
ZIP_MAX_UNPACKED_BYTES = 200 * 1024 * 1024
ZIP_MAX_RATIO = 100
ZIP_RATIO_CHECKED_ABOVE = 1024 * 1024  # tiny members compress oddly; they cannot hurt
CONTENT_TYPES_MAX_BYTES = 1024 * 1024
_CONTENT_TYPES_MEMBER = "[Content_Types].xml"
_CONTENT_TYPES_NAMESPACE = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_WORD_MAIN_PART = (
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
)
_EXCEL_MAIN_PART = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"

MAX_DISPLAY_NAME_LENGTH = 120
_FALLBACK_DISPLAY_NAME = "attachment"
# Characters Windows does not allow in file names; the display name is also offered as
# the name to save the download under.
_RESERVED_FILE_NAME_CHARACTERS = frozenset('<>:"|?*')
# Extensions that already name the detected type and are kept as the uploader wrote them.
_EQUIVALENT_EXTENSIONS = {"jpg": frozenset({"jpg", "jpeg"})}


class UploadRefused(ValidationError):
    """The attachment is not accepted; the message says why, for display by the field.

    `code` names the reason (`empty`, `too_large`, `program`, `web_page`, `archive`,
    `old_office`, `not_accepted`, `damaged`, `no_pages`, `encrypted`, `macros`,
    `zip_bomb`, `too_many_pixels`, and for PDFs `pdf_launch`, `pdf_javascript`,
    `pdf_embedded_files`, `pdf_rich_media`, `pdf_xfa`, `pdf_automatic_action`,
    `pdf_too_complex`); `params["name"]` is the cleaned uploaded name.
    """


@dataclass(frozen=True)
class InspectedUpload:
    content_type: str  # one of ACCEPTED_TYPES, detected from the content
    extension: str  # canonical extension of that type, without the dot ("pdf")
    size: int  # bytes actually read
    sha256: str  # hex digest of the bytes actually read
    display_name: str  # safe_display_name of the uploaded name, with `extension`


@dataclass(frozen=True)
class _Scan:
    """What one pass over the bytes found out."""

    size: int
    sha256: str
    head: bytes
    tail: bytes


def inspect_upload(uploaded_file: UploadedFile) -> InspectedUpload:
    """Check `uploaded_file` and describe it, or raise `UploadRefused` saying why.

    The file is read in chunks and rewound afterwards (also when refused), so the caller
    can save it. Nothing but `UploadRefused` comes out of the parsing of the content.
    """
    name = safe_display_name(uploaded_file.name or "")
    try:
        scan = _scan(uploaded_file, name)
        content_type = _detect_accepted_type(uploaded_file, scan, name)
    finally:
        uploaded_file.seek(0)
    extension = ACCEPTED_TYPES[content_type]
    return InspectedUpload(
        content_type=content_type,
        extension=extension,
        size=scan.size,
        sha256=scan.sha256,
        display_name=safe_display_name(uploaded_file.name or "", extension),
    )


def safe_display_name(name: str, extension: str | None = None) -> str:
    """A cleaned file name for display and for `Content-Disposition`.

    Keeps only the last path component, drops control, format (bidirectional overrides,
    zero-width characters) and surrogate characters, turns Windows-reserved characters
    into "_", collapses whitespace, and limits the length to MAX_DISPLAY_NAME_LENGTH
    characters keeping the extension. Letters of every script are kept. Never empty.

    With `extension` (the canonical extension of the detected type), the name ends in an
    extension of that type: a matching one is kept as written ("Photo.JPEG"), another
    one is replaced ("report.docx" that is really a PDF -> "report.pdf"), and a name
    without one gets it appended ("minutes" -> "minutes.pdf"). The extension decides
    which program opens a downloaded file, so it must say what the content really is.
    What counts as an extension: 1 to 8 ASCII letters and digits, not all digits, after
    the last dot ("v1.2" and "minutes 12.03.2024" end in none).
    """
    name = unicodedata.normalize("NFC", name or "")
    # Browsers and operating systems may send a full client-side path, with either
    # separator; only the last component is the file's name.
    name = re.split(r"[/\\]", name)[-1]
    kept = []
    for character in name:
        if character.isspace():
            kept.append(" ")
        elif unicodedata.category(character) in {"Cc", "Cf", "Cs"}:
            # Cc: control characters and NUL. Cf: format characters, which include the
            # bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069) that
            # make "report‮fdp.exe" display as "reportexe.pdf", and the zero-width
            # characters (U+200B–U+200D, U+2060, U+FEFF) that hide differences between
            # names. Cs: lone surrogates, which cannot be encoded.
            continue
        elif character in _RESERVED_FILE_NAME_CHARACTERS:
            kept.append("_")
        else:
            kept.append(character)
    # Leading dots would make a hidden file once saved; trailing dots and spaces are
    # dropped by Windows anyway.
    name = " ".join("".join(kept).split()).strip(". ")

    stem, dot, suffix = name.rpartition(".")
    if not (dot and stem and _looks_like_extension(suffix)):
        stem, suffix = name, ""
    if extension is not None and suffix.lower() not in _EQUIVALENT_EXTENSIONS.get(
        extension, frozenset({extension})
    ):
        suffix = extension
    ending = f".{suffix}" if suffix else ""
    stem = stem[: MAX_DISPLAY_NAME_LENGTH - len(ending)].rstrip(". ")
    return f"{stem or _FALLBACK_DISPLAY_NAME}{ending}"


def storage_name(inspected: InspectedUpload) -> str:
    """The name to store the file under: `attachments/<yyyy>/<mm>/<uuid4 hex>.<ext>`.

    Nothing comes from the uploaded name, so it cannot traverse directories, collide with
    another upload or reveal anything in a URL; uuid4 draws 122 bits from the operating
    system's random source, so the name cannot be guessed either. The year and month
    only keep directories small.
    """
    now = timezone.now()
    return f"attachments/{now:%Y}/{now:%m}/{uuid.uuid4().hex}.{inspected.extension}"


def _looks_like_extension(suffix: str) -> bool:
    return 1 <= len(suffix) <= 8 and suffix.isascii() and suffix.isalnum() and not suffix.isdigit()


def _too_large(name: str, size: int) -> UploadRefused:
    return UploadRefused(
        _("“%(name)s” is larger than the %(limit)s limit (it is %(size)s)."),
        code="too_large",
        params={
            "name": name,
            "limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES),
            "size": filesizeformat(size),
        },
    )


def _scan(uploaded_file: UploadedFile, name: str) -> _Scan:
    """Size, SHA-256, start and end of the file, refusing empty and oversize files."""
    limit = settings.ATTACHMENT_MAX_BYTES
    declared_size = uploaded_file.size or 0
    if declared_size > limit:
        raise _too_large(name, declared_size)
    # `size` comes from the upload handler; count what is really there as well, and stop
    # reading as soon as it is too much.
    digest = hashlib.sha256()
    size = 0
    head = b""
    tail = b""
    for chunk in uploaded_file.chunks():
        size += len(chunk)
        if size > limit:
            raise _too_large(name, max(size, declared_size))
        digest.update(chunk)
        if len(head) < _SNIFF_BYTES:
            head += chunk[: _SNIFF_BYTES - len(head)]
        tail = (tail + chunk[-_PDF_EOF_WINDOW:])[-_PDF_EOF_WINDOW:]
    if size == 0:
        raise UploadRefused(_("“%(name)s” is empty."), code="empty", params={"name": name})
    return _Scan(size=size, sha256=digest.hexdigest(), head=head, tail=tail)


def _detect_accepted_type(uploaded_file: UploadedFile, scan: _Scan, name: str) -> str:
    """The accepted content type of the file, after checking it with its parser."""
    head = scan.head
    if head.startswith(_PDF_SIGNATURE):
        _check_pdf(uploaded_file, scan.tail, name)
        return PDF_CONTENT_TYPE
    if head.startswith(_ZIP_SIGNATURE):
        return _check_office_document(uploaded_file, name)
    if head.startswith(_PNG_SIGNATURE):
        _check_image(uploaded_file, "PNG", name)
        return PNG_CONTENT_TYPE
    if head.startswith(_JPEG_SIGNATURE):
        # A complete JPEG ends with the end-of-image marker (some writers pad after it).
        # Checked here because Pillow's decoder cannot be relied on: WeasyPrint, loaded
        # in the same process for the PDFs, sets ImageFile.LOAD_TRUNCATED_IMAGES = True
        # globally, which makes Pillow accept truncated JPEGs.
        if _JPEG_END not in scan.tail:
            raise _damaged_image("JPEG", name)
        _check_image(uploaded_file, "JPEG", name)
        return JPEG_CONTENT_TYPE

    # Everything else is refused; the rest only chooses the most helpful message.
    if head.startswith(_OLE2_SIGNATURE):
        raise UploadRefused(
            _(
                "“%(name)s” is an older Office file (.doc, .xls) or a password-protected "
                "one; save it as an unprotected Word (.docx) or Excel (.xlsx) file and "
                "attach that."
            ),
            code="old_office",
            params={"name": name},
        )
    if head.startswith(_PROGRAM_SIGNATURES):
        raise UploadRefused(
            _(
                "“%(name)s” is not a PDF, Word (.docx), Excel (.xlsx), PNG or JPEG file: "
                "its content looks like a program."
            ),
            code="program",
            params={"name": name},
        )
    text_start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text_start.startswith(b"<") or any(marker in text_start for marker in _WEB_PAGE_MARKERS):
        raise UploadRefused(
            _(
                "“%(name)s” is not a PDF, Word (.docx), Excel (.xlsx), PNG or JPEG file: "
                "its content looks like a web page or an SVG image."
            ),
            code="web_page",
            params={"name": name},
        )
    raise UploadRefused(
        _("“%(name)s” is not a PDF, Word (.docx), Excel (.xlsx), PNG or JPEG file."),
        code="not_accepted",
        params={"name": name},
    )


def _check_pdf(uploaded_file: UploadedFile, tail: bytes, name: str) -> None:
    damaged = UploadRefused(
        _("“%(name)s” looks like a PDF but is damaged or incomplete."),
        code="damaged",
        params={"name": name},
    )
    # pypdf in non-strict mode only logs a missing %%EOF and may still read a cut file;
    # a file without its end marker is refused here whatever pypdf makes of it.
    if _PDF_EOF_MARKER not in tail:
        raise damaged
    try:
        uploaded_file.seek(0)
        reader = PdfReader(uploaded_file, strict=False)
        encrypted = reader.is_encrypted
        # The pages of an encrypted file cannot be read without its password.
        page_count = 0 if encrypted else len(reader.pages)
        too_complex = not encrypted and pdf_safety.object_count(reader) > PDF_MAX_OBJECTS
        active_content = (
            set()
            if encrypted or too_complex or page_count < 1
            else pdf_safety.active_content(reader)
        )
    except Exception as error:
        # Broad on purpose: a hostile or broken PDF can make pypdf raise almost anything
        # (its own errors, but also ValueError, KeyError, RecursionError…), and every one
        # of them means the same to the uploader.
        raise damaged from error
    if encrypted:
        # Even PDFs that open without a password (an "owner" password restricting
        # printing or copying) are refused: reviewers must be able to quote from them,
        # and AES-encrypted files could not be checked further without extra libraries.
        raise UploadRefused(
            _("“%(name)s” is password-protected (encrypted); attach an unprotected copy."),
            code="encrypted",
            params={"name": name},
        )
    if page_count < 1:
        raise UploadRefused(
            _("“%(name)s” is a PDF without any pages."), code="no_pages", params={"name": name}
        )
    if too_complex:
        raise UploadRefused(
            _(
                "“%(name)s” is a PDF made of too many internal objects to be checked "
                "(more than %(limit)s); save it again with your PDF program or print it "
                "to a new PDF, and attach that."
            ),
            code="pdf_too_complex",
            params={"name": name, "limit": f"{PDF_MAX_OBJECTS:,}"},
        )
    for reason in pdf_safety.ACTIVE_CONTENT_ORDER:
        if reason in active_content:
            raise UploadRefused(
                pdf_safety.ACTIVE_CONTENT_MESSAGES[reason],
                code=f"pdf_{reason}",
                params={"name": name},
            )


def _check_office_document(uploaded_file: UploadedFile, name: str) -> str:
    """DOCX or XLSX content type of a ZIP file, refusing every other ZIP file."""
    damaged = UploadRefused(
        _("“%(name)s” looks like a Word or Excel file but is damaged or incomplete."),
        code="damaged",
        params={"name": name},
    )
    try:
        uploaded_file.seek(0)
        # Reads the central directory only. zipfile does not close a file object it was
        # given, so the upload stays open for the caller.
        archive = zipfile.ZipFile(uploaded_file)
    except Exception as error:
        # zipfile raises BadZipFile, but also OSError, ValueError or EOFError on
        # malformed directories; all mean the file cannot be read.
        raise damaged from error
    with archive:
        members = archive.infolist()
        _refuse_zip_bomb(members, name)
        if any(member.flag_bits & 0x1 for member in members):
            raise UploadRefused(
                _("“%(name)s” is password-protected (encrypted); attach an unprotected copy."),
                code="encrypted",
                params={"name": name},
            )
        member_names = {member.filename.lower() for member in members}
        if _CONTENT_TYPES_MEMBER.lower() not in member_names:
            # A plain archive, an OpenDocument file, a .jar…: not an Office Open XML file.
            raise _refused_archive(name)
        try:
            with archive.open(_CONTENT_TYPES_MEMBER) as member:
                # Bounded read: decompresses at most one byte over the limit.
                content_types_xml = member.read(CONTENT_TYPES_MAX_BYTES + 1)
        except Exception as error:
            # KeyError when the name differs in case only, zlib.error, BadZipFile on a CRC
            # mismatch, NotImplementedError for an unsupported compression method…
            raise damaged from error
    if len(content_types_xml) > CONTENT_TYPES_MAX_BYTES:
        raise damaged
    overrides, defaults = _parse_content_types(content_types_xml, damaged)
    all_content_types = [*overrides.values(), *defaults]

    has_vba_project = any(
        member_name.rsplit("/", 1)[-1] == "vbaproject.bin" for member_name in member_names
    )
    if has_vba_project or any("macroenabled" in ct.lower() for ct in all_content_types):
        raise _refused_macros(all_content_types, name)

    main_parts = {
        content_type: part_name
        for part_name, content_type in overrides.items()
        if content_type in {_WORD_MAIN_PART, _EXCEL_MAIN_PART}
    }
    if len(main_parts) != 1:
        # PowerPoint, a template, or a package claiming to be both: not accepted.
        raise _refused_archive(name)
    main_content_type, main_part_name = next(iter(main_parts.items()))
    # The declared main part must be in the archive (part names are case-insensitive).
    if main_part_name.lstrip("/").lower() not in member_names:
        raise damaged
    return DOCX_CONTENT_TYPE if main_content_type == _WORD_MAIN_PART else XLSX_CONTENT_TYPE


def _refuse_zip_bomb(members: list[zipfile.ZipInfo], name: str) -> None:
    """Refuse archives that would unpack to far more than any real document.

    The sizes come from the central directory and may lie, but nothing here relies on
    them being true: the only member ever decompressed is read with a byte limit.
    """
    too_much = len(members) > ZIP_MAX_MEMBERS or (
        sum(member.file_size for member in members) > ZIP_MAX_UNPACKED_BYTES
    )
    for member in members:
        if member.file_size > ZIP_RATIO_CHECKED_ABOVE and (
            member.file_size > ZIP_MAX_RATIO * member.compress_size
        ):
            too_much = True
    if too_much:
        raise UploadRefused(
            _(
                "“%(name)s” would unpack to far more data than a normal document, so it is "
                "refused as unsafe."
            ),
            code="zip_bomb",
            params={"name": name},
        )


def _parse_content_types(
    content_types_xml: bytes, damaged: UploadRefused
) -> tuple[dict[str, str], list[str]]:
    """The Override (part name -> content type) and Default content types of the package.

    The XML is untrusted. The standard library's parser does not fetch external entities,
    but it does expand internal ones ("billion laughs"), and [Content_Types].xml never
    needs a DTD. So any document type declaration or entity declaration is refused
    before parsing. The check is made on decoded text, not on bytes, so a document in
    UTF-16 cannot hide "<!DOCTYPE" from it; the parser is then given that same text (a
    str is always parsed as the text it is, whatever encoding the XML declaration names).
    """
    try:
        if content_types_xml.startswith((b"\xff\xfe", b"\xfe\xff")):
            text = content_types_xml.decode("utf-16")
        else:
            text = content_types_xml.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise damaged from error
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise damaged
    try:
        # S314: safe here because declarations were refused above (see the docstring).
        root = etree.fromstring(text)  # noqa: S314
    except etree.ParseError as error:
        raise damaged from error
    if root.tag != f"{_CONTENT_TYPES_NAMESPACE}Types":
        raise damaged
    overrides = {
        element.get("PartName", ""): element.get("ContentType", "")
        for element in root.iter(f"{_CONTENT_TYPES_NAMESPACE}Override")
    }
    defaults = [
        element.get("ContentType", "")
        for element in root.iter(f"{_CONTENT_TYPES_NAMESPACE}Default")
    ]
    return overrides, defaults


def _refused_archive(name: str) -> UploadRefused:
    return UploadRefused(
        _(
            "“%(name)s” is not a PDF, Word (.docx), Excel (.xlsx), PNG or JPEG file: it is "
            "a ZIP archive or another kind of document (such as PowerPoint or OpenDocument)."
        ),
        code="archive",
        params={"name": name},
    )


def _refused_macros(content_types: list[str], name: str) -> UploadRefused:
    # Macros run code on the reviewer's computer; there is no need for them in an input.
    content_types_text = " ".join(content_types).lower()
    if "wordprocessingml" in content_types_text or "ms-word" in content_types_text:
        message = _("“%(name)s” is a Word file with macros (.docm), which is not accepted.")
    elif "spreadsheetml" in content_types_text or "ms-excel" in content_types_text:
        message = _("“%(name)s” is an Excel file with macros (.xlsm), which is not accepted.")
    else:
        message = _("“%(name)s” is an Office file with macros, which is not accepted.")
    return UploadRefused(message, code="macros", params={"name": name})


def _damaged_image(pillow_format: str, name: str) -> UploadRefused:
    return UploadRefused(
        _("“%(name)s” looks like a PNG image but is damaged or incomplete.")
        if pillow_format == "PNG"
        else _("“%(name)s” looks like a JPEG image but is damaged or incomplete."),
        code="damaged",
        params={"name": name},
    )


def _check_image(uploaded_file: UploadedFile, pillow_format: str, name: str) -> None:
    damaged = _damaged_image(pillow_format, name)
    too_many_pixels = UploadRefused(
        _(
            "“%(name)s” has too many pixels to be processed safely (more than "
            "%(megapixels)s million); attach a smaller image."
        ),
        code="too_many_pixels",
        params={"name": name, "megapixels": (Image.MAX_IMAGE_PIXELS or 0) // 1_000_000},
    )
    try:
        uploaded_file.seek(0)
        # `formats` limits Pillow to the type the signature announced, so no other of its
        # many decoders ever sees the bytes.
        with Image.open(uploaded_file, formats=[pillow_format]) as image:
            width, height = image.size
            # Checks the structure without decoding pixels: PNG chunks and their CRCs up
            # to IEND. For JPEG Pillow's verify() checks nothing; see below.
            image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        # Pillow raises the error above twice MAX_IMAGE_PIXELS and only warns above it
        # (the warning arrives here as an exception where warnings are errors, as in the
        # tests); the explicit check below refuses the latter case everywhere else.
        raise too_many_pixels from error
    except Exception as error:
        # Broad on purpose, like for PDFs: Pillow reports broken files with OSError,
        # SyntaxError, ValueError, struct.error…
        raise damaged from error
    if Image.MAX_IMAGE_PIXELS is not None and width * height > Image.MAX_IMAGE_PIXELS:
        raise too_many_pixels
    if pillow_format == "JPEG":
        _decode_jpeg_reduced(uploaded_file, damaged)


def _decode_jpeg_reduced(uploaded_file: UploadedFile, damaged: UploadRefused) -> None:
    """Decode a JPEG at 1/8 scale, which reads all its data but needs little memory.

    libjpeg can scale while decoding (`draft`), so a 90-megapixel photo costs about
    1.4 megapixels of memory. Corrupt data makes `load` raise; truncation is caught
    before, by the end-of-image check, since ImageFile.LOAD_TRUNCATED_IMAGES may have been
    switched on by another library in the process (WeasyPrint does).
    """
    try:
        uploaded_file.seek(0)
        with Image.open(uploaded_file, formats=["JPEG"]) as image:
            image.draft(None, (max(1, image.width // 8), max(1, image.height // 8)))
            image.load()
    except Exception as error:
        raise damaged from error
