"""Structure every public page must have for screen readers and keyboards: one main
landmark, one h1 and headings that never skip a level, a label for every form
control, alternative text for images. (Colour contrast and focus are checked in a
real browser with axe-core in the end-to-end suite.)"""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

LABELLED_ELSEWHERE = {"hidden", "submit", "button", "reset"}


class _Structure(HTMLParser):
    def __init__(self):
        super().__init__()
        self.mains = 0
        self.headings = []
        self.controls = []  # (tag, id, labelled-by-attribute, inside a label)
        self.label_for = set()
        self.images_without_alt = []
        self._label_depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "main" or attrs.get("role") == "main":
            self.mains += 1
        if len(tag) == 2 and tag[0] == "h" and tag[1] in "123456":
            self.headings.append(int(tag[1]))
        if tag == "label":
            self._label_depth += 1
            if attrs.get("for"):
                self.label_for.add(attrs["for"])
        if tag in ("input", "select", "textarea") and attrs.get("type") not in LABELLED_ELSEWHERE:
            named = bool(attrs.get("aria-label") or attrs.get("aria-labelledby"))
            self.controls.append((tag, attrs.get("id"), named, self._label_depth > 0))
        if tag == "img" and "alt" not in attrs:
            self.images_without_alt.append(attrs.get("src"))

    def handle_endtag(self, tag):
        if tag == "label":
            self._label_depth -= 1


def check_structure(html: str, url: str) -> None:
    page = _Structure()
    page.feed(html)
    assert page.mains == 1, f"{url}: {page.mains} main landmarks"
    assert page.headings.count(1) == 1, f"{url}: headings {page.headings}"
    assert page.headings[0] == 1, f"{url}: first heading h{page.headings[0]}"
    for before, after in zip(page.headings, page.headings[1:], strict=False):
        assert after <= before + 1, f"{url}: h{before} followed by h{after} ({page.headings})"
    unlabelled = [
        (tag, control_id)
        for tag, control_id, named, wrapped in page.controls
        if not (named or wrapped or control_id in page.label_for)
    ]
    assert not unlabelled, f"{url}: controls without a label {unlabelled}"
    assert not page.images_without_alt, f"{url}: images without alt {page.images_without_alt}"


@pytest.mark.parametrize("language", ["en", "fr", "es"])
def test_every_public_page_has_landmarks_headings_and_labels(
    client, settings, world, make_input, language
):
    settings.LANGUAGE_CODE = language
    both = [world.reviews.amr, world.reviews.eur]
    joint = make_input("Joint", partners=[world.partner], targets=both)
    arabic = make_input("مساهمة", language="ar", intro="نص عن الهجرة.")
    urls = [
        reverse("home"),
        reverse("public:contribution-list"),
        reverse("public:contribution-list") + "?q=text&objective=1&region=AMR",
        reverse("public:contribution-list") + "?objective=99&language=xx",  # errors
        reverse("public:contribution-list") + "?q=nothingmatchesthis",
        joint.get_public_url(),
        arabic.get_public_url(),
        reverse("public:objective-list"),
        reverse("public:objective-detail", args=[world.objectives[0].number]),
        reverse("public:iscm-list"),
        world.lead.get_absolute_url(),
        reverse("public:region-list"),
        reverse("public:region-detail", args=["EUR"]),
        reverse("public:open-data"),
        reverse("public:packages"),
        reverse("login"),
    ]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        check_structure(response.content.decode(), url)
