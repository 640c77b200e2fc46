"""Regional submission packages: the inputs one regional review accepted, at the
versions it accepted, compiled in the background into two PDF editions — the review
edition (all of them, "not for publication") and the public edition (the published
ones only, with consent). Only the public edition is ever public.

A package is compiled in one of the six UN languages (the compiler chooses; the
regional review's package language by default): the portal's words in it follow that
language, the inputs keep their own. The same version may be compiled in several
languages, one file each, with the same input versions.

A compiler asks (`request_compile`); the request answers at once with a queued package
and a django-tasks task (`tasks.compile_package_task`) renders it with
`package_pdf.compile_package`. A done package never changes. Imports run one way:
packages → tasks → package_pdf; publication is `editions.py`.

A worker can die mid-compile (killed, out of memory, machine lost): `package_pdf`
beats a heartbeat, and `recover_stale_packages` here, run by the live workers every
beat (reviews/recovery.py) and by every compile request, takes over a running package
whose heartbeat is older than PACKAGE_STALE_SECONDS, or whose worker is known dead: it
is compiled again once automatically, then failed and its compiler told, each step a
line of the package's history. `fail_stale_packages` (PACKAGE_COMPILE_TIMEOUT, the
cron's) stays as the safety net.
"""

import datetime
import logging
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from submissions.models import (
    InputTarget,
    InputVersion,
    RegionalReview,
    Status,
)

from . import tasks
from .heartbeat import fail_stale
from .models import PackageEvent, RegionalPackage

logger = logging.getLogger(__name__)

# Bump when templates/pdf/package.html or print.css change what a package looks like:
# a package with an older layout is then compiled anew even if no input changed.
LAYOUT_VERSION = "3"  # 3: compiled in a chosen language, right to left for Arabic
# Every package compiled before packages had a language was compiled in English.
LEGACY_LANGUAGE = "en"
REVIEW_EDITION = RegionalPackage.Edition.REVIEW
PUBLIC_EDITION = RegionalPackage.Edition.PUBLIC


def accepted_versions(review: RegionalReview) -> list[InputVersion]:
    """The version of each input that `review` accepted (its own decision, not another
    region's), for inputs not withdrawn since: the review edition's contents."""
    accepted = InputTarget.objects.accepted_for(review).values_list(
        "writteninput_id", "decided_version"
    )
    wanted = {input_id: number for input_id, number in accepted if number}
    versions = InputVersion.objects.filter(input_id__in=wanted).select_related("input__lead_iscm")
    chosen = [v for v in versions if wanted[v.input_id] == v.number]
    return sorted(chosen, key=lambda v: (v.input.lead_iscm.acronym, v.input_id))


def is_public(version: InputVersion) -> bool:
    """Whether `version` may be in a public edition: its input is published at that
    version with the lead ISCM's consent (the same rule as
    `RegionalPackage.objects.publicly_available`)."""
    written_input = version.input
    return (
        written_input.status == Status.PUBLISHED
        and written_input.publication_consent
        and written_input.published_version == version.number
    )


def public_versions(versions: list[InputVersion]) -> list[InputVersion]:
    """The public edition's contents among the review edition's `versions`."""
    return [v for v in versions if is_public(v)]


def package_languages() -> list[str]:
    """The language codes a package may be compiled in: the portal's six."""
    return [code for code, _name in settings.LANGUAGES]


def request_compile(review: RegionalReview, *, language: str | None = None, by=None, enqueue=True):
    """Ask for the package of `review` in `language` (default: the review's package
    language). Returns (package, created).

    Side effects: under a lock on the review row (so two compilers asking at once get
    one version number each, never the same):
    - the latest version (done or on its way, in any language) has the same input
      versions and layout: if it exists in `language`, returns it with created=False
      and changes nothing; if it failed in `language`, queues it again; otherwise
      creates `language` at that version number, with the same input versions;
    - otherwise, if one of the last versions in `language` has them, returns it with
      created=False (the inputs went back to what that version carries);
    - otherwise creates version n+1 in `language`, queued, with the accepted input
      versions.
    A created or re-queued package's task is enqueued after commit.
    """
    language = language or review.default_package_language
    if language not in package_languages():
        raise ValueError(f"Not a package language: {language!r}")
    # A compile whose worker died must neither block a new one nor pass for one on its
    # way ("nothing changed").
    recover_stale_packages()
    fail_stale_packages()
    with transaction.atomic():
        RegionalReview.objects.select_for_update().get(pk=review.pk)
        versions = accepted_versions(review)
        public = public_versions(versions)
        wanted = ({v.pk for v in versions}, {v.pk for v in public})
        live = review.packages.filter(
            status__in=[RegionalPackage.Status.DONE, *_in_progress()],
            taken_offline_at__isnull=True,
        ).prefetch_related("input_versions", "public_input_versions")

        def same_contents(package):
            has = (
                {v.pk for v in package.input_versions.all()},
                {v.pk for v in package.public_input_versions.all()},
            )
            return has == wanted and package.template_version == LAYOUT_VERSION

        latest = live.order_by("-number", "pk").first()
        if latest is not None and same_contents(latest):
            package = _in_language(review, latest.number, language)
            if package is None:
                return _create(review, latest.number, language, versions, public, by, enqueue)
            if package.status == RegionalPackage.Status.FAILED:
                return retry_compile(package, enqueue=enqueue), True
            if package.taken_offline_at is None:
                return package, False
            # Taken offline at that number: a new version, below.
        for package in live.filter(language=language).order_by("-number")[:3]:
            if same_contents(package):
                return package, False
        number = (review.packages.aggregate(last=Max("number"))["last"] or 0) + 1
        return _create(review, number, language, versions, public, by, enqueue)


