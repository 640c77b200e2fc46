"""submissions.word.safety: hostile and wrong files are refused on the form with a
message and nothing stored; python-docx's own parsers resolve no entity."""

import pytest
from docx.opc.oxml import oxml_parser as package_parser
from docx.oxml.parser import oxml_parser
from lxml import etree

from submissions.models import WrittenInput
from submissions.word import safety

from ...sample_files import make_pdf
from ...word_files import member, replace_member
from .conftest import blank_template, post_preview

pytestmark = pytest.mark.django_db


def _docm(world) -> bytes:
    data = blank_template(world)
    types = member(data, "[Content_Types].xml").replace(
        b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        b"application/vnd.ms-word.document.macroEnabled.main+xml",
    )
    return replace_member(data, "[Content_Types].xml", types)


def _with_vba(world) -> bytes:
    return replace_member(
        blank_template(world),
        "word/vbaProject.bin",
        None,
        **{"word/vbaProject.bin": b"\xd0\xcf\x11\xe0 macro"},
    )


def _zip_bomb(world) -> bytes:
    return replace_member(
        blank_template(world),
        "word/media/filler.xml",
        None,
        **{"word/media/filler.xml": b"<a>" + b" " * (8 * 1024 * 1024) + b"</a>"},
    )


def _malformed(world) -> bytes:
    document = member(blank_template(world), "word/document.xml")
    return replace_member(
        blank_template(world), "word/document.xml", document[: len(document) // 2]
    )


def _with_doctype(world, declaration: bytes, reference: bytes, encoding="utf-8") -> bytes:
    document = member(blank_template(world), "word/document.xml").decode()
    head, rest = document.split("?>", 1)
    rest = rest.replace(
        "1. Introduction</w:t>", "1. Introduction" + reference.decode() + "</w:t>", 1
    )
    text = f"{head}?>{declaration.decode()}{rest}"
    if encoding != "utf-8":
        text = text.replace("encoding='UTF-8'", f"encoding='{encoding}'")
    return replace_member(blank_template(world), "word/document.xml", text.encode(encoding))


def _external_entity(world) -> bytes:
    return _with_doctype(
        world,
        b'<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        b"&xxe;",
    )


def _billion_laughs(world) -> bytes:
    entities = '<!ENTITY l0 "lol">' + "".join(
        f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10)
    )
    return _with_doctype(world, f"<!DOCTYPE w:document [{entities}]>".encode(), b"&l9;")


def _utf16_doctype(world) -> bytes:
    return _with_doctype(
        world,
        b'<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        b"&xxe;",
        encoding="utf-16",
    )


HOSTILE = {
    "docm": (_docm, "is a Word file with macros (.docm), which is not accepted."),
    "vba": (_with_vba, "is a Word file with macros (.docm), which is not accepted."),
    "zip bomb": (_zip_bomb, "would unpack to far more data than a normal document"),
    "malformed xml": (_malformed, "looks like a Word or Excel file but is damaged"),
    "external entity": (_external_entity, "contains XML with a document type declaration"),
    "billion laughs": (_billion_laughs, "contains XML with a document type declaration"),
    "utf-16 entity": (_utf16_doctype, "contains XML with a document type declaration"),
    "renamed pdf": (lambda world: make_pdf(), "is a PDF file, not a Word (.docx) document."),
    "plain zip": (
        lambda world: replace_member(blank_template(world), "[Content_Types].xml", None),
        "is not a Word (.docx) document.",
    ),
    "empty": (lambda world: b"", "The submitted file is empty."),
    "text": (lambda world: b"Hello, this is text.", "is not a Word (.docx) document."),
}


@pytest.mark.parametrize("kind", HOSTILE)
def test_hostile_files_are_refused_on_the_form_and_nothing_is_stored(
    client, world, joint_input, settings, kind
):
    make, message = HOSTILE[kind]
    version = joint_input.version
    client.force_login(world.lead_user)
    response = post_preview(client, joint_input, make(world))
    assert response.status_code == 400
    body = response.content.decode().replace("&#x27;", "'")
    assert message in body
    assert 'class="invalid-feedback"' in body or "alert-danger" in body
    assert response.context["form"].errors
    assert WrittenInput.objects.get(pk=joint_input.pk).version == version
    media = settings.MEDIA_ROOT
    assert not media.exists() or not any(media.rglob("*"))


def test_a_package_too_big_for_an_import_is_refused(client, world, joint_input, monkeypatch):
    monkeypatch.setattr(safety, "IMPORT_MAX_UNPACKED_BYTES", 100_000)
    client.force_login(world.lead_user)
    response = post_preview(client, joint_input, blank_template(world))
    assert response.status_code == 400
    assert "far more than a filled template" in response.content.decode()


def test_python_docx_parsers_resolve_no_entity(tmp_path):
    """Besides the DTD refusal, the parsers python-docx opens parts with never expand
    an entity: neither an external one (a file here) nor an internal one."""
    secret = tmp_path / "secret.txt"
    secret.write_text("the secret", encoding="utf-8")
    xml = (
        f'<!DOCTYPE a [<!ENTITY xxe SYSTEM "{secret.as_uri()}">'
        '<!ENTITY inner "expanded">]><a>&xxe;&inner;</a>'
    ).encode()
    for parser in (oxml_parser, package_parser):
        root = etree.fromstring(xml, parser)
        # The references stay references: nothing was read or substituted.
        assert etree.tostring(root) == b"<a>&xxe;&inner;</a>"
        assert root.text is None
