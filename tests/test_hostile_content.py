"""Hostile text typed into every free-text field of the portal, through its real pages
(issue "Security and reliability hardening", item 4).

The corpus is tests/data/hostile/cases.json: script tags, event handlers, javascript:
and data: links, inline SVG, CSS, file:// and loopback URLs, Django template syntax,
bidirectional and zero-width characters, control characters, NUL, a 200,000-character
word, a 20,000-item list, tens of thousands of line breaks.

Each case goes, as the persona who would type it, into the input title (create form),
the section texts and objective texts (edit form), the attachment title (and the
uploaded file's name), a reviewer's comment and internal note, the request-changes,
accept, decline and unpublish messages, the deadline-extension reason, the withdraw
reason, and the public search box. Then:

- no page answers 500, and none (PDF included) takes more than SLOW seconds;
- what the forms take is stored as typed (less the leading and trailing whitespace
  Django's forms strip); what they refuse (NUL, the size limits) is refused with a
  message next to the field, and the page keeps everything else the person typed;
- every HTML page (and e-mail) that shows it carries no script of the text's making:
  no <script> but the portal's own files, no on* attribute, no javascript:, data:,
  file: or loopback URL, no <style>, <svg>, <iframe>, <img>…; template syntax is shown
  as typed, never evaluated;
- the PDF shows the text, links nowhere local or scripted, and its renderer asks for
  nothing but the portal's own static files;
- the JSON, CSV and Atom feed stay valid, the feed's HTML summary is escaped, and a
  CSV cell that spreadsheet programs would compute is marked as text;
- a right-to-left override left open in a title cannot reorder the portal's own words
  (inline titles are isolated in <bdi>).

A second test compiles the regional package of one input per case and checks the same
of its PDF; tests/e2e/test_hostile.py opens the script cases in chromium.
"""

import csv
import datetime
import io
import ipaddress
import json
import re
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit
from xml.etree import ElementTree

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from reviews import package_parts, package_pdf, packages
from reviews.models import RegionalPackage
from submissions import pdf as pdf_module
from submissions.models import (
    Attachment,
    ContributionFormat,
    ObjectiveResponse,
    OutlineSection,
    ReviewComment,
    ReviewEvent,
    SectionResponse,
    Status,
    WrittenInput,
)
from submissions.pdf import ATTACHMENT_PREFIX, BASE_URL, STATIC_PREFIX, PortalURLFetcher
from submissions.validators import MAX_TEXT_CHARACTERS, MAX_TEXT_LINES

from .factories import ReviewerAssignmentFactory
from .sample_files import make_pdf
from .submissions.conftest import make_input, world  # noqa: F401 (fixtures)

CORPUS = Path(__file__).parent / "data" / "hostile" / "cases.json"
# A recognisable key: no page may ever show it, whatever template syntax was typed.
SECRET = "hostile-corpus-secret-4f1d9a7c2e"
# "A few seconds": the most any page or PDF may take with any case in every field.
SLOW = 5.0
TITLE_MAX_LENGTH = 255

NUL_MESSAGE = "Null characters are not allowed."
LENGTH_MESSAGE = f"Ensure this value has at most {TITLE_MAX_LENGTH} characters"
SIZE_MESSAGE = "a field can hold at most"

# What an HTML page may never carry when it shows typed text.
FORBIDDEN_TAGS = frozenset(
    {"style", "svg", "math", "iframe", "frame", "frameset", "object", "embed", "applet"}
    | {"img", "image", "video", "audio", "source", "track", "base", "template"}
)
URL_ATTRIBUTES = frozenset(
    {"href", "src", "action", "formaction", "data", "poster", "xlink:href", "background"}
    | {"srcset", "ping", "cite", "manifest", "codebase"}
)
SCRIPT_SCHEMES = ("javascript:", "vbscript:", "data:", "file:")
# Loopback, link-local and unspecified hosts, in the spellings the corpus uses after a
# browser has read them (percent-decoded, IDNA-mapped, lower case, no trailing dot).
LOCAL_NAMES = frozenset({"localhost", "2130706433", "0x7f.0.0.1", "0177.0.0.1", "127.1", "0"})


