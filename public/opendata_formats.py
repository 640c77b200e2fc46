"""Open data's file formats: how a list of records becomes a CSV or a JSON file,
streamed a line or a record at a time so twenty thousand records never sit in memory
at once.

Both are deterministic (the frozen files of a closed cycle rely on it, see
`public/opendata_cycles.py`): fields in the order given, no whitespace choices left to
chance, `ensure_ascii=False`, CSV lines ending in CRLF after a byte-order mark; the same
records give the same bytes. A CSV cell a spreadsheet program would compute as a
formula is written as text (`csv_cell`).
"""

import csv
import json
from collections.abc import Iterable, Iterator

FORMATS = ("csv", "json")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json; charset=utf-8"}
CSV_LIST_SEPARATOR = ";"
# A cell starting with one of these is a formula to spreadsheet programs (CSV
# injection: `=HYPERLINK(…)` in a title would send whoever opens the file to any site).
CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    def write(self, value):
        return value


def csv_cell(value):
    """A list joined with ';'; a text a spreadsheet program would compute gets an
    apostrophe in front, which makes it show as text (OWASP's advice on CSV
    injection); the JSON keeps it as typed."""
    if isinstance(value, list):
        value = CSV_LIST_SEPARATOR.join(map(str, value))
    if isinstance(value, str) and value.startswith(CSV_FORMULA_STARTS):
        return "'" + value
    return value


def csv_chunks(fields: Iterable[str], rows: Iterable[dict]) -> Iterator[str]:
    """A CSV file, a line at a time: UTF-8 with a byte-order mark (so spreadsheet
    programs read Arabic and Chinese right), CRLF line ends, a header."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(list(fields))
    for row in rows:
        yield writer.writerow([csv_cell(value) for value in row.values()])


def json_chunks(head: dict, key: str, rows: Iterable[dict]) -> Iterator[str]:
    """`head` with the list of `rows` under `key`, streamed so twenty thousand records
    never sit in memory at once. Keys in the order given; no whitespace choices left
    to chance."""
    yield json.dumps(head, ensure_ascii=False)[:-1] + f', "{key}": ['
    for n, row in enumerate(rows):
        yield ("," if n else "") + json.dumps(row, ensure_ascii=False)
    yield "]}"
