"""Serving stored files (attachments, packages) to people a view has already checked."""

from django.http import FileResponse, Http404


def serve_stored_file(field_file, *, filename: str, content_type: str) -> FileResponse:
    """Always a download, with nosniff, so a browser never renders an uploaded file as
    a page; a file missing from storage is a 404, not a 500."""
    try:
        stored = field_file.open("rb")
    except FileNotFoundError:
        raise Http404("The stored file is missing") from None
    response = FileResponse(
        stored, as_attachment=True, filename=filename, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
