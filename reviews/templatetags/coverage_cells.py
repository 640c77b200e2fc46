"""The cells of the dashboards' coverage matrix, written in Python: a full matrix has a
few hundred cells of up to CELL_EXAMPLES links each, and the template language spent
most of the page's time on them (`bench/dashboard.py`)."""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext

register = template.Library()


@register.simple_tag
def coverage_cell(cell, objective_number, links):
    """One cell (reviews.coverage.Cell): a ✓ per input named, linked to its text on the
    objective when `links` (input id → page) has it, the title hidden for screen
    readers in its own language; "none" when empty; "+N" for the inputs not named."""
    marks = []
    for ref in cell.examples:
        href = links.get(ref.pk)
        if href:
            marks.append(
                (
                    '<a href="{}#doc-objective-{}" title="{}">✓<span class="visually-hidden"> '
                    '<span lang="{}" dir="{}">{}</span></span></a>',
                    (href, objective_number, ref.title, ref.language, ref.direction, ref.title),
                )
            )
        else:
            marks.append(
                (
                    '<span title="{}">✓<span class="visually-hidden"> '
                    '<span lang="{}" dir="{}">{}</span></span></span>',
                    (ref.title, ref.language, ref.direction, ref.title),
                )
            )
    if not marks:
        return format_html('<span class="visually-hidden">{}</span>', gettext("none"))
    html = format_html_join(" ", "{}", ((format_html(f, *a),) for f, a in marks))
    if cell.more:
        more = ngettext(
            '+%(more)s<span class="visually-hidden"> more input</span>',
            '+%(more)s<span class="visually-hidden"> more inputs</span>',
            cell.more,
        ) % {"more": cell.more}
        # The catalogue's markup around a number: safe as it is.
        html = format_html('{} <span class="small">{}</span>', html, mark_safe(more))  # noqa: S308
    return html
