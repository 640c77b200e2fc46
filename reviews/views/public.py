"""Published regional packages, for everyone: their public editions only."""

from django.shortcuts import get_object_or_404, render

from submissions.downloads import serve_stored_file

from ..models import RegionalPackage
from ..packages import PUBLIC_EDITION, package_filename


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
        return render(request, "reviews/public_package_gone.html", {"package": gone}, status=410)
    return serve_stored_file(
        package.public_file,
        filename=package_filename(package, PUBLIC_EDITION),
        content_type="application/pdf",
    )
