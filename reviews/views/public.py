"""Published regional packages, for everyone: their public editions only; and the
review edition behind a signed link a compiler gives the review's organisers."""

from django.core import signing
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.cache import add_never_cache_headers, patch_cache_control

from submissions.downloads import serve_stored_file

from .. import editions
from ..models import RegionalPackage
from ..packages import PUBLIC_EDITION, REVIEW_EDITION, package_filename


def _available():
    return RegionalPackage.objects.publicly_available().select_related(
        "review__region", "review__cycle"
    )


def package_list(request):
    packages = _available().order_by(
        "-review__cycle__start_year", "review__region__code", "-number"
    )
    return render(request, "reviews/public_packages.html", {"packages": packages})


def package_download(request, pk):
    package = _available().filter(pk=pk).first()
    if package is None:
        # A package that was public and no longer is (an input in it was taken off the
        # public portal) is Gone, with a sentence; one that never was stays a 404.
        gone = get_object_or_404(
            RegionalPackage.objects.filter(published=True).select_related("review__region"),
            pk=pk,
        )
        response = render(
            request, "reviews/public_package_gone.html", {"package": gone}, status=410
        )
        add_never_cache_headers(response)
        return response
    response = serve_stored_file(
        package.public_file,
        filename=package_filename(package, PUBLIC_EDITION),
        content_type="application/pdf",
    )
    # Caches must ask again every time: the edition can go offline at any moment.
    response["ETag"] = f'"{package.public_sha256}"'
    patch_cache_control(response, no_cache=True)
    return response


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
