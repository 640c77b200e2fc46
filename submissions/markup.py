"""The Markdown subset secretariats may use in written inputs.

Written inputs are shown on the portal and printed into PDF reports, so the text a user
types is untrusted. Rendering happens in two independent layers:

1. Python-Markdown, with the features we do not offer switched off: raw HTML is not
   recognised (so the serializer escapes it and it shows as text), image syntax is not
   recognised (so it stays literal text), and headings become bold paragraphs.
2. nh3 (the Rust `ammonia` sanitizer) with an explicit allow-list of tags, attributes and
   URL schemes. This layer alone must be enough to make the output safe, whatever
   Python-Markdown produces; layer 1 is about showing the user's text faithfully.
"""

import html
import re
import xml.etree.ElementTree as etree

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor

# Python-Markdown nests a list item only when it is indented by a full `tab_length` (4
# spaces). People commonly indent sub-items by 2 or 3 spaces; see _ListIndentPreprocessor.
_TAB_LENGTH = 4

ALLOWED_TAGS = frozenset({"p", "br", "ul", "ol", "li", "strong", "em", "a"})
# No `title`, `class`, `style`, `id`, `start`, and never any on* event handler.
ALLOWED_ATTRIBUTES = {"a": {"href"}}
# Everything else (javascript:, data:, vbscript:, file:, …) loses its href. Relative URLs
# are denied too: in a PDF they point nowhere, and on the site they would let user text
# link into the portal itself (protocol-relative `//host` counts as relative here).
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener noreferrer"

_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    attributes=ALLOWED_ATTRIBUTES,
    url_schemes=set(ALLOWED_URL_SCHEMES),
    url_relative="deny",
    link_rel=LINK_REL,
)
# For plain_text: drop every tag and keep the text (still entity-escaped).
_TAG_STRIPPER = nh3.Cleaner(tags=set(), attributes={}, link_rel=None)

_HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_LIST_ITEM_RE = re.compile(r"^( *)([*+-]|\d+\.)( +)")


class _ListIndentPreprocessor(Preprocessor):
    """Re-indent list items so that any deeper indentation means one level of nesting.

    Without this, "- a\\n  - b" renders b as a sibling of a. An item indented at least 2
    spaces more than the open item above it is its child; one indented like an open
    ancestor (give or take a space) is that ancestor's sibling. Each level is then written
    out as exactly `_TAB_LENGTH` spaces, which is what Python-Markdown understands.
    Runs after whitespace normalisation, so tabs are already expanded to spaces.
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
            level = len(open_indents) - 1
            result.append(" " * (_TAB_LENGTH * level) + line[match.end(1) :])
        return result


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
    *italic*, and links to http, https and mailto URLs. Anything else is shown as text or
    reduced to its text.
    """
    if not text or not text.strip():
        return SafeString("")
    rendered = _markdown().convert(text)
    # nh3 runs on every output, whatever Python-Markdown did: it is the security boundary.
    return mark_safe(_CLEANER.clean(rendered))  # noqa: S308 - sanitized by nh3 just above


# count_words: see its docstring. Han ideographs (basic, extension A, compatibility,
# extensions B–F…) and the Hiragana and Katakana blocks.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_ORDERED_LIST_MARKER_RE = re.compile(r"^[ \t]*\d+[.)](?=\s|$)", re.MULTILINE)
_TOKEN_RE = re.compile(rf"[{_CJK}]|[^\s{_CJK}]+")
# In Python, [^\W_] is exactly the Unicode letters and digits: [\p{L}\p{N}] elsewhere.
_LETTER_OR_DIGIT_RE = re.compile(r"[^\W_]")


def count_words(text: str) -> int:
    """Count words on the raw Markdown, the way word limits are checked.

    The rule (a JavaScript live counter reproduces it exactly; see the regular expressions
    above):

    1. Remove ordered-list markers at the start of a line:
       ``^[ \\t]*\\d+[.)](?=\\s|$)`` (multiline), e.g. ``1.`` or ``2)``.
    2. Split into tokens: ``[CJK]|[^\\sCJK]+``, where CJK is the character class
       ``\\u3040-\\u30ff\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff\\U00020000-\\U0003134f``
       (kana and Han ideographs). So each ideograph or kana is a token of its own, and
       any other run of non-whitespace characters is one token.
    3. Count the tokens that contain a letter or a digit (``[\\p{L}\\p{N}]``). Tokens
       made only of punctuation or symbols, such as the Markdown markers ``-``, ``*``,
       ``#``, ``>`` or ``---``, or a lone dash or ``&`` in a sentence, are not words.

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
