"""The search box over the partner ISCMs on the new-input form (static/js/list-filter.js):
it filters as one types, whatever the case, accents or Arabic marks, says how many are
shown, works from the keyboard, and leaves ticked entries ticked; without script the
list is whole and the box absent."""

import re

from playwright.sync_api import expect

from submissions.models import ISCM, WrittenInput

from .conftest import assert_accessible, sign_in

LEAD = "secretariat@example.org"  # RCM
# Names in three scripts, as ISCMs with an official name in that language have them.
NAMES = {
    "FIBEMYD": "Foro Iberoamericano sobre Migración y Desarrollo",
    "ADD": "حوار أبوظبي",
    "Almaty Process": "Алматинский процесс",
}


def _partners(page):
    return page.get_by_role("group", name=re.compile(r"^Partner ISCMs"))


def _shown(page) -> list[str]:
    return [
        text.split(" — ")[0]
        for text in _partners(page).locator(".form-check:visible label").all_inner_texts()
    ]


def test_partner_list_filters_as_one_types(page, site):
    for acronym, name in NAMES.items():
        ISCM.objects.filter(acronym=acronym).update(name_en=name)
    total = ISCM.objects.count()
    assert total >= 30
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "console",
        lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
    )
    sign_in(page, site, LEAD)
    page.goto(site + "/my/inputs/new/")

    # The box sits in the partners' group, under its legend, with a live count.
    box = _partners(page).get_by_label("Find an ISCM by name, acronym or region")
    count = _partners(page).locator("[data-list-filter-count]")
    expect(box).to_be_visible()
    expect(count).to_have_attribute("aria-live", "polite")
    expect(count).to_have_text(f"ISCMs shown: {total} of {total}")
    expect(box).to_have_accessible_description(f"ISCMs shown: {total} of {total}")
    assert_accessible(page, "new input form with the ISCM filter")

    # Case and accents do not matter; every word typed must be found.
    box.fill("MIGRACION desarrollo")
    expect(count).to_have_text(f"ISCMs shown: 1 of {total}")
    assert _shown(page) == ["FIBEMYD"]
    box.fill("ابوظبي")  # alef without its hamza
    expect(count).to_have_text(f"ISCMs shown: 1 of {total}")
    assert _shown(page) == ["ADD"]
    box.fill("АЛМАТИНСКИЙ")
    expect(count).to_have_text(f"ISCMs shown: 1 of {total}")
    assert _shown(page) == ["Almaty Process"]
    box.fill("no such mechanism")
    expect(count).to_have_text(f"ISCMs shown: 0 of {total}")
    assert _shown(page) == []

    # From the keyboard: tick CMC, then filter to Bali, Tab to it and tick it with Space.
    # Enter in the box sends nothing; CMC, filtered out, stays ticked and is sent.
    box.fill("")
    expect(count).to_have_text(f"ISCMs shown: {total} of {total}")
    _partners(page).get_by_role("checkbox", name=re.compile(r"^CMC — ")).check()
    box.focus()
    page.keyboard.type("bali")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/my/inputs/new/$"))
    expect(count).to_have_text(f"ISCMs shown: 1 of {total}")
    page.keyboard.press("Tab")
    bali = page.get_by_role("checkbox", name=re.compile(r"^Bali Process — "))
    expect(bali).to_be_focused()
    page.keyboard.press("Space")
    expect(bali).to_be_checked()
    assert_accessible(page, "new input form, filtered")

    expect(page.get_by_label("Lead ISCM").locator("option:checked")).to_have_text("RCM")
    page.get_by_role("checkbox", name=re.compile(r"^ECLAC — ")).check()
    page.get_by_label("Title").fill("Filtered partners")
    page.get_by_role("button", name="Create the draft").click()
    expect(page).to_have_url(re.compile(r"/my/inputs/\d+/edit/$"))
    created = WrittenInput.objects.get(title="Filtered partners")
    assert sorted(i.acronym for i in created.partner_iscms.all()) == ["Bali Process", "CMC"]
    assert problems == []


def test_partner_list_without_script_is_whole(browser, browser_context_args, site):
    context = browser.new_context(**browser_context_args, java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, site, LEAD)
        page.goto(site + "/my/inputs/new/")
        expect(page.get_by_label("Find an ISCM by name, acronym or region")).to_be_hidden()
        expect(_partners(page).get_by_role("checkbox")).to_have_count(ISCM.objects.count())
        assert len(_shown(page)) == ISCM.objects.count()
    finally:
        context.close()
