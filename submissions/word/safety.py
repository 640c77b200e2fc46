"""The hostile-file gate of the Word import: `open_word_file` gives python-docx only a
file that passed it, or raises WordFileRefused with a message for the form.

It runs `uploads.inspect_upload` first (the type from the bytes, the size, macros,
encryption, zip bombs by the central directory), then refuses anything but a .docx, a
package that would unpack to more than IMPORT_MAX_UNPACKED_BYTES, and any XML part that
is malformed or larger than IMPORT_MAX_XML_PART_BYTES or carries a document type
declaration: each part is decoded (UTF-8 or UTF-16 only) and parsed by lxml with entity
resolution, DTD loading and network access off, so an entity — internal ("billion
laughs") or external (a file or URL) — is never even declared in what python-docx then
opens. python-docx's own parser does not resolve entities either
(`resolve_entities=False`); the tests check both."""

import codecs
import io
import re
import zipfile

import docx
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from lxml import etree

from ..uploads import (
    DOCX_CONTENT_TYPE,
    JPEG_CONTENT_TYPE,
    PDF_CONTENT_TYPE,
    PNG_CONTENT_TYPE,
    UploadRefused,
    inspect_upload,
    safe_display_name,
)

# A filled template is a few hundred kilobytes; these bound what one import may make the
# server decompress and parse. zipfile never decompresses more than a member's declared
# size, and inspect_upload has checked the declared sizes and ratios already.
IMPORT_MAX_UNPACKED_BYTES = 50 * 1024 * 1024
IMPORT_MAX_XML_PART_BYTES = 10 * 1024 * 1024


class WordFileRefused(ValidationError):
    """The file cannot be imported; the message says why, for the form's file field."""


def refused(message: str, name: str, code: str, **params) -> WordFileRefused:
    return WordFileRefused(message, code=code, params={"name": name, **params})


def _not_a_word_file(name: str) -> WordFileRefused:
    return refused(
        _(
            "“%(name)s” is not a Word (.docx) document. Fill in the portal's template in "
            "Word (or another word processor) and save it as a .docx file."
        ),
        name,
        "not_docx",
    )


# inspect_upload's refusals whose wording lists every attachment type; for an import
# the only answer that helps is "this is not a Word document".
_NOT_WORD_CODES = {"program", "web_page", "archive", "old_office", "not_accepted"}


# XML in UTF-32 or EBCDIC: allowed by XML, never written by Office, and invisible to a
# check that reads the text as UTF-8 or UTF-16.
_UNUSUAL_XML_STARTS = (
    b"\x00\x00\xfe\xff",
    b"\xff\xfe\x00\x00",
    b"\x00\x00\x00<",
    b"<\x00\x00\x00",
    b"\x00\x00<\x00",
    b"\x00<\x00\x00",
    b"\x4c\x6f\xa7\x94",
)
_XML_DECLARED_ENCODING_RE = re.compile(r"""^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([^"']*)["']""")


def _decode_xml_part(data: bytes, damaged: WordFileRefused) -> str | None:
    """The text of a package member that is XML, as the XML parser would read it; None
    for a member that is no XML at all (an image). Office writes its parts in UTF-8 or
    UTF-16; anything else that could be XML is refused as damaged."""
    if data.startswith(_UNUSUAL_XML_STARTS):
        raise damaged
    if data.startswith(codecs.BOM_UTF8):
        data, encoding = data[len(codecs.BOM_UTF8) :], "utf-8"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif data.startswith(b"<\x00"):
        encoding = "utf-16-le"
    elif data.startswith(b"\x00<"):
        encoding = "utf-16-be"
    elif data.lstrip(b" \t\r\n").startswith(b"<"):
        encoding = "utf-8"
    else:
        return None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        raise damaged from error
    if "\x00" in text:  # never in XML; UTF-32 read as UTF-16 shows them
        raise damaged
    # The parser switches to a declared encoding (UTF-7 would hide "<!DOCTYPE" from
    # this check): only the one the bytes are in is accepted.
    declared = _XML_DECLARED_ENCODING_RE.match(text)
    if declared and declared.group(1).lower().replace("_", "-") not in (
        ("utf-8", "utf8")
        if encoding == "utf-8"
        else ("utf-16", "utf16", "utf-16le", "utf-16be", "utf-16-le", "utf-16-be")
    ):
        raise damaged
    return text


