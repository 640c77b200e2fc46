"""The package page while a worker compiles: it follows the progress without reloading
under the reader (no meta refresh) and is accessible in that state too."""

import re

from playwright.sync_api import expect

from reviews import package_pdf
from reviews.models import RegionalPackage

from .conftest import assert_accessible, sign_in


def test_package_page_updates_in_place_when_the_worker_finishes(page, site, settings):
    # No worker runs in this test: the compile request only queues; the test then does
    # what the worker would.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    sign_in(page, site, "compiler@example.org")
    page.get_by_role("link", name="Regional submission packages").click()
    eclac = page.get_by_role("region", name=re.compile(r"^ECLAC — .*\(2028–2029\)"))
    eclac.get_by_role("button", name="Compile the package").click()
    expect(page.locator("#package-status")).to_contain_text("Waiting for a worker")
    expect(page.get_by_role("link", name="Check again")).to_be_visible()
    assert_accessible(page, "package waiting for a worker")
    page.evaluate("() => { window.notReloaded = true; }")

    package_pdf.compile_package(RegionalPackage.objects.get().pk)  # the worker's part

    expect(page.get_by_text(re.compile(r"^Ready, compiled "))).to_be_visible(timeout=15_000)
    expect(page.get_by_role("link", name="Download the review edition")).to_be_visible()
    expect(page.get_by_role("link", name="Download the public edition")).to_be_visible()
    assert page.evaluate("() => window.notReloaded === true")
    assert_accessible(page, "package ready, updated in place")
