"""Rendering inputs as PDF with WeasyPrint, from the same snapshot and the same
document template as the preview and the review page.

WeasyPrint's own URL fetcher reads `file://` and any network URL, and a
`<link rel="attachment">` even embeds a local file in the PDF. The portal never lets it:
`PortalURLFetcher` answers only for the portal's own static files and for the
attachments it was told about, and refuses everything else. Text typed by users is
sanitised before it reaches the HTML (see markup.py), so this is the second wall, not
the first.
"""

import logging
import mimetypes
import re
from urllib.parse import unquote, urlsplit

import weasyprint
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.utils.translation import get_language

from .querystrings import parse_id
from .snapshots import objectives_by_round_table

logger = logging.getLogger(__name__)

# The documents are rendered against this base URL; it names no real host, so nothing
# relative in a template can ever point at the network.
BASE_URL = "https://portal.invalid/"
STATIC_PREFIX = "/static/"
ATTACHMENT_PREFIX = "/attachments/"

# Tagged PDF for screen readers; see docs/architecture.md for the choice of PDF/UA-1.
PDF_VARIANT = "pdf/ua-1"
# Bump when templates/pdf/input.html or print.css change what an input's PDF looks like:
# stored public PDFs of an older layout are then rendered anew.
INPUT_LAYOUT_VERSION = "2"  # 2: six languages (headings in the page language, Naskh first)
# Characters no font draws: C0 controls but tab, line feed and carriage return, DEL, C1
# controls. Typed text may hold them (stored as typed), but WeasyPrint prints each as a
# .notdef box, and a .notdef glyph in a font makes all the text of that font unreadable
# to text extraction (pypdf), which is what copy and paste and screen readers rely on.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# The Unicode line and paragraph separators have no glyph either: printed as a space.
_SEPARATORS = re.compile("[\u2028\u2029]")


class PortalURLFetcher(weasyprint.URLFetcher):
    """Serves `https://portal.invalid/static/…` from the portal's static files and
    `https://portal.invalid/attachments/<id>[/<file name>]` for the attachment ids it
    is given.
    Every other URL — file://, data:, http(s) anywhere, loopback — is refused and
    remembered in `refused` (WeasyPrint then leaves the resource out)."""

    def __init__(self, attachments: dict[int, str] | None = None):
        super().__init__(allowed_protocols=set())  # the parent never opens anything
        self.attachments = attachments or {}  # id → stored file name
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}/"
        path = unquote(parts.path)
        if origin == BASE_URL and ".." not in path.split("/"):
            if path.startswith(STATIC_PREFIX):
                found = finders.find(path.removeprefix(STATIC_PREFIX))
                if found:
                    with open(found, "rb") as static_file:
                        return _response(url, static_file.read())
            elif path.startswith(ATTACHMENT_PREFIX):
                # /attachments/<id>/<file name>: the id decides, the name only labels the
                # embedded file in the reader.
                attachment_id = path.removeprefix(ATTACHMENT_PREFIX).split("/", 1)[0]
                name = self.attachments.get(parse_id(attachment_id))
                if name:
                    with default_storage.open(name, "rb") as stored:
                        return _response(url, stored.read())
        self.refused.append(url)
        logger.warning("PDF renderer refused to fetch %s", url[:200])
        raise ValueError(f"The PDF renderer does not fetch {url[:200]}")


def _response(url: str, body: bytes):
    content_type = mimetypes.guess_type(urlsplit(url).path)[0] or "application/octet-stream"
    return weasyprint.urls.URLFetcherResponse(url, body, {"Content-Type": content_type})


def render_html_to_pdf(html: str, *, fetcher: PortalURLFetcher | None = None) -> bytes:
    fetcher = fetcher or PortalURLFetcher()
    html = _SEPARATORS.sub(" ", _UNPRINTABLE.sub("", html))
    document = weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher)
    return document.write_pdf(pdf_variant=PDF_VARIANT, uncompressed_pdf=False)


def input_pdf(snapshot: dict, *, version_label: str, fetcher=None) -> bytes:
    """One input as a PDF: a title block, the document, running header and page X of Y,
    metadata (title, author, language) from the snapshot."""
    html = render_to_string(
        "pdf/input.html",
        {
            "doc": snapshot,
            "objective_groups": objectives_by_round_table(snapshot["objectives"]),
            "version_label": version_label,
            "static_base": STATIC_PREFIX,
            "LANGUAGE_CODE": get_language() or settings.LANGUAGE_CODE,
        },
    )
    return render_html_to_pdf(html, fetcher=fetcher)