@dataclass(frozen=True)
class Case:
    name: str
    text: str
    shown: tuple[str, ...]

    @property
    def typed(self) -> str:
        """What a form stores: Django's CharField strips the ends."""
        return self.text.strip()

    def refusal(self, *, max_length: int | None = None, limited: bool = True) -> str | None:
        """The message a form answers this text with, or None when it stores it."""
        value = self.typed
        if "\x00" in value:
            return NUL_MESSAGE
        if max_length and len(value) > max_length:
            return LENGTH_MESSAGE
        if limited and (
            len(value) > MAX_TEXT_CHARACTERS or len(value.splitlines()) > MAX_TEXT_LINES
        ):
            return SIZE_MESSAGE
        return None


def _corpus() -> list[Case]:
    cases = []
    for entry in json.loads(CORPUS.read_text(encoding="utf-8"))["cases"]:
        text = entry["text"] if "text" in entry else entry["repeat"] * entry["times"]
        cases.append(Case(entry["name"], text, tuple(entry.get("shown", ()))))
    return cases


CASES = _corpus()


# --- what a page may carry ------------------------------------------------------------


def is_local_url(url: str) -> bool:
    """Whether an http(s) URL points at this machine or its network's metadata service
    (loopback, link-local, unspecified), read the way a browser reads it."""
    cleaned = url.strip("".join(map(chr, range(0x21))))  # C0 controls and space
    cleaned = re.sub(r"[\t\n\r]", "", cleaned).replace("\\", "/")
    parts = urlsplit(cleaned)
    if parts.scheme.lower() not in ("http", "https"):
        return False
    host = unquote(parts.hostname or "")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return True  # a host no browser would read as a public name either
    host = host.lower().rstrip(".")
    if host in LOCAL_NAMES or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None) or address
    return mapped.is_loopback or mapped.is_link_local or mapped.is_unspecified


def unsafe_url(url: str) -> str | None:
    squeezed = re.sub(r"[\x00-\x20\x7f-\x9f\u200b-\u200d\u2060\ufeff]", "", url).lower()
    if squeezed.startswith(SCRIPT_SCHEMES):
        return "scripted or local scheme"
    if is_local_url(url):
        return "loopback or link-local host"
    return None


