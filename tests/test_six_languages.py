"""The portal in the six UN languages (issue 18): every main page, for every kind of
person, in Arabic (right to left), Chinese, English, French, Russian and Spanish, with
no interface string left in English, and e-mails in the recipient's language."""

import datetime
import re
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from iscm_portal.demo import load_demo_data
from submissions.models import GCMObjective, Region, WrittenInput

from .conftest import pass_second_factor

ROOT = Path(__file__).resolve().parents[1]
TODAY = datetime.date(2026, 11, 23)
LANGUAGES = [code for code, _name in settings.LANGUAGES]
ISOLATES = re.compile("[\u2066-\u2069]")


PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def _sentence(text: str) -> bool:
    """Two lowercase words in a row: an interface sentence, not a name or a code."""
    return bool(re.search(r"[a-z]{3,}\s+[a-z]{2,}", text))


def english_interface_strings(language: str) -> tuple[set[str], list[re.Pattern]]:
    """Interface sentences of the catalogue whose translation differs from the
    English: finding one of them whole on a page in `language` means it was missed.
    Sentences with placeholders come as patterns (a placeholder matches any text) when
    they have at least three words of their own, so typed text cannot match them."""
    path = ROOT / "locale" / translation.to_locale(language) / "LC_MESSAGES" / "django.po"
    plain, patterns = set(), []
    for e in polib.pofile(str(path)):
        if e.msgid_plural or not e.msgstr or e.msgstr == e.msgid or "<" in e.msgid:
            continue
        if not PLACEHOLDER.search(e.msgid):
            if _sentence(e.msgid) and "%" not in e.msgid:
                plain.add(e.msgid)
            continue
        words = PLACEHOLDER.sub(" ", e.msgid)
        if len(re.findall(r"[a-z]{2,}", words)) >= 3 and _sentence(words):
            parts = [re.escape(part) for part in PLACEHOLDER.split(e.msgid.replace("%%", "%"))]
            patterns.append(re.compile(".+?".join(parts)))
    return plain, patterns


def untranslated(pieces: list[str], english) -> list[str]:
    plain, patterns = english
    return sorted(
        {p for p in pieces if p in plain or any(pattern.fullmatch(p) for pattern in patterns)}
    )


class _Text(HTMLParser):
    """The visible text nodes and the read-out attributes of a page."""

    SKIP = frozenset({"script", "style", "textarea"})
    SPOKEN = ("aria-label", "placeholder", "title", "alt")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skip += 1
        self.pieces += [value.strip() for name, value in attrs if name in self.SPOKEN and value]

    def handle_endtag(self, tag):
        if tag in self.SKIP and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.pieces.append(" ".join(data.split()))


def text_pieces(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    return parser.pieces


@pytest.fixture
def demo(reference_data, settings):
    settings.DEBUG = True
    load_demo_data(today=TODAY)


def _client_for(client, email):
    if email:
        user = User.objects.get(email=email)
        client.force_login(user)
        pass_second_factor(client, user)
    return client


def _pages():
    published = WrittenInput.objects.filter(published_at__isnull=False).first()
    draft = WrittenInput.objects.get(status=WrittenInput.Status.DRAFT, lead_iscm__acronym="ARCP")
    return [
        ("home", None, reverse("home")),
        ("public list", None, reverse("public:contribution-list")),
        ("contribution", None, reverse("public:contribution-detail", args=[published.slug])),
        ("ISCM", None, reverse("public:iscm-detail", args=["rabat-process"])),
        ("objective", None, reverse("public:objective-detail", args=[5])),
        ("sign in", None, reverse("login")),
        ("secretariat dashboard", "secretariat@example.org", reverse("submissions:dashboard")),
        ("edit page", "arcp@example.org", reverse("submissions:input-edit", args=[draft.pk])),
        ("review queue", "reviewer@example.org", reverse("reviews:queue")),
        ("packages", "compiler@example.org", reverse("reviews:packages")),
        (
            "staff dashboard",
            "compiler@example.org",
            reverse("reviews:dashboard", args=["2028-2029", "ECLAC"]),
        ),
        (
            "synthesis draft",
            "compiler@example.org",
            reverse("reviews:synthesis-drafts", args=["2028-2029", "ECLAC"]),
        ),
        (
            "public dashboard",
            None,
            reverse("public:region-dashboard", args=["ECLAC", "2028-2029"]),
        ),
        ("practices", None, reverse("public:practice-list")),
        ("staff page", "admin@example.org", reverse("accounts:staff")),
    ]


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != "en"])
def test_main_pages_in_each_language_carry_its_lang_and_dir_and_no_english_interface_string(
    demo, client, language
):
    english = english_interface_strings(language)
    # The scan finds the interface strings on an English page: it can fail.
    _client_for(client, "secretariat@example.org")
    in_english = client.get(reverse("submissions:dashboard")).content.decode()
    assert len(untranslated(text_pieces(in_english), english)) > 10
    client.logout()
    direction = "rtl" if language == "ar" else "ltr"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    checked = 0
    for name, email, url in _pages():
        client.logout()
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        response = _client_for(client, email).get(url)
        assert response.status_code == 200, (name, response.status_code)
        html = response.content.decode()
        assert f'<html lang="{language}" dir="{direction}">' in html, name
        left = untranslated(text_pieces(html), english)
        assert left == [], f"{name} in {language}: {left[:8]}"
        title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
        assert not ISOLATES.search(title), name
        checked += 1
    assert checked == len(_pages())


