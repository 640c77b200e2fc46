"""The access matrix: every named route of the URLconf × every persona, with the outcome
of a GET written down in one table (`EXPECTED`), and every state-changing route refusing
a POST without a CSRF token.

The routes come from `django.urls.get_resolver()`, walked recursively, so a new route
without a row in the table fails `test_every_route_has_a_row` (and a row for a route
that is gone fails too). Outcomes: 200; LOGIN (302 to the sign-in page, with `next`
pointing back); 302 (any other redirect); 404 (not found, or not yours: a denied object
is a 404, never a 403); 405 (the view accepts POST only); 400 (a link refused with its
reason). Each row was derived from the
rules in the code (`WrittenInput.objects.visible_to / for_secretariat / editable_by /
led_by / reviewable_by / extendable_by`, the compiler's regions for packages,
`published()` for public pages, `is_staff` for the admin) and then checked against
the app.

At the time of writing: 100 routes × 8 personas = 800 GETs (the test prints the size).
"""

import re
import time
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.core import mail, signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts import invitations, profile
from accounts.models import Invitation
from reviews import editions, package_pdf, packages, synthesis_drafts, synthesis_pdf
from reviews.models import RegionalPackage
from submissions import editing, workflow
from submissions.comments import add_review_comment
from submissions.models import Membership, OutgoingEmail, ReviewerAssignment, WrittenInput

from .factories import UserFactory
from .reviews.conftest import compiler  # noqa: F401  (fixture)
from .sample_files import make_pdf
from .submissions.conftest import fill, make_input, world  # noqa: F401  (fixtures)

LOGIN = "login"

PERSONAS = (
    "anonymous",
    "lead",  # secretariat of the lead ISCM (LEAD, region AMR)
    "partner",  # secretariat of a partner ISCM (PART, region EUR)
    "other",  # secretariat of an unrelated ISCM (OTHER, region AFR)
    "reviewer",  # reviewer of the region (AMR)
    "other_reviewer",  # reviewer of another region (AFR)
    "compiler",  # compiler of the region (AMR)
    "admin",  # administrator: is_staff and is_superuser, no membership or assignment
)

