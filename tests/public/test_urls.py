"""The public site's addresses are the ones the portal has always had: each path,
written out as a literal, resolves to the `public:` view that serves it, and reversing
the name gives the same path back, byte for byte."""

import pytest
from django.urls import get_resolver, resolve, reverse

from public.sitemaps import SITEMAPS
from public.views import (
    compare,
    contributions,
    dashboard,
    directory,
    opendata,
    packages,
    practices,
)
from reviews.views import shared_links

# (path, URL name, its arguments, the view)
PUBLIC_PATHS = [
    ("/sitemap.xml", "public:sitemap", {}, None),
    ("/contributions/", "public:contribution-list", {}, contributions.contribution_list),
    (
        "/contributions/rcm-2026/",
        "public:contribution-detail",
        {"slug": "rcm-2026"},
        contributions.contribution_detail,
    ),
    (
        "/contributions/rcm-2026/pdf/",
        "public:contribution-pdf",
        {"slug": "rcm-2026"},
        contributions.contribution_pdf,
    ),
    (
        "/contributions/rcm-2026/attachments/7/",
        "public:contribution-attachment",
        {"slug": "rcm-2026", "attachment_pk": 7},
        contributions.contribution_attachment,
    ),
    ("/regions/", "public:region-list", {}, directory.region_list),
    ("/regions/AMR/", "public:region-detail", {"code": "AMR"}, directory.region_detail),
    (
        "/regions/AMR/2028-2029/dashboard/",
        "public:region-dashboard",
        {"code": "AMR", "cycle": "2028-2029"},
        dashboard.review_dashboard,
    ),
    ("/iscms/", "public:iscm-list", {}, directory.iscm_list),
    (
        "/iscms/colombo-process/",
        "public:iscm-detail",
        {"slug": "colombo-process"},
        directory.iscm_detail,
    ),
    (
        "/iscms/rcm/compare/objective/7/",
        "public:compare-objective",
        {"slug": "rcm", "number": 7},
        compare.iscm_objective,
    ),
    (
        "/iscms/rcm/compare/section/introduction/",
        "public:compare-section",
        {"slug": "rcm", "key": "introduction"},
        compare.iscm_section,
    ),
    ("/objectives/", "public:objective-list", {}, directory.objective_list),
    ("/objectives/7/", "public:objective-detail", {"number": 7}, directory.objective_detail),
    ("/open-data/", "public:open-data", {}, opendata.about),
    ("/open-data/contributions.json", "public:open-data-json", {}, opendata.contributions_json),
    ("/open-data/contributions.csv", "public:open-data-csv", {}, opendata.contributions_csv),
    (
        "/open-data/practices.json",
        "public:open-data-practices-json",
        {},
        opendata.practices_json,
    ),
    ("/open-data/practices.csv", "public:open-data-practices-csv", {}, opendata.practices_csv),
    ("/open-data/datapackage.json", "public:open-data-datapackage", {}, opendata.datapackage),
    (
        "/open-data/2024-2025/practices.csv",
        "public:open-data-cycle-file",
        {"cycle": "2024-2025", "filename": "practices.csv"},
        opendata.cycle_file,
    ),
    ("/practices/", "public:practice-list", {}, practices.practice_list),
    (
        "/practices/rcm-2026/7/",
        "public:practice-detail",
        {"slug": "rcm-2026", "number": 7},
        practices.practice_detail,
    ),
    ("/feeds/contributions.atom", "public:feed", {}, None),
    ("/packages/", "public:packages", {}, packages.package_list),
    ("/packages/1/download/", "public:package-download", {"pk": 1}, packages.package_download),
]


@pytest.mark.parametrize(("path", "name", "kwargs", "view"), PUBLIC_PATHS)
def test_public_path_resolves_to_its_public_view(path, name, kwargs, view):
    match = resolve(path)
    assert match.view_name == name
    assert match.captured_kwargs == kwargs
    if view is not None:
        assert match.func == view
    assert reverse(name, kwargs=kwargs) == path


def test_sitemap_and_feed_are_served_by_the_public_app():
    """The two routes whose view is not a function of `public.views`: Django's sitemap
    view with the public app's sitemaps, and the public app's feed class."""
    assert resolve("/sitemap.xml").extra_kwargs == {"sitemaps": SITEMAPS}
    assert isinstance(resolve("/feeds/contributions.atom").func, opendata.ContributionFeed)


def test_every_public_route_is_listed_here():
    """A new public route gets its path written down above."""
    names = {
        f"public:{name}"
        for name in get_resolver().namespace_dict["public"][1].reverse_dict
        if isinstance(name, str)
    }
    assert names == {name for _path, name, _kwargs, _view in PUBLIC_PATHS}


def test_the_review_edition_link_stays_at_its_path_in_the_reviews_app():
    """The signed link a compiler hands out is staff work, not published content: same
    path under /packages/, served by the reviews app."""
    match = resolve("/packages/review-edition/a-token/")
    assert match.view_name == "packages:review-edition"
    assert match.func == shared_links.review_edition
    assert reverse("packages:review-edition", args=["a-token"]) == (
        "/packages/review-edition/a-token/"
    )
