"""Regional packages in the six UN languages (reviews/packages.py, package_pdf.py,
templates/pdf/package.html): the portal's words of a package — cover, contents,
overview, headings, running header and footer, bookmarks, metadata — in the language the
compiler chose, right to left for Arabic, while each input keeps its own; the same
version compiled in another language is its own file with the same number."""

import io
import re
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext
from pypdf import PdfReader

from reviews import editions, emails, package_parts, package_pdf, packages
from reviews.models import RegionalPackage
from submissions import workflow
from submissions.models import ContentLanguage, ContributionFormat

from ..submissions.conftest import submitted_input
from .conftest import (
    TYPED,
    accepted_typed,
    body_bytes,
    bookmark_titles,
    compiled_package,
    margin_text,
    pdf_pages,
    placed_text,
    read_stored,
)

pytestmark = pytest.mark.django_db

# Unicode's presentation forms: shaped Arabic glyphs and CJK compatibility forms. Text
# extracted as these is not the text that was typed (searching it finds nothing).
PRESENTATION_FORMS = re.compile("[\ufb50-\ufdff\ufe70-\ufeff\uf900-\ufaff]")
TITLE = "Inputs by inter-State consultation mechanisms on migration — %(region)s — %(cycle)s"


@pytest.fixture
def translated(world):
    """The reference data a package shows, in Arabic and Chinese beside English."""
    region = world.regions.amr
    region.name_ar, region.name_zh_hans = "الأمريكتان", "美洲"
    region.commission_ar, region.commission_zh_hans = "اللجنة الاقتصادية", "经济委员会"
    region.save()
    world.cycle.name_ar, world.cycle.name_zh_hans = "الجولة الأولى", "第一轮"
    world.cycle.save()
    intro = world.sections.intro
    intro.title_ar, intro.title_zh_hans = "مقدمة", "导言"
    intro.save()
    return world


def _assert_typed_text_extracts_as_typed(pages, languages):
    """Each input's title and text come out of the PDF as the characters typed, in
    their order, not as shaped glyph forms."""
    text = " ".join(pages)
    for language in languages:
        for typed in TYPED[language]:
            assert typed in text, (language, typed)
    assert not PRESENTATION_FORMS.search(text)


def _assert_in_package_language(data, world, language, *, inputs):
    """Bookmarks, running header, footer and metadata in `language`; the inputs'
    titles (bookmarks too) in their own."""
    reader = PdfReader(io.BytesIO(data))
    review = world.reviews.amr
    with translation.override(language):
        headings = [
            gettext(text)
            for text in (
                "Inputs by inter-State consultation mechanisms on migration",
                "Contents",
                "Overview",
                "Contributing ISCMs",
                "GCM objectives reported, by ISCM",
                "Annexes",
            )
        ]
        section = f"1. {world.sections.intro.title}"  # modeltranslation: the active language
        cycle_name = review.cycle.name
        title = gettext(TITLE) % {"region": review.region.name, "cycle": cycle_name}
        footers = [
            gettext("Page %(page)s of %(pages)s") % {"page": n, "pages": len(reader.pages)}
            for n in range(1, len(reader.pages) + 1)
        ]
    titles = bookmark_titles(data)
    for heading in [*headings, section]:
        assert heading in titles, heading
    for input_language in inputs:
        assert TYPED[input_language][0] in titles
    assert reader.metadata.title == title
    for number, page in enumerate(reader.pages[1:], start=2):  # the cover has neither
        header = margin_text(page, "top")
        assert review.region.code in header and cycle_name in header, (number, header)
        footer = margin_text(page, "bottom")
        assert sorted(footer.split()) == sorted(footers[number - 1].split()), (number, footer)


