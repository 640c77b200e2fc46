"""The Markdown subset secretariats may use in written inputs.

Written inputs are shown on the portal and printed into PDF reports, so the text a user
types is untrusted. Rendering happens in two independent layers:

1. Python-Markdown, with the features we do not offer switched off: raw HTML is not
   recognised (so the serializer escapes it and it shows as text), image syntax,
   blockquotes, code blocks and rules are not recognised (so they stay literal text), and
   headings become bold paragraphs. A few limits keep pathological input (thousands of
   `[` or of nesting levels) from taking minutes or exhausting the recursion limit.
2. nh3 (the Rust `ammonia` sanitizer) with an explicit allow-list of tags, attributes and
   URL schemes. This layer alone must be enough to make the output safe, whatever
   Python-Markdown produces; layer 1 is about showing the user's text faithfully.
"""

import html
import ipaddress
import re
import xml.etree.ElementTree as etree
from urllib.parse import unquote, urlsplit

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown.extensions import Extension
from markdown.inlinepatterns import (
    LINK_RE,
    REFERENCE_RE,
    LinkInlineProcessor,
    ReferenceInlineProcessor,
    ShortReferenceInlineProcessor,
)
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor

# Python-Markdown nests a list item only when it is indented by a full `tab_length` (4
# spaces). People commonly indent sub-items by 2 or 3 spaces; see _ListIndentPreprocessor.
_TAB_LENGTH = 4
# Deeper list items are shown at this depth. Python-Markdown parses each level recursively
# and fails with RecursionError at a few hundred levels.
_MAX_LIST_DEPTH = 8
# Link text may nest brackets ("[see [1]](…)") this deep; deeper, it is not a link.
_MAX_BRACKET_DEPTH = 5
# A link's "(url "title")" part may be this long; longer, it is not a link.
_MAX_LINK_TARGET = 1000

ALLOWED_TAGS = frozenset({"p", "br", "ul", "ol", "li", "strong", "em", "a"})
# No `title`, `class`, `style`, `id`, `start`, and never any on* event handler. The "*"
# entry matters: without it nh3 keeps its default generic attributes (`lang`, `title`) on
# every tag.
ALLOWED_ATTRIBUTES = {"*": set(), "a": {"href"}}
# Everything else (javascript:, data:, vbscript:, file:, …) loses its href. Relative URLs
# are denied too: in a PDF they point nowhere, and on the site they would let user text
# link into the portal itself (protocol-relative `//host` counts as relative here).
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener noreferrer"
# Host names that never name a public site (RFC 6761, RFC 6762, RFC 8375, and the name
# cloud providers give their metadata service).
_LOCAL_NAME_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa")
_IPV4_PART_RE = re.compile(r"0[xX][0-9a-fA-F]*|[0-9]+")
_C0_CONTROLS_AND_SPACE = "".join(map(chr, range(0x21)))


