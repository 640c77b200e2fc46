class Refused(Exception):
    """A change to accounts or access that the rules do not allow; the message says
    why and what to do instead, in words for the person who asked."""


def isolated(text) -> str:
    """`text` (a name someone typed) between Unicode isolates (FSI … PDI), for
    messages that put it among the portal's words: a right-to-left override typed into
    a name cannot reorder the words after it."""
    return f"\u2068{text}\u2069"
