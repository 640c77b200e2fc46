"""Published regional packages, for everyone."""

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render

from ..models import RegionalPackage


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
    try:
        stored = package.file.open("rb")
    except FileNotFoundError:
        raise Http404("The stored file is missing") from None
    response = FileResponse(
        stored,
        as_attachment=True,
        filename=f"{package.review.region.code}-{package.review.cycle.slug}-package-v{package.number}.pdf",
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