def _ipv4(host: str) -> ipaddress.IPv4Address | None:
    """`host` read as an IPv4 address the way browsers read it (the WHATWG URL
    standard): 1 to 4 parts, each decimal, octal (leading 0) or hexadecimal (0x), the
    last one filling the remaining bytes, so "127.1", "2130706433" and "0x7f.0.0.1" are
    all 127.0.0.1. None when it is not one."""
    parts = host.split(".")
    if not 1 <= len(parts) <= 4 or not all(_IPV4_PART_RE.fullmatch(p) for p in parts):
        return None
    numbers = []
    for part in parts:
        if part[:2].lower() == "0x":
            numbers.append(int(part[2:] or "0", 16))
        elif len(part) > 1 and part.startswith("0"):
            numbers.append(int(part, 8) if set(part) <= set("01234567") else -1)
        else:
            numbers.append(int(part))
    *leading, last = numbers
    if any(not 0 <= n <= 255 for n in leading) or not 0 <= last < 256 ** (5 - len(numbers)):
        return None
    value = last
    for index, number in enumerate(leading):
        value += number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def _points_inside(url: str) -> bool:
    """Whether an http(s) URL names the reader's own machine or a private network:
    loopback, private, link-local (the cloud metadata service at 169.254.169.254),
    unspecified or reserved addresses in any spelling a browser accepts, `localhost`
    and other local names, single-label intranet names, or a host that cannot be read
    at all. Other schemes (mailto) are not hosts: False."""
    # Read the way browsers do: surrounding spaces and control characters dropped, tabs
    # and newlines removed anywhere, "\" as "/", any number of slashes after "http:".
    url = re.sub(r"[\t\n\r]", "", url.strip(_C0_CONTROLS_AND_SPACE))
    scheme, colon, rest = url.replace("\\", "/").partition(":")
    if not colon or scheme.lower() not in ("http", "https"):
        return False
    try:
        host = unquote(urlsplit("http://" + rest.lstrip("/")).hostname or "")
        if ":" in host:
            address = ipaddress.IPv6Address(host)
            address = address.ipv4_mapped or address
            return not address.is_global
        # IDNA maps full-width digits and ideographic full stops to ASCII ones.
        host = host.encode("idna").decode("ascii").lower().rstrip(".")
    except (ValueError, UnicodeError):
        return True
    if not host or "." not in host or host == "localhost" or host.endswith(_LOCAL_NAME_SUFFIXES):
        return True
    if _IPV4_PART_RE.fullmatch(host.rsplit(".", 1)[-1]):
        # A host whose last label is a number is an IPv4 address, or no valid URL.
        address = _ipv4(host)
        return address is None or not address.is_global
    return False


def _public_links_only(tag: str, attribute: str, value: str) -> str | None:
    # nh3 calls this after its scheme check: a link into the reader's machine or
    # network (a router page, a local service, the cloud metadata service) is of no use
    # in a published input and is what an attacker would plant; the link loses its
    # href, like a javascript: link, and its text stays.
    if attribute == "href" and _points_inside(value):
        return None
    return value


_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    attributes=ALLOWED_ATTRIBUTES,
    url_schemes=set(ALLOWED_URL_SCHEMES),
    url_relative="deny",
    link_rel=LINK_REL,
    attribute_filter=_public_links_only,
)
# For plain_text: drop every tag and keep the text (still entity-escaped).
_TAG_STRIPPER = nh3.Cleaner(tags=set(), attributes={}, link_rel=None)

_HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_LIST_ITEM_RE = re.compile(r"^( *)([*+-]|\d+\.)( +)")
_LIST_MARKER_RE = re.compile(r"(?:[*+-]|\d+\.)(?=\s|$)")
_BRACKET_RE = re.compile(r"[\[\]]")


class _ListIndentPreprocessor(Preprocessor):
    """Re-indent list items so that any deeper indentation means one level of nesting.

    Without this, "- a\\n  - b" renders b as a sibling of a. An item indented at least 2
    spaces more than the open item above it is its child; one indented like an open
    ancestor (give or take a space) is that ancestor's sibling. Each level is then written
    out as exactly `_TAB_LENGTH` spaces, which is what Python-Markdown understands.
    Runs after whitespace normalisation, so tabs are already expanded to spaces.

    For the recursion limit, levels beyond `_MAX_LIST_DEPTH` are shown at that depth, and
    an item that starts with another marker ("- - - x", which would nest one list per
    marker) gets that marker escaped, so it is shown as typed.
    """

    def run(self, lines: list[str]) -> list[str]:
        open_indents: list[int] = []  # indentation of the open item at each level
        result = []
        for line in lines:
            match = _LIST_ITEM_RE.match(line)
            if match is None:
                if line and not line[0].isspace():
                    open_indents = []  # an unindented paragraph ends any list
                result.append(line)
                continue
            indent = len(match.group(1))
            while open_indents and indent < open_indents[-1]:
                open_indents.pop()
            if not open_indents or indent >= open_indents[-1] + 2:
                open_indents.append(indent)
            level = min(len(open_indents) - 1, _MAX_LIST_DEPTH - 1)
            marker, content = match.group(2) + match.group(3), line[match.end() :]
            if (nested := _LIST_MARKER_RE.match(content)) is not None:
                content = f"{content[: nested.end() - 1]}\\{content[nested.end() - 1 :]}"
            result.append(" " * (_TAB_LENGTH * level) + marker + content)
        return result


