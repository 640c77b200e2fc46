"""JavaScript lives in static/ only: no template carries an inline <script>, an event
handler attribute or a javascript: URL, so a Content-Security-Policy can forbid inline
script. Data for scripts goes in data- attributes or json_script (which the check
allows: it is JSON, not script). The browser tests check the rendered pages too."""

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"""=\s*["']?\s*javascript:""", re.IGNORECASE)
# Styles too: the Content-Security-Policy has style-src 'self'. The PDF templates are
# read by WeasyPrint only, never served, and may style inline.
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.IGNORECASE)


def test_templates_hold_no_inline_script_or_style():
    offenders = []
    templates = sorted(TEMPLATES.rglob("*.html"))
    assert len(templates) > 30
    for path in templates:
        text = path.read_text(encoding="utf-8")
        patterns = [INLINE_SCRIPT, EVENT_HANDLER, JAVASCRIPT_URL]
        if path.relative_to(TEMPLATES).parts[0] != "pdf":
            patterns.append(INLINE_STYLE)
        for pattern in patterns:
            offenders += [
                f"{path.relative_to(TEMPLATES)}: {m.group(0)}" for m in pattern.finditer(text)
            ]
    assert offenders == []


def test_the_check_recognises_inline_script():
    for sample in ("<script>alert(1)</script>", '<a href="javascript:go()">', '<b onclick="x()">'):
        assert any(p.search(sample) for p in (INLINE_SCRIPT, EVENT_HANDLER, JAVASCRIPT_URL))
    assert not INLINE_SCRIPT.search('<script src="/static/js/a.js"></script>')
