"""The regional synthesis dashboards in a browser: the ECLAC compiler goes from the
overview to the regions side by side, opens ECLAC's dashboard, sees who is missing and
the coverage heat map, downloads the CSV and opens the public version; a visitor reaches
the public dashboard from the region's page. axe-core on every page."""

import csv
import io
from pathlib import Path

from playwright.sync_api import expect

from .conftest import assert_accessible, sign_in


def test_the_compiler_opens_the_eclac_dashboard(page, site):
    sign_in(page, site, "compiler@example.org")
    page.goto(f"{site}/review/overview/")
    page.get_by_role(
        "link", name="Regional synthesis dashboards: the regions side by side"
    ).click()
    expect(page.get_by_role("heading", name="Regions side by side", level=1)).to_be_visible()
    expect(
        page.get_by_role("img", name="ISCMs expected, received and published per region")
    ).to_be_visible()
    assert_accessible(page, "regions side by side")

    page.get_by_role("link", name="ECLAC", exact=True).click()
    expect(
        page.get_by_role("heading", name="Regional synthesis dashboard: ECLAC", level=1)
    ).to_be_visible()
    standings = page.get_by_role(
        "table", name="Every ISCM of ECLAC and where it stands for this review"
    )
    expect(standings.get_by_role("row")).not_to_have_count(1)
    expect(standings.get_by_text("No input").first).to_be_visible()  # who is missing
    expect(page.get_by_role("img", name="Coverage heat map")).to_be_visible()
    expect(page.get_by_role("img", name="Inputs per round table")).to_be_visible()
    expect(page.get_by_role("heading", name="Change since the previous cycle")).to_be_visible()
    expect(page.get_by_role("img", name="ISCMs per objective, cycle on cycle")).to_be_visible()
    assert_accessible(page, "the ECLAC dashboard")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download this table as CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and {row["region"] for row in rows} == {"ECLAC"}
    assert "nothing" in {row["state"] for row in rows}
    assert len(rows) == standings.get_by_role("row").count() - 1

    page.get_by_role("link", name="The public version (published contributions only)").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Regional review ECLAC")
    assert_accessible(page, "the public ECLAC dashboard")


def test_a_visitor_reaches_the_public_dashboard_from_the_region_page(page, site):
    page.goto(f"{site}/regions/ECLAC/")
    page.get_by_role("link", name="in numbers (2024–2025)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Regional review ECLAC 2024–2025 in numbers"
    )
    expect(page.get_by_role("img", name="Coverage heat map")).to_be_visible()
    matrix = page.get_by_role("table", name="Objectives by round table and ISCM")
    link = matrix.locator("td a").first  # a mark, not the objective's own page
    expect(link).to_be_visible()
    assert_accessible(page, "the public ECLAC 2024–2025 dashboard")
    link.click()
    assert "#doc-objective-" in page.url
    expect(page.locator(":target")).to_be_visible()
