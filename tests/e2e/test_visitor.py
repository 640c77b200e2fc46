"""A visitor, not signed in, finds a published contribution and reuses it."""

import io
import re
from pathlib import Path

from playwright.sync_api import expect
from pypdf import PdfReader

from .conftest import assert_accessible

SLUG = "demo-rcm-cmc-joint-published"


def test_visitor_searches_filters_opens_downloads_and_switches_language(page, site):
    page.goto(site + "/")
    assert_accessible(page, "home")
    page.get_by_label("Search the published contributions").fill("hurricane")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="1 contribution")).to_be_visible()
    expect(page.locator("mark").first).to_have_text(re.compile("hurricane", re.I))
    assert_accessible(page, "search results")

    # Narrow by objective and region through the facets, by keyboard-usable checkboxes.
    page.get_by_label(re.compile(r"^5\. ")).check()
    page.get_by_label(re.compile(r"^ECLAC — ")).check()
    page.get_by_role("button", name="Apply filters").click()
    assert "objective=5" in page.url and "region=ECLAC" in page.url
    expect(page.get_by_role("heading", name="1 contribution")).to_be_visible()
    assert_accessible(page, "filtered results")

    page.get_by_role("link", name=re.compile("Joint RCM–CMC contribution")).click()
    expect(page).to_have_url(re.compile(f"/contributions/{SLUG}/$"))
    assert_accessible(page, "contribution page")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").click()
    pdf = PdfReader(io.BytesIO(Path(download_info.value.path()).read_bytes()))
    text = " ".join(" ".join(p.extract_text() for p in pdf.pages).split())
    assert "Joint RCM–CMC contribution" in text or "labour mobility" in text

    page.get_by_role("link", name=re.compile(r"^5\. ")).click()
    expect(page.get_by_role("heading", name="What ISCMs reported")).to_be_visible()
    assert_accessible(page, "objective page")
    page.go_back()
    page.get_by_role("link", name=re.compile(r"Caribbean Migration Consultations \(CMC\)")).click()
    expect(page.get_by_role("heading", name="Published contributions")).to_be_visible()
    assert_accessible(page, "ISCM page")

    # The language switcher keeps the page.
    here = page.url
    page.get_by_label("Language").select_option("fr")
    page.get_by_role("button", name="Change").click()
    assert page.url == here
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    assert_accessible(page, "ISCM page in French")
    page.get_by_label("Langue").select_option("es")
    page.get_by_role("button", name="Changer").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    assert page.url == here


def test_contributions_page_with_bad_filters_is_accessible(page, site):
    page.goto(site + "/contributions/?objective=99&language=xx&q=nothing")
    expect(page.get_by_role("alert")).to_contain_text("not understood")
    assert_accessible(page, "contributions with bad filters")
