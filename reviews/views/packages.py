"""Pages of compilers (IOM regional focal points): the regional reviews of their
regions with their package versions in each language, compiling (in a language they
choose), progress, download, publication. A package of a region the person does not
compile for is a 404."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from submissions.models import RegionalReview
from submissions.responses import serve_stored_file

from .. import editions, packages
from ..forms import PackageLanguageForm
from ..models import RegionalPackage
from ..packages import package_filename


def _package(request, pk):
    return get_object_or_404(
        RegionalPackage.objects.filter(
            review__in=RegionalReview.objects.compilable_by(request.user)
        ).select_related("review__region", "review__cycle", "created_by"),
        pk=pk,
    )


@login_required
def package_list(request):
    # A compile whose worker died is shown as failed (retryable), never "running"
    # forever: one conditional UPDATE, a no-op when every worker is alive.
    packages.fail_stale_packages()
    reviews = list(
        RegionalReview.objects.compilable_by(request.user)
        .select_related("region", "cycle")
        .prefetch_related("packages")
        .order_by("-cycle__start_year", "region__code")
    )
    if not reviews:
        raise Http404("Not a compiler")
    for review in reviews:  # each review's compile form, in its package language
        review.language_form = PackageLanguageForm(
            initial={"language": review.default_package_language},
            auto_id=f"id_review_{review.pk}_%s",
            described_by=f"compile-help-{review.pk}",
        )
    return render(request, "reviews/package_list.html", {"reviews": reviews})


@require_POST
@login_required
def package_compile(request, review_pk):
    review = get_object_or_404(
        RegionalReview.objects.compilable_by(request.user).select_related("region"), pk=review_pk
    )
    form = PackageLanguageForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the languages offered."))
        return redirect("reviews:packages")
    language = form.cleaned_data["language"] or review.default_package_language
    package, created = packages.request_compile(review, language=language, by=request.user)
    named = {"number": package.number, "language": package.get_language_display()}
    if created:
        messages.success(
            request, _("Version %(number)s in %(language)s is being compiled.") % named
        )
    elif package.in_progress:  # on its way (request_compile took over any dead run first)
        messages.info(
            request,
            _(
                "Version %(number)s in %(language)s is already being compiled (same "
                "accepted inputs, same layout): no new version was made."
            )
            % named,
        )
    else:
        messages.info(
            request,
            _(
                "Nothing changed since version %(number)s in %(language)s (same accepted "
                "inputs, same layout): no new version was made."
            )
            % named,
        )
    return redirect(package)


@login_required
def package_detail(request, pk):
    packages.fail_stale_packages()  # as on the list
    package = _package(request, pk)
    languages = packages.languages_of_version(package)
    compiled = {p.language for p in languages}
    missing = [code for code in packages.package_languages() if code not in compiled]
    return render(
        request,
        "reviews/package_detail.html",
        {
            "package": package,
            # This version in every language it was compiled in, and a form to compile
            # it in another (the first one it lacks).
            "languages": languages,
            "language_form": PackageLanguageForm(
                initial={"language": missing[0] if missing else package.language},
                described_by="compile-help",
            ),
            "editions": editions.edition_rows(package),
            "publicly_available": RegionalPackage.objects.publicly_available()
            .filter(pk=package.pk)
            .exists(),
            "changes": packages.changes_since_previous(package),
            # Built from SITE_URL, never the request's Host (links that leave the site).
            "review_edition_link": settings.SITE_URL
            + reverse("packages:review-edition", args=[editions.review_edition_link(package)])
            if package.status == RegionalPackage.Status.DONE
            else None,
            "link_days": editions.REVIEW_EDITION_LINK_DAYS,
            # static/js/package-status.js asks again while the package is compiling.
            "refresh_seconds": 3 if package.in_progress else None,
        },
    )


@require_POST
@login_required
def package_retry(request, pk):
    package = _package(request, pk)
    if package.status != RegionalPackage.Status.FAILED:
        messages.info(request, _("Only a failed package can be retried."))
    else:
        packages.retry_compile(package)
        messages.success(request, _("Compiling again."))
    return redirect(package)


@require_POST
@login_required
def package_publish(request, pk):
    package = _package(request, pk)
    publish = request.POST.get("publish") == "yes"
    try:
        editions.set_published(package, publish=publish)
    except editions.PackageRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request,
            _("The public edition is published.")
            if publish
            else _("The public edition is no longer published."),
        )
    return redirect(package)


@login_required
def package_download(request, pk):
    """The review edition, or `?edition=public` the public one, for IOM staff of the
    review's region (reviewers and compilers) and administrators."""
    package = get_object_or_404(
        RegionalPackage.objects.readable_by(request.user).select_related(
            "review__region", "review__cycle"
        ),
        pk=pk,
    )
    if package.status != RegionalPackage.Status.DONE:
        raise Http404("Not compiled")
    edition = request.GET.get("edition")
    if edition == packages.PUBLIC_EDITION:
        stored = package.public_file
    else:
        edition, stored = packages.REVIEW_EDITION, package.file
    if not stored:
        raise Http404("No such edition")
    return serve_stored_file(
        stored, filename=package_filename(package, edition), content_type="application/pdf"
    )
