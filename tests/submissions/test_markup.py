from html.parser import HTMLParser

import pytest
from django.template import Context, Template
from django.utils.safestring import SafeString

from submissions.markup import (
    ALLOWED_TAGS,
    LINK_REL,
    count_words,
    plain_text,
    render_markdown,
)

REL = f'rel="{LINK_REL}"'


class _TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)


def _tags_and_attributes(html: str) -> tuple[set[str], set[str]]:
    collector = _TagCollector()
    collector.feed(html)
    collector.close()
    return collector.tags, collector.attributes


# Rendering: the supported subset


def test_render_markdown_paragraphs_and_line_breaks():
    assert render_markdown("One\ntwo.\n\nThree.") == "<p>One<br>\ntwo.</p>\n<p>Three.</p>"


def test_render_markdown_bulleted_list():
    assert render_markdown("- one\n- two") == "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"


def test_render_markdown_numbered_list():
    assert render_markdown("1. one\n2. two") == "<ol>\n<li>one</li>\n<li>two</li>\n</ol>"


@pytest.mark.parametrize("indent", ["  ", "   ", "    ", "\t"])
def test_render_markdown_nested_lists_any_common_indentation(indent):
    html = render_markdown(f"- a\n{indent}- b\n{indent}{indent}- c\n- d")
    assert html == (
        "<ul>\n<li>a<ul>\n<li>b<ul>\n<li>c</li>\n</ul>\n</li>\n</ul>\n</li>\n<li>d</li>\n</ul>"
    )


def test_render_markdown_nested_numbered_list_under_bullet_and_back():
    html = render_markdown("1. first\n   - detail\n2. second\n\n- other list")
    assert html == (
        "<ol>\n<li>first<ul>\n<li>detail</li>\n</ul>\n</li>\n<li>second</li>\n</ol>\n"
        "<ul>\n<li>other list</li>\n</ul>"
    )


def test_render_markdown_very_deep_list_is_capped_not_recursion_error():
    text = "".join("  " * level + f"- item {level}\n" for level in range(400))
    html = render_markdown(text)
    assert html.count("<li>") == 400
    assert html.count("<ul>") == 8


def test_render_markdown_item_starting_with_marker_shown_as_typed():
    assert render_markdown("- - - x") == "<ul>\n<li>- - x</li>\n</ul>"


def test_render_markdown_bold_and_italic():
    assert render_markdown("**bold**, *italic*, __bold__ and _italic_") == (
        "<p><strong>bold</strong>, <em>italic</em>, <strong>bold</strong> and <em>italic</em></p>"
    )


@pytest.mark.parametrize(
    "url", ["http://example.org/a?b=1&c=2", "https://example.org/wiki/Foo_(bar)", "mailto:a@b.org"]
)
def test_render_markdown_allowed_link_kept_with_rel(url):
    html = render_markdown(f"See [the page]({url}).")
    assert html == f'<p>See <a href="{url.replace("&", "&amp;")}" {REL}>the page</a>.</p>'


def test_render_markdown_autolinks_and_reference_links_kept_with_rel():
    html = render_markdown("<https://example.org> <a@b.org> [ref][1]\n\n[1]: http://x.org")
    assert html == (
        f'<p><a href="https://example.org" {REL}>https://example.org</a> '
        f'<a href="mailto:a@b.org" {REL}>a@b.org</a> <a href="http://x.org" {REL}>ref</a></p>'
    )


def test_render_markdown_link_title_dropped():
    html = render_markdown('[x](https://example.org "Title")')
    assert html == f'<p><a href="https://example.org" {REL}>x</a></p>'


# Rendering: everything else is inert


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "JAVASCRIPT:alert(1)",
        "java&#115;cript:alert(1)",
        "<javascript:alert(1)>",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "/admin/",
        "//evil.example/x",
    ],
)
def test_render_markdown_disallowed_link_loses_href(url):
    assert render_markdown(f"[x]({url})") == f"<p><a {REL}>x</a></p>"


def test_render_markdown_script_tag_shown_as_text():
    assert render_markdown("<script>alert(1)</script>") == (
        "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"
    )


def test_render_markdown_img_tag_inert():
    assert render_markdown("<img src=x onerror=alert(1)>") == (
        "<p>&lt;img src=x onerror=alert(1)&gt;</p>"
    )


def test_render_markdown_raw_link_with_onclick_escaped():
    assert render_markdown('<a href="http://x" onclick="y">x</a>') == (
        '<p>&lt;a href="http://x" onclick="y"&gt;x&lt;/a&gt;</p>'
    )


def test_render_markdown_html_block_escaped():
    html = render_markdown(
        '<div onmouseover="alert(1)">\n<iframe src="http://x"></iframe>\n</div>'
    )
    assert "<div" not in html
    assert "<iframe" not in html
    assert "&lt;iframe" in html


@pytest.mark.parametrize(
    "text", ["![x](http://example.org/t.png)", "![x][1]\n\n[1]: http://example.org/t.png", "![x]"]
)
def test_render_markdown_image_syntax_yields_no_img(text):
    html = render_markdown(text)
    assert "<img" not in html
    assert "![x]" in html