# Bidirectional formatting characters: those that open an embedding or override (ended
# by PDF, U+202C) or an isolate (ended by PDI, U+2069, which also ends everything opened
# inside it).
EMBEDDINGS = frozenset("\u202a\u202b\u202d\u202e")
ISOLATES = frozenset("\u2066\u2067\u2068")
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
# Elements an override inside cannot reach out of: isolating (<bdi>, any element with
# dir), or not laid out with the page's text.
ISOLATING = frozenset({"bdi", "textarea", "option", "script", "style"})
INLINE = frozenset(
    {"a", "abbr", "b", "cite", "code", "em", "i", "label", "mark", "q", "s", "small"}
    | {"span", "strong", "sub", "sup", "time", "u"}
)
VOID = frozenset({"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "wbr"})


def open_override(text: str) -> int | None:
    """Where the embedding, override or isolate still open at the end of `text` starts,
    or None when `text` closes all it opens (Unicode's bidi algorithm, rules X1–X8)."""
    if not BIDI.search(text):
        return None
    stack, start = [], None
    for index, character in enumerate(text):
        if character in EMBEDDINGS or character in ISOLATES:
            start = index if not stack else start
            stack.append(character)
        elif character == "\u202c" and stack and stack[-1] in EMBEDDINGS:
            stack.pop()
        elif character == "\u2069" and any(c in ISOLATES for c in stack):
            while stack.pop() not in ISOLATES:
                pass
    return start if stack else None


@dataclass
class _Open:
    tag: str
    isolates: bool
    shared: list | None = None  # text after an open override, which must be typed text


class _Page(HTMLParser):
    """The problems of an HTML document, its visible text and its form values.

    Besides script, it checks that an unterminated right-to-left override typed by
    someone cannot reorder the portal's own words: text holding one must sit in an
    isolating element (<bdi>, an element with dir) or alone in its block."""

    def __init__(self, typed: str = "", *, bidi: bool = True):
        super().__init__(convert_charrefs=True)
        self.typed = squeeze(typed)
        self.bidi = bidi
        self.problems: list[str] = []
        self.text: list[str] = []
        self.values: dict[str, list[str]] = {}
        self._textarea: str | None = None
        self._select: str | None = None
        self._open: list[_Open] = []

    def handle_starttag(self, tag, attrs):
        self._push(tag, attrs)
        attributes = dict(attrs)
        where = f"<{tag}>"
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"{where} element")
        if tag == "script" and not (attributes.get("src") or "").startswith(STATIC_PREFIX):
            self.problems.append(f"{where} not one of the portal's files")
        if tag == "link" and not (attributes.get("href") or "").startswith(STATIC_PREFIX):
            self.problems.append(f"{where} to {attributes.get('href')!r}")
        if tag == "meta" and "http-equiv" in attributes:
            self.problems.append(f"{where} http-equiv")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"{where} event handler {name}")
            elif name in ("style", "srcdoc"):
                self.problems.append(f"{where} {name} attribute")
            elif name in URL_ATTRIBUTES and value and (why := unsafe_url(value)):
                self.problems.append(f"{where} {name}={value[:60]!r}: {why}")
        self._form_value(tag, attributes)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def _push(self, tag, attrs):
        if tag not in VOID:
            isolates = tag in ISOLATING or any(name == "dir" for name, _value in attrs)
            self._open.append(_Open(tag, isolates))

    def _pop(self, tag):
        while any(entry.tag == tag for entry in self._open):
            entry = self._open.pop()
            if entry.shared and squeeze("".join(entry.shared)):
                self.problems.append(
                    f"<{entry.tag}>: an override typed in it reaches "
                    f"{squeeze(''.join(entry.shared))[:60]!r}"
                )
            if entry.tag == tag:
                break

    def _check_bidi(self, data):
        for entry in self._open:
            if entry.shared is not None:
                entry.shared.append(data)
        start = open_override(data)
        if start is None:
            return
        for entry in reversed(self._open):
            if entry.isolates:
                return
            if entry.tag not in INLINE:  # the block it runs to the end of
                break
        else:
            entry = None
        # What follows the override in the same text must be what was typed, not the
        # portal's words around it, and so must the rest of its block.
        after = squeeze(data[start:])
        if self.typed and after not in self.typed:
            self.problems.append(f"an override typed in {data[:60]!r} reaches the words after it")
        if entry is None:
            self.problems.append("an override typed in the page reaches the whole page")
        else:
            entry.shared = []

    def _form_value(self, tag, attributes):
        name = attributes.get("name")
        if tag == "textarea" and name:
            self._textarea = name
            self.values.setdefault(name, []).append("")
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in attributes:
            self.values.setdefault(self._select, []).append(attributes.get("value") or "")
        elif tag == "input" and name:
            kind = (attributes.get("type") or "text").lower()
            if kind not in ("checkbox", "radio") or "checked" in attributes:
                default = "on" if kind in ("checkbox", "radio") else ""  # as browsers post
                self.values.setdefault(name, []).append(attributes.get("value", default))

    def handle_endtag(self, tag):
        self._pop(tag)
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self.bidi:
            self._check_bidi(data)
        if self._textarea:
            values = self.values[self._textarea]
            values[-1] += data
        else:
            self.text.append(data)


def parse(html: str, typed: str = "", *, bidi: bool = True) -> _Page:
    page = _Page(typed, bidi=bidi)
    page.feed(html)
    page.close()
    return page


def squeeze(text: str) -> str:
    return " ".join(text.split())


def textarea_value(page: _Page, name: str) -> str:
    # Django writes a newline after <textarea>, which browsers drop.
    return page.values[name][0].removeprefix("\n")


def kept(page: _Page, name: str, case: Case) -> bool:
    """Whether the refused form shows the case again in field `name`, as typed. (A NUL
    is written back as it came; browsers show it as U+FFFD, which marks the spot.)"""
    return textarea_value(page, name).strip() == case.typed


# --- requests, timed and checked --------------------------------------------------------


