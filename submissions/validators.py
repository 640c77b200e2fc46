"""How much text the portal takes: per field, per input, and therefore per request;
and the validator every free-text field uses (`limit_text_size`), so domain modules
check texts without importing forms.

`iscm_portal/settings.py` imports this module to derive `DATA_UPLOAD_MAX_MEMORY_SIZE`
from the limits (the request limit follows the form limits, so a form that the portal
accepts field by field is never refused whole as "too big"): it may import only Django
modules that read no setting when imported.

Per field (`limit_text_size`): chosen generously — the longest section
of the outline allows 1,000 words, about 7,000 characters (word limits themselves are
checked on submission, not on save). What they bound is the time to show and print a
text, which grows with its lines: every list item and typed line break is a line box in
the PDF (WeasyPrint needs 1–2 ms each) and Python-Markdown's line breaks take time
quadratic in their number. Unbounded, one field holding a 20,000-item list took 46 s to
print and one of 20,000 line breaks 34 s; at the limits a field prints in about a second
and a half. A 1,000-word text within its word limit never needs 1,000 lines (even a list
of two-word items is 500). 50,000 characters is seven times the longest section and
keeps a pasted 200,000-character word out of the pages and the PDF.

Per input (`submissions.editing.save_content`): the texts of one input together. The
edit form has a field per narrative section plus three per GCM objective (69), so the
per-field limit alone would allow some 4 million characters in one save — a request of
up to 48 MB, and an input nobody could print. The outline's word limits add up to about
20,000 words (some 140,000 characters); 500,000 characters is more than three times
that, ten fields at their own limit.

Per request: a browser sends the edit form as application/x-www-form-urlencoded, where a
character costs at most 12 bytes (4 UTF-8 bytes, each written as "%XX"; a line break,
sent as CRLF, costs 6). Multipart forms (uploads) send text as raw UTF-8, at most 4
bytes. The rest of a form — field names, the edit version, the digests of the loaded
values, ticked boxes (at most DATA_UPLOAD_MAX_NUMBER_FIELDS of them) — stays well under
FORM_OVERHEAD_BYTES.
"""

from django.core.exceptions import ValidationError
from django.utils.formats import number_format
from django.utils.translation import gettext as _

MAX_TEXT_CHARACTERS = 50_000
MAX_TEXT_LINES = 1_000
MAX_INPUT_CHARACTERS = 500_000

MAX_BYTES_PER_CHARACTER = 12  # urlencoded 4-byte UTF-8: "%F0%9D%94%B8"
FORM_OVERHEAD_BYTES = 512 * 1024


def largest_form_request_bytes() -> int:
    """The body of the largest form a browser sends with valid content: an input's
    whole text at MAX_INPUT_CHARACTERS, every character at its most expensive."""
    return MAX_INPUT_CHARACTERS * MAX_BYTES_PER_CHARACTER + FORM_OVERHEAD_BYTES


def count_characters(text: str) -> int:
    """Characters as people and the edit page's script count them: code points, a line
    break one character whether it came as LF or CRLF."""
    return len(text) - text.count("\r\n")


def limit_text_size(value: str) -> None:
    """Validator of every free-text field (section and objective texts, reasons,
    comments, messages): at most MAX_TEXT_CHARACTERS and MAX_TEXT_LINES (why these
    numbers: below)."""
    if len(value) > MAX_TEXT_CHARACTERS:
        raise ValidationError(
            _(
                "This text has %(count)s characters; a field can hold at most %(limit)s. "
                "Shorten it, or put long material in an attachment."
            )
            % {
                "count": number_format(len(value), force_grouping=True),
                "limit": number_format(MAX_TEXT_CHARACTERS, force_grouping=True),
            },
            code="too_long",
        )
    lines = len(value.splitlines())
    if lines > MAX_TEXT_LINES:
        raise ValidationError(
            _(
                "This text has %(count)s lines; a field can hold at most %(limit)s. Join "
                "short lines into paragraphs, or put long lists in an attachment."
            )
            % {
                "count": number_format(lines, force_grouping=True),
                "limit": number_format(MAX_TEXT_LINES, force_grouping=True),
            },
            code="too_many_lines",
        )
