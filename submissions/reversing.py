"""URLs of one view for many objects with one `reverse()`: a page that links hundreds
of inputs (a dashboard's coverage matrix) spent a third of its time resolving the same
pattern again for each (`bench/dashboard.py`)."""

from collections.abc import Callable
from urllib.parse import quote

from django.urls import NoReverseMatch, reverse

# Stand-ins that every converter of the portal's URLs accepts (`slug`, `id`) and that
# no fixed part of a path holds.
_MARKERS = ("zq0123456789qz", "987654321987654321")


def path_maker(viewname: str) -> Callable[[object], str]:
    """A function giving `reverse(viewname, args=[value])` for any value the view's
    one argument accepts (a slug or an id), resolved once."""
    for marker in _MARKERS:
        try:
            path = reverse(viewname, args=[marker])
        except NoReverseMatch:  # the converter takes the other kind
            continue
        if path.count(marker) == 1:
            before, after = path.split(marker)
            return lambda value: f"{before}{quote(str(value), safe='')}{after}"
    raise ValueError(f"{viewname} takes no single slug or id argument")