def _in_language(review, number, language) -> RegionalPackage | None:
    return review.packages.filter(number=number, language=language).first()


def _create(review, number, language, versions, public, by, enqueue):
    package = RegionalPackage.objects.create(
        review=review,
        number=number,
        language=language,
        created_by=by,
        template_version=LAYOUT_VERSION,
        stage=_("Waiting for a worker"),
    )
    package.input_versions.set(versions)
    package.public_input_versions.set(public)
    if enqueue:
        _enqueue_after_commit(package)
    return package, True


def retry_compile(package: RegionalPackage, *, enqueue: bool = True) -> RegionalPackage:
    """Queue a failed package again (same version number, language and contents)."""
    reset = RegionalPackage.objects.filter(
        pk=package.pk, status=RegionalPackage.Status.FAILED
    ).update(
        status=RegionalPackage.Status.QUEUED,
        error="",
        percent=0,
        stage=_("Waiting for a worker"),
        queued_at=timezone.now(),  # fail_stale's "no worker took it" counts from here
        started_at=None,
        heartbeat_at=None,
        finished_at=None,
        attempt=1,
    )
    if reset and enqueue:
        _enqueue_after_commit(package)
    package.refresh_from_db()
    return package


def _in_progress():
    return [RegionalPackage.Status.QUEUED, RegionalPackage.Status.RUNNING]


def _enqueue_after_commit(package):
    transaction.on_commit(partial(tasks.compile_package_task.enqueue, package.pk), robust=True)


def fail_stale_packages(now: datetime.datetime | None = None) -> int:
    """Mark running packages whose worker shows no sign of life as failed.

    Side effects: two conditional UPDATEs — running with a heartbeat older than
    PACKAGE_COMPILE_TIMEOUT, and queued for longer than PACKAGE_QUEUE_TIMEOUT (no
    worker took it: the task was lost, or no worker runs) → failed, with a message
    saying so, so the compiler can try again. Returns how many.
    """
    return fail_stale(
        RegionalPackage,
        now=now or timezone.now(),
        never_started=_(
            "No worker started the compile within %(minutes)s minutes. Nothing was "
            "published; try again, and tell the administrator if it happens again."
        ),
        stopped=_(
            "The worker stopped during the compile: no sign of life for %(minutes)s "
            "minutes. Nothing was published; try again."
        ),
    )


# A compile whose worker died is compiled again automatically this many times in all.
AUTOMATIC_ATTEMPTS = 2


