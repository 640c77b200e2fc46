from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from submissions import languages

register = template.Library()


@register.simple_tag
def interface_language():
    """` lang="…" dir="…"` of the page's language, for the portal's own words inside a
    text in another language (an outline heading inside an Arabic input)."""
    language = languages.current_language()
    return format_html(' lang="{}" dir="{}"', language, languages.direction(language))


@register.filter
def label(obj, field):
    """`{{ objective|label:"title" }}`: a translated reference field (a row or a
    snapshot entry) in the page's language, or English marked `lang="en"`."""
    return languages.label(obj, field)


@register.filter
def label_text(obj, field):
    """`{{ objective|label_text:"title" }}`: the same text as `label`, unmarked, for
    attributes and other places that take no markup."""
    return languages.label(obj, field, markup=False)


@register.filter(is_safe=True)
def plain(value):
    """`{{ text|plain }}` for plain-text places (`<title>`, `<option>`, e-mail text
    parts): the text without bidirectional controls, which some clients draw as boxes."""
    return languages.plain(value)


@register.simple_tag(takes_context=True)
def nav_link(context, url_name, label):
    """A navigation item, marked current (visually and for screen readers) on the page it
    names and on the pages below it."""
    url = reverse(url_name)
    path = context["request"].path
    current = path == url or (url != "/" and path.startswith(url))
    return format_html(
        '<li class="nav-item"><a class="nav-link{}" href="{}"{}>{}</a></li>',
        " active" if current else "",
        url,
        mark_safe(' aria-current="page"') if current else "",  # a constant, no user data
        label,
    )


@register.filter
def isolate(value):
    """`{{ text|isolate }}`: typed text among the portal's own words (in a sentence, a
    list entry, beside a status) as a <bdi>, so its direction is its own and a
    right-to-left override typed into it (U+202E) cannot reorder the words after it."""
    return format_html("<bdi>{}</bdi>", value)


@register.filter
def get_field(form, name):
    """`form|get_field:name` — the bound field called `name` (for generated forms)."""
    return form[name]


@register.filter
def get_item(mapping, key):
    """`mapping|get_item:key` — a dictionary value by key (empty list when missing)."""
    return (mapping or {}).get(key, [])


@register.simple_tag
def anchored(mapping, kind, number=None):
    """The items of `mapping` filed under "<kind>-<number>" (or "<kind>"), e.g.
    `{% anchored comments_by_anchor "section" 3 as comments %}`."""
    key = f"{kind}-{number}" if number is not None else kind
    return (mapping or {}).get(key, [])


@register.simple_tag(takes_context=True)
def query_with(context, **changes):
    """The current query string with `changes` applied (a value of None removes the
    parameter): pagination and sorting links that keep the filters."""
    params = context["request"].GET.copy()
    for name, value in changes.items():
        params.pop(name, None)
        if value not in (None, ""):
            params[name] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"