def test_arabic_package_is_in_arabic_right_to_left_with_each_input_in_its_own(
    translated, compiler
):
    world = translated
    for language in ("ar", "en", "zh"):
        accepted_typed(world, language)
    package = compiled_package(world, compiler, "ar")
    assert package.language == "ar"

    with translation.override("ar"):
        html = render_to_string("pdf/package.html", package_pdf.package_context(package))
    assert '<html lang="ar" dir="rtl">' in html
    for data in (read_stored(package.file), read_stored(package.public_file)):
        reader = PdfReader(io.BytesIO(data))
        assert reader.trailer["/Root"]["/Lang"] == "ar"
    data = read_stored(package.file)
    _assert_in_package_language(data, world, "ar", inputs=["ar", "en", "zh"])
    pages = pdf_pages(data)
    _assert_typed_text_extracts_as_typed(pages, ["ar", "en", "zh"])
    assert "الأمريكتان" in pages[0] and "اللجنة الاقتصادية" in pages[0]  # the cover

    # Right to left: the overview's heading starts near the right margin, and the
    # contributors' table reads from the right (its first column, ISCM, rightmost).
    reader = PdfReader(io.BytesIO(data))
    with translation.override("ar"):
        overview, english = gettext("Overview"), str(ContentLanguage.ENGLISH.label)
    number = next(i for i, page in enumerate(pages) if page.startswith(overview))
    placed = placed_text(reader.pages[number])
    width = float(reader.pages[number].mediabox.width)
    heading_x = next(x for x, _y, text in placed if text == overview)
    assert heading_x > width / 2, heading_x
    header_row = [(x, text) for x, _y, text in placed if text in ("ISCM", gettext("Kind"))]
    assert max(header_row)[1] == "ISCM"
    assert english in pages[number]  # the English input's language, named in Arabic


def test_chinese_package_is_in_chinese_with_arabic_and_chinese_inputs_as_typed(
    translated, compiler
):
    world = translated
    for language in ("zh", "ar"):
        accepted_typed(world, language)
    package = compiled_package(world, compiler, "zh-hans")

    with translation.override("zh-hans"):
        html = render_to_string("pdf/package.html", package_pdf.package_context(package))
        date = formats.date_format(timezone.localdate(), "DATE_FORMAT")
    assert '<html lang="zh-Hans" dir="ltr">' in html
    data = read_stored(package.file)
    assert PdfReader(io.BytesIO(data)).trailer["/Root"]["/Lang"] == "zh-Hans"
    _assert_in_package_language(data, world, "zh-hans", inputs=["zh", "ar"])
    pages = pdf_pages(data)
    _assert_typed_text_extracts_as_typed(pages, ["zh", "ar"])
    assert "美洲" in pages[0] and date in pages[0]  # the cover: region and date in Chinese
    # The Arabic input's article stays right to left inside the Chinese package.
    assert '<article class="input-document"' in html and 'lang="ar" dir="rtl"' in html


def test_a_name_without_a_translation_falls_back_to_english_marked_as_english(world, compiler):
    """The region has no Russian name: the Russian package shows the English one, marked
    lang="en" so a reader pronounces it as English."""
    accepted_typed(world, "en")
    package, _created = packages.request_compile(
        world.reviews.amr, language="ru", by=compiler, enqueue=False
    )
    with translation.override("ru"):
        html = render_to_string("pdf/package.html", package_pdf.package_context(package))
    assert f'<span lang="en" dir="ltr">{world.regions.amr.name}</span>' in html
    assert '<html lang="ru" dir="ltr">' in html


def test_overview_names_formats_in_the_package_language(world, compiler, make_input):
    events = ContributionFormat.objects.get(slug="events")
    events.name_ar = "فعاليات مخصصة للاتفاق العالمي"
    events.save()
    make_input("With a format", state="accepted", formats=[events])
    package, _created = packages.request_compile(
        world.reviews.amr, language="ar", by=compiler, enqueue=False
    )
    with translation.override("ar"):
        html = render_to_string("pdf/package.html", package_pdf.package_context(package))
    assert "<li>فعاليات مخصصة للاتفاق العالمي: 1</li>" in html
    with translation.override("fr"):  # no French name: the English one, marked
        html = render_to_string("pdf/package.html", package_pdf.package_context(package))
    assert '<li><span lang="en" dir="ltr">Dedicated events</span>: 1</li>' in html


def test_a_second_language_of_the_same_version_is_its_own_file_with_the_same_number(
    world, compiler, django_capture_on_commit_callbacks
):
    accepted_typed(world, "en")
    english = compiled_package(world, compiler, "en")

    with django_capture_on_commit_callbacks(execute=True):
        arabic, created = packages.request_compile(world.reviews.amr, language="ar", by=compiler)
    arabic.refresh_from_db()
    assert created and arabic.status == "done", arabic.error
    assert (arabic.number, arabic.language) == (english.number, "ar")
    assert set(arabic.input_versions.all()) == set(english.input_versions.all())
    assert set(arabic.public_input_versions.all()) == set(english.public_input_versions.all())
    assert arabic.file.name != english.file.name and arabic.sha256 != english.sha256
    assert packages.package_filename(arabic).endswith("-v1-ar-review.pdf")
    assert packages.changes_since_previous(arabic) is None  # still the first version

    # Asked again, nothing changed in either language: nothing new.
    for package in (english, arabic):
        again, created = packages.request_compile(
            world.reviews.amr, language=package.language, by=compiler
        )
        assert (again.pk, created) == (package.pk, False)

    # A change of inputs makes a new version, which the other language then joins.
    accepted_typed(world, "ar")
    newer, created = packages.request_compile(
        world.reviews.amr, language="ar", by=compiler, enqueue=False
    )
    assert created and (newer.number, newer.language) == (2, "ar")
    joined, created = packages.request_compile(
        world.reviews.amr, language="en", by=compiler, enqueue=False
    )
    assert created and (joined.number, joined.language) == (2, "en")
    assert set(joined.input_versions.all()) == set(newer.input_versions.all())
    assert RegionalPackage.objects.count() == 4
    assert [p.language for p in packages.languages_of_version(joined)] == ["ar", "en"]


