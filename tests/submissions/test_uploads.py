"""Attachment checks: every fixture file is built here, in memory, and kept tiny."""

import hashlib
import io
import re
import time
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.utils import timezone
from PIL import Image, ImageFile
from pypdf import PdfWriter
from pypdf.annotations import Link
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from submissions import uploads
from submissions.uploads import (
    DOCX_CONTENT_TYPE,
    XLSX_CONTENT_TYPE,
    InspectedUpload,
    UploadRefused,
    inspect_upload,
    safe_display_name,
    storage_name,
)

from ..sample_files import HAND_WRITTEN_PAGES, hand_written_pdf

ACCEPTED = "is not a PDF, Word (.docx), Excel (.xlsx), PNG or JPEG file"
WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
EXCEL_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
DOCM_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"
PPTX_MAIN = "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"


def _pdf(pages: int = 1, **encryption) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=72, height=72)
    if encryption:
        # RC4: pypdf's AES needs the `cryptography` package, which is not installed.
        writer.encrypt(**encryption, algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _image(image_format: str, size: tuple[int, int] = (8, 8)) -> bytes:
    # Noise, so that a JPEG has enough compressed data to be cut in half.
    image = Image.effect_noise(size, 64).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, image_format)
    return buffer.getvalue()


def _content_types(*overrides: tuple[str, str]) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/>'
        + "".join(f'<Override PartName="{part}" ContentType="{ct}"/>' for part, ct in overrides)
        + "</Types>"
    )


def _zip(members: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _docx(main_content_type: str = WORD_MAIN, **extra_members: str | bytes) -> bytes:
    return _zip(
        {
            "[Content_Types].xml": _content_types(("/word/document.xml", main_content_type)),
            "word/document.xml": "<w:document/>",
            **extra_members,
        }
    )


def _xlsx() -> bytes:
    return _zip(
        {
            "[Content_Types].xml": _content_types(("/xl/workbook.xml", EXCEL_MAIN)),
            "xl/workbook.xml": "<workbook/>",
        }
    )


def _refusal(name: str, content: bytes) -> UploadRefused:
    with pytest.raises(UploadRefused) as caught:
        inspect_upload(SimpleUploadedFile(name, content, "application/pdf"))
    return caught.value


# --- Accepted files ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "name", "content_type", "extension"),
    [
        (_pdf, "report.pdf", "application/pdf", "pdf"),
        (lambda: _image("PNG"), "chart.png", "image/png", "png"),
        (lambda: _image("JPEG"), "photo.jpg", "image/jpeg", "jpg"),
        (_docx, "input.docx", DOCX_CONTENT_TYPE, "docx"),
        (_xlsx, "figures.xlsx", XLSX_CONTENT_TYPE, "xlsx"),
    ],
    ids=["pdf", "png", "jpeg", "docx", "xlsx"],
)
def test_inspect_upload_accepts_valid_file(build, name, content_type, extension):
    content = build()
    inspected = inspect_upload(SimpleUploadedFile(name, content, "application/octet-stream"))
    assert inspected == InspectedUpload(
        content_type=content_type,
        extension=extension,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        display_name=name,
    )


def test_inspect_upload_accepts_temporary_uploaded_file():
    content = _pdf()
    with TemporaryUploadedFile("report.pdf", "application/pdf", len(content), None) as upload:
        upload.write(content)
        inspected = inspect_upload(upload)
        assert upload.tell() == 0
    assert inspected.content_type == "application/pdf"
    assert inspected.sha256 == hashlib.sha256(content).hexdigest()


def test_inspect_upload_ignores_name_and_browser_content_type():
    upload = SimpleUploadedFile("Annual report.docx", _pdf(), DOCX_CONTENT_TYPE)
    inspected = inspect_upload(upload)
    assert inspected.content_type == "application/pdf"
    assert inspected.extension == "pdf"
    assert inspected.display_name == "Annual report.pdf"


