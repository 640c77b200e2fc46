"""Published regional packages, for everyone: their public editions only, one file per
language (the review edition's signed link is the reviews app's,
`reviews/views/shared_links.py`)."""

from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers, patch_cache_control

from reviews.models import RegionalPackage
from reviews.packages import LEGACY_LANGUAGE, PUBLIC_EDITION, package_filename
from submissions.responses import serve_stored_file


def _available():
    return RegionalPackage.objects.publicly_available().select_related(
        "review__region", "review__cycle"
    )


def package_list(request):
    packages = _available().order_by(
        "-review__cycle__start_year", "review__region__code", "-number", "language"
    )
    return render(request, "public/packages.html", {"packages": packages})


def package_download(request, pk, language=None):
    """The public edition of a published package, at /packages/<id>/<language>/download/.

    The address without the language, from before packages had one, keeps serving the
    packages it served (all English); a package in another language found there is
    sent on to its own address. A language that is not the package's is a 404."""
    package = _available().filter(pk=pk).first()
    if package is None:
        # A package that was public and no longer is (an input in it was taken off the
        # public portal) is Gone, with a sentence; one that never was stays a 404.
        gone = get_object_or_404(
            RegionalPackage.objects.filter(published=True).select_related("review__region"),
            pk=pk,
        )
        if language not in (None, gone.language):
            raise Http404("Not in this language")
        response = render(request, "public/package_gone.html", {"package": gone}, status=410)
        add_never_cache_headers(response)
        return response
    if language is None and package.language != LEGACY_LANGUAGE:
        # A package never changes language: the move is permanent.
        return redirect(
            "public:package-download", pk=package.pk, language=package.language, permanent=True
        )
    if language not in (None, package.language):
        raise Http404("Not in this language")
    response = serve_stored_file(
        package.public_file,
        filename=package_filename(package, PUBLIC_EDITION),
        content_type="application/pdf",
    )
    # Caches must ask again every time: the edition can go offline at any moment.
    response["ETag"] = f'"{package.public_sha256}"'
    patch_cache_control(response, no_cache=True)
    response["Content-Language"] = package.language
    return response