# What a GET answers, per route and persona (columns in the order of PERSONAS).
# The objects behind the arguments are built by the `objects` fixture below:
#   J  a joint input (LEAD with PART, to the AMR and EUR reviews), submitted, sent back
#      with a comment and resubmitted (versions 1 and 2, status "submitted"), with an
#      attachment both versions list;
#   P  a published input of LEAD to AMR, with an attachment in its published version;
#   K  the AMR review's package, compiled (done) and published.
#   S  a synthesis draft of the AMR review (holds P), done.
# fmt: off
EXPECTED = {
    #                                     anon   lead  part  other  rev  o-rev  comp  admin
    "home":                               (200,   200,  200,  200,  200,  200,  200,  200),
    "robots-txt":                         (200,   200,  200,  200,  200,  200,  200,  200),
    # The same for everyone; 503 here because no task worker runs beside the test
    # database (tests/iscm_portal/test_health.py has the 200 and each 503).
    "healthz":                            (503,   503,  503,  503,  503,  503,  503,  503),
    "favicon":                            (302,   302,  302,  302,  302,  302,  302,  302),
    "public:sitemap":                     (200,   200,  200,  200,  200,  200,  200,  200),
    # Accounts. A signed-in person on the sign-in page is sent on (redirect_authenticated_user).
    "login":                              (200,   302,  302,  302,  302,  302,  302,  302),
    # Django's LogoutView takes POST only, signed in or not.
    "logout":                             (405,   405,  405,  405,  405,  405,  405,  405),
    "password_change":                    (LOGIN, 200,  200,  200,  200,  200,  200,  200),
    "password_change_done":               (LOGIN, 200,  200,  200,  200,  200,  200,  200),
    "password_reset":                     (200,   200,  200,  200,  200,  200,  200,  200),
    "password_reset_done":                (200,   200,  200,  200,  200,  200,  200,  200),
    # A valid link (for a user who is none of the personas): Django puts the token in
    # the session and redirects to the link's set-password form, for anyone holding the
    # link (the token is the credential). An invalid link would render "invalid" (200).
    "password_reset_confirm":             (302,   302,  302,  302,  302,  302,  302,  302),
    "password_reset_complete":            (200,   200,  200,  200,  200,  200,  200,  200),
    # GET without `next`: back to the referrer or "/".
    "set_language":                       (302,   302,  302,  302,  302,  302,  302,  302),
    # Django's admin, site-level pages (model pages are left out, see `named_routes`).
    # LOGIN here means the admin's own sign-in page; only is_staff gets in.
    "admin:index":                        (LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, 200),
    # The admin's sign-in form shows "not authorised" to signed-in non-staff (200).
    "admin:login":                        (200,   200,  200,  200,  200,  200,  200,  302),
    # Non-staff are sent to the admin index (302); staff must POST.
    "admin:logout":                       (302,   302,  302,  302,  302,  302,  302,  405),
    "admin:password_change":              (LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, 200),
    "admin:password_change_done":         (LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, 200),
    "admin:autocomplete":                 (LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, 200),
    "admin:jsi18n":                       (LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, 200),
    # "View on site" of J: a redirect to the object's page.
    "admin:view_on_site":                 (LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, 302),
    "admin:app_list":                     (LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, 200),
    # Reviewers: only people with a reviewer assignment (compilers and administrators
    # are not reviewers); an input only through reviewable_by (a target region).
    "reviews:queue":                      (LOGIN, 404,  404,  404,  200,  200,  404,  404),
    # The round's overview: IOM staff (reviewers, compilers, administrators).
    "reviews:overview":                   (LOGIN, 404,  404,  404,  200,  200,  200,  200),
    # The synthesis dashboards (reviews.coverage.staff_reviews): a review's for IOM staff
    # of its region and administrators; the regions side by side for all IOM staff.
    "reviews:dashboard-current":          (LOGIN, 404,  404,  404,  302,  302,  302,  302),
    "reviews:dashboard-regions":          (LOGIN, 404,  404,  404,  200,  200,  200,  200),
    "reviews:dashboard":                  (LOGIN, 404,  404,  404,  200,  404,  200,  200),
    "reviews:dashboard-csv":              (LOGIN, 404,  404,  404,  200,  404,  200,  200),
    # The synthesis draft (reviews.synthesis_drafts, the same staff_reviews): S, done.
    "reviews:synthesis-drafts":           (LOGIN, 404,  404,  404,  200,  404,  200,  200),
    "reviews:synthesis":                  (LOGIN, 404,  404,  404,  200,  404,  200,  200),
    "reviews:synthesis-download":         (LOGIN, 404,  404,  404,  200,  404,  200,  200),
    "reviews:input":                      (LOGIN, 404,  404,  404,  200,  404,  404,  404),
    "reviews:comment-add":                (405,   405,  405,  405,  405,  405,  405,  405),
    "reviews:decide":                     (LOGIN, 404,  404,  404,  200,  404,  404,  404),
    # extendable_by: reviewers of a target region.
    "reviews:extension":                  (LOGIN, 404,  404,  404,  200,  404,  404,  404),
    "reviews:diff":                       (LOGIN, 404,  404,  404,  200,  404,  404,  404),
    "reviews:input-pdf":                  (LOGIN, 404,  404,  404,  200,  404,  404,  404),
    # Packages: the compilers of the review's region only.
    "reviews:packages":                   (LOGIN, 404,  404,  404,  404,  404,  200,  404),
    "reviews:package-compile":            (405,   405,  405,  405,  405,  405,  405,  405),
    "reviews:package":                    (LOGIN, 404,  404,  404,  404,  404,  200,  404),
    "reviews:package-retry":              (405,   405,  405,  405,  405,  405,  405,  405),
    "reviews:package-publish":            (405,   405,  405,  405,  405,  405,  405,  405),
    "reviews:package-download":           (LOGIN, 404,  404,  404,  200,  404,  200,  200),
    # Public: published packages and published inputs, for everyone.
    "public:packages":                    (200,   200,  200,  200,  200,  200,  200,  200),
    "public:package-download":            (200,   200,  200,  200,  200,  200,  200,  200),
    # The review edition behind a compiler's signed link: whoever holds the link.
    "packages:review-edition":            (200,   200,  200,  200,  200,  200,  200,  200),
    "public:contribution-list":           (200,   200,  200,  200,  200,  200,  200,  200),
    "public:contribution-detail":         (200,   200,  200,  200,  200,  200,  200,  200),
    "public:contribution-pdf":            (200,   200,  200,  200,  200,  200,  200,  200),
    "public:contribution-attachment":     (200,   200,  200,  200,  200,  200,  200,  200),
    "public:region-list":                 (200,   200,  200,  200,  200,  200,  200,  200),
    "public:region-detail":               (200,   200,  200,  200,  200,  200,  200,  200),
    "public:region-dashboard":            (200,   200,  200,  200,  200,  200,  200,  200),
    "public:open-data":                   (200,   200,  200,  200,  200,  200,  200,  200),
    "public:open-data-json":              (200,   200,  200,  200,  200,  200,  200,  200),
    "public:open-data-csv":               (200,   200,  200,  200,  200,  200,  200,  200),
    "public:open-data-practices-json":    (200,   200,  200,  200,  200,  200,  200,  200),
    "public:open-data-practices-csv":     (200,   200,  200,  200,  200,  200,  200,  200),
    "public:open-data-datapackage":       (200,   200,  200,  200,  200,  200,  200,  200),
    "public:open-data-cycle-file":        (200,   200,  200,  200,  200,  200,  200,  200),
    "public:practice-list":               (200,   200,  200,  200,  200,  200,  200,  200),
    # P reports no practice worth sharing: its objective 1 is no practice, for anyone.
    "public:practice-detail":             (404,   404,  404,  404,  404,  404,  404,  404),
    "public:feed":                        (200,   200,  200,  200,  200,  200,  200,  200),
    "public:iscm-list":                   (200,   200,  200,  200,  200,  200,  200,  200),
    "public:iscm-detail":                 (200,   200,  200,  200,  200,  200,  200,  200),
    "public:objective-list":              (200,   200,  200,  200,  200,  200,  200,  200),
    "public:objective-detail":            (200,   200,  200,  200,  200,  200,  200,  200),
    # LEAD's record across cycles: published inputs for anyone (P's objective 1 and
    # introduction); everything for LEAD's secretariat alone; the inputs they may review
    # for reviewers (J and P target AMR). J's compare link sends each of its
    # secretariats on to their own ISCM's pages.
    "public:compare-objective":           (200,   200,  200,  200,  200,  200,  200,  200),
    "public:compare-section":             (200,   200,  200,  200,  200,  200,  200,  200),
    "submissions:input-compare":          (LOGIN, 302,  302,  404,  404,  404,  404,  404),
    "submissions:compare":                (LOGIN, 200,  404,  404,  404,  404,  404,  404),
    "submissions:compare-objective":      (LOGIN, 200,  404,  404,  404,  404,  404,  404),
    "submissions:compare-section":        (LOGIN, 200,  404,  404,  404,  404,  404,  404),
    "reviews:compare":                    (LOGIN, 404,  404,  404,  200,  404,  404,  404),
    "reviews:compare-objective":          (LOGIN, 404,  404,  404,  200,  404,  404,  404),
    "reviews:compare-section":            (LOGIN, 404,  404,  404,  200,  404,  404,  404),
    # Secretariats. The dashboard explains itself to people without a membership.
    "submissions:dashboard":              (LOGIN, 200,  200,  200,  200,  200,  200,  200),
    "submissions:input-create":           (LOGIN, 200,  200,  200,  404,  404,  404,  404),
    # J through for_secretariat: lead and partner, nobody else (not even the admin).
    "submissions:input-detail":           (LOGIN, 200,  200,  404,  404,  404,  404,  404),
    # J is with the reviewers (not editable): the edit pages send back to the detail.
    "submissions:input-edit":             (LOGIN, 302,  302,  404,  404,  404,  404,  404),
    "submissions:input-details":          (LOGIN, 302,  302,  404,  404,  404,  404,  404),
    "submissions:input-preview":          (LOGIN, 200,  200,  404,  404,  404,  404,  404),
    "submissions:input-diff":             (LOGIN, 200,  200,  404,  404,  404,  404,  404),
    "submissions:input-pdf":              (LOGIN, 200,  200,  404,  404,  404,  404,  404),
    # Word import into a draft: J is with the reviewers, so the page sends back to the
    # detail; applying a preview takes POST only.
    "submissions:input-import":           (LOGIN, 302,  302,  404,  404,  404,  404,  404),
    "submissions:input-import-apply":     (405,   405,  405,  405,  405,  405,  405,  405),
    # The Word template of a cycle (reference data only): anyone signed in.
    "submissions:cycle-template":         (LOGIN, 200,  200,  200,  200,  200,  200,  200),
    # J as .docx through visible_to: its secretariats (the live draft), reviewers and
    # compilers of a target region and administrators (the latest submitted version).
    "submissions:input-docx":             (LOGIN, 200,  200,  404,  200,  404,  200,  200),
    "submissions:input-submit":           (405,   405,  405,  405,  405,  405,  405,  405),
    # Withdrawing is the lead's alone: the page is found through led_by.
    "submissions:input-withdraw":         (LOGIN, 200,  404,  404,  404,  404,  404,  404),
    "submissions:input-consent":          (405,   405,  405,  405,  405,  405,  405,  405),
    "submissions:attachment-upload":      (405,   405,  405,  405,  405,  405,  405,  405),
    "submissions:attachment-delete":      (405,   405,  405,  405,  405,  405,  405,  405),
    # J's attachment, listed by a submitted version: visible_to (secretariats of J,
    # reviewers and compilers of a target region, administrators).
    "submissions:attachment-download":    (LOGIN, 200,  200,  404,  200,  404,  200,  200),
    # Accounts (accounts/). I is a pending invitation from the administrator to an address
    # none of the personas has: its link shows the invitation to anyone holding it (a
    # signed-in person is told to sign out first, and shown nothing else).
    "accounts:invitation":                (200,   200,  200,  200,  200,  200,  200,  200),
    "accounts:profile":                   (LOGIN, 200,  200,  200,  200,  200,  200,  200),
    "accounts:email-change":              (LOGIN, 200,  200,  200,  200,  200,  200,  200),
    # A confirmation link of another person's change: refused with the reason (400).
    "accounts:email-confirm":             (LOGIN, 400,  400,  400,  400,  400,  400,  400),
    "accounts:two-factor":                (LOGIN, 200,  200,  200,  200,  200,  200,  200),
    "accounts:two-factor-enrol":          (LOGIN, 200,  200,  200,  200,  200,  200,  200),
    # Every persona's session has passed its second factor: sent on.
    "accounts:two-factor-verify":         (LOGIN, 302,  302,  302,  302,  302,  302,  302),
    "accounts:two-factor-recovery-codes": (405,   405,  405,  405,  405,  405,  405,  405),
    "accounts:two-factor-remove":         (405,   405,  405,  405,  405,  405,  405,  405),
    # LEAD's team page: its members and administrators.
    "accounts:team":                      (LOGIN, 200,  404,  404,  404,  404,  404,  200),
    "accounts:team-invite":               (405,   405,  405,  405,  405,  405,  405,  405),
    "accounts:team-hand-over":            (405,   405,  405,  405,  405,  405,  405,  405),
    "accounts:team-add":                  (405,   405,  405,  405,  405,  405,  405,  405),
    "accounts:member-remove":             (405,   405,  405,  405,  405,  405,  405,  405),
    "accounts:member-lead":               (405,   405,  405,  405,  405,  405,  405,  405),
    "accounts:invitation-resend":         (405,   405,  405,  405,  405,  405,  405,  405),
    "accounts:invitation-revoke":         (405,   405,  405,  405,  405,  405,  405,  405),
    # Staff management: administrators only.
    "accounts:staff":                     (LOGIN, 404,  404,  404,  404,  404,  404,  200),
    "accounts:staff-people":              (LOGIN, 404,  404,  404,  404,  404,  404,  200),
    "accounts:staff-person":              (LOGIN, 404,  404,  404,  404,  404,  404,  200),
    "accounts:staff-membership-add":      (405,   405,  405,  405,  405,  405,  405,  405),
    "accounts:staff-assignment-add":      (405,   405,  405,  405,  405,  405,  405,  405),
    "accounts:staff-person-active":       (405,   405,  405,  405,  405,  405,  405,  405),
    "accounts:staff-person-two-factor":   (405,   405,  405,  405,  405,  405,  405,  405),
    "accounts:staff-assignment-remove":   (405,   405,  405,  405,  405,  405,  405,  405),
    "accounts:staff-regions":             (LOGIN, 404,  404,  404,  404,  404,  404,  200),
    "accounts:staff-region-assign":       (405,   405,  405,  405,  405,  405,  405,  405),
    "accounts:staff-iscms":               (LOGIN, 404,  404,  404,  404,  404,  404,  200),
    "accounts:staff-invitations":         (LOGIN, 404,  404,  404,  404,  404,  404,  200),
    "accounts:staff-invitation-new":      (LOGIN, 404,  404,  404,  404,  404,  404,  200),
    "accounts:staff-audit":               (LOGIN, 404,  404,  404,  404,  404,  404,  200),
    "accounts:staff-emails":              (LOGIN, 404,  404,  404,  404,  404,  404,  200),
    "accounts:staff-email-again":         (405,   405,  405,  405,  405,  405,  405,  405),
}
# fmt: on

