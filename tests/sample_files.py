"""Small real files built by the tests (no binary fixtures in git)."""

import io

from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject, TextStringObject


def make_pdf(pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def make_pdf_with_active_content() -> bytes:
    """The PDF of the "Trust" issue: an /OpenAction running JavaScript, a link with a
    /Launch action and an executable in /EmbeddedFiles."""
    writer = PdfWriter()
    page = writer.add_blank_page(width=595, height=842)
    writer.root_object[NameObject("/OpenAction")] = DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("1")}
    )
    launch = DictionaryObject(
        {NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("x.exe")}
    )
    link = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject([NumberObject(n) for n in (0, 0, 99, 99)]),
            NameObject("/A"): launch,
        }
    )
    page[NameObject("/Annots")] = ArrayObject([writer._add_object(link)])
    writer.add_attachment("x.exe", b"MZ" + bytes(62))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def hand_written_pdf(objects: list[bytes], *, compressed: list[bytes] = ()) -> bytes:
    """A PDF written byte by byte, for what pypdf's writer cannot produce: names spelled
    with #-escapes, objects nobody refers to, objects inside an object stream.

    `objects` are the bodies of objects 1, 2, … (object 1 is the catalog);
    `compressed` the bodies of the next numbers, stored in one object stream. The
    cross-reference table is a cross-reference stream (PDF 1.5), the only kind that
    can point into an object stream.
    """
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    entries = [(0, 0, 65535)]  # (type, field 2, field 3) of each object number, from 0
    for number, body in enumerate(objects, start=1):
        entries.append((1, len(out), 0))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    if compressed:
        stream_number = len(objects) + len(compressed) + 1
        first = len(objects) + 1
        offsets, data = [], b""
        for body in compressed:
            offsets.append(len(data))
            data += body + b"\n"
        header = b" ".join(b"%d %d" % (first + i, o) for i, o in enumerate(offsets)) + b"\n"
        entries.extend((2, stream_number, index) for index in range(len(compressed)))
        entries.append((1, len(out), 0))
        out += b"%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Length %d >>\nstream\n" % (
            stream_number,
            len(compressed),
            len(header),
            len(header) + len(data),
        )
        out += header + data + b"\nendstream\nendobj\n"
    xref_number = len(entries)
    entries.append((1, len(out), 0))
    table = b"".join(
        kind.to_bytes(1, "big") + two.to_bytes(4, "big") + three.to_bytes(2, "big")
        for kind, two, three in entries
    )
    xref_offset = len(out)
    out += b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n" % (
        xref_number,
        len(entries),
        len(table),
    )
    out += table + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_offset
    return bytes(out)


# The smallest page tree for hand_written_pdf: objects 2 (pages) and 3 (one page).
HAND_WRITTEN_PAGES = [
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 72 72] >>",
]
