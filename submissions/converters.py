from django.urls import register_converter


class IdConverter:
    """A database id in a URL: 1 to 18 digits. Longer numbers would overflow a 64-bit
    integer, which SQLite answers with an error (a 500) instead of "not found"."""

    regex = "[0-9]{1,18}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)


# Registered once, when this module is first imported (every URL module using it imports it).
register_converter(IdConverter, "id")