OUTCOMES = {200, 302, 400, 404, 405, 503, LOGIN}

# Query strings a route needs to answer at all (the admin's autocomplete refuses a GET
# without them with a 403, which says nothing about who may use it).
QUERY_STRINGS = {
    "admin:autocomplete": "?app_label=submissions&model_name=membership&field_name=iscm",
}


def admin_model_pages() -> set[str]:
    """Names of the admin's model pages (ModelAdmin.get_urls of every registered model):
    Django's own admin, gated by is_staff and model permissions, not by this portal's
    rules. They stay out of the matrix; the admin's site-level pages stay in."""
    return {
        f"admin:{pattern.name}"
        for model in apps.get_models()
        if admin.site.is_registered(model)
        for pattern in admin.site.get_model_admin(model).urls
        if isinstance(pattern, URLPattern) and pattern.name
    }


def named_routes() -> dict[str, str]:
    """{"namespace:name": "route"} for every named route of the URLconf, walked
    recursively, minus the admin's model pages. An unnamed route outside the admin is
    listed as "<unnamed> route", so it fails the table check too (the matrix cannot
    reverse it: name it)."""
    found: dict[str, str] = {}

    def walk(resolver, namespace, prefix):
        for entry in resolver.url_patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                inner = (*namespace, entry.namespace) if entry.namespace else namespace
                walk(entry, inner, route)
            else:
                name = ":".join((*namespace, entry.name)) if entry.name else f"<unnamed> {route}"
                found.setdefault(name, route)

    walk(get_resolver(), (), "/")
    excluded = admin_model_pages()
    return {
        name: route
        for name, route in found.items()
        # The admin's own unnamed routes: each model page's "<id>/" redirect to its change
        # page, and the site's catch-all (`final_catch_all_view`).
        if name not in excluded and not name.startswith("<unnamed> /admin/")
    }


