"""The portal in Arabic and Chinese in a real browser (issue 18): the visitor switches
language with the switcher, Arabic pages are laid out right to left, an English
outline heading inside an Arabic input still starts with its number, and axe-core
finds nothing serious or critical."""

from submissions.models import WrittenInput

from .conftest import assert_accessible

# The character a reader of the page's language meets first among an element's text:
# leftmost on a left-to-right page, rightmost on a right-to-left one, whatever the
# element's own direction (an English heading inside an Arabic input laid out right to
# left shows "Introduction and methodology .1": its leftmost character is "I").
FIRST_VISIBLE_CHARACTER = """(element) => {
    const rtl = document.documentElement.dir === "rtl";
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    let best = null;
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        for (let i = 0; i < node.data.length; i++) {
            if (!node.data[i].trim()) continue;
            const range = document.createRange();
            range.setStart(node, i);
            range.setEnd(node, i + 1);
            const rect = range.getBoundingClientRect();
            if (rect.width === 0) continue;
            const x = rtl ? -rect.right : rect.left;
            const sameLine = best !== null && Math.abs(rect.top - best.top) <= 2;
            if (best === null || rect.top < best.top - 2 || (sameLine && x < best.x)) {
                best = {x: x, top: rect.top, character: node.data[i]};
            }
        }
    }
    return best && best.character;
}"""


def switch_language(page, own_name: str) -> None:
    page.get_by_label("Language", exact=False).last.select_option(label=own_name)
    page.locator("#language-select + button").click()
    page.wait_for_load_state()


def _arabic_published_input():
    return WrittenInput.objects.filter(language="ar", published_at__isnull=False).first()


def test_visitor_switches_to_arabic_and_gets_a_right_to_left_portal(page, site):
    page.goto(site + "/")
    switch_language(page, "العربيّة")
    assert page.locator("html").get_attribute("lang") == "ar"
    assert page.locator("html").get_attribute("dir") == "rtl"
    width = page.viewport_size["width"]
    brand = page.locator(".navbar-brand").bounding_box()
    # The site's name starts the navigation bar on the right; the menu follows leftwards.
    assert brand["x"] + brand["width"] > width / 2
    links = page.locator("#main-nav .navbar-nav").first.locator(".nav-link")
    first, second = links.nth(0).bounding_box(), links.nth(1).bounding_box()
    assert first["x"] > second["x"]
    assert_accessible(page, "home in Arabic")
    for path in ("/contributions/", "/objectives/5/", "/regions/ESCWA/"):
        page.goto(site + path)
        assert page.locator("html").get_attribute("dir") == "rtl"
        assert_accessible(page, f"{path} in Arabic")


def test_english_heading_inside_an_arabic_input_starts_with_its_number(page, site):
    written_input = _arabic_published_input()
    assert written_input is not None, "the demo data holds a published Arabic input"
    page.goto(site + written_input.get_public_url())
    heading = page.locator("article.input-document h3").first
    assert heading.inner_text().startswith("1. ")
    assert heading.evaluate(FIRST_VISIBLE_CHARACTER) == "1"
    assert heading.get_attribute("lang") == "en"
    assert_accessible(page, "Arabic input, English page")
    # The same input on the Arabic page: the heading in Arabic, its number on the right.
    switch_language(page, "العربيّة")
    heading = page.locator("article.input-document h3").first
    assert heading.get_attribute("lang") == "ar"
    assert heading.evaluate(FIRST_VISIBLE_CHARACTER) == "1"
    assert_accessible(page, "Arabic input, Arabic page")


def test_chinese_pages_are_accessible(page, site):
    page.goto(site + "/")
    switch_language(page, "简体中文")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator("html").get_attribute("dir") == "ltr"
    assert_accessible(page, "home in Chinese")
    for path in ("/contributions/", "/iscms/", "/objectives/5/", "/open-data/"):
        page.goto(site + path)
        assert_accessible(page, f"{path} in Chinese")


def test_secretariat_edits_its_arabic_draft_in_an_arabic_interface(page, site):
    page.goto(site + "/")
    switch_language(page, "العربيّة")
    page.goto(f"{site}/accounts/login/")
    page.locator("input[type=email], input[name=username]").first.fill("arcp@example.org")
    page.locator("input[type=password]").first.fill("demo-password")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url
    page.goto(site + "/my/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert_accessible(page, "secretariat dashboard in Arabic")
    draft = WrittenInput.objects.get(lead_iscm__acronym="ARCP", status="draft")
    page.goto(f"{site}/my/inputs/{draft.pk}/edit/")
    assert_accessible(page, "edit page in Arabic")
