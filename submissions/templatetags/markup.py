"""`{% load markup %}`: `{{ value|markdown }}` and `{{ value|word_count }}`."""

from django import template
from django.utils.safestring import SafeString

from submissions.markup import count_words, render_markdown

register = template.Library()


def _text(value: object) -> str:
    # A blank model field may be None; lazy translation strings become str.
    return "" if value is None else str(value)


@register.filter
def markdown(value: object) -> SafeString:
    """The written-input Markdown subset, rendered and sanitized (already safe HTML)."""
    return render_markdown(_text(value))


@register.filter
def word_count(value: object) -> int:
    """Words as counted for word limits (see `submissions.markup.count_words`)."""
    return count_words(_text(value))