class _BoundedBracketsMixin:
    """Python-Markdown's link-text scan, giving up beyond `_MAX_BRACKET_DEPTH`.

    The original scans from every `[` to its matching `]` or to the end of the paragraph,
    so a paragraph of unmatched `[` takes quadratic time (16,000 of them: about a minute).
    With a depth limit each character is scanned at most `_MAX_BRACKET_DEPTH` times.
    """

    def getText(self, data: str, index: int) -> tuple[str, int, bool]:
        depth = 1
        for bracket in _BRACKET_RE.finditer(data, index):
            depth += 1 if bracket.group() == "[" else -1
            if depth == 0:
                return data[index : bracket.start()], bracket.end(), True
            if depth > _MAX_BRACKET_DEPTH:
                break
        return "", index, False


class _Link(_BoundedBracketsMixin, LinkInlineProcessor):
    def getLink(self, data: str, index: int) -> tuple[str, str | None, int, bool]:
        """Python-Markdown's "(url "title")" scan, within `_MAX_LINK_TARGET` characters.

        The original scans to the end of the paragraph when the parenthesis is not closed,
        so thousands of "[a](" took quadratic time (50,000 of them: many minutes).
        """
        window = data[index : index + _MAX_LINK_TARGET]
        if ")" not in window:
            return "", None, index, False
        href, title, end, handled = super().getLink(window, 0)
        return href, title, index + end, handled


class _Reference(_BoundedBracketsMixin, ReferenceInlineProcessor):
    pass


class _ShortReference(_BoundedBracketsMixin, ShortReferenceInlineProcessor):
    pass


class _HeadingsToBoldParagraphs(Treeprocessor):
    """Render `# Heading` (and setext headings) as a bold paragraph.

    The page and the PDF own the heading hierarchy; an h1 in a written input would break
    it. Runs before inline processing, so the heading text is still a plain string.
    """

    def run(self, root: etree.Element) -> None:
        for element in root.iter():
            if element.tag in _HEADING_TAGS:
                element.tag = "p"
                strong = etree.SubElement(element, "strong")
                strong.text, element.text = element.text, None


