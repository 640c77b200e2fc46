"""Published regional packages, for everyone: their public editions only (the review
edition's signed link is the reviews app's, `reviews/views/shared_links.py`)."""

from django.shortcuts import get_object_or_404, render
from django.utils.cache import add_never_cache_headers, patch_cache_control

from reviews.models import RegionalPackage
from reviews.packages import PUBLIC_EDITION, package_filename
from submissions.responses import serve_stored_file


def _available():
    return RegionalPackage.objects.publicly_available().select_related(
        "review__region", "review__cycle"
    )


def package_list(request):
    packages = _available().order_by(
        "-review__cycle__start_year", "review__region__code", "-number"
    )
    return render(request, "public/packages.html", {"packages": packages})


def package_download(request, pk):
    package = _available().filter(pk=pk).first()
    if package is None:
        # A package that was public and no longer is (an input in it was taken off the
        # public portal) is Gone, with a sentence; one that never was stays a 404.
        gone = get_object_or_404(
            RegionalPackage.objects.filter(published=True).select_related("review__region"),
            pk=pk,
        )
        response = render(request, "public/package_gone.html", {"package": gone}, status=410)
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
