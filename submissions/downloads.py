"""Serving stored files (attachments, packages) to people a view has already checked."""

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404


def serve_stored_file(field_file, *, filename: str, content_type: str) -> FileResponse:
    """Always a download, with nosniff, so a browser never renders an uploaded file as
    a page; a file missing from storage is a 404, not a 500. `field_file` is a model's
    FieldFile, or a name in the default storage."""
    try:
        if isinstance(field_file, str):
            stored = default_storage.open(field_file, "rb")
        else:
            stored = field_file.open("rb")
    except FileNotFoundError:
        raise Http404("The stored file is missing") from None
    response = FileResponse(
        stored, as_attachment=True, filename=filename, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