def test_every_route_has_a_row():
    routes = named_routes()
    missing = sorted(set(routes) - set(EXPECTED))
    stale = sorted(set(EXPECTED) - set(routes))
    assert not missing, "Routes without a row in EXPECTED (add one per persona): " + ", ".join(
        f"{name} ({routes[name]})" for name in missing
    )
    assert not stale, "Rows in EXPECTED for routes that no longer exist: " + ", ".join(stale)
    for name, row in EXPECTED.items():
        assert len(row) == len(PERSONAS), f"{name}: {len(row)} outcomes for 8 personas"
        assert set(row) <= OUTCOMES, f"{name}: unknown outcome in {row}"
    assert "admin:index" in routes


@pytest.fixture
def objects(world, compiler, make_input, django_capture_on_commit_callbacks):  # noqa: F811
    """The objects every route with parameters points at, built through the domain
    functions (editing, workflow, comments, reviews.packages). Package publication has
    no domain function: it goes through the compiler's own page."""
    today = timezone.localdate()
    lead = world.lead_user

    # J: joint, two submitted versions, an attachment both list, a comment, submitted.
    joint = make_input(
        "Joint input under review",
        state="draft",
        partners=[world.partner],
        targets=[world.reviews.amr, world.reviews.eur],
    )
    joint_attachment = editing.add_attachment(
        joint, SimpleUploadedFile("annex.pdf", make_pdf()), title="Joint annex", by=lead
    )
    workflow.submit_input(joint, by=lead, today=today)
    add_review_comment(
        joint,
        by=world.reviewer,
        body="Please say who met.",
        internal=False,
        section=world.sections.intro,
    )
    workflow.request_changes(joint, by=world.reviewer, message="More detail, please.")
    fill(joint, world, intro="We met twice, in March and May, and agreed on this text.")
    workflow.resubmit_input(joint, by=lead, today=today)
    add_review_comment(joint, by=world.reviewer, body="Better.", internal=True)

    # P: published, with an attachment in the published version.
    published = make_input("Published contribution", state="draft")
    published_attachment = editing.add_attachment(
        published, SimpleUploadedFile("data.pdf", make_pdf()), title="Data", by=lead
    )
    workflow.submit_input(published, by=lead, today=today)
    workflow.accept_input(published, by=world.reviewer)
    workflow.set_publication_consent(published, by=lead, consent=True)
    published = workflow.publish_input(published, by=world.reviewer)

    # K: the AMR package (holds P), compiled and published.
    package, _created = packages.request_compile(world.reviews.amr, by=compiler, enqueue=False)
    package = package_pdf.compile_package(package.pk)
    assert package.status == RegionalPackage.Status.DONE, package.error
    publisher = Client()
    publisher.force_login(compiler)
    response = publisher.post(
        reverse("reviews:package-publish", args=[package.pk]), {"publish": "yes"}
    )
    assert response.status_code == 302
    package.refresh_from_db()
    assert package.published

    # S: a synthesis draft of the AMR review, built.
    draft, _created = synthesis_drafts.request_draft(
        world.reviews.amr, language="en", by=compiler, enqueue=False
    )
    assert synthesis_pdf.build_draft(draft.pk).status == "done"

    forgetful = UserFactory(full_name="Forgetful Person")  # never signs in: link stays valid

    # I: a pending invitation; an e-mail change asked for by `forgetful`.
    with django_capture_on_commit_callbacks(execute=True):  # the e-mail holds the link
        invitation = invitations.create_invitation(
            by=world.admin,
            email="newcomer@example.net",
            role=Invitation.Role.SECRETARIAT,
            iscms=[world.lead],
        )
    invitation_token = re.search(r"/invitations/([^/]+)/", mail.outbox[-1].body).group(1)
    email_token = signing.dumps(
        {"user": forgetful.pk, "from": forgetful.email, "to": "new@example.net"},
        salt=profile.SALT,
    )
    lead_membership = Membership.objects.get(user=world.lead_user, iscm=world.lead)
    assignment = ReviewerAssignment.objects.filter(user=world.reviewer).first()
    refused_email = OutgoingEmail.objects.create(
        template="input_submitted", to="refused@example.org", subject="Refused", status="failed"
    )
    joint.refresh_from_db()
    assert (joint.status, joint.versions.count()) == ("submitted", 2)

    users = {
        "anonymous": None,
        "lead": world.lead_user,
        "partner": world.partner_user,
        "other": world.other_user,
        "reviewer": world.reviewer,
        "other_reviewer": world.other_reviewer,
        "compiler": compiler,
        "admin": world.admin,
    }
    assert list(users) == list(PERSONAS)
    arguments = {
        "password_reset_confirm": {
            "uidb64": urlsafe_base64_encode(force_bytes(forgetful.pk)),
            "token": default_token_generator.make_token(forgetful),
        },
        "admin:view_on_site": {
            "content_type_id": ContentType.objects.get_for_model(WrittenInput).pk,
            "object_id": joint.pk,
        },
        "admin:app_list": {"app_label": "submissions"},
        "reviews:input": {"pk": joint.pk},
        "reviews:comment-add": {"pk": joint.pk},
        "reviews:decide": {"pk": joint.pk, "action": "accept"},
        "reviews:extension": {"pk": joint.pk},
        "reviews:diff": {"pk": joint.pk},
        "reviews:input-pdf": {"pk": joint.pk},
        "reviews:package-compile": {"review_pk": world.reviews.amr.pk},
        "reviews:package": {"pk": package.pk},
        "reviews:package-retry": {"pk": package.pk},
        "reviews:package-publish": {"pk": package.pk},
        "reviews:package-download": {"pk": package.pk},
        "public:package-download": {"pk": package.pk},
        "packages:review-edition": {"token": editions.review_edition_link(package)},
        "public:contribution-detail": {"slug": published.slug},
        "public:contribution-pdf": {"slug": published.slug},
        "public:contribution-attachment": {
            "slug": published.slug,
            "attachment_pk": published_attachment.pk,
        },
        "public:region-detail": {"code": world.regions.amr.code},
        "public:region-dashboard": {"code": "AMR", "cycle": world.cycle.slug},
        "reviews:dashboard-regions": {"cycle": world.cycle.slug},
        "reviews:dashboard": {"cycle": world.cycle.slug, "region": "AMR"},
        "reviews:dashboard-csv": {"cycle": world.cycle.slug, "region": "AMR"},
        "reviews:synthesis-drafts": {"cycle": world.cycle.slug, "region": "AMR"},
        "reviews:synthesis": {"pk": draft.pk},
        "reviews:synthesis-download": {"pk": draft.pk, "kind": "docx"},
        "public:iscm-detail": {"slug": world.lead.slug},
        "public:objective-detail": {"number": world.objectives[0].number},
        **{
            f"{app}:compare-objective": {
                "slug": world.lead.slug,
                "number": world.objectives[0].number,
            }
            for app in ("public", "submissions", "reviews")
        },
        **{
            f"{app}:compare-section": {"slug": world.lead.slug, "key": world.sections.intro.key}
            for app in ("public", "submissions", "reviews")
        },
        "submissions:compare": {"slug": world.lead.slug},
        "reviews:compare": {"slug": world.lead.slug},
        "submissions:input-compare": {"pk": joint.pk},
        "public:open-data-cycle-file": {"cycle": world.cycle.slug, "filename": "practices.csv"},
        "public:practice-detail": {"slug": published.slug, "number": world.objectives[0].number},
        "submissions:cycle-template": {"slug": world.cycle.slug},
        **{
            f"submissions:{name}": {"pk": joint.pk}
            for name in (
                "input-detail",
                "input-edit",
                "input-details",
                "input-preview",
                "input-diff",
                "input-pdf",
                "input-import",
                "input-import-apply",
                "input-docx",
                "input-submit",
                "input-withdraw",
                "input-consent",
                "attachment-upload",
            )
        },
        "submissions:attachment-delete": {"pk": joint.pk, "attachment_pk": joint_attachment.pk},
        "submissions:attachment-download": {"attachment_pk": joint_attachment.pk},
        "accounts:invitation": {"token": invitation_token},
        "accounts:email-confirm": {"token": email_token},
        **{
            f"accounts:{name}": {"slug": world.lead.slug}
            for name in ("team", "team-invite", "team-hand-over", "team-add")
        },
        **{
            f"accounts:{name}": {"slug": world.lead.slug, "pk": lead_membership.pk}
            for name in ("member-remove", "member-lead")
        },
        "accounts:invitation-resend": {"pk": invitation.pk},
        "accounts:invitation-revoke": {"pk": invitation.pk},
        **{
            f"accounts:{name}": {"pk": world.lead_user.pk}
            for name in (
                "staff-person",
                "staff-membership-add",
                "staff-assignment-add",
                "staff-person-active",
                "staff-person-two-factor",
            )
        },
        "accounts:staff-assignment-remove": {"pk": assignment.pk},
        "accounts:staff-region-assign": {"pk": world.regions.amr.pk},
        "accounts:staff-email-again": {"pk": refused_email.pk},
    }
    return SimpleNamespace(
        users=users,
        arguments=arguments,
        joint=joint,
        published=published,
        package=package,
        state=lambda: _state(joint, published, package),
    )