def _check_package(uploaded_file, name: str) -> None:
    """Refuse a package too big to unpack here, and any XML part that is malformed,
    too large or declares a DTD.

    Every member is looked at, whatever its name, because python-docx parses a part by
    its content type, not its extension. A DTD is refused on the decoded text, before
    any parser sees it (so no entity, internal or external, is ever declared); the part
    is then parsed with a parser that resolves no entity, loads no DTD and opens no
    network connection, which refuses malformed XML."""
    damaged = refused(
        _("“%(name)s” looks like a Word or Excel file but is damaged or incomplete."),
        name,
        "damaged",
    )
    has_dtd = refused(
        _(
            "“%(name)s” contains XML with a document type declaration, which Word "
            "documents never have; it is refused as unsafe."
        ),
        name,
        "dtd",
    )
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
    )
    uploaded_file.seek(0)
    try:
        archive = zipfile.ZipFile(uploaded_file)
    except Exception as error:  # BadZipFile, OSError, ValueError…: all "damaged"
        raise damaged from error
    with archive:
        members = archive.infolist()
        if sum(member.file_size for member in members) > IMPORT_MAX_UNPACKED_BYTES:
            raise refused(
                _(
                    "“%(name)s” would unpack to more than %(size)s, far more than a filled "
                    "template; it is refused."
                ),
                name,
                "too_large_unpacked",
                size=filesizeformat(IMPORT_MAX_UNPACKED_BYTES),
            )
        for member in members:
            if member.is_dir():
                continue
            try:
                with archive.open(member) as stream:
                    data = stream.read(IMPORT_MAX_XML_PART_BYTES + 1)
                text = _decode_xml_part(data, damaged)
                if text is None:
                    continue  # not XML: python-docx keeps it as bytes (an image)
                if len(data) > IMPORT_MAX_XML_PART_BYTES:
                    raise damaged
                if "<!DOCTYPE" in text or "<!ENTITY" in text:
                    raise has_dtd
                # The hardened parser above: no entities, no DTD, no network.
                root = etree.fromstring(data, parser)
            except WordFileRefused:
                raise
            except Exception as error:  # XMLSyntaxError, zlib.error, CRC errors…
                raise damaged from error
            docinfo = root.getroottree().docinfo
            if docinfo.doctype or docinfo.internalDTD is not None:
                raise has_dtd


def open_word_file(uploaded_file):
    """The python-docx Document of an uploaded .docx, or WordFileRefused saying why.

    Side effects: none; the file is read, never stored."""
    name = safe_display_name(getattr(uploaded_file, "name", "") or "")
    try:
        inspected = inspect_upload(uploaded_file)
    except UploadRefused as refusal:
        if refusal.code in _NOT_WORD_CODES:
            raise _not_a_word_file(name) from refusal
        raise WordFileRefused(refusal.message, code=refusal.code, params=refusal.params) from None
    if inspected.content_type == PDF_CONTENT_TYPE:
        raise refused(
            _(
                "“%(name)s” is a PDF file, not a Word (.docx) document. Import the Word "
                "template itself, filled in and saved as .docx."
            ),
            name,
            "pdf",
        )
    if inspected.content_type in (PNG_CONTENT_TYPE, JPEG_CONTENT_TYPE):
        raise refused(_("“%(name)s” is an image, not a Word (.docx) document."), name, "image")
    if inspected.content_type != DOCX_CONTENT_TYPE:
        raise _not_a_word_file(name)
    _check_package(uploaded_file, name)
    try:
        uploaded_file.seek(0)
        return docx.Document(io.BytesIO(uploaded_file.read()))
    except Exception as error:
        # Anything python-docx cannot make sense of is, for the person, a damaged file.
        raise refused(
            _("“%(name)s” looks like a Word or Excel file but is damaged or incomplete."),
            name,
            "damaged",
        ) from error
    finally:
        uploaded_file.seek(0)