def test_a_language_that_failed_at_the_latest_version_is_compiled_again_there(
    world, compiler, monkeypatch
):
    accepted_typed(world, "en")
    compiled_package(world, compiler, "en")
    monkeypatch.setattr(package_parts, "render_html_to_pdf", _broken)
    failed, _created = packages.request_compile(
        world.reviews.amr, language="fr", by=compiler, enqueue=False
    )
    assert package_pdf.compile_package(failed.pk).status == "failed"
    monkeypatch.undo()

    again, created = packages.request_compile(
        world.reviews.amr, language="fr", by=compiler, enqueue=False
    )
    assert created and again.pk == failed.pk and again.status == "queued"
    assert package_pdf.compile_package(again.pk).status == "done"
    assert RegionalPackage.objects.filter(number=1).count() == 2


def _broken(*args, **kwargs):
    raise RuntimeError("renderer crashed")


def test_default_language_is_the_regional_reviews_then_the_regions(world, compiler, client):
    accepted_typed(world, "en")
    region, review = world.regions.amr, world.reviews.amr
    region.package_language = "es"
    region.save()
    client.force_login(compiler)
    page = client.get(reverse("reviews:packages"))
    form = page.context["reviews"][0].language_form
    assert form["language"].value() == "es"
    url = reverse("reviews:package-compile", args=[review.pk])
    client.post(url)  # the form as an older page sent it: no language
    assert RegionalPackage.objects.get().language == "es"

    review.package_language = "ar"
    review.save()
    assert review.default_package_language == "ar"
    package, _created = packages.request_compile(review, enqueue=False)
    assert (package.language, package.number) == ("ar", 1)