def _state(*objs):
    """What a refused POST must leave alone."""
    for obj in objs:
        obj.refresh_from_db()
    joint, published, package = objs
    return (
        joint.status,
        joint.version,
        joint.publication_consent,
        joint.attachments.current().count(),
        joint.comments.count(),
        published.status,
        published.version,
        package.published,
        RegionalPackage.objects.count(),
    )


def url_of(name, objects):
    return reverse(name, kwargs=objects.arguments.get(name, {})) + QUERY_STRINGS.get(name, "")


def clients(users, **options):
    made = {}
    for persona, user in users.items():
        made[persona] = Client(**options)
        if user is not None:
            made[persona].force_login(user)
    return made


def outcome(response, url, name):
    """The response as one of OUTCOMES (or its status code when it is none of them)."""
    if response.status_code != 302:
        return response.status_code
    location = urlsplit(response["Location"])
    sign_in = (
        reverse("admin:login") if name.startswith("admin:") else resolve_url(settings.LOGIN_URL)
    )
    if location.path == sign_in and parse_qs(location.query).get("next") == [url]:
        return LOGIN
    return 302


def fetch(client, url):
    """GET `url`; the response and its body. A streamed body (CSV, JSON, files) is read
    to the end, which surfaces its errors and lets the test client close it (never call
    `close()` again here: it would fire request_finished, which closes PostgreSQL's
    connection in the middle of the test's transaction)."""
    response = client.get(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


@pytest.mark.django_db
def test_access_matrix(objects):
    """GET every route as every persona; compare with EXPECTED (size in the message)."""
    started = time.monotonic()
    routes = named_routes()
    by_persona = clients(objects.users)
    size = f"{len(routes)} routes × {len(PERSONAS)} personas = {len(routes) * len(PERSONAS)}"
    print(f"access matrix: {size} GETs")
    # Whoever visible_to does not show J must not read it on any page either.
    outsiders = {
        persona
        for persona, user in objects.users.items()
        if user is None
        or not WrittenInput.objects.visible_to(user).filter(pk=objects.joint.pk).exists()
    }
    assert outsiders == {"anonymous", "other", "other_reviewer"}
    joint = objects.joint
    secrets = [joint.title.encode(), joint.slug.encode(), b"in March and May", b"Joint annex"]
    failures = []
    for name in sorted(routes):
        if name not in EXPECTED:
            failures.append(f"{name}: no row in EXPECTED")
            continue
        url = url_of(name, objects)
        for persona, expected in zip(PERSONAS, EXPECTED[name], strict=True):
            try:
                response, body = fetch(by_persona[persona], url)
            except Exception as error:  # a 500: report it with the others
                failures.append(f"{name} as {persona}: expected {expected}, raised {error!r}")
                continue
            got = outcome(response, url, name)
            if got != expected:
                failures.append(f"{name} as {persona}: expected {expected}, got {got} ({url})")
            if persona in outsiders and any(secret in body for secret in secrets):
                failures.append(f"{name} as {persona}: shows J, which visible_to hides")
            # Whatever the page, a signed-in person's response is for their browser only
            # (iscm_portal/cache_headers.py).
            cache = {d.split("=")[0].strip() for d in response.get("Cache-Control", "").split(",")}
            if persona != "anonymous" and ("private" not in cache or "public" in cache):
                failures.append(f"{name} as {persona}: Cache-Control is not private ({url})")
    elapsed = time.monotonic() - started
    assert not failures, f"{len(failures)} of {size} cells differ:\n" + "\n".join(failures)
    assert elapsed < 30, f"{size} GETs took {elapsed:.1f} s"


@pytest.mark.django_db
def test_posts_without_a_csrf_token_are_refused(objects):
    """Every POST-only route (a 405 to GET in EXPECTED) refuses a POST that carries the
    CSRF cookie but no token (a forged cross-site form), as every persona whose GET is a
    405 — the ones who may do the action among them — with a 403 and no change. Every
    other route refuses it too, for the first signed-in persona whose GET is a 200 or a
    302 (no view is csrf_exempt)."""
    before = objects.state()
    by_persona = clients(objects.users, enforce_csrf_checks=True)
    for client in by_persona.values():
        fetch(client, reverse("password_reset"))  # a form page: sets the CSRF cookie
        assert settings.CSRF_COOKIE_NAME in client.cookies

    post_only = {
        name: [p for p, o in zip(PERSONAS, row, strict=True) if o == 405]
        for name, row in EXPECTED.items()
        if any(o == 405 for o in row[1:])  # a signed-in persona gets 405
    }
    assert "reviews:package-publish" in post_only
    checks = []
    routes = named_routes()  # rows for routes that are gone fail test_every_route_has_a_row
    for name, row in EXPECTED.items():
        if name not in routes:
            continue
        if name in post_only:
            checks += [(name, persona) for persona in post_only[name]]
        else:
            allowed = [p for p, o in zip(PERSONAS, row, strict=True) if o in (200, 302)]
            signed_in = [p for p in allowed if p != "anonymous"]
            checks.append((name, (signed_in or allowed or ["lead"])[0]))
    failures = []
    for name, persona in checks:
        url = url_of(name, objects)
        response = by_persona[persona].post(url, {"publish": "yes", "consent": "yes"})
        refused = response.status_code == 403 and b"CSRF" in response.content
        if not refused:
            failures.append(f"{name} as {persona}: {response.status_code}, not a CSRF 403")
    assert not failures, f"{len(failures)} of {len(checks)} POSTs:\n" + "\n".join(failures)
    assert objects.state() == before