class Visit:
    """The personas' clients; every request is timed and every HTML answer checked."""

    def __init__(self, case: Case):
        self.case = case
        self.timings: dict[str, float] = {}

    def request(self, client, method, url, data=None, *, label, expect=(200,), **kwargs):
        started = time.perf_counter()
        response = getattr(client, method)(url, data, **kwargs)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        elapsed = time.perf_counter() - started
        self.timings[label] = elapsed
        assert response.status_code != 500, f"{label}: 500"
        assert response.status_code in expect, f"{label}: {response.status_code}"
        assert elapsed < SLOW, f"{label} took {elapsed:.1f} s"
        response.body = body
        if response.get("Content-Type", "").startswith("text/html"):
            response.page = self.check_html(body.decode(), label)
        return response

    def get(self, client, url, **kwargs):
        return self.request(client, "get", url, **kwargs)

    def post(self, client, url, data, **kwargs):
        kwargs.setdefault("expect", (200, 302, 400, 409))
        return self.request(client, "post", url, data, **kwargs)

    def check_html(self, html: str, label: str, *, bidi: bool = True) -> _Page:
        page = parse(html, self.case.typed, bidi=bidi)
        assert not page.problems, f"{label}: {page.problems[:5]}"
        assert SECRET not in html, f"{label}: the secret key is on the page"
        return page

    def assert_shown(self, response, label):
        """The case's visible parts are in the page's text, as typed."""
        text = squeeze("".join(response.page.text))
        for part in self.case.shown:
            assert squeeze(part) in text, f"{label}: {part!r} not shown"


def refused_on_form(response, message: str, label: str):
    assert response.status_code in (200, 400, 409), f"{label}: {response.status_code}"
    assert message in squeeze("".join(response.page.text)), f"{label}: no {message!r}"


# --- the journey ----------------------------------------------------------------------


@pytest.fixture
def hostile_world(world, settings):  # noqa: F811
    # Word limits are checked on submission: lifted here, so every case that the forms
    # take can travel the whole way to publication.
    OutlineSection.objects.update(word_limit=None)
    settings.SECRET_KEY = SECRET
    return world


class RecordingFetcher(PortalURLFetcher):
    """PortalURLFetcher that remembers every URL WeasyPrint asks it for."""

    asked: list[str] = []

    def fetch(self, url, headers=None):
        RecordingFetcher.asked.append(url)
        return super().fetch(url, headers)


def text_fields(world) -> list[str]:  # noqa: F811
    names = [f"section_{s.number}" for s in (world.sections.intro, world.sections.principles)]
    names.append(f"section_{world.sections.recommendations.number}")
    for objective in world.objectives:
        names += [f"objective_{objective.number}_{part}" for part in ObjectiveResponse.TEXT_FIELDS]
    return names


def content_data(world, written_input, texts: dict[str, str]) -> dict:  # noqa: F811
    written_input.refresh_from_db()
    data = {"version": written_input.version, "base": "", **texts}
    for objective in world.objectives:
        data[f"objective_{objective.number}"] = "on"
    data["principles"] = [p.pk for p in world.principles]
    data["formats"] = [f.pk for f in ContributionFormat.objects.all()]
    return data


def stored_texts(written_input) -> dict[str, str]:
    texts = {
        f"section_{r.section.number}": r.body
        for r in SectionResponse.objects.filter(input=written_input).select_related("section")
    }
    for response in ObjectiveResponse.objects.filter(input=written_input).select_related(
        "objective"
    ):
        for part in ObjectiveResponse.TEXT_FIELDS:
            texts[f"objective_{response.objective.number}_{part}"] = getattr(response, part)
    return texts


