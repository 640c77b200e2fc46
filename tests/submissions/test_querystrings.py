"""Numbers in query strings (`submissions/querystrings.py::parse_id`): ASCII digits in
range only; the public pages' fuzz test (`tests/public/test_query_fuzz.py`) throws
every other spelling at the pages."""

import pytest

from submissions.querystrings import LARGEST_ID, parse_id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0),
        ("42", 42),
        (str(LARGEST_ID), LARGEST_ID),
        (str(LARGEST_ID + 1), None),
        ("9" * 5000, None),
        ("²", None),
        ("①", None),
        ("٣", None),
        ("๓", None),
        ("１", None),  # fullwidth
        ("-1", None),
        ("+1", None),
        (" 1", None),
        ("1 ", None),
        ("1_000", None),
        ("", None),
        (None, None),
        (7, None),
    ],
)
def test_parse_id_takes_ascii_digits_in_range_only(text, expected):
    assert parse_id(text) == expected


def test_parse_id_honours_a_smaller_bound():
    assert parse_id("2147483647", largest=2**31 - 1) == 2**31 - 1
    assert parse_id("2147483648", largest=2**31 - 1) is None