@pytest.mark.parametrize("text", ["# Heading", "### Heading ###", "Heading\n======="])
def test_render_markdown_heading_becomes_bold_paragraph(text):
    assert render_markdown(text) == "<p><strong>Heading</strong></p>"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("> quoted", "<p>&gt; quoted</p>"),
        ("    indented paragraph", "<p>indented paragraph</p>"),
        ("a\n\n---\n\nb", "<p>a</p>\n<p>---</p>\n<p>b</p>"),
        ("`<b>code</b>`", "<p>&lt;b&gt;code&lt;/b&gt;</p>"),
    ],
)
def test_render_markdown_unsupported_blocks_shown_as_text(text, expected):
    assert render_markdown(text) == expected


def test_render_markdown_output_only_uses_allow_list():
    text = "\n\n".join(
        [
            "# h\n\n> q\n\n    code\n\n***\n\n| a | b |\n|---|---|\n| 1 | 2 |",
            '<b>b</b> <span style="x">s</span> <!-- c --> &#60;i&#62;',
            "[x](http://x.org){: onclick=alert(1) } [y](https://y.org 'title')",
            "<form action=x><input name=y></form>",
            "- a\n  - b\n\n1. c",
        ]
    )
    tags, attributes = _tags_and_attributes(render_markdown(text))
    assert tags <= ALLOWED_TAGS
    assert attributes <= {"href", "rel"}


def test_render_markdown_empty_returns_empty_safe_string():
    for text in ["", "   \n\t  \n"]:
        html = render_markdown(text)
        assert html == ""
        assert isinstance(html, SafeString)


def test_render_markdown_returns_safe_string():
    assert isinstance(render_markdown("text"), SafeString)


def test_render_markdown_arabic_unchanged():
    sentence = "تعمل آليات التشاور الإقليمية على تعزيز الهجرة الآمنة والمنظمة والنظامية."
    assert render_markdown(sentence) == f"<p>{sentence}</p>"


def test_render_markdown_deterministic():
    text = "# T\n\n- a\n  - b\n\n**x** [y](https://y.org) <z>"
    assert render_markdown(text) == render_markdown(text)


# Rendering: large or pathological input completes (no timing assertion)


def test_render_markdown_very_long_word_completes():
    word = "a" * 200_000
    assert render_markdown(word) == f"<p>{word}</p>"


def test_render_markdown_very_long_list_completes():
    assert render_markdown("- item\n" * 20_000).count("<li>item</li>") == 20_000


def test_render_markdown_brackets_nested_too_deep_not_a_link():
    # The depth limit that keeps the scan for the closing bracket linear.
    assert render_markdown("[see [1]](http://x.org)") == (
        f'<p><a href="http://x.org" {REL}>see [1]</a></p>'
    )
    too_deep = "[a [b [c [d [e [f]]]]]](http://x.org)"
    assert render_markdown(too_deep) == f"<p>{too_deep}</p>"


def test_render_markdown_link_target_too_long_not_a_link():
    # The length limit that keeps the scan for the closing parenthesis linear.
    url = "https://example.org/" + "a" * 1000
    assert render_markdown(f"[x]({url})") == f"<p>[x]({url})</p>"


def test_render_markdown_unmatched_brackets_complete():
    # Both took minutes in plain Python-Markdown (quadratic scans).
    assert render_markdown("[" * 20_000) == f"<p>{'[' * 20_000}</p>"
    assert render_markdown("[a](" * 5_000) == f"<p>{'[a](' * 5_000}</p>"


# Template filters


def test_markdown_filter_renders_in_template():
    template = Template("{% load markup %}{{ v|markdown }}")
    html = template.render(Context({"v": "**Hi** <script>x</script>"}))
    assert html == "<p><strong>Hi</strong> &lt;script&gt;x&lt;/script&gt;</p>"


def test_markdown_filter_none_renders_empty():
    assert Template("{% load markup %}{{ v|markdown }}").render(Context({"v": None})) == ""


def test_word_count_filter_counts_words():
    template = Template("{% load markup %}{{ v|word_count }}")
    assert template.render(Context({"v": "- one two\n- 移民"})) == "4"


# Word counts


def test_count_words_english():
    assert count_words("The consultation met twice in 2024.") == 6


def test_count_words_ignores_list_and_heading_markers():
    text = "# Title\n\n- one\n- two\n  * three\n+ four\n\n1. five\n2) six\n10. seven"
    assert count_words(text) == 8


def test_count_words_ignores_punctuation_only_tokens():
    assert count_words("Migration - a challenge & an opportunity --- *** >") == 5


def test_count_words_markup_attached_to_words():
    assert count_words("**bold** and *italic* [a link](https://example.org)") == 5


def test_count_words_chinese_counts_each_ideograph():
    assert count_words("移民是全球性问题。") == 8
    assert count_words("GCM区域审查") == 5


def test_count_words_japanese_counts_each_kana_and_ideograph():
    assert count_words("移民は課題です") == 7


def test_count_words_arabic():
    assert count_words("تعمل آليات التشاور الإقليمية") == 4


def test_count_words_empty():
    assert count_words("") == 0
    assert count_words(" \n\t ") == 0
    assert count_words("-\n*\n#\n1.") == 0


def test_count_words_very_long_word_completes():
    assert count_words("a" * 200_000) == 1


# Plain text


def test_plain_text_strips_markup_and_collapses_whitespace():
    text = "# Title\n\n**Bold** and *it*\n[link](https://x.org)\n\n- a\n  - b\n\n1. c"
    assert plain_text(text) == "Title Bold and it link a b c"


def test_plain_text_returns_typed_html_as_text():
    assert plain_text("<b>x</b> &amp; AT&T") == "<b>x</b> & AT&T"


def test_plain_text_empty():
    assert plain_text("") == ""
    assert plain_text("  \n ") == ""