def test_inspect_upload_cleans_display_name():
    upload = SimpleUploadedFile("C:\\Users\\amina\\Desktop\\re\u202eport.png", _image("PNG"))
    assert inspect_upload(upload).display_name == "report.png"


def test_inspect_upload_rewinds_accepted_file():
    content = _docx()
    upload = SimpleUploadedFile("input.docx", content)
    upload.read(10)
    inspect_upload(upload)
    assert upload.tell() == 0
    assert upload.read() == content


def test_inspect_upload_rewinds_refused_file():
    content = _pdf()[:200]
    upload = SimpleUploadedFile("report.pdf", content)
    with pytest.raises(UploadRefused):
        inspect_upload(upload)
    assert upload.tell() == 0
    assert upload.read() == content


# --- Size ----------------------------------------------------------------------------------


def test_inspect_upload_refuses_empty_file():
    error = _refusal("empty.pdf", b"")
    assert error.code == "empty"
    assert error.messages == ["“empty.pdf” is empty."]


def test_inspect_upload_refuses_oversize_file(settings):
    settings.ATTACHMENT_MAX_BYTES = 100
    error = _refusal("big.pdf", bytes(150))
    assert error.code == "too_large"
    assert error.messages == [
        "“big.pdf” is larger than the 100\xa0bytes limit (it is 150\xa0bytes)."
    ]


def test_inspect_upload_counts_bytes_when_declared_size_is_wrong(settings):
    settings.ATTACHMENT_MAX_BYTES = 100
    upload = SimpleUploadedFile("big.pdf", _pdf())
    upload.size = 10
    with pytest.raises(UploadRefused) as caught:
        inspect_upload(upload)
    assert caught.value.code == "too_large"


# --- Not an accepted type ------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        b"\x7fELF\x02\x01\x01\x00" + bytes(64),
        b"MZ\x90\x00\x03\x00\x00\x00" + bytes(64),
        b"\xcf\xfa\xed\xfe\x07\x00\x00\x01" + bytes(64),
        b"#!/bin/sh\nrm -rf ~\n",
    ],
    ids=["elf", "windows-mz", "mach-o", "shebang"],
)
def test_inspect_upload_refuses_program(content):
    error = _refusal("report.pdf", content)
    assert error.code == "program"
    assert error.messages == [f"“report.pdf” {ACCEPTED}: its content looks like a program."]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("report.pdf", b"<!DOCTYPE html>\n<html><body><script>alert(1)</script></body></html>"),
        ("chart.png", b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>'),
        ("notes.pdf", b"\xef\xbb\xbf  \n<svg onload=alert(1)>"),
        ("page.pdf", b"Saved page\n<HTML><BODY>hello</BODY></HTML>"),
    ],
    ids=["html", "svg", "svg-after-bom", "html-after-text"],
)
def test_inspect_upload_refuses_web_page_or_svg(name, content):
    error = _refusal(name, content)
    assert error.code == "web_page"
    assert error.messages == [
        f"“{name}” {ACCEPTED}: its content looks like a web page or an SVG image."
    ]


@pytest.mark.parametrize(
    "content",
    [b"GIF89a\x01\x00\x01\x00" + bytes(20), b"RIFF\x00\x00\x00\x00WEBPVP8 ", b"plain text"],
    ids=["gif", "webp", "text"],
)
def test_inspect_upload_refuses_other_type(content):
    error = _refusal("picture.png", content)
    assert error.code == "not_accepted"
    assert error.messages == [f"“picture.png” {ACCEPTED}."]


