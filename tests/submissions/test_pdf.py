"""Inputs as PDF: text that extracts as typed in every script the ISCMs write in, a
renderer that fetches nothing it should not, and downloads only for those who may see
the input."""

import io
import socket
import threading

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from submissions import workflow
from submissions.markup import render_markdown
from submissions.pdf import PortalURLFetcher, input_pdf, render_html_to_pdf

from .conftest import fill

SENTENCES = {
    "en": "Regular pathways for migration grew in the region.",
    "fr": "Les voies de migration régulière ont progressé dans la région.",
    "es": "Las vías de migración regular crecieron en la región",
    "ru": "Регулярные пути миграции в регионе расширились",
    "ar": "توسعت مسارات الهجرة النظامية في المنطقة",
    "zh": "该地区的正规移民渠道有所扩大",
}


def _snapshot(language, text):
    return {
        "title": text,
        "language": language,
        "direction": "rtl" if language == "ar" else "ltr",
        "basis": "written_input",
        "cycle": {"slug": "c", "name": "Third round", "years": "2028–2029"},
        "lead": {"slug": "x", "acronym": "XP", "name": "Example Process", "kind": "RCP"},
        "partners": [],
        "targets": [
            {"region": "ECA", "region_name": "Africa", "commission": "ECA", "deadline": None}
        ],
        "sections": [
            {
                "number": 1,
                "title": "Intro",
                "kind": "narrative",
                "required": True,
                "word_limit": None,
                "body": f"{text}\n\n- {text}",
            },
        ],
        "objectives": [
            {
                "number": 5,
                "short_title": "Regular pathways",
                "title": "Enhance pathways",
                "round_table": 1,
                "progress": text,
                "practices": "",
                "challenges": "",
            },
        ],
        "principles": [],
        "formats": [],
        "priorities": [],
        "challenges": [],
        "attachments": [],
    }


def _text(pdf: bytes) -> str:
    """The PDF's text with line breaks from wrapping folded into spaces."""
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return " ".join(text.split())


@pytest.mark.parametrize("language", list(SENTENCES))
def test_pdf_text_extracts_as_typed_in_each_script(language):
    sentence = SENTENCES[language]
    pdf = input_pdf(_snapshot(language, sentence), version_label="version 1")
    reader = PdfReader(io.BytesIO(pdf))
    assert _text(pdf).count(sentence) >= 3  # title, section text, objective
    assert reader.metadata.title == sentence
    assert reader.metadata.author == "Example Process"
    assert reader.trailer["/Root"].get("/Lang") == language
    assert "/MarkInfo" in reader.trailer["/Root"]  # tagged (PDF/UA-1)


class RecordingListener:
    """A loopback HTTP listener that records every connection made to it."""

    def __init__(self):
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen()
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.hits = 0
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while self.running:
            try:
                connection, _address = self.server.accept()
            except TimeoutError:
                continue
            self.hits += 1
            connection.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/css\r\n\r\nbody{}")
            connection.close()

    def stop(self):
        self.running = False
        self.thread.join(timeout=2)
        self.server.close()


@pytest.fixture
def listener():
    recording = RecordingListener()
    yield recording
    recording.stop()


def test_renderer_fetches_nothing_it_should_not(listener, db):
    base = f"http://127.0.0.1:{listener.port}"
    hostile_markdown = render_markdown(f"![x]({base}/markdown.png) [y](file:///etc/passwd)")
    html = f"""<!doctype html><html lang="en"><head><title>t</title>
      <link rel="stylesheet" href="/static/css/print.css">
      <link rel="stylesheet" href="{base}/linked.css">
      <style>@import url("{base}/imported.css");
        body {{ background: url("file:///etc/passwd") }}</style>
      <link rel="attachment" href="file:///etc/passwd">
    </head><body>
      <img src="file:///etc/passwd" alt="a">
      <img src="http://localhost:{listener.port}/i.png" alt="b">
      <img src="data:image/png;base64,iVBORw0KGgo=" alt="c">
      <a rel="attachment" href="file:///etc/hostname">attached</a>
      <p>Visible text.</p>{hostile_markdown}
    </body></html>"""
    fetcher = PortalURLFetcher()
    pdf = render_html_to_pdf(html, fetcher=fetcher)

    assert listener.hits == 0
    refused = " ".join(fetcher.refused)
    assert "file:///etc/passwd" in refused
    assert f"{base}/linked.css" in refused
    assert f"{base}/imported.css" in refused
    assert "data:image/png" in refused
    assert not any("print.css" in url for url in fetcher.refused)  # its own files work
    assert "markdown.png" not in refused  # the Markdown subset never makes an <img>
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.attachments == {}
    text = _text(pdf)
    assert "Visible text." in text
    assert "root:" not in text


def test_renderer_serves_only_the_attachments_it_is_given(db, settings, tmp_path):
    name = default_storage.save("attachments/t/known.txt", ContentFile(b"known"))
    fetcher = PortalURLFetcher(attachments={7: name})
    assert fetcher.fetch("https://portal.invalid/attachments/7").read() == b"known"
    for url in (
        "https://portal.invalid/attachments/8",
        "https://portal.invalid/static/../../etc/passwd",
        "https://portal.invalid/static/%2e%2e/%2e%2e/etc/passwd",
        "https://elsewhere.example/static/css/print.css",
    ):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("lead_user", 200), ("partner_user", 200), ("other_user", 404), ("reviewer", 404)],
)
def test_secretariat_pdf_of_the_draft_and_of_versions(
    client, world, ready_input, persona, expected
):
    client.force_login(getattr(world, persona))
    response = client.get(reverse("submissions:input-pdf", args=[ready_input.pk]))
    assert response.status_code == expected
    if expected == 200:
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].endswith('-draft.pdf"')
        assert "We met twice and agreed on this text." in _text(response.content)


def test_pdf_of_a_submitted_version_for_the_reviewer_and_secretariat(client, world, ready_input):
    workflow.submit_input(ready_input, by=world.lead_user, today=timezone.localdate())
    workflow.request_changes(ready_input, by=world.reviewer, message="More.")
    ready_input.refresh_from_db()
    fill(ready_input, world, intro="Second text.")

    client.force_login(world.reviewer)
    response = client.get(reverse("reviews:input-pdf", args=[ready_input.pk]) + "?version=1")
    assert response.status_code == 200
    assert "We met twice and agreed on this text." in _text(response.content)
    assert "Second text." not in _text(response.content)
    assert (
        client.get(reverse("reviews:input-pdf", args=[ready_input.pk]) + "?version=9").status_code
        == 404
    )
    assert (
        client.get(reverse("reviews:input-pdf", args=[ready_input.pk]) + "?version=x").status_code
        == 404
    )

    client.force_login(world.other_reviewer)
    assert client.get(reverse("reviews:input-pdf", args=[ready_input.pk])).status_code == 404

    client.force_login(world.partner_user)
    response = client.get(reverse("submissions:input-pdf", args=[ready_input.pk]) + "?version=1")
    assert response["Content-Disposition"].endswith('-v1.pdf"')


def test_pdf_downloads_need_sign_in(client, world, ready_input):
    response = client.get(reverse("submissions:input-pdf", args=[ready_input.pk]))
    assert response.status_code == 302