def decision(visit, client, written_input, action, message, *, label):
    """Open the decision page, post it with `message`; returns the typed message that
    was taken (the case, or a plain one when the form refused the case)."""
    url = reverse("reviews:decide", args=[written_input.pk, action])
    visit.get(client, url, label=f"{label} page")
    written_input.refresh_from_db()
    data = {"version": written_input.version}
    if message is None:
        visit.post(client, url, data, label=label, expect=(302,))
        return None
    refusal = visit.case.refusal()
    response = visit.post(client, url, {**data, "message": visit.case.text}, label=label)
    if refusal:
        refused_on_form(response, refusal, label)
        assert kept(response.page, "message", visit.case), f"{label}: the message is not kept"
        response = visit.post(client, url, {**data, "message": message}, label=label)
    assert response.status_code == 302, f"{label}: {response.status_code}"
    event = ReviewEvent.objects.filter(input=written_input).latest("pk")
    expected = message if refusal else visit.case.typed
    assert event.message == expected, f"{label}: not stored as typed"
    return expected


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_text_in_every_field(
    case,
    hostile_world,
    make_input,  # noqa: F811 (the fixture imported above)
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    world = hostile_world  # noqa: F811
    visit = Visit(case)
    lead, reviewer, visitor = Client(), Client(), Client()
    lead.force_login(world.lead_user)
    reviewer.force_login(world.reviewer)
    RecordingFetcher.asked = []
    monkeypatch.setattr(pdf_module, "PortalURLFetcher", RecordingFetcher)
    today = timezone.localdate()

    with django_capture_on_commit_callbacks(execute=True):
        # 1. The lead secretariat creates the input with the case as its title.
        create_url = reverse("submissions:input-create")
        visit.get(lead, create_url, label="create page")
        details = {
            "lead_iscm": world.lead.pk,
            "target_reviews": [world.reviews.amr.pk],
            "language": "en",
            "basis": "written_input",
        }
        title = case.text
        response = visit.post(lead, create_url, {**details, "title": title}, label="create")
        if refusal := case.refusal(max_length=TITLE_MAX_LENGTH, limited=False):
            refused_on_form(response, refusal, "create")
            assert response.page.values["title"][0].strip() == case.typed, "title not kept"
            assert response.page.values["target_reviews"] == [str(world.reviews.amr.pk)]
            # Still hostile, within the title's limits.
            title = case.text.replace("\x00", "")[:TITLE_MAX_LENGTH]
            response = visit.post(lead, create_url, {**details, "title": title}, label="create")
        assert response.status_code == 302, "create"
        written_input = WrittenInput.objects.latest("pk")
        assert written_input.title == title.strip(), "title not stored as typed"
        detail_url = reverse("submissions:input-detail", args=[written_input.pk])
        visit.get(
            lead,
            reverse("submissions:input-details", args=[written_input.pk]),
            label="details page",
        )

        # 2. Every section and objective text.
        edit_url = reverse("submissions:input-edit", args=[written_input.pk])
        visit.get(lead, edit_url, label="edit page")
        fields = text_fields(world)
        version = WrittenInput.objects.get(pk=written_input.pk).version
        response = visit.post(
            lead,
            edit_url,
            content_data(world, written_input, dict.fromkeys(fields, case.text)),
            label="save content",
        )
        if refusal := case.refusal():
            refused_on_form(response, refusal, "save content")
            page = response.page
            for name in fields:
                assert kept(page, name, case), f"{name} not kept"
            assert page.values["objective_1"] == ["on"], "ticked objective not kept"
            assert len(page.values["principles"]) == len(world.principles), "principles not kept"
            # One field refused, the others plain: those stay in the form as typed.
            others = {name: f"Kept text of {name}." for name in fields}
            response = visit.post(
                lead,
                edit_url,
                content_data(world, written_input, {**others, fields[0]: case.text}),
                label="save content (one field refused)",
            )
            refused_on_form(response, refusal, "save content (one field refused)")
            for name in fields[1:]:
                assert textarea_value(response.page, name) == others[name], f"{name} not kept"
            assert WrittenInput.objects.get(pk=written_input.pk).version == version, "saved"
            content = {name: f"Plain text of {name} after the refusal." for name in fields}
            response = visit.post(
                lead, edit_url, content_data(world, written_input, content), label="save content"
            )
        else:
            content = dict.fromkeys(fields, case.typed)
        assert response.status_code == 302, "save content"
        assert stored_texts(written_input) == content, "content not stored as typed"

        # 3. An attachment titled with the case, its file named after it.
        upload_url = reverse("submissions:attachment-upload", args=[written_input.pk])
        file_name = re.sub(r"[\x00\r\n\"]", "", case.text)[:120] + ".pdf"
        response = visit.post(
            lead,
            upload_url,
            {
                "file": SimpleUploadedFile(file_name, make_pdf(), "application/pdf"),
                "title": case.text,
            },
            label="upload",
        )
        attachment_title = case.typed
        if refusal := case.refusal(max_length=TITLE_MAX_LENGTH, limited=False):
            refused_on_form(response, refusal, "upload")
            assert response.page.values["title"][0].strip() == case.typed, "title not kept"
            attachment_title = case.text.replace("\x00", "")[:TITLE_MAX_LENGTH].strip()
            response = visit.post(
                lead,
                upload_url,
                {
                    "file": SimpleUploadedFile(file_name, make_pdf(), "application/pdf"),
                    "title": attachment_title,
                },
                label="upload",
            )
        assert response.status_code == 302, "upload"
        assert Attachment.objects.get(input=written_input).title == attachment_title

        visit.get(lead, detail_url, label="secretariat detail")
        visit.get(lead, reverse("submissions:dashboard"), label="dashboard")
        response = visit.get(
            lead, reverse("submissions:input-preview", args=[written_input.pk]), label="preview"
        )
        if not case.refusal():
            visit.assert_shown(response, "preview")
        visit.post(
            lead,
            reverse("submissions:input-submit", args=[written_input.pk]),
            {},
            label="submit",
            expect=(302,),
        )
        written_input.refresh_from_db()
        assert written_input.status == Status.SUBMITTED, "not submitted"

        # 4. The reviewer comments and asks for changes.
        review_url = reverse("reviews:input", args=[written_input.pk])
        visit.get(reviewer, reverse("reviews:queue"), label="review queue")
        visit.get(reviewer, reverse("reviews:overview"), label="overview")
        response = visit.get(reviewer, review_url, label="review page")
        if not case.refusal():
            visit.assert_shown(response, "review page")
        comment_url = reverse("reviews:comment-add", args=[written_input.pk])
        for anchor, visibility in (("section-1", "secretariat"), ("objective-1", "internal")):
            label = f"{visibility} comment"
            data = {"anchor": anchor, "visibility": visibility}
            response = visit.post(reviewer, comment_url, {**data, "body": case.text}, label=label)
            body = case.typed
            if refusal := case.refusal():
                refused_on_form(response, refusal, label)
                assert response.page.values["anchor"] == [anchor], f"{label}: anchor not kept"
                assert response.page.values["visibility"] == [visibility], f"{label}: not kept"
                body = f"A plain {visibility} comment."
                response = visit.post(reviewer, comment_url, {**data, "body": body}, label=label)
            assert response.status_code == 302, label
            assert ReviewComment.objects.filter(input=written_input).latest("pk").body == body
        decision(
            visit,
            reviewer,
            written_input,
            "request_changes",
            "Please revise.",
            label="request changes",
        )

        # 5. The secretariat reads it all, revises, resubmits.
        visit.get(lead, detail_url, label="secretariat detail with comments")
        visit.get(lead, edit_url, label="edit page with comments")
        revised = {**content, fields[-1]: "Revised. " + content[fields[-1]]}
        response = visit.post(
            lead, edit_url, content_data(world, written_input, revised), label="revise"
        )
        assert response.status_code == 302, "revise"
        visit.post(
            lead,
            reverse("submissions:input-submit", args=[written_input.pk]),
            {},
            label="resubmit",
            expect=(302,),
        )
        written_input.refresh_from_db()
        assert written_input.status == Status.SUBMITTED, "not resubmitted"

        # 6. The reviewer compares, extends, accepts; the lead consents; published.
        visit.get(
            reviewer, reverse("reviews:diff", args=[written_input.pk]), label="reviewer diff"
        )
        extension_url = reverse("reviews:extension", args=[written_input.pk])
        visit.get(reviewer, extension_url, label="extension page")
        until = (today + datetime.timedelta(days=400)).isoformat()
        response = visit.post(
            reviewer, extension_url, {"until": until, "reason": case.text}, label="extension"
        )
        reason = case.typed
        if refusal := case.refusal():
            refused_on_form(response, refusal, "extension")
            assert response.page.values["until"] == [until], "extension date not kept"
            reason = "Plain reason."
            response = visit.post(
                reviewer, extension_url, {"until": until, "reason": reason}, label="extension"
            )
        assert response.status_code == 302, "extension"
        assert (
            ReviewEvent.objects.filter(input=written_input).latest("pk").message.endswith(reason)
        )
        decision(visit, reviewer, written_input, "accept", "Thank you.", label="accept")
        visit.post(
            lead,
            reverse("submissions:input-consent", args=[written_input.pk]),
            {"consent": "yes"},
            label="consent",
            expect=(302,),
        )
        visit.get(
            lead,
            reverse("submissions:input-diff", args=[written_input.pk]),
            label="secretariat diff",
        )
        decision(visit, reviewer, written_input, "publish", None, label="publish")
        written_input.refresh_from_db()
        assert written_input.status == Status.PUBLISHED, "not published"

        # 7. The public pages, open data and the PDF.
        public_url = written_input.get_public_url()
        response = visit.get(visitor, public_url, label="contribution page")
        if not case.refusal():
            visit.assert_shown(response, "contribution page")
        list_url = reverse("public:contribution-list")
        visit.get(visitor, list_url, label="contributions")
        visit.request(visitor, "get", list_url, {"q": case.text[:300]}, label="search")
        visit.get(visitor, reverse("public:objective-detail", args=[1]), label="objective page")
        visit.get(
            visitor, reverse("public:iscm-detail", args=[world.lead.slug]), label="ISCM page"
        )
        visit.get(visitor, reverse("public:region-detail", args=["AMR"]), label="region page")
        visit.get(visitor, reverse("home"), label="home")
        check_open_data(visit, visitor, written_input)
        check_pdf(visit, visitor, written_input)

        # 8. Taken off the portal, with the case as the reason.
        decision(visit, reviewer, written_input, "unpublish", "Taken off.", label="unpublish")
        visit.get(reviewer, review_url, label="review page with history")
        visit.get(lead, detail_url, label="secretariat history")

        # 9. Declined, with the case as the reason.
        declined = make_input("To be declined", state="submitted")
        decision(visit, reviewer, declined, "decline", "Off topic.", label="decline")
        visit.get(
            reviewer, reverse("reviews:input", args=[declined.pk]), label="declined review page"
        )
        visit.get(
            lead, reverse("submissions:input-detail", args=[declined.pk]), label="declined detail"
        )

        # 10. Withdrawn, with the case as the reason.
        draft = make_input("To be withdrawn", state="draft")
        withdraw_url = reverse("submissions:input-withdraw", args=[draft.pk])
        visit.get(lead, withdraw_url, label="withdraw page")
        response = visit.post(lead, withdraw_url, {"reason": case.text}, label="withdraw")
        reason = case.typed
        if refusal := case.refusal():
            refused_on_form(response, refusal, "withdraw")
            assert kept(response.page, "reason", case), "withdraw reason not kept"
            reason = "Plain reason."
            response = visit.post(lead, withdraw_url, {"reason": reason}, label="withdraw")
        assert response.status_code == 302, "withdraw"
        assert ReviewEvent.objects.filter(input=draft).latest("pk").message == reason
        visit.get(
            lead, reverse("submissions:input-detail", args=[draft.pk]), label="withdrawn detail"
        )

    # The e-mails the journey sent: one-line subjects, inert HTML.
    assert mail.outbox, "no e-mail sent"
    for message in mail.outbox:
        assert "\n" not in message.subject and "\r" not in message.subject, message.subject
        for html, _type in message.alternatives:
            # Without the bidi rule: titles in e-mails are not isolated (invisible
            # formatting characters in a subject look like spam to mail filters).
            visit.check_html(html, f"e-mail {message.subject[:40]}", bidi=False)


def check_open_data(visit, client, written_input):
    title = written_input.title
    response = visit.get(client, reverse("public:open-data-json"), label="JSON")
    records = {r["id"]: r for r in json.loads(response.body)["contributions"]}
    assert records[written_input.pk]["title"] == title, "JSON title"

    response = visit.get(client, reverse("public:open-data-csv"), label="CSV")
    rows = list(csv.reader(io.StringIO(response.body.decode("utf-8-sig"), newline="")))
    header = rows[0]
    row = next(
        dict(zip(header, r, strict=True)) for r in rows[1:] if r[0] == str(written_input.pk)
    )
    if title[:1] in ("=", "+", "-", "@", "\t", "\r"):
        # Spreadsheet programs would compute it: the CSV says it is text.
        assert row["title"] == "'" + title, "CSV title"
    else:
        assert row["title"] == title, "CSV title"

    response = visit.get(client, reverse("public:feed"), label="feed")
    atom = "{http://www.w3.org/2005/Atom}"
    feed = ElementTree.fromstring(response.body)  # noqa: S314 (our own feed: valid XML?)
    entry = next(
        e
        for e in feed.iter(f"{atom}entry")
        if e.findtext(f"{atom}id", "").endswith(written_input.get_public_url())
    )
    assert entry.findtext(f"{atom}title") == _xml_text(title), "feed title"
    summary = entry.findtext(f"{atom}summary") or ""
    assert "<" not in summary, "feed summary carries markup"
    visit.get(client, "/sitemap.xml", label="sitemap")


def _xml_text(text: str) -> str:
    """The text as XML 1.0 can carry it (no C0 controls but tab, newline, CR)."""
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", "", text).replace("\r\n", "\n")


def check_pdf(visit, client, written_input):
    case = visit.case
    response = visit.get(
        client, reverse("public:contribution-pdf", args=[written_input.slug]), label="PDF"
    )
    outside = [
        u for u in RecordingFetcher.asked if not u.startswith(BASE_URL + STATIC_PREFIX.lstrip("/"))
    ]
    assert not outside, f"the PDF renderer was asked for {outside[:5]}"
    assert RecordingFetcher.asked, "the PDF renderer fetched not even its stylesheet"
    extracted, _links = pdf_text_and_links(response.body)
    if not case.refusal():
        for part in case.shown:
            assert squeeze(part) in extracted, f"PDF: {part!r} not in the text"


def pdf_text_and_links(data: bytes) -> tuple[str, list[str]]:
    """The PDF's text, whitespace squeezed, and its links, after checking it runs
    nothing and links nowhere scripted or local."""
    reader = PdfReader(io.BytesIO(data))
    root = reader.trailer["/Root"]
    assert "/OpenAction" not in root and "/AA" not in root, "document action"
    assert "/JavaScript" not in (root.get("/Names") or {}), "document JavaScript"
    text, links = [], []
    for page in reader.pages:
        text.append(page.extract_text())
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A")
            if action is None:
                continue
            action = action.get_object()
            assert action.get("/S") in ("/URI", "/GoTo"), f"PDF action {action.get('/S')}"
            uri = str(action.get("/URI") or "")
            assert not unsafe_url(uri), f"PDF link to {uri!r}"
            links.append(uri)
    return squeeze(" ".join(text)), links


def test_regional_package_of_hostile_inputs(hostile_world, make_input, monkeypatch):  # noqa: F811
    """Every case the forms take, in one input each (as title, section and objective
    text, attachment title and file name), compiled into the region's package: the
    package builds, shows the texts, links nowhere local, and its renderer reads only
    the portal's static files and the attachments it embeds."""
    world = hostile_world  # noqa: F811
    compiler = ReviewerAssignmentFactory(region=world.regions.amr, role="compiler").user
    taken = [case for case in CASES if not case.refusal()]
    for case in taken:
        upload = SimpleUploadedFile(
            re.sub(r"[\x00\r\n\"]", "", case.text)[:120] + ".pdf", make_pdf(), "application/pdf"
        )
        make_input(
            case.typed[:TITLE_MAX_LENGTH],
            "accepted",
            intro=case.text,
            objectives={world.objectives[0]: case.text},
            attachments=[(case.typed[:TITLE_MAX_LENGTH], upload)],
        )
    RecordingFetcher.asked = []
    # Every piece is rendered in this process (no worker processes), through the
    # recording fetcher: the parts and margins by default, the annexes with theirs.
    monkeypatch.setenv("PACKAGE_RENDER_WORKERS", "1")
    monkeypatch.setattr(pdf_module, "PortalURLFetcher", RecordingFetcher)
    monkeypatch.setattr(package_parts, "PortalURLFetcher", RecordingFetcher)
    package, _created = packages.request_compile(world.reviews.amr, by=compiler, enqueue=False)
    started = time.perf_counter()
    package = package_pdf.compile_package(package.pk)
    elapsed = time.perf_counter() - started
    assert package.status == RegionalPackage.Status.DONE, package.error
    assert elapsed < SLOW * 3, f"the package of {len(taken)} inputs took {elapsed:.1f} s"

    attachments = {a.pk for a in Attachment.objects.filter(input__status=Status.ACCEPTED)}
    assert any(ATTACHMENT_PREFIX in url for url in RecordingFetcher.asked), "nothing embedded"
    for url in RecordingFetcher.asked:
        assert url.startswith(BASE_URL), f"the renderer was asked for {url!r}"
        path = url.removeprefix(BASE_URL.rstrip("/"))
        if path.startswith(ATTACHMENT_PREFIX):
            assert int(path.removeprefix(ATTACHMENT_PREFIX).split("/")[0]) in attachments, url
        else:
            assert path.startswith(STATIC_PREFIX), f"the renderer was asked for {url!r}"
    with package.file.open("rb") as stored:
        extracted, links = pdf_text_and_links(stored.read())
    # The links typed to public sites are there: the check above saw the annotations.
    assert "https://example.org/" in links, links
    for case in taken:
        for part in case.shown:
            assert squeeze(part) in extracted, f"package, {case.name}: {part!r} not in the text"

    client = Client()
    client.force_login(compiler)
    visit = Visit(taken[0])
    visit.get(client, reverse("reviews:package", args=[package.pk]), label="package page")
    visit.get(client, reverse("reviews:packages"), label="packages page")
