import csv
import datetime
import io
import json

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.urls import reverse
from pypdf import PdfReader

from accounts.models import User
from iscm_portal.demo import load_demo_data
from reviews.models import RegionalPackage
from submissions.models import (
    ContentLanguage,
    InputTarget,
    Membership,
    RegionalReview,
    ReviewCycle,
    ReviewerAssignment,
    WrittenInput,
)

from ..conftest import pass_second_factor

TODAY = datetime.date(2026, 11, 23)
DEMO_EMAILS = {
    "secretariat@example.org",
    "partner@example.org",
    "arcp@example.org",
    "rabat@example.org",
    "add@example.org",
    "bali@example.org",
    "almaty@example.org",
    "reviewer@example.org",
    "reviewer.africa@example.org",
    "reviewer.asia@example.org",
    "compiler@example.org",
    "admin@example.org",
}
# The demo's published input in each of the six UN languages, with a word of it the
# public search finds.
PUBLISHED_IN = {
    "en": ("demo-rcm-cmc-joint-published", "hurricane"),
    "es": ("demo-rcm-eclac-published", "estadística"),
    "fr": ("demo-rabat-eca-published", "Sahel"),
    "ru": ("demo-almaty-ece-published", "трудящихся"),
    "ar": ("demo-add-escwa-published", "المهارات"),
    "zh": ("demo-bali-escap-published", "移民"),
}


def test_demo_loader_refuses_with_debug_off(reference_data, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="Refusing to load it with DEBUG off"):
        call_command("load_demo_data")
    assert not User.objects.exists()


@pytest.fixture
def demo(reference_data, settings):
    settings.DEBUG = True
    return load_demo_data(today=TODAY)


def test_demo_accounts_sign_in_with_the_demo_password(demo, client):
    assert {a.email for a in demo} == DEMO_EMAILS
    for email in DEMO_EMAILS:
        assert client.login(username=email, password="demo-password"), email


def test_demo_accounts_have_their_roles(demo):
    def groups(email):
        return set(Group.objects.filter(user__email=email).values_list("name", flat=True))

    assert groups("secretariat@example.org") == {"secretariat"}
    assert Membership.objects.get(user__email="partner@example.org").iscm.acronym == "CMC"
    assert Membership.objects.get(user__email="arcp@example.org").iscm.acronym == "ARCP"
    assert groups("compiler@example.org") == {"compiler", "reviewer"}
    assert set(
        ReviewerAssignment.objects.filter(user__email="compiler@example.org").values_list(
            "region__code", "role"
        )
    ) == {("ECLAC", "compiler"), ("ECLAC", "reviewer"), ("ESCWA", "compiler")}
    assert ReviewerAssignment.objects.get(user__email="reviewer.asia@example.org").region.code == (
        "ESCAP"
    )
    assert set(
        ReviewerAssignment.objects.filter(user__email="reviewer.africa@example.org").values_list(
            "region__code", flat=True
        )
    ) == {"ECA", "ESCWA"}
    admin = User.objects.get(email="admin@example.org")
    assert admin.is_staff and admin.is_superuser


def test_demo_secretariats_of_the_new_languages_use_the_portal_in_them(demo):
    """Their pages and e-mails come in their language; the accounts the journeys and
    the six-language tests sign in with keep none, so the cookie decides."""
    languages = dict(User.objects.values_list("email", "language"))
    assert languages["add@example.org"] == "ar"
    assert languages["bali@example.org"] == "zh-hans"
    assert languages["almaty@example.org"] == "ru"
    assert languages["arcp@example.org"] == languages["secretariat@example.org"] == ""
    memberships = dict(Membership.objects.values_list("user__email", "iscm__slug"))
    assert memberships["add@example.org"] == "add"
    assert memberships["bali@example.org"] == "bali-process"
    assert memberships["almaty@example.org"] == "almaty-process"


