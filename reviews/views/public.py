"""Published regional packages, for everyone."""

from django.shortcuts import get_object_or_404, render

from submissions.downloads import serve_stored_file

from ..models import RegionalPackage
from ..packages import package_filename


def _published():
    return RegionalPackage.objects.filter(
        published=True, status=RegionalPackage.Status.DONE
    ).select_related("review__region", "review__cycle")


def package_list(request):
    packages = _published().order_by(
        "-review__cycle__start_year", "review__region__code", "-number"
    )
    return render(request, "reviews/public_packages.html", {"packages": packages})


def package_download(request, pk):
    package = get_object_or_404(_published(), pk=pk)
    return serve_stored_file(
        package.file, filename=package_filename(package), content_type="application/pdf"
    )