def recover_stale_packages(
    now: datetime.datetime | None = None, dead_runs: dict[int, datetime.datetime] | None = None
) -> int:
    """Take over the running packages whose worker died: those whose heartbeat is older
    than PACKAGE_STALE_SECONDS, and those of `dead_runs` ({package pk: when the dead
    worker claimed its task}, from the task rows reaped by iscm_portal/workers.py) whose
    run began just after that claim (the dead worker's own, not a later one) and whose
    heartbeat missed two beats.

    Side effects, per package, with a conditional UPDATE on the run it saw (a run that
    beat or ended meanwhile is left alone, and two workers recovering at once take it
    over once): on its first attempt, queued again as attempt 2 and its task enqueued
    after commit; otherwise failed with the reason, and its compiler e-mailed after
    commit (tasks.send_package_failed_email, through the outbox). Either way a line of
    its history (PackageEvent) says what happened. Returns how many were taken over.
    """
    now = now or timezone.now()
    stale_seconds = settings.PACKAGE_STALE_SECONDS
    missed_beats = now - datetime.timedelta(seconds=2 * settings.PACKAGE_HEARTBEAT_SECONDS)
    dead_runs = dead_runs or {}
    running = RegionalPackage.objects.filter(status=RegionalPackage.Status.RUNNING)
    candidates = running.filter(
        Q(heartbeat_at__lt=now - datetime.timedelta(seconds=stale_seconds))
        | Q(pk__in=list(dead_runs), heartbeat_at__lt=missed_beats)
    ).values("pk", "started_at", "heartbeat_at", "percent", "attempt")
    # The run a dead worker began follows its claim of the task within seconds; a later
    # run (another worker's, after a take-over) begins at least the shorter of the two
    # staleness limits after that claim.
    window = datetime.timedelta(seconds=min(stale_seconds, settings.WORKER_STALE_SECONDS) / 2)
    taken = 0
    for run in candidates:
        claimed = dead_runs.get(run["pk"])
        too_old = run["heartbeat_at"] < now - datetime.timedelta(seconds=stale_seconds)
        the_dead_run = claimed is not None and claimed <= run["started_at"] < claimed + window
        if not too_old and not the_dead_run:
            continue  # not the dead worker's run: not its to give up
        taken += _take_over(run, now)
    return taken


def _take_over(run: dict, now: datetime.datetime) -> int:
    silent = max(1, round((now - (run["heartbeat_at"] or run["started_at"])).total_seconds()))
    named = {"percent": run["percent"], "seconds": silent, "attempt": run["attempt"] + 1}
    this_run = RegionalPackage.objects.filter(
        pk=run["pk"],
        status=RegionalPackage.Status.RUNNING,
        started_at=run["started_at"],
        heartbeat_at=run["heartbeat_at"],
    )
    with transaction.atomic():
        if run["attempt"] < AUTOMATIC_ATTEMPTS:
            message = (
                _(
                    "The worker stopped at %(percent)s %% (no sign of life for %(seconds)s s); "
                    "compiled again automatically (attempt %(attempt)s)."
                )
                % named
            )
            changed = this_run.update(
                status=RegionalPackage.Status.QUEUED,
                attempt=F("attempt") + 1,
                stage=_("Waiting for a worker"),
                percent=0,
                queued_at=now,
                started_at=None,
                heartbeat_at=None,
            )
            after_commit = partial(tasks.compile_package_task.enqueue, run["pk"])
        else:
            message = (
                _(
                    "The worker stopped at %(percent)s %% (no sign of life for %(seconds)s s) "
                    "again after an automatic retry. Nothing was published; try again, and "
                    "tell the administrator if it happens again."
                )
                % named
            )
            changed = this_run.update(
                status=RegionalPackage.Status.FAILED, error=message, finished_at=now
            )
            after_commit = partial(tasks.send_package_failed_email.enqueue, run["pk"])
        if changed:
            PackageEvent.objects.create(
                package_id=run["pk"], at=now, attempt=run["attempt"], message=message
            )
            logger.warning("Package %s taken over: %s", run["pk"], message)
            transaction.on_commit(after_commit, robust=True)
    return changed


def package_filename(package: RegionalPackage, edition: str = REVIEW_EDITION) -> str:
    review = package.review
    suffix = "-public" if edition == PUBLIC_EDITION else "-review"
    return (
        f"{review.region.code}-{review.cycle.slug}-package-v{package.number}"
        f"-{package.language}{suffix}.pdf"
    )


def languages_of_version(package: RegionalPackage) -> list[RegionalPackage]:
    """Every language of `package`'s version, itself included, in the order of
    settings.LANGUAGES (one query)."""
    order = package_languages()
    siblings = package.review.packages.filter(number=package.number)
    return sorted(siblings, key=lambda p: order.index(p.language))


def changes_since_previous(package: RegionalPackage) -> dict | None:
    """Inputs added, removed and updated since the previous done version (None for the
    first one)."""
    previous = (
        package.review.packages.filter(
            status=RegionalPackage.Status.DONE, number__lt=package.number
        )
        .order_by("-number")
        .first()
    )
    if previous is None:
        return None

    def by_input(p):
        return {v.input_id: v for v in p.input_versions.select_related("input")}

    before, after = by_input(previous), by_input(package)
    return {
        "previous": previous,
        "added": [after[i] for i in after.keys() - before.keys()],
        "removed": [before[i] for i in before.keys() - after.keys()],
        "updated": [
            (before[i], after[i])
            for i in after.keys() & before.keys()
            if before[i].number != after[i].number
        ],
    }
