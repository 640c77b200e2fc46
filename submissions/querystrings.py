"""Numbers read from query strings (`?objective=5`, `?version=2`) and other text a
visitor controls (an attachment id in a URL the PDF renderer is asked for), one way
everywhere.

`str.isdigit()` is the wrong test for them: it is true for every Unicode digit ("²",
"①", "٣", "๓"), which `int()` then refuses with a ValueError (a 500) or reads as another
number ("٣" is 3). And `int()` of a long enough string of digits is slow and then
refused (Python's 4,300-digit limit), while any number over the database's integer
size makes SQLite raise an OverflowError. So a number here is 1 to a few ASCII digits,
no sign, no spaces, no larger than the column can hold; anything else is no number,
and the caller reports it as an invalid value (a filter error, a 404).
"""

# The largest value of a 64-bit signed integer column (ids, BigAutoField).
LARGEST_ID = 2**63 - 1
# The largest value of a 32-bit one (IntegerField, PositiveIntegerField on PostgreSQL):
# version numbers, objective numbers.
LARGEST_NUMBER = 2**31 - 1


def parse_id(text, *, largest: int = LARGEST_ID) -> int | None:
    """The whole number `text` spells in ASCII digits (0 to `largest`), else None."""
    if not isinstance(text, str) or not 0 < len(text) <= len(str(largest)):
        return None
    if not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if value <= largest else None
