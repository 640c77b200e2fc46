"""The review edition of a package behind a signed link, for whoever a compiler gave
the link to (the review's organisers): no account needed, so it is mounted under
/packages/ beside the public pages, but it is staff work handed on, not published
content, and stays in this app."""

from django.core import signing
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.cache import add_never_cache_headers

from submissions.responses import serve_stored_file

from .. import editions
from ..models import RegionalPackage
from ..packages import REVIEW_EDITION, package_filename


def review_edition(request, token):
    """The review edition for whoever a compiler gave the signed link to (the review's
    organisers), until the link expires. Never cached, never indexed."""
    try:
        pk = editions.review_edition_link_package(token)
    except signing.BadSignature:
        raise Http404("No such link") from None
    package = get_object_or_404(
        RegionalPackage.objects.filter(status=RegionalPackage.Status.DONE).select_related(
            "review__region", "review__cycle"
        ),
        pk=pk,
    )
    response = serve_stored_file(
        package.file,
        filename=package_filename(package, REVIEW_EDITION),
        content_type="application/pdf",
    )
    add_never_cache_headers(response)
    response["X-Robots-Tag"] = "noindex"
    return response