def test_demo_three_region_input_is_accepted_for_one_region_and_pending_for_two(demo):
    """Each region's reviewer decides for their own review: the ECA and ESCWA reviewer
    accepted it for ECA only, so ESCWA waits for them and ECE for the ECE reviewer."""
    written_input = WrittenInput.objects.get(slug="demo-rabat-three-regions")
    assert written_input.lead_iscm.acronym == "Rabat Process"
    decisions = dict(
        InputTarget.objects.filter(writteninput=written_input).values_list(
            "regionalreview__region__code", "decision"
        )
    )
    assert decisions == {"ECA": "accepted", "ECE": "pending", "ESCWA": "pending"}
    assert written_input.status == "submitted"
    eca = InputTarget.objects.get(writteninput=written_input, regionalreview__region__code="ECA")
    assert eca.decided_by.email == "reviewer.africa@example.org"


def test_demo_opens_the_third_cycle_with_future_deadlines(demo):
    cycle = ReviewCycle.objects.current()
    assert cycle.slug == "2028-2029"
    reviews = RegionalReview.objects.filter(cycle=cycle)
    assert reviews.count() == 5
    assert all(r.status_on(TODAY) == "open" and r.deadline > TODAY for r in reviews)


def test_demo_loader_is_idempotent_and_keeps_what_was_entered(demo, settings):
    user = User.objects.get(email="secretariat@example.org")
    user.set_password("changed-Long-passw0rd")
    user.save()
    eclac = RegionalReview.objects.get(cycle__slug="2028-2029", region__code="ECLAC")
    eclac.deadline = TODAY + datetime.timedelta(days=3)
    eclac.save()
    counts = (User.objects.count(), Membership.objects.count(), ReviewerAssignment.objects.count())

    accounts = load_demo_data(today=TODAY + datetime.timedelta(days=1))

    assert not any(a.created for a in accounts)
    assert counts == (
        User.objects.count(),
        Membership.objects.count(),
        ReviewerAssignment.objects.count(),
    )
    assert User.objects.get(pk=user.pk).check_password("changed-Long-passw0rd")
    eclac.refresh_from_db()
    assert eclac.deadline == TODAY + datetime.timedelta(days=3)


def test_demo_command_prints_the_accounts(reference_data, settings, capsys):
    settings.DEBUG = True
    call_command("load_demo_data")
    out = capsys.readouterr().out
    for email in DEMO_EMAILS:
        assert email in out
    assert "demo-password" in out


def test_demo_example_dates_are_renewed_once_they_have_passed(demo):
    later = TODAY + datetime.timedelta(days=400)
    load_demo_data(today=later)
    reviews = RegionalReview.objects.filter(cycle__slug="2028-2029")
    assert all(r.status_on(later) == "open" for r in reviews)


def test_a_visitor_finds_and_reuses_the_demo_published_joint_input(demo, client):
    """Issue 6's "done when", through the pages a visitor uses."""
    slug = "demo-rcm-cmc-joint-published"
    contributions = reverse("public:contribution-list")
    found = client.get(contributions, {"q": "hurricane"}).context["results"]
    assert [i.slug for i in found.inputs] == [slug]
    assert "<mark>hurricane</mark>" in found.snippets[found.inputs[0].pk]
    narrowed = client.get(contributions, {"q": "hurricane", "objective": "5", "region": "ECLAC"})
    assert [i.slug for i in narrowed.context["results"].inputs] == [slug]
    page = client.get(reverse("public:contribution-detail", args=[slug]))
    body = page.content.decode()
    assert 'href="/objectives/5/"' in body and 'href="/iscms/cmc/"' in body
    pdf = client.get(reverse("public:contribution-pdf", args=[slug]))
    text = "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(b"".join(pdf.streaming_content))).pages
    )
    assert "labour mobility" in " ".join(text.split())
    assert "Temporary labour mobility schemes" in client.get("/objectives/5/").content.decode()
    assert slug in client.get("/iscms/cmc/").content.decode()
    for language, word in (("fr", "Télécharger le PDF"), ("es", "Descargar el PDF")):
        switched = client.post(
            reverse("set_language"), {"language": language, "next": page.request["PATH_INFO"]}
        )
        assert word in client.get(switched["Location"]).content.decode()
    data = json.loads(b"".join(client.get("/open-data/contributions.json").streaming_content))
    assert slug in {r["slug"] for r in data["contributions"]}
    rows = csv.DictReader(
        io.StringIO(
            b"".join(client.get("/open-data/contributions.csv").streaming_content).decode()
        )
    )
    assert slug in {r["slug"] for r in rows}