def test_arabic_pages_use_bootstraps_right_to_left_stylesheet(demo, client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"
    html = client.get(reverse("home")).content.decode()
    assert "bootstrap.rtl.min.css" in html
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    html = client.get(reverse("home")).content.decode()
    assert "bootstrap.rtl.min.css" not in html and "bootstrap.min.css" in html


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "17 February 2027"),
        ("fr", "17 février 2027"),
        ("es", "17 de febrero de 2027"),
        ("ru", "17 февраля 2027 г."),
        ("ar", "17 فبراير، 2027"),
        ("zh-hans", "2027年2月17日"),
    ],
)
def test_one_date_style_per_language(language, expected):
    from django.utils.formats import date_format  # noqa: PLC0415 — beside its use

    with translation.override(language):
        assert date_format(datetime.date(2027, 2, 17)) == expected


def test_switcher_offers_the_six_languages_each_in_its_own_name(demo, client):
    html = client.get(reverse("home")).content.decode()
    for code, own_name in [
        ("ar", "العربيّة"),
        ("zh-hans", "简体中文"),
        ("en", "English"),
        ("fr", "Français"),
        ("ru", "Русский"),
        ("es", "Español"),
    ]:
        assert f'<option value="{code}" lang="{code}"' in html
        assert own_name in html


def test_a_region_without_a_translation_shows_english_marked_as_english(demo, client):
    Region.objects.filter(code="ECA").update(name_ru="")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    html = client.get(reverse("public:region-list")).content.decode()
    assert '<span lang="en" dir="ltr">Africa</span>' in html
    assert "Арабский регион" in html or "Арабский" in html  # translated neighbours stay


def test_objective_titles_without_official_wording_fall_back_to_marked_english(demo, client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    html = client.get(reverse("public:objective-detail", args=[1])).content.decode()
    objective = GCMObjective.objects.get(number=1)
    assert objective.title_zh_hans in (None, "")
    assert f'<span lang="en" dir="ltr">{objective.title_en}</span>' in html
    assert objective.short_title_zh_hans in html


def test_outline_heading_inside_an_arabic_input_carries_the_page_language(demo, client):
    """The number of "1. Introduction and methodology" stays first: the heading is in
    the page's language and direction, not the Arabic input's."""
    arabic = WrittenInput.objects.filter(language="ar", published_at__isnull=False).first()
    assert arabic is not None
    html = client.get(reverse("public:contribution-detail", args=[arabic.slug])).content.decode()
    assert 'lang="ar" dir="rtl"' in html
    assert re.search(r'<h3 lang="en" dir="ltr">1\. Introduction and methodology</h3>', html)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"
    html = client.get(reverse("public:contribution-detail", args=[arabic.slug])).content.decode()
    with translation.override("ar"):
        heading = arabic.cycle.outline.sections.get(number=1).title
    assert re.search(rf'<h3 lang="ar" dir="rtl">1\. {re.escape(heading)}</h3>', html)


@pytest.mark.parametrize("language", LANGUAGES)
def test_invitation_email_in_the_recipients_language_with_no_isolates_in_its_text(
    demo, client, language
):
    admin = User.objects.get(email="admin@example.org")
    admin.full_name = "ليلى \u202eحسن"  # an override typed into a name
    admin.save()
    client.force_login(admin)
    pass_second_factor(client, admin)
    mail.outbox.clear()
    response = client.post(
        reverse("accounts:staff-invitation-new"),
        {
            "email": f"new.{language}@example.org",
            "role": "reviewer",
            "regions": [Region.objects.get(code="ECA").pk],
            "language": language,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    (message,) = mail.outbox
    with translation.override(language):
        expected_subject = translation.gettext("Your invitation to the ISCM Review Portal")
        region = Region.objects.get(code="ECA").name
    assert message.subject == expected_subject
    assert not re.search("[\u202a-\u202e\u2066-\u2069]", message.body + message.subject)
    assert "ليلى حسن" in message.body
    html = message.alternatives[0][0]
    direction = "rtl" if language == "ar" else "ltr"
    assert f'<html lang="{language}" dir="{direction}">' in html
    assert "<bdi>ليلى" in html
    assert region in message.body
