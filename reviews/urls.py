from django.urls import path

import submissions.converters  # noqa: F401  (registers the <id:…> converter)

from .views import compare, dashboard, packages, review, synthesis

app_name = "reviews"

urlpatterns = [
    path("", review.queue, name="queue"),
    path("overview/", review.overview, name="overview"),
    path("dashboard/", dashboard.cross_region, name="dashboard-current"),
    path("dashboard/<slug:cycle>/", dashboard.cross_region, name="dashboard-regions"),
    path("dashboard/<slug:cycle>/<slug:region>/", dashboard.review_dashboard, name="dashboard"),
    path(
        "dashboard/<slug:cycle>/<slug:region>/standings.csv",
        dashboard.review_dashboard_csv,
        name="dashboard-csv",
    ),
    path(
        "dashboard/<slug:cycle>/<slug:region>/synthesis/",
        synthesis.synthesis_page,
        name="synthesis-drafts",
    ),
    path("synthesis/<id:pk>/", synthesis.synthesis_detail, name="synthesis"),
    path(
        "synthesis/<id:pk>/download/<slug:kind>/",
        synthesis.synthesis_download,
        name="synthesis-download",
    ),
    path("inputs/<id:pk>/", review.input_review, name="input"),
    path("inputs/<id:pk>/comments/", review.comment_add, name="comment-add"),
    path("inputs/<id:pk>/decide/<slug:action>/", review.decide, name="decide"),
    path("inputs/<id:pk>/extension/", review.extension, name="extension"),
    path("inputs/<id:pk>/diff/", review.version_diff, name="diff"),
    path("inputs/<id:pk>/pdf/", review.input_pdf, name="input-pdf"),
    path("iscms/<slug:slug>/compare/", compare.iscm_compare, name="compare"),
    path(
        "iscms/<slug:slug>/compare/objective/<id:number>/",
        compare.iscm_compare_objective,
        name="compare-objective",
    ),
    path(
        "iscms/<slug:slug>/compare/section/<slug:key>/",
        compare.iscm_compare_section,
        name="compare-section",
    ),
    path("packages/", packages.package_list, name="packages"),
    path(
        "packages/reviews/<id:review_pk>/compile/",
        packages.package_compile,
        name="package-compile",
    ),
    path("packages/<id:pk>/", packages.package_detail, name="package"),
    path("packages/<id:pk>/retry/", packages.package_retry, name="package-retry"),
    path("packages/<id:pk>/publish/", packages.package_publish, name="package-publish"),
    path("packages/<id:pk>/download/", packages.package_download, name="package-download"),
]
