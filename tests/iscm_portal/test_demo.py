import csv
import datetime
import io
import json

import docx
import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import User
from iscm_portal.demo import load_demo_data
from reviews import packages
from reviews.models import RegionalPackage, SynthesisDraft
from submissions.models import (
    ContentLanguage,
    InputTarget,
    InputVersion,
    Membership,
    RegionalReview,
    ReviewCycle,
    ReviewerAssignment,
    ReviewEvent,
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
    "sacm@example.org",
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
OPEN_CYCLE, PREVIOUS_CYCLE = "2028-2029", "2024-2025"
# The previous cycle's published input of each ISCM: its language and its region's review.
PUBLISHED_IN_PREVIOUS_CYCLE = {
    "rcm": ("es", "ECLAC"),
    "cmc": ("en", "ECLAC"),
    "sacm": ("es", "ECLAC"),
    "almaty-process": ("ru", "ECE"),
    "rabat-process": ("fr", "ECA"),
    "add": ("ar", "ESCWA"),
    "bali-process": ("zh", "ESCAP"),
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
    assert languages["sacm@example.org"] == "es"
    assert languages["arcp@example.org"] == languages["secretariat@example.org"] == ""
    memberships = dict(Membership.objects.values_list("user__email", "iscm__slug"))
    assert memberships["add@example.org"] == "add"
    assert memberships["bali@example.org"] == "bali-process"
    assert memberships["almaty@example.org"] == "almaty-process"
    assert memberships["sacm@example.org"] == "sacm"


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
    escap_before = RegionalReview.objects.get(cycle__slug=PREVIOUS_CYCLE, region__code="ESCAP")
    escap_before.deadline = datetime.date(2025, 1, 31)
    escap_before.save()

    def counts():
        models = (User, Membership, ReviewerAssignment, WrittenInput, InputVersion, ReviewEvent)
        return [model.objects.count() for model in models]

    before = counts()

    accounts = load_demo_data(today=TODAY + datetime.timedelta(days=1))

    assert not any(a.created for a in accounts)
    assert counts() == before
    assert before[3] == WrittenInput.objects.filter(slug__startswith="demo-").count() == 19
    assert User.objects.get(pk=user.pk).check_password("changed-Long-passw0rd")
    eclac.refresh_from_db()
    assert eclac.deadline == TODAY + datetime.timedelta(days=3)
    escap_before.refresh_from_db()
    assert escap_before.deadline == datetime.date(2025, 1, 31)


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
        # The previous cycle's input of the same ISCM uses the same words.
        results = client.get(contributions, {"q": word, "cycle": OPEN_CYCLE}).context["results"]
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


def test_demo_previous_cycle_has_published_inputs_of_several_iscms_in_their_languages(demo):
    """Issue 19: the previous cycle (2024-2025) holds something real for every page that
    looks across cycles: published, several sections, two to four objectives with
    practices worth sharing in most, and the lists ticked."""
    previous = WrittenInput.objects.filter(cycle__slug=PREVIOUS_CYCLE).prefetch_related(
        "target_reviews__region"
    )
    found = {
        i.lead_iscm.slug: (i.language, *[r.region.code for r in i.target_reviews.all()])
        for i in previous.select_related("lead_iscm")
    }
    assert found == PUBLISHED_IN_PREVIOUS_CYCLE
    assert {i.status for i in previous} == {WrittenInput.Status.PUBLISHED}
    for written_input in previous:
        slug = written_input.slug
        assert written_input.publication_consent, slug
        assert set(
            InputTarget.objects.filter(writteninput=written_input).values_list(
                "decision", flat=True
            )
        ) == {"accepted"}, slug
        snapshot = written_input.versions.get(number=written_input.published_version).snapshot
        assert snapshot["cycle"]["slug"] == PREVIOUS_CYCLE
        assert len([s for s in snapshot["sections"] if s["body"]]) >= 4, slug
        objectives = snapshot["objectives"]
        assert 2 <= len(objectives) <= 4, slug
        assert all(o["progress"] and o["challenges"] for o in objectives[:2]), slug
        assert len([o for o in objectives if o["practices"]]) >= len(objectives) - 1, slug
        for ticked in ("principles", "formats", "priorities", "challenges"):
            assert getattr(written_input, ticked).exists(), (slug, ticked)


def test_demo_previous_cycle_is_dated_in_its_own_reviews(demo):
    """Submitted within each review's window, decided and published before its meeting,
    so it reads as having happened then and the open cycle's inputs stay newest."""
    escap = RegionalReview.objects.get(cycle__slug=PREVIOUS_CYCLE, region__code="ESCAP")
    assert escap.deadline == datetime.date(2025, 1, 29)  # the demo's: the fixture has none
    assert escap.note.startswith("Example dates set by the demo data")
    eclac = RegionalReview.objects.get(cycle__slug=PREVIOUS_CYCLE, region__code="ECLAC")
    assert eclac.deadline == datetime.date(2025, 2, 5)  # the reference data's, kept

    def day(moment):
        return timezone.localtime(moment).date()

    first_open = WrittenInput.objects.published().filter(cycle__slug=OPEN_CYCLE)
    first_published_now = first_open.earliest("published_at").published_at
    for written_input in WrittenInput.objects.filter(cycle__slug=PREVIOUS_CYCLE):
        review = written_input.target_reviews.get()
        events = list(written_input.events.order_by("created_at", "pk"))
        assert [e.to_status for e in events if e.kind == "transition"] == [
            "submitted",
            "accepted",
            "published",
        ]
        submitted = next(e for e in events if e.to_status == "submitted")
        assert review.submission_opens <= day(submitted.created_at) <= review.deadline
        assert day(written_input.created_at) < day(submitted.created_at)
        assert day(written_input.versions.get().created_at) == day(submitted.created_at)
        decided = InputTarget.objects.get(writteninput=written_input).decided_at
        assert day(submitted.created_at) < day(decided) < day(written_input.published_at)
        assert day(written_input.published_at) < review.meeting_date
        assert day(written_input.updated_at) == day(written_input.published_at)
        assert written_input.published_at < first_published_now


def test_demo_rcm_reports_objective_7_in_both_cycles_with_other_objectives_changing(demo):
    """Issue 19's "done when": RCM's 2028 input can start from its 2024 one, and
    anyone can compare RCM's published reporting on objective 7 across the two cycles."""
    rcm = WrittenInput.objects.published().filter(lead_iscm__slug="rcm")
    before = rcm.get(cycle__slug=PREVIOUS_CYCLE)
    now = rcm.filter(cycle__slug=OPEN_CYCLE)

    def objectives(written_input):
        snapshot = written_input.versions.get(number=written_input.published_version).snapshot
        return {o["number"]: o for o in snapshot["objectives"]}

    earlier = objectives(before)
    assert earlier[7]["progress"] and earlier[7]["practices"]
    spanish_now = objectives(now.get(language="es"))
    assert 7 in spanish_now and spanish_now[7]["progress"] != earlier[7]["progress"]
    reported_now = {number for i in now for number in objectives(i)}
    assert set(earlier) - reported_now and reported_now - set(earlier)
    assert {s["key"] for s in before.versions.get().snapshot["sections"] if s["body"]} >= {
        "introduction",
        "engagement",
        "principles",
        "challenges",
        "partnerships",
        "recommendations",
    }


def test_demo_an_eclac_iscm_that_reported_last_cycle_has_not_submitted_in_this_one(demo):
    """The synthesis dashboard's "reported last time and not yet this time"."""
    reported = set(
        WrittenInput.objects.published()
        .filter(cycle__slug=PREVIOUS_CYCLE, target_reviews__region__code="ECLAC")
        .values_list("lead_iscm__slug", flat=True)
    )
    assert reported == {"rcm", "cmc", "sacm"}
    submitted_now = InputVersion.objects.filter(
        input__cycle__slug=OPEN_CYCLE, input__target_reviews__region__code="ECLAC"
    )
    leads = set(submitted_now.values_list("input__lead_iscm__slug", flat=True))
    partners = set(submitted_now.values_list("input__partner_iscms__slug", flat=True))
    assert {"rcm", "cmc"} <= leads | partners
    assert "sacm" not in leads | partners
    assert not WrittenInput.objects.filter(cycle__slug=OPEN_CYCLE, lead_iscm__slug="sacm")


def test_demo_previous_cycle_reads_on_the_public_pages_in_its_languages(demo, client):
    contributions = reverse("public:contribution-list")
    listed = client.get(contributions, {"cycle": PREVIOUS_CYCLE}).context["results"]
    previous = WrittenInput.objects.filter(cycle__slug=PREVIOUS_CYCLE)
    assert {i.slug for i in listed.inputs} == set(previous.values_list("slug", flat=True))
    for written_input in previous:
        direction = "rtl" if written_input.language == "ar" else "ltr"
        page = client.get(reverse("public:contribution-detail", args=[written_input.slug]))
        assert page.status_code == 200
        html = page.content.decode()
        assert f'id="doc-general" lang="{written_input.language}" dir="{direction}">' in html
        assert written_input.title in html
    for word, lead in (("移民", "bali-process"), ("الأجور", "add"), ("trata", "rcm")):
        found = client.get(contributions, {"q": word, "cycle": PREVIOUS_CYCLE}).context["results"]
        assert [i.lead_iscm.slug for i in found.inputs] == [lead], word


def test_demo_compiler_sees_who_is_missing_and_drafts_a_synthesis_citing_every_accepted_input(
    demo, client, django_capture_on_commit_callbacks
):
    """Issue 19's "done when": compiler@ opens the ECLAC dashboard, sees who is missing
    and the coverage heat map, and downloads a draft that cites every accepted input."""
    compiler = User.objects.get(email="compiler@example.org")
    client.force_login(compiler)
    pass_second_factor(client, compiler)
    eclac = RegionalReview.objects.get(cycle__slug=OPEN_CYCLE, region__code="ECLAC")
    page = client.get(reverse("reviews:dashboard", args=[OPEN_CYCLE, "ECLAC"]))
    assert page.status_code == 200
    states = {row.iscm.slug: row.state for row in page.context["dashboard"].standings.rows}
    assert states["sacm"] == "nothing"  # missing, and reported in the previous cycle
    assert "sacm" in {iscm.slug for iscm in page.context["dashboard"].change.not_yet}
    assert 'aria-labelledby="heatmap-title heatmap-desc"' in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):  # the worker's part, inline
        response = client.post(
            reverse("reviews:synthesis-drafts", args=[OPEN_CYCLE, "ECLAC"]), {"language": "en"}
        )
    draft = SynthesisDraft.objects.get(review=eclac)
    assert response["Location"] == reverse("reviews:synthesis", args=[draft.pk])
    assert draft.status == SynthesisDraft.Status.DONE
    download = client.get(reverse("reviews:synthesis-download", args=[draft.pk, "docx"]))
    document = docx.Document(io.BytesIO(b"".join(download.streaming_content)))
    citations = "\n".join(p.text for p in document.paragraphs if p.text.startswith("— "))
    accepted = packages.accepted_versions(eclac)
    assert len(accepted) == 3  # CMC's, RCM's and the joint RCM–CMC input
    for version in accepted:
        assert f"“{version.input.title}”" in citations
        assert f"version {version.number}" in citations