def test_compile_button_compiles_the_language_chosen_and_says_so(client, world, compiler):
    accepted_typed(world, "en")
    compiled_package(world, compiler, "en")
    client.force_login(compiler)
    url = reverse("reviews:package-compile", args=[world.reviews.amr.pk])
    response = client.post(url, {"language": "ar"}, follow=True)
    arabic = RegionalPackage.objects.get(language="ar")
    assert response.redirect_chain[-1][0] == arabic.get_absolute_url()
    messages = [str(m) for m in response.context["messages"]]
    assert messages == ["Version 1 in Arabic is being compiled."]

    # Still queued (no task runs in this test): on its way, not "nothing changed".
    response = client.post(url, {"language": "ar"}, follow=True)
    assert next(str(m) for m in response.context["messages"]).startswith(
        "Version 1 in Arabic is already being compiled"
    )

    # Not one of the six: refused, nothing queued.
    response = client.post(url, {"language": "de"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "Choose one of the languages offered."
    ]
    assert RegionalPackage.objects.count() == 2
    with pytest.raises(ValueError, match="Not a package language"):
        packages.request_compile(world.reviews.amr, language="de", enqueue=False)


def test_package_page_links_every_language_of_its_version(client, world, compiler):
    accepted_typed(world, "en")
    english = compiled_package(world, compiler, "en")
    arabic, _created = packages.request_compile(
        world.reviews.amr, language="ar", by=compiler, enqueue=False
    )
    client.force_login(compiler)
    page = client.get(english.get_absolute_url()).content.decode()
    assert f'href="{arabic.get_absolute_url()}">Arabic</a>' in page
    assert '<strong aria-current="page">English</strong>' in page
    assert "version 1, English" in page
    # The compile form offers the first language this version lacks.
    assert '<option value="zh-hans" selected>' in page


@pytest.mark.parametrize(
    ("persona", "page", "download"),
    [
        ("compiler", 200, 200),
        ("reviewer", 404, 200),
        ("other_reviewer", 404, 404),
        ("lead_user", 404, 404),
        ("partner_user", 404, 404),
        ("admin", 404, 200),
    ],
)
def test_each_language_has_the_permissions_of_the_package(
    client, world, compiler, persona, page, download
):
    accepted_typed(world, "en")
    arabic = compiled_package(world, compiler, "ar")
    user = compiler if persona == "compiler" else getattr(world, persona)
    client.force_login(user)
    assert client.get(arabic.get_absolute_url()).status_code == page
    compile_url = reverse("reviews:package-compile", args=[world.reviews.amr.pk])
    assert client.post(compile_url, {"language": "fr"}).status_code in (
        (302,) if persona == "compiler" else (404,)
    )
    response = client.get(reverse("reviews:package-download", args=[arabic.pk]))
    assert response.status_code == download
    if download == 200:
        assert "-v1-ar-review.pdf" in response["Content-Disposition"]
        assert body_bytes(response) == read_stored(arabic.file)
    assert RegionalPackage.objects.filter(language="fr").exists() == (persona == "compiler")


def test_package_pages_query_counts_do_not_grow_with_languages(
    client, world, compiler, count_queries, django_assert_max_num_queries
):
    accepted_typed(world, "en")
    english, _created = packages.request_compile(
        world.reviews.amr, language="en", by=compiler, enqueue=False
    )
    package_pdf.compile_package(english.pk)
    client.force_login(compiler)
    urls = [reverse("reviews:packages"), english.get_absolute_url()]
    one = [count_queries(client, url) for url in urls]
    for language in ("ar", "zh-hans", "fr", "ru"):
        packages.request_compile(world.reviews.amr, language=language, enqueue=False)
    several = [count_queries(client, url) for url in urls]
    assert several == one
    with django_assert_max_num_queries(20):
        client.get(english.get_absolute_url())


def test_compile_package_command_takes_the_language(world, tmp_path):
    accepted_typed(world, "en")
    target = tmp_path / "package.pdf"
    out = StringIO()
    call_command(
        "compile_package",
        "--cycle",
        world.cycle.slug,
        "--region",
        "amr",
        "--language",
        "ar",
        "--output",
        str(target),
        stdout=out,
    )
    assert out.getvalue().rstrip().endswith("language: ar")
    assert PdfReader(io.BytesIO(target.read_bytes())).trailer["/Root"]["/Lang"] == "ar"
    assert RegionalPackage.objects.get().language == "ar"

    out = StringIO()
    call_command(
        "compile_package", "--cycle", world.cycle.slug, "--region", "amr", "--enqueue",
        "--language", "es", stdout=out,
    )  # fmt: skip
    assert "version 1 in es" in out.getvalue()
    with pytest.raises(CommandError, match="invalid choice"):
        call_command(
            "compile_package", "--cycle", world.cycle.slug, "--region", "amr",
            "--language", "de",
        )  # fmt: skip


def test_offline_editions_are_replaced_in_their_own_languages_at_one_new_number(
    world, compiler, django_capture_on_commit_callbacks
):
    """Both languages of a published version go offline with their input; each gets its
    replacement in its language, at one new version number."""
    public = submitted_input(world, "Published with consent")
    workflow.accept_input(public, by=world.reviewer)
    workflow.set_publication_consent(public, by=world.lead_user, consent=True)
    workflow.publish_input(public, by=world.reviewer)
    published = []
    for language in ("en", "ar"):
        package, _created = packages.request_compile(
            world.reviews.amr, language=language, by=compiler, enqueue=False
        )
        package_pdf.compile_package(package.pk)
        RegionalPackage.objects.filter(pk=package.pk).update(published=True)
        published.append(package)
    assert [p.number for p in published] == [1, 1]

    with django_capture_on_commit_callbacks(execute=False):
        editions.unpublish_input(public, by=world.reviewer, reason="A correction.")
    for package in published:
        package.refresh_from_db()
        assert package.taken_offline_at is not None
    newer = RegionalPackage.objects.filter(number=2)
    assert sorted(newer.values_list("language", flat=True)) == ["ar", "en"]

    # The compilers are told in their own language, whatever the package's.
    compiler.language = "fr"
    compiler.save()
    mail.outbox.clear()
    arabic = newer.get(language="ar")
    assert emails.notify_compilers_offline(published[1].pk, arabic.pk) == 1
    with translation.override("fr"):
        subject = gettext("%(region)s package version %(number)s: public edition taken offline")
    # (Subjects are one line of single spaces: the French no-break spaces become spaces.)
    assert mail.outbox[0].subject == " ".join((subject % {"region": "AMR", "number": 1}).split())
