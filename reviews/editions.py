"""Publication of regional packages: which edition carries which input and why, the
public edition going on and off line, and the signed link to the review edition.

Compiling lives in `reviews/packages.py` (this module imports it, never the reverse).
The rule that decides whether a public edition may be served is the query-set method
`RegionalPackage.objects.publicly_available()`, read at every request; the functions
here record what that rule already enforces, tell the compilers and queue a new
version.
"""

import datetime
import logging
from functools import partial

from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from submissions import workflow
from submissions.models import Status

from . import tasks
from .models import RegionalPackage
from .packages import is_public, request_compile

logger = logging.getLogger(__name__)


class PackageRefused(Exception):
    """A package action that may not happen now; the message says why, for the person."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def set_published(package: RegionalPackage, *, publish: bool) -> None:
    """Publish (or stop publishing) the public edition of a done package.

    Side effects: one conditional UPDATE of `published`. Publishing is refused for a
    package that is not `publishable` when the UPDATE runs (the condition is in its
    WHERE clause, so an input unpublished at the same moment wins): one compiled before
    packages had a public edition, one taken offline, one carrying an input that is no
    longer public. Unpublishing needs only a done package."""
    if not publish:
        done = RegionalPackage.objects.filter(pk=package.pk, status=RegionalPackage.Status.DONE)
        if not done.update(published=False):
            raise PackageRefused(_("Only a finished package can be published."))
        return
    if RegionalPackage.objects.publishable().filter(pk=package.pk).update(published=True):
        return
    package.refresh_from_db()
    if package.status != RegionalPackage.Status.DONE:
        raise PackageRefused(_("Only a finished package can be published."))
    if not package.public_file:
        raise PackageRefused(
            _("This version has no public edition: compile a new version and publish it.")
        )
    raise PackageRefused(
        _(
            "An input in this version's public edition is no longer public: compile a "
            "new version and publish it."
        )
    )


# How long a signed link to a review edition works (`review_edition_link`).
REVIEW_EDITION_LINK_DAYS = 30
_REVIEW_EDITION_SALT = "reviews.review-edition"


def review_edition_link(package: RegionalPackage) -> str:
    """A signed token for the review edition of `package`, for the review's organisers
    (people without an account); it works for REVIEW_EDITION_LINK_DAYS days."""
    return signing.dumps({"package": package.pk}, salt=_REVIEW_EDITION_SALT, compress=True)


def review_edition_link_package(token: str) -> int:
    """The package id a `review_edition_link` token names. Raises BadSignature (or
    SignatureExpired, a subclass) for a token that was altered or is too old."""
    data = signing.loads(
        token, salt=_REVIEW_EDITION_SALT, max_age=datetime.timedelta(days=REVIEW_EDITION_LINK_DAYS)
    )
    return int(data["package"])


def edition_rows(package: RegionalPackage) -> list[dict]:
    """Per input of the review edition: whether the public edition carries it, and if
    not, why (read from the input now, for the compiler's page)."""
    public = set(package.public_input_versions.values_list("pk", flat=True))
    rows = []
    for version in package.input_versions.select_related("input__lead_iscm").order_by(
        "input__lead_iscm__acronym", "input_id"
    ):
        written_input = version.input
        if version.pk in public:
            reason = ""
        elif not written_input.publication_consent:
            reason = _("the lead ISCM has not consented to publication")
        elif written_input.status != Status.PUBLISHED:
            reason = _("not published")
        else:
            reason = _("published after this version was compiled: compile a new version")
        rows.append({"version": version, "public": version.pk in public, "reason": reason})
    return rows


def take_public_editions_offline(*, by=None) -> list[RegionalPackage]:
    """Find every published package whose public edition carries an input that is no
    longer public (unpublished, consent withdrawn, withdrawn) and deal with it.

    `RegionalPackage.objects.publicly_available` already stopped serving such an
    edition in the commit that changed the input (its URL answers 410); this records
    it for good. Side effects, per package: a conditional UPDATE sets
    `taken_offline_at` with the reason (if 0 rows, another request got there first and
    this one does nothing more); a new version of the review's package is queued in the
    package's language (it leaves the input out; several languages of one version each
    get theirs, at one new number); after commit, the compilers of the region are
    e-mailed.
    Called by `unpublish_input` below and by the daily command
    `take_public_editions_offline` (a safety net for any other path). Returns the
    packages taken offline."""
    published = RegionalPackage.objects.filter(
        published=True, status=RegionalPackage.Status.DONE, taken_offline_at__isnull=True
    )
    offline = published.exclude(pk__in=RegionalPackage.objects.publicly_available())
    taken = []
    for package in offline.select_related("review__region", "review__cycle"):
        gone = [
            v
            for v in package.public_input_versions.select_related("input__lead_iscm")
            if not is_public(v)
        ]
        if gone:
            reason = _("No longer public: %(inputs)s.") % {
                "inputs": "; ".join(f"{v.input.lead_iscm.acronym} — {v.input.title}" for v in gone)
            }
        else:  # compiled before packages had a public edition
            reason = _("This version has no public edition.")
        with transaction.atomic():
            claimed = RegionalPackage.objects.filter(
                pk=package.pk, taken_offline_at__isnull=True
            ).update(taken_offline_at=timezone.now(), taken_offline_reason=reason)
            if not claimed:
                continue
            # In the same language: the new version replaces this very file.
            new_version, _created = request_compile(
                package.review, language=package.language, by=by
            )
            transaction.on_commit(
                partial(_email_compilers, package.pk, new_version.pk), robust=True
            )
        taken.append(package)
    return taken


def unpublish_input(written_input, *, by, reason: str, expected_version: int | None = None):
    """Take an input off the public portal and its package editions with it.

    Side effects: `submissions.workflow.unpublish_input` (which, on commit, already stops
    every public edition carrying the input from being served); then
    `take_public_editions_offline`. The input's change has happened by then, so a
    failure of the second step is logged, never turned into an error for the person:
    the daily command finishes it."""
    written_input = workflow.unpublish_input(
        written_input, by=by, reason=reason, expected_version=expected_version
    )
    try:
        take_public_editions_offline(by=by)
    except Exception:
        logger.exception(
            "Taking public editions offline after unpublishing %s failed", written_input.pk
        )
    return written_input


def _email_compilers(package_pk: int, new_version_pk: int) -> None:
    tasks.send_package_offline_email.enqueue(package_pk, new_version_pk)
