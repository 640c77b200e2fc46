class Refused(Exception):
    """A change to accounts or access that the rules do not allow; the message says
    why and what to do instead, in words for the person who asked."""