class _RestrictedMarkdown(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        # Raw HTML: with the block and inline HTML handlers gone, `<script>` is ordinary
        # text and the serializer escapes it, so it is shown, not executed or dropped.
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        # Images: the PDF renderer must never fetch anything named in user text. Without
        # these patterns `![x](http://…)` stays literal text (the link pattern refuses to
        # match after a `!`).
        md.inlinePatterns.deregister("image_link")
        md.inlinePatterns.deregister("image_reference")
        md.inlinePatterns.deregister("short_image_ref")
        # Blockquotes, indented code and rules are not part of the subset. Shown as typed,
        # an indented paragraph stays a paragraph, and `---` does not silently vanish (nh3
        # would drop an <hr>). Nested quotes also recurse without bound in the parser.
        md.parser.blockprocessors.deregister("quote")
        md.parser.blockprocessors.deregister("code")
        md.parser.blockprocessors.deregister("hr")
        # Same names and priorities as Python-Markdown's own link processors.
        md.inlinePatterns.register(_Reference(REFERENCE_RE, md), "reference", 170)
        md.inlinePatterns.register(_Link(LINK_RE, md), "link", 160)
        md.inlinePatterns.register(_ShortReference(REFERENCE_RE, md), "short_reference", 130)
        md.preprocessors.register(_ListIndentPreprocessor(md), "list_indent", 25)
        md.treeprocessors.register(_HeadingsToBoldParagraphs(md), "headings_to_bold", 30)


def _markdown() -> markdown.Markdown:
    # A new instance per call: Markdown objects keep state between conversions and are
    # not thread-safe. No extension that adds attributes (attr_list, md_in_html, …).
    return markdown.Markdown(
        extensions=[
            _RestrictedMarkdown(),
            "nl2br",  # a line break typed inside a paragraph is kept, as users expect
            "sane_lists",  # a bulleted list after a numbered one stays a separate list
        ],
        tab_length=_TAB_LENGTH,
        output_format="html",
    )


def render_markdown(text: str) -> SafeString:
    """Render the Markdown subset of written inputs as sanitized HTML.

    Supported: paragraphs, line breaks, bulleted and numbered (nested) lists, **bold**,
    *italic*, and links to http, https and mailto URLs (not to the reader's own machine
    or network: `_points_inside`). Anything else is shown as text or reduced to its text.
    """
    if not text or not text.strip():
        return SafeString("")
    rendered = _markdown().convert(text)
    # nh3 runs on every output, whatever Python-Markdown did: it is the security boundary.
    return mark_safe(_CLEANER.clean(rendered))  # noqa: S308 - sanitized by nh3 just above


# count_words: see its docstring. The Hiragana and Katakana blocks, CJK Unified
# Ideographs Extension A, CJK Unified Ideographs, CJK Compatibility Ideographs, and the
# ideographs of planes 2 and 3 up to Extension G.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
# In Python, \d is exactly the Unicode decimal digits, \p{Nd}: "١." (Arabic-Indic) is a
# list marker too, as it is for Python-Markdown's own list patterns.
_ORDERED_LIST_MARKER_RE = re.compile(r"^[ \t]*\d+[.)](?=\s|$)", re.MULTILINE)
_TOKEN_RE = re.compile(rf"[{_CJK}]|[^\s{_CJK}]+")
# In Python, [^\W_] is exactly the Unicode letters and digits: [\p{L}\p{N}] elsewhere.
_LETTER_OR_DIGIT_RE = re.compile(r"[^\W_]")


def count_words(text: str) -> int:
    r"""Count words on the raw Markdown, the way word limits are checked.

    The rule, which the live counter static/js/word-count.js reproduces (checked under
    Node by tests/submissions/test_word_count_parity.py):

    1. Remove ordered-list markers at the start of a line, ``^[ \t]*\d+[.)](?=\s|$)``
       (multiline; ``\d`` is any Unicode decimal digit, ``\p{Nd}``), e.g. ``1.``, ``2)``.
    2. Split into tokens, ``[CJK]|[^\sCJK]+``, with CJK the character class
       ``\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f``
       (kana and Han ideographs): each ideograph or kana is a token of its own, any
       other run of non-whitespace characters is one token.
    3. Count the tokens that contain a letter or a digit, ``[\p{L}\p{N}]``. Tokens made
       only of punctuation or symbols, such as the Markdown markers ``-``, ``*``, ``#``,
       ``>`` or ``---``, or a lone dash or ``&`` in a sentence, are not words.

    Python's and JavaScript's ``\s`` differ only on U+001C–U+001F, U+0085 and U+FEFF,
    which do not occur in typed text.

    Markup attached to a word does not change the count: ``**bold**`` is one word, and
    ``[the text](https://example.org)`` counts as two (``[the``, ``text](https…)``).
    """
    text = _ORDERED_LIST_MARKER_RE.sub("", text)
    return sum(1 for token in _TOKEN_RE.findall(text) if _LETTER_OR_DIGIT_RE.search(token))


def plain_text(text: str) -> str:
    """The rendered text without markup, whitespace collapsed (for snippets and e-mails).

    The result is a plain, unescaped str: `<` typed by the user comes back as `<`, so it
    must be escaped again wherever it is put into HTML (Django templates do that).
    """
    without_tags = _TAG_STRIPPER.clean(render_markdown(text))
    return " ".join(html.unescape(without_tags).split())
