"""The cells of the dashboards' coverage matrix, written in Python: a full matrix has
seven hundred cells, and the template language (then `format_html`) spent most of the
page's time on them (`bench/dashboard.py`). Every value is escaped with the standard
library's `html.escape` (the same characters as Django's `escape`), once per value."""

import functools
from html import escape
from urllib.parse import quote

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext, ngettext

register = template.Library()


def _mark(ref, href, objective_number) -> str:
    title = escape(ref.title)
    hidden = (
        f'<span class="visually-hidden"> <span lang="{escape(ref.language)}" '
        f'dir="{escape(ref.direction)}">{title}</span></span>'
    )
    if href:
        anchor = f"{escape(href)}#doc-objective-{int(objective_number)}"
        return f'<a href="{anchor}" title="{title}">✓{hidden}</a>'
    return f'<span title="{title}">✓{hidden}</span>'


# The cells' words, per language and number: looked up once, not in each of hundreds
# of cells (the catalogues do not change while the process runs).
@functools.lru_cache(maxsize=64)
def _none(language: str) -> str:
    return f'<span class="visually-hidden">{escape(gettext("none"))}</span>'


@functools.lru_cache(maxsize=4096)
def _more(language: str, more: int) -> str:
    # The catalogue's markup around a number.
    return ngettext(
        '+%(more)s<span class="visually-hidden"> more input</span>',
        '+%(more)s<span class="visually-hidden"> more inputs</span>',
        more,
    ) % {"more": more}


@functools.lru_cache(maxsize=4096)
def _count(language: str, count: int) -> str:
    return ngettext(
        '%(count)s<span class="visually-hidden"> input</span>',
        '%(count)s<span class="visually-hidden"> inputs</span>',
        count,
    ) % {"count": count}


def _cell(cell, objective_number: int, links, more_link: str, language: str) -> str:
    """One cell (reviews.coverage.Cell); "none" when empty. Given `more_link` (a list's
    URL with its query string, to which the cell's objective and ISCM are added), a
    cell of several inputs is their number, a link to that list of them. Otherwise a ✓
    per input named, linked to its text on the objective when `links` (input id →
    page) has it, the title hidden for screen readers in its own language, and "+N"
    for the inputs not named."""
    if not cell.examples:
        return _none(language)
    if more_link and cell.count > 1:
        href = f"{more_link}&objective={objective_number}&iscm={quote(cell.iscm_slug)}"
        return f'<a href="{escape(href)}">{_count(language, int(cell.count))}</a>'
    html = " ".join(_mark(ref, links.get(ref.pk), objective_number) for ref in cell.examples)
    if cell.more:
        html += f' <span class="small">{_more(language, int(cell.more))}</span>'
    return html


@register.simple_tag
def coverage_cells(row, links, more_link=""):
    """The cells of one row of the matrix (reviews.coverage.ObjectiveRow), each in its
    `<td>`: one tag per row, not per cell (a full matrix has seven hundred)."""
    language = get_language()
    number = int(row.objective.number)
    return mark_safe(  # noqa: S308 — every value in a cell is escaped
        "".join(
            f"<td>{_cell(cell, number, links, more_link, language)}</td>" for cell in row.cells
        )
    )


# The heat map's three cell shades (white, light, dark: none, one, two or more inputs),
# defined once per chart (`_chart_heatmap.html`) and used by reference in each cell.
HEAT_FILLS = ("#ffffff", "#6baed6", "#08306b")


@register.simple_tag
def heatmap_defs(chart_id):
    """The heat map's cell shapes, one per shade, for `heatmap_cells` to refer to."""
    shapes = "".join(
        f'<rect id="{escape(chart_id)}-c{shade}" width="28" height="18" fill="{fill}" '
        'stroke="#6c757d"/>'
        for shade, fill in enumerate(HEAT_FILLS)
    )
    return mark_safe(f"<defs>{shapes}</defs>")  # noqa: S308 — constants and an escaped id


@register.simple_tag
def heatmap_cells(row, chart_id):
    """One row of the coverage heat map's cells (SVG), 30 units apart: darker for more
    inputs, the number written in the cell (colour is not the only cue). Each cell
    refers to its shade (`<use>`) and the numbers share one group's alignment: a full
    matrix's seven hundred cells were a fifth of the page."""
    shapes, numbers = [], []
    for place, cell in enumerate(row.cells):
        n = int(cell.count)
        shade = min(n, 2)
        shapes.append(f'<use href="#{escape(chart_id)}-c{shade}" x="{place * 30}"/>')
        if n:
            white = ' fill="#ffffff"' if shade == 2 else ""
            numbers.append(f'<text x="{place * 30 + 14}"{white}>{n}</text>')
    group = (
        '<g text-anchor="middle" fill="#000000" transform="translate(0 13)">'
        f"{''.join(numbers)}</g>"
    )
    return mark_safe("".join(shapes) + group)  # noqa: S308 — numbers and constants only
