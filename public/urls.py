"""The public site's addresses. Mounted at the root: the paths are the ones the portal
has always had (`tests/public/test_urls.py` holds them to it)."""

from django.contrib.sitemaps.views import sitemap
from django.urls import path

import submissions.converters  # noqa: F401  (registers the <id:…> converter)

from .sitemaps import SITEMAPS
from .views import compare, contributions, dashboard, directory, opendata, packages, practices

app_name = "public"

urlpatterns = [
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("contributions/", contributions.contribution_list, name="contribution-list"),
    path(
        "contributions/<slug:slug>/",
        contributions.contribution_detail,
        name="contribution-detail",
    ),
    path(
        "contributions/<slug:slug>/pdf/", contributions.contribution_pdf, name="contribution-pdf"
    ),
    path(
        "contributions/<slug:slug>/attachments/<id:attachment_pk>/",
        contributions.contribution_attachment,
        name="contribution-attachment",
    ),
    path("regions/", directory.region_list, name="region-list"),
    path("regions/<slug:code>/", directory.region_detail, name="region-detail"),
    path(
        "regions/<slug:code>/<slug:cycle>/dashboard/",
        dashboard.review_dashboard,
        name="region-dashboard",
    ),
    path("open-data/", opendata.about, name="open-data"),
    path("open-data/contributions.json", opendata.contributions_json, name="open-data-json"),
    path("open-data/contributions.csv", opendata.contributions_csv, name="open-data-csv"),
    path("open-data/practices.json", opendata.practices_json, name="open-data-practices-json"),
    path("open-data/practices.csv", opendata.practices_csv, name="open-data-practices-csv"),
    path("open-data/datapackage.json", opendata.datapackage, name="open-data-datapackage"),
    # A cycle's own files (public/opendata_cycles.py: CYCLE_FILES and its datapackage.json).
    path(
        "open-data/<slug:cycle>/<str:filename>",
        opendata.cycle_file,
        name="open-data-cycle-file",
    ),
    path("practices/", practices.practice_list, name="practice-list"),
    path(
        "practices/<slug:slug>/<id:number>/",
        practices.practice_detail,
        name="practice-detail",
    ),
    path("feeds/contributions.atom", opendata.ContributionFeed(), name="feed"),
    path("iscms/", directory.iscm_list, name="iscm-list"),
    path("iscms/<slug:slug>/", directory.iscm_detail, name="iscm-detail"),
    path(
        "iscms/<slug:slug>/compare/objective/<id:number>/",
        compare.iscm_objective,
        name="compare-objective",
    ),
    path(
        "iscms/<slug:slug>/compare/section/<slug:key>/",
        compare.iscm_section,
        name="compare-section",
    ),
    path("objectives/", directory.objective_list, name="objective-list"),
    path("objectives/<id:number>/", directory.objective_detail, name="objective-detail"),
    path("packages/", packages.package_list, name="packages"),
    # A package's public edition in its language. The same name without the language
    # is the address from before packages had one (public/views/packages.py).
    path(
        "packages/<id:pk>/<slug:language>/download/",
        packages.package_download,
        name="package-download",
    ),
    path("packages/<id:pk>/download/", packages.package_download, name="package-download"),
]