def test_inspect_upload_refuses_old_office_file():
    error = _refusal("minutes.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512))
    assert error.code == "old_office"
    assert "save it as an unprotected Word (.docx) or Excel (.xlsx) file" in error.messages[0]


# --- PDF -----------------------------------------------------------------------------------


def test_inspect_upload_refuses_truncated_pdf():
    content = _pdf()
    error = _refusal("report.pdf", content[: len(content) // 2])
    assert error.code == "damaged"
    assert error.messages == ["“report.pdf” looks like a PDF but is damaged or incomplete."]


def test_inspect_upload_refuses_pdf_that_pypdf_cannot_read():
    # The end marker is there, so only pypdf can tell that the rest is missing.
    content = _pdf()
    error = _refusal("report.pdf", content[: len(content) // 2] + b"\n%%EOF\n")
    assert error.code == "damaged"


def test_inspect_upload_refuses_pdf_without_pages():
    buffer = io.BytesIO()
    PdfWriter().write(buffer)
    error = _refusal("blank.pdf", buffer.getvalue())
    assert error.code == "no_pages"
    assert error.messages == ["“blank.pdf” is a PDF without any pages."]


@pytest.mark.parametrize(
    "passwords",
    [{"user_password": "secret", "owner_password": "owner"}, {"user_password": ""}],
    ids=["user-password", "owner-password-only"],
)
def test_inspect_upload_refuses_encrypted_pdf(passwords):
    error = _refusal("secret.pdf", _pdf(**passwords))
    assert error.code == "encrypted"
    assert error.messages == [
        "“secret.pdf” is password-protected (encrypted); attach an unprotected copy."
    ]


# --- PDF active content --------------------------------------------------------------------
# Every hostile PDF is built here by pypdf's writer, or byte by byte (hand_written_pdf) for
# what the writer cannot produce. The message names the reason; the rest of each message
# is the same advice.


def _name(value: str) -> NameObject:
    return NameObject(value)


def _dictionary(**entries) -> DictionaryObject:
    """A PDF dictionary from keyword arguments: `S="/Launch"` is `/S /Launch`; strings
    starting with "/" become names, other strings text."""
    result = DictionaryObject()
    for key, value in entries.items():
        if isinstance(value, str):
            value = NameObject(value) if value.startswith("/") else TextStringObject(value)
        result[NameObject(f"/{key}")] = value
    return result


def _rect() -> ArrayObject:
    return ArrayObject([FloatObject(0), FloatObject(0), FloatObject(36), FloatObject(36)])


def _javascript_action(script: str = "app.alert('hello')") -> DictionaryObject:
    return _dictionary(S="/JavaScript", JS=script)


def _written_pdf(change) -> bytes:
    """A one-page PDF from pypdf's writer, after `change(writer, page)`."""
    writer = PdfWriter()
    page = writer.add_blank_page(width=72, height=72)
    change(writer, page)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _set_catalog(key: str, value):
    def change(writer, page):
        writer.root_object[NameObject(key)] = value

    return change


def _add_annotation(annotation: DictionaryObject):
    def change(writer, page):
        page[NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])

    return change


def _document_javascript(writer, page):
    # What pypdf's add_js (add_open_action in pypdf 7) writes: the catalog's /Names
    # /JavaScript tree, whose scripts run when the document opens.
    tree = _dictionary(Names=ArrayObject([TextStringObject("init"), _javascript_action()]))
    writer.root_object[NameObject("/Names")] = _dictionary(JavaScript=tree)


def _open_action_javascript_after_goto(writer, page):
    # The script hides behind a harmless first action, in its /Next chain.
    go_to = _dictionary(S="/GoTo", D=ArrayObject([page.indirect_reference, _name("/Fit")]))
    go_to[NameObject("/Next")] = ArrayObject([_javascript_action()])
    writer.root_object[NameObject("/OpenAction")] = go_to


def _page_open_action(writer, page):
    # A page action that is not a script still runs by itself, when the page is shown.
    go_to = _dictionary(S="/GoTo", D=ArrayObject([page.indirect_reference, _name("/Fit")]))
    page[NameObject("/AA")] = _dictionary(O=go_to)


def _attachment(writer, page):
    writer.add_attachment("setup.exe", b"MZ\x90\x00" + bytes(60))


def _launch_action() -> DictionaryObject:
    return _dictionary(S="/Launch", F="cmd.exe", Win=_dictionary(F="cmd.exe", P="/c calc"))


def _catalog(extra: bytes = b"") -> bytes:
    return b"<< /Type /Catalog /Pages 2 0 R " + extra + b" >>"


HOSTILE_PDFS = {
    "document-javascript": (lambda: _written_pdf(_document_javascript), "javascript"),
    "open-action-javascript": (
        lambda: _written_pdf(_set_catalog("/OpenAction", _javascript_action())),
        "javascript",
    ),
    "open-action-javascript-in-next": (
        lambda: _written_pdf(_open_action_javascript_after_goto),
        "javascript",
    ),
    "link-javascript": (
        lambda: _written_pdf(
            _add_annotation(_dictionary(Subtype="/Link", Rect=_rect(), A=_javascript_action()))
        ),
        "javascript",
    ),
    "catalog-aa-javascript": (
        lambda: _written_pdf(_set_catalog("/AA", _dictionary(WC=_javascript_action()))),
        "javascript",
    ),
    "open-action-launch": (
        lambda: _written_pdf(_set_catalog("/OpenAction", _launch_action())),
        "launch",
    ),
    "link-launch": (
        lambda: _written_pdf(
            _add_annotation(_dictionary(Subtype="/Link", Rect=_rect(), A=_launch_action()))
        ),
        "launch",
    ),
    "attachment": (lambda: _written_pdf(_attachment), "embedded_files"),
    "file-attachment-annotation": (
        lambda: hand_written_pdf(
            [
                _catalog(),
                b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 72 72] /Annots [4 0 R] >>",
                b"<< /Type /Annot /Subtype /FileAttachment /Rect [0 0 9 9] /FS 5 0 R >>",
                b"<< /Type /Filespec /F (tool.exe) /EF << /F 6 0 R >> >>",
                b"<< /Type /EmbeddedFile /Length 2 >>\nstream\nMZ\nendstream",
            ]
        ),
        "embedded_files",
    ),
    "rich-media": (
        lambda: _written_pdf(
            _add_annotation(
                _dictionary(
                    Subtype="/RichMedia",
                    Rect=_rect(),
                    RichMediaContent=_dictionary(Assets=_dictionary(Names=ArrayObject())),
                )
            )
        ),
        "rich_media",
    ),
    "xfa": (
        lambda: hand_written_pdf(
            [
                _catalog(b"/AcroForm << /Fields [] /XFA 4 0 R >>"),
                *HAND_WRITTEN_PAGES,
                b"<< /Length 9 >>\nstream\n<xdp:xdp>\nendstream",
            ]
        ),
        "xfa",
    ),
    "page-aa": (lambda: _written_pdf(_page_open_action), "automatic_action"),
    "widget-aa": (
        lambda: _written_pdf(
            _add_annotation(
                _dictionary(
                    Subtype="/Widget",
                    Rect=_rect(),
                    AA=_dictionary(E=_dictionary(S="/Named", N="/Print")),
                )
            )
        ),
        "automatic_action",
    ),
    # Names may be written with #xx escapes; a PDF reader reads /J#61vaScript as
    # /JavaScript, and so does pypdf. A byte search would not see it.
    "hex-escaped-names": (
        lambda: hand_written_pdf(
            [
                _catalog(b"/Op#65nAction << /S /J#61vaScript /#4A#53 (app.alert\\(1\\)) >>"),
                *HAND_WRITTEN_PAGES,
            ]
        ),
        "javascript",
    ),
    # Objects in a compressed object stream (PDF 1.5) are invisible to a byte search.
    "object-stream": (
        lambda: hand_written_pdf(
            [_catalog(b"/OpenAction 4 0 R"), *HAND_WRITTEN_PAGES],
            compressed=[b"<< /S /Launch /F (cmd.exe) >>"],
        ),
        "launch",
    ),
    # Nothing refers to object 4, but a reader repairing a damaged file may find it.
    "unreferenced-object": (
        lambda: hand_written_pdf(
            [_catalog(), *HAND_WRITTEN_PAGES, b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>"]
        ),
        "javascript",
    ),
}

REASONS = {
    "javascript": "“hostile.pdf” is a PDF containing JavaScript, which is not accepted.",
    "launch": (
        "“hostile.pdf” is a PDF that can start programs or open other files (a Launch "
        "action), which is not accepted."
    ),
    "embedded_files": "“hostile.pdf” is a PDF with files embedded in it, which is not accepted.",
    "rich_media": (
        "“hostile.pdf” is a PDF with rich media (Flash, video or 3D content), which is not "
        "accepted."
    ),
    "xfa": (
        "“hostile.pdf” is a PDF with an XFA form (made with Adobe LiveCycle or AEM Forms), "
        "which is not accepted."
    ),
    "automatic_action": (
        "“hostile.pdf” is a PDF with actions that run by themselves when it is opened or "
        "read, which is not accepted."
    ),
}


@pytest.mark.parametrize(("build", "reason"), HOSTILE_PDFS.values(), ids=HOSTILE_PDFS.keys())
def test_inspect_upload_refuses_pdf_with_active_content(build, reason):
    error = _refusal("hostile.pdf", build())
    assert error.code == f"pdf_{reason}"
    [message] = error.messages
    assert message.startswith(REASONS[reason])
    # And says how to get a clean copy.
    assert "to a new PDF (“Save as PDF” or “Microsoft Print to PDF”)" in message


def test_inspect_upload_names_most_serious_active_content_first():
    def everything(writer, page):
        _attachment(writer, page)
        _page_open_action(writer, page)
        writer.root_object[NameObject("/OpenAction")] = _launch_action()

    assert _refusal("hostile.pdf", _written_pdf(everything)).code == "pdf_launch"


def _ordinary_open_action(writer, page):
    writer.open_destination = page


def _go_to_action(writer, page):
    writer.root_object[NameObject("/OpenAction")] = _dictionary(
        S="/GoTo", D=ArrayObject([page.indirect_reference, _name("/FitH"), NumberObject(72)])
    )


def _links(writer, page):
    writer.add_annotation(0, Link(rect=(0, 0, 36, 36), url="https://www.iom.int/"))
    writer.add_annotation(0, Link(rect=(36, 36, 72, 72), target_page_index=0))
    writer.add_outline_item(title="Start", page_number=0)


@pytest.mark.parametrize(
    "change",
    [_ordinary_open_action, _go_to_action, _links],
    ids=["open-destination", "open-action-goto", "uri-and-page-links-and-outline"],
)
def test_inspect_upload_accepts_pdf_with_ordinary_navigation(change):
    content = _written_pdf(change)
    inspected = inspect_upload(SimpleUploadedFile("report.pdf", content))
    assert inspected.content_type == "application/pdf"


def test_inspect_upload_accepts_hand_written_pdf_with_object_stream():
    content = hand_written_pdf(
        [_catalog(b"/Outlines 4 0 R"), *HAND_WRITTEN_PAGES],
        compressed=[b"<< /Type /Outlines /Count 0 >>"],
    )
    assert inspect_upload(SimpleUploadedFile("report.pdf", content)).extension == "pdf"


def test_inspect_upload_refuses_pdf_with_too_many_objects(monkeypatch):
    monkeypatch.setattr(uploads, "PDF_MAX_OBJECTS", 3)
    error = _refusal("report.pdf", _pdf(pages=4))
    assert error.code == "pdf_too_complex"
    assert error.messages[0].startswith(
        "“report.pdf” is a PDF made of too many internal objects to be checked (more than 3)"
    )


def test_inspect_upload_checks_pdf_with_many_objects_quickly():
    # 2,000 pages, each with a link: about 6,000 objects, read in well under a second.
    def many(writer, page):
        for _ in range(1999):
            writer.add_blank_page(width=72, height=72)
        for index in range(2000):
            writer.add_annotation(index, Link(rect=(0, 0, 9, 9), url="https://www.iom.int/"))

    content = _written_pdf(many)
    # CPU time of this process, not wall time: the parallel suite (and anything else on
    # the machine) shares the cores, which would stretch a wall-clock budget.
    started = time.process_time()
    inspect_upload(SimpleUploadedFile("report.pdf", content))
    assert time.process_time() - started < 3


# --- Word and Excel ------------------------------------------------------------------------


def test_inspect_upload_refuses_docm():
    error = _refusal("input.docx", _docx(DOCM_MAIN))
    assert error.code == "macros"
    assert error.messages == [
        "“input.docx” is a Word file with macros (.docm), which is not accepted."
    ]


def test_inspect_upload_refuses_docx_with_vba_project():
    error = _refusal("input.docx", _docx(**{"word/vbaProject.bin": b"\xd0\xcf\x11\xe0"}))
    assert error.code == "macros"
    assert error.messages == [
        "“input.docx” is a Word file with macros (.docm), which is not accepted."
    ]


def test_inspect_upload_refuses_xlsm():
    content = _zip(
        {
            "[Content_Types].xml": _content_types(
                ("/xl/workbook.xml", "application/vnd.ms-excel.sheet.macroEnabled.main+xml")
            ),
            "xl/workbook.xml": "<workbook/>",
        }
    )
    error = _refusal("figures.xlsx", content)
    assert error.messages == [
        "“figures.xlsx” is an Excel file with macros (.xlsm), which is not accepted."
    ]


def test_inspect_upload_refuses_zip_bomb_quickly():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _content_types(("/word/document.xml", WORD_MAIN)))
        archive.writestr("word/document.xml", "<w:document/>")
        with archive.open("word/media/image1.png", "w") as member:
            for _ in range(50):
                member.write(bytes(1024 * 1024))
    content = buffer.getvalue()
    assert len(content) < 100_000

    started = time.perf_counter()
    error = _refusal("input.docx", content)
    elapsed = time.perf_counter() - started

    assert error.code == "zip_bomb"
    assert error.messages == [
        "“input.docx” would unpack to far more data than a normal document, so it is "
        "refused as unsafe."
    ]
    assert elapsed < 1.0  # judged from the central directory, nothing decompressed


def test_inspect_upload_refuses_zip_with_too_many_members(monkeypatch):
    monkeypatch.setattr(uploads, "ZIP_MAX_MEMBERS", 2)
    assert _refusal("input.docx", _docx(**{"word/styles.xml": "<styles/>"})).code == "zip_bomb"


def test_inspect_upload_refuses_zip_unpacking_to_too_much(monkeypatch):
    monkeypatch.setattr(uploads, "ZIP_MAX_UNPACKED_BYTES", 100)
    assert _refusal("input.docx", _docx(**{"word/styles.xml": "x" * 200})).code == "zip_bomb"


def test_inspect_upload_refuses_docx_with_encrypted_members():
    # zipfile cannot write encrypted members: set the "encrypted" flag bit by hand in the
    # local headers and in the central directory.
    content = bytearray(_docx())
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        for match in re.finditer(re.escape(signature), bytes(content)):
            content[match.start() + flag_offset] |= 0x1
    error = _refusal("input.docx", bytes(content))
    assert error.code == "encrypted"


@pytest.mark.parametrize(
    "content",
    [
        _zip({"notes.txt": "hello", "data.csv": "a,b"}),
        _zip({"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": "<x/>"}),
        _zip(
            {
                "[Content_Types].xml": _content_types(("/ppt/presentation.xml", PPTX_MAIN)),
                "ppt/presentation.xml": "<p/>",
            }
        ),
    ],
    ids=["plain-zip", "odt", "pptx"],
)
def test_inspect_upload_refuses_other_zip(content):
    error = _refusal("input.docx", content)
    assert error.code == "archive"
    assert error.messages == [
        f"“input.docx” {ACCEPTED}: it is a ZIP archive or another kind of document "
        "(such as PowerPoint or OpenDocument)."
    ]


@pytest.mark.parametrize(
    "content",
    [
        b"PK\x03\x04" + bytes(200),
        _docx()[:150],
        _zip({"[Content_Types].xml": _content_types(("/word/document.xml", WORD_MAIN))}),
        _zip({"[Content_Types].xml": "<Types", "word/document.xml": "<w:document/>"}),
    ],
    ids=["garbage", "truncated", "main-part-missing", "bad-xml"],
)
def test_inspect_upload_refuses_damaged_docx(content):
    error = _refusal("input.docx", content)
    assert error.code == "damaged"
    assert error.messages == [
        "“input.docx” looks like a Word or Excel file but is damaged or incomplete."
    ]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_inspect_upload_refuses_content_types_with_entities(encoding):
    # A "billion laughs" document: refused before any parser could expand it.
    xml = (
        f'<?xml version="1.0" encoding="{encoding}"?>'
        '<!DOCTYPE Types [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        f'<Override PartName="/word/document.xml" ContentType="{WORD_MAIN}"/>'
        '<Default Extension="b" ContentType="&b;"/>'
        "</Types>"
    )
    content = _zip(
        {"[Content_Types].xml": xml.encode(encoding), "word/document.xml": "<w:document/>"}
    )
    assert _refusal("input.docx", content).code == "damaged"


# --- Images --------------------------------------------------------------------------------


def test_inspect_upload_refuses_damaged_png():
    content = bytearray(_image("PNG"))
    idat = content.index(b"IDAT")
    content[idat + 10] ^= 0xFF  # the chunk's CRC no longer matches
    error = _refusal("chart.png", bytes(content))
    assert error.code == "damaged"
    assert error.messages == ["“chart.png” looks like a PNG image but is damaged or incomplete."]


def test_inspect_upload_refuses_truncated_jpeg():
    content = _image("JPEG", (64, 64))
    error = _refusal("photo.jpg", content[: len(content) // 2])
    assert error.code == "damaged"
    assert error.messages == ["“photo.jpg” looks like a JPEG image but is damaged or incomplete."]


def test_inspect_upload_refuses_image_far_over_pixel_limit(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # Pillow raises above 200
    error = _refusal("huge.png", _image("PNG", (20, 20)))
    assert error.code == "too_many_pixels"


def test_inspect_upload_refuses_image_just_over_pixel_limit(monkeypatch):
    # Pillow only warns between 1 and 2 times the limit; the warning is recorded here
    # (not raised) so the module's own check is what refuses the image.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    content = _image("JPEG", (12, 12))
    with pytest.warns(Image.DecompressionBombWarning):
        error = _refusal("photo.jpg", content)
    assert error.code == "too_many_pixels"


# --- Display and storage names -------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("C:\\Users\\amina\\Desktop\\report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("folder/sub\\mixed/notes.docx", "notes.docx"),
        ("folder/", "attachment"),
    ],
)
def test_safe_display_name_strips_directories(name, expected):
    assert safe_display_name(name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("repo\x00rt\x07.pdf", "report.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("\u2066secret\u2069 plan\u202a\u202b\u202c\u202d.docx", "secret plan.docx"),
        ("in\u200bvo\u200c\u200dice\u2060\ufeff.pdf", "invoice.pdf"),
        ("annual\t\nreport \u00a0  2024.pdf", "annual report 2024.pdf"),
        ('a<b>:c"d|e?f*.pdf', "a_b__c_d_e_f_.pdf"),
        ("  ..hidden.pdf. ", "hidden.pdf"),
    ],
    ids=[
        "control",
        "bidi-override",
        "bidi-isolates",
        "zero-width",
        "whitespace",
        "reserved",
        "dots",
    ],
)
def test_safe_display_name_removes_dangerous_characters(name, expected):
    assert safe_display_name(name) == expected


def test_safe_display_name_limits_length_keeping_extension():
    name = safe_display_name("Rapport " + "très long " * 40 + ".xlsx")
    assert len(name) == 120
    assert name.startswith("Rapport très long très long")
    assert name.endswith(" lo.xlsx")


def test_safe_display_name_does_not_leave_space_before_extension():
    # Cut at 116 characters, the stem would end in a space.
    assert safe_display_name("a" * 115 + " bcdefgh.pdf") == "a" * 115 + ".pdf"


def test_safe_display_name_limits_length_of_name_without_extension():
    assert safe_display_name("x" * 500) == "x" * 120
    assert safe_display_name("x" * 500, "pdf") == "x" * 116 + ".pdf"


@pytest.mark.parametrize(
    "name",
    ["تقرير المراجعة الوطنية.pdf", "国家审查报告.docx", "Национальный обзор.xlsx", "Revisión.pdf"],
)
def test_safe_display_name_keeps_non_latin_names(name):
    assert safe_display_name(name) == name


def test_safe_display_name_normalises_unicode():
    assert safe_display_name("Re\u0301sume\u0301.pdf") == "R\u00e9sum\u00e9.pdf"


@pytest.mark.parametrize("name", ["", "   ", "\u202e\u200b", "...", "/", "\x00"])
def test_safe_display_name_never_empty(name):
    assert safe_display_name(name) == "attachment"
    assert safe_display_name(name, "pdf") == "attachment.pdf"


@pytest.mark.parametrize(
    ("name", "extension", "expected"),
    [
        ("report.docx", "pdf", "report.pdf"),
        ("x.exe.pdf", "pdf", "x.exe.pdf"),
        ("Scan.PDF", "pdf", "Scan.PDF"),
        ("Photo.JPEG", "jpg", "Photo.JPEG"),
        ("photo.png", "jpg", "photo.jpg"),
        ("minutes", "pdf", "minutes.pdf"),
        ("minutes 12.03.2024", "pdf", "minutes 12.03.2024.pdf"),
        ("report v1.2", "docx", "report v1.2.docx"),
    ],
)
def test_safe_display_name_uses_extension_of_detected_type(name, extension, expected):
    assert safe_display_name(name, extension) == expected


def _inspected(display_name: str = "Annual report 2024.pdf") -> InspectedUpload:
    return InspectedUpload(
        content_type="application/pdf",
        extension="pdf",
        size=10,
        sha256="0" * 64,
        display_name=display_name,
    )


def test_storage_name_is_random_and_not_from_uploaded_name():
    now = timezone.now()
    names = {storage_name(_inspected()) for _ in range(20)}
    assert len(names) == 20
    for name in names:
        assert re.fullmatch(rf"attachments/{now:%Y}/{now:%m}/[0-9a-f]{{32}}\.pdf", name)
        assert "Annual" not in name
        assert "report" not in name


def test_storage_name_ignores_path_in_display_name():
    name = storage_name(_inspected(display_name="../../settings.py"))
    assert ".." not in name
    assert name.endswith(".pdf")


def test_inspect_upload_refuses_truncated_jpeg_even_after_weasyprint_is_loaded():
    # WeasyPrint sets Pillow's LOAD_TRUNCATED_IMAGES globally when imported; the upload
    # check must not depend on that flag.
    import weasyprint  # noqa: F401, PLC0415 — its import-time side effect is what this test needs

    assert ImageFile.LOAD_TRUNCATED_IMAGES is True
    content = _image("JPEG", (64, 64))
    error = _refusal("photo.jpg", content[: len(content) // 2])
    assert error.code == "damaged"