def test_demo_publishes_an_input_in_each_of_the_six_un_languages(demo, client, settings):
    """Issue 18: each reads on its public page in its own language and direction, also
    inside the Arabic (right-to-left) portal; the Arabic draft stays a draft."""
    published = WrittenInput.objects.filter(status=WrittenInput.Status.PUBLISHED)
    six = set(ContentLanguage.values) - {ContentLanguage.PORTUGUESE}
    assert set(published.values_list("language", flat=True)) == six == set(PUBLISHED_IN)
    for language, (slug, _word) in PUBLISHED_IN.items():
        written_input = published.get(slug=slug)
        assert written_input.language == language
        assert written_input.publication_consent
        direction = "rtl" if language == "ar" else "ltr"
        article = f'id="doc-general" lang="{language}" dir="{direction}">'
        for interface, interface_direction in (("en", "ltr"), ("ar", "rtl")):
            client.cookies[settings.LANGUAGE_COOKIE_NAME] = interface
            page = client.get(reverse("public:contribution-detail", args=[slug]))
            html = page.content.decode()
            assert page.status_code == 200, (slug, interface)
            assert f'<html lang="{interface}" dir="{interface_direction}">' in html
            assert article in html, (slug, interface)
            assert written_input.title in html
    draft = WrittenInput.objects.get(slug="demo-arcp-arabic-draft")
    assert (draft.status, draft.language) == (WrittenInput.Status.DRAFT, "ar")


def test_public_search_finds_the_demo_input_of_each_language(demo, client):
    """Arabic with and without its marks either way (the input writes تَعاوُن with
    them and المهارات without); Chinese words inside longer sentences."""
    queries = [(word, slug) for slug, word in PUBLISHED_IN.values()]
    queries += [
        ("تعاون", PUBLISHED_IN["ar"][0]),
        ("تَعاوُن", PUBLISHED_IN["ar"][0]),
        ("المَهارات", PUBLISHED_IN["ar"][0]),
        ("合作", PUBLISHED_IN["zh"][0]),
    ]
    contributions = reverse("public:contribution-list")
    for word, slug in queries:
        results = client.get(contributions, {"q": word}).context["results"]
        assert [i.slug for i in results.inputs] == [slug], word
        assert "<mark>" in results.snippets[results.inputs[0].pk], word


def test_demo_compiler_compiles_the_escwa_package_in_arabic(
    demo, client, django_capture_on_commit_callbacks
):
    """In the region's package language by default, holding the Arabic input."""
    compiler = User.objects.get(email="compiler@example.org")
    client.force_login(compiler)
    pass_second_factor(client, compiler)
    escwa = RegionalReview.objects.get(cycle__slug="2028-2029", region__code="ESCWA")
    assert escwa.default_package_language == "ar"

    with django_capture_on_commit_callbacks(execute=True):  # the worker's part, inline
        response = client.post(
            reverse("reviews:package-compile", args=[escwa.pk]), {"language": ""}
        )

    package = RegionalPackage.objects.get(review=escwa)
    assert response["Location"] == package.get_absolute_url()
    assert (package.language, package.status) == ("ar", RegionalPackage.Status.DONE)
    assert [v.input.slug for v in package.public_input_versions.all()] == [PUBLISHED_IN["ar"][0]]
