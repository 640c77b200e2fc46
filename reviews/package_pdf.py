"""Rendering a queued regional package: both editions (review and public) from the
versions the package was created with, through WeasyPrint in pieces assembled into one
PDF (package_parts.py: each input's part cached and rendered in parallel), stored with
their SHA-256.
Called by the task worker (`tasks.compile_package_task`) and `manage.py
compile_package`; what goes in a package and when is decided in `packages.py`.

The editions are rendered under `translation.override(package.language)`: the cover,
contents, overview, headings, running header and footer, bookmarks and metadata
(title, /Lang) are in the package's language, and `<html lang dir>` follows it (right
to left for Arabic); each input keeps its own language and direction
(templates/submissions/_input_document.html marks them).

While it compiles, a heartbeat thread writes `heartbeat_at` every
PACKAGE_HEARTBEAT_SECONDS, so `packages.fail_stale_packages` can tell a dead worker
from a long layout; a compile that finishes after being given up on keeps nothing.
"""

import hashlib
import logging
import uuid
from collections import Counter

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import get_language_bidi, to_locale
from django.utils.translation import gettext as _

from submissions.models import ISCM, ContentLanguage, GCMObjective, RoundTable
from submissions.snapshots import objectives_by_round_table

from . import package_parts
from .heartbeat import Heartbeat
from .models import RegionalPackage
from .package_assembly import page_count

logger = logging.getLogger(__name__)

REVIEW_EDITION = RegionalPackage.Edition.REVIEW
PUBLIC_EDITION = RegionalPackage.Edition.PUBLIC


def _progress(package, stage, percent, **fields):
    RegionalPackage.objects.filter(pk=package.pk).update(
        stage=stage, percent=percent, heartbeat_at=timezone.now(), **fields
    )


def _this_run(package_pk: int, run_started):
    """The package while this run still owns it: running, and claimed at
    `run_started`. A run given up on and retried is another run (a later claim), which
    an old worker finishing late must not mark done or failed, nor keep alive."""
    return RegionalPackage.objects.filter(
        pk=package_pk, status=RegionalPackage.Status.RUNNING, started_at=run_started
    )


def compile_package(package_pk: int) -> RegionalPackage:
    """Render one queued package and store it.

    Side effects: claims the package with a conditional UPDATE (queued → running; if 0
    rows change another worker has it, and this call does nothing); beats a heartbeat
    and records stage and percent as it goes; renders the input versions the package
    was created with (later versions of an input wait for the next package); stores the
    PDF through Django's storage API under a random name with its sha256, page count
    and size (both editions assembled from pieces, each input's part taken from the
    parts cache or rendered and stored there: package_parts.py); marks it done,
    unless it was given up on meanwhile (then the file is deleted). Any error marks it
    failed with the error text (the compiler can retry); nothing half-written is kept.
    """
    now = timezone.now()  # also names this run (see _this_run)
    claimed = RegionalPackage.objects.filter(
        pk=package_pk, status=RegionalPackage.Status.QUEUED
    ).update(
        status=RegionalPackage.Status.RUNNING,
        started_at=now,
        heartbeat_at=now,
        stage=_("Preparing the contents"),
        percent=5,
    )
    package = RegionalPackage.objects.select_related("review__region", "review__cycle").get(
        pk=package_pk
    )
    if not claimed:
        return package
    name = None
    heartbeat = Heartbeat(
        f"package-{package.pk}",
        settings.PACKAGE_HEARTBEAT_SECONDS,
        lambda: _this_run(package.pk, now).update(heartbeat_at=timezone.now()),
    )
    heartbeat.start()
    names = []
    try:
        fields = {}
        # Only the rendering is in the package's language: the stages and errors are for
        # the compiler's page.
        with translation.override(package.language):
            # Both editions from the same contents, layout and run; the public one never
            # sees an input that is not in `public_input_versions`.
            contexts = {
                edition: package_context(package, edition=edition)
                for edition in (REVIEW_EDITION, PUBLIC_EDITION)
            }
        _progress(package, _("Laying out the pages"), 20)
        with (
            translation.override(package.language),
            package_parts.render_pool(list(contexts.values()), package.language) as renderer,
        ):
            # Each input's part, from the cache or rendered in parallel: shared by both
            # editions (package_parts.py).
            parts = package_parts.input_parts(
                list(contexts.values()), package.language, renderer=renderer
            )
            _progress(package, _("Laying out the pages"), 60)
            # Both editions side by side (package_parts.py).
            pdfs = package_parts.edition_pdfs(contexts, parts, renderer)
        for edition, prefix in ((REVIEW_EDITION, ""), (PUBLIC_EDITION, "public_")):
            pdf = pdfs[edition]
            name = default_storage.save(
                f"packages/{package.review_id}/{uuid.uuid4().hex}.pdf", ContentFile(pdf)
            )
            names.append(name)
            fields.update(
                {
                    f"{prefix}file": name,
                    f"{prefix}sha256": hashlib.sha256(pdf).hexdigest(),
                    # qpdf, not pypdf: 15 ms for 360 pages rather than 200.
                    f"{prefix}page_count": page_count(pdf),
                    f"{prefix}size": len(pdf),
                }
            )
        _progress(package, _("Storing the file"), 90)
        finished = _this_run(package.pk, now).update(
            status=RegionalPackage.Status.DONE,
            stage="",
            percent=100,
            finished_at=timezone.now(),
            **fields,
        )
        if not finished:  # given up on as stalled meanwhile: keep nothing
            logger.warning("Package %s finished after being marked failed", package.pk)
            for name in names:
                default_storage.delete(name)
    except Exception as error:
        logger.exception("Package %s failed", package.pk)
        for name in names:
            default_storage.delete(name)
        _this_run(package.pk, now).update(
            status=RegionalPackage.Status.FAILED,
            error=f"{type(error).__name__}: {error}"[:2000],
            finished_at=timezone.now(),
        )
    finally:
        heartbeat.stop()
    package.refresh_from_db()
    return package


def package_context(package: RegionalPackage, *, edition: str = REVIEW_EDITION) -> dict:
    """Everything templates/pdf/package.html shows for one edition, from the versions
    that edition includes (the public one: `public_input_versions` only). Call it under
    `translation.override(package.language)`: the names and labels it reads resolve to
    the active language."""
    included = (
        package.public_input_versions if edition == PUBLIC_EDITION else package.input_versions
    )
    versions = sorted(
        included.select_related("input__lead_iscm"),
        key=lambda v: (v.input.lead_iscm.acronym, v.input_id),
    )
    documents = [
        {
            "version": version,
            "doc": version.snapshot,
            "objective_groups": objectives_by_round_table(version.snapshot["objectives"]),
            # Element ids stay unique when several inputs share one document.
            "id_prefix": f"input-{version.input_id}-",
        }
        for version in versions
    ]
    annexes, files = _annexes(documents)
    right_to_left = get_language_bidi()
    return {
        "package": package,
        "edition": edition,
        # BCP 47 ("zh-Hans"): WeasyPrint writes it as the PDF's /Lang.
        "language_tag": to_locale(package.language).replace("_", "-"),
        "direction": "rtl" if right_to_left else "ltr",
        # What templates/submissions/_input_document.html reads for the portal's words
        # (a request's context processor gives it on pages; there is no request here).
        "LANGUAGE_CODE": package.language,
        "LANGUAGE_BIDI": right_to_left,
        "page_footer": _css_content(
            _("Page %(page)s of %(pages)s"), page="counter(page)", pages="counter(pages)"
        ),
        "review_mark": _css_content(_("For the regional review, not for publication")),
        # The mark sits at the end of the header line: the left in a right-to-left package.
        "review_mark_box": "top-left" if right_to_left else "top-right",
        "review": package.review,
        # The running header of every page after the cover (set from the cover's title).
        "running_title": (
            f"{package.review.region.code} · {package.review.cycle.name} "
            f"({package.review.cycle.years})"
        ),
        "documents": documents,
        "annexes": annexes,
        "attachment_files": files,
        "contributors": _contributors(documents),
        "matrix": _coverage_matrix(documents),
        "counts": _counts(documents),
        "generated": timezone.localdate(),
        "static_base": "/static/",
    }


def _css_content(text: str, **counters: str):
    """A CSS `content` value from a translated text whose %(name)s placeholders become
    CSS functions (`counter(page)`): the translation decides the word order. The text is
    a CSS string (quotes, backslashes and `<` escaped), safe inside `<style>`."""
    marker = "\x00"
    if counters:
        text = text % {name: f"{marker}{name}{marker}" for name in counters}
    split = text.split(marker)
    parts = []
    for index, part in enumerate(split):
        if index % 2:  # odd parts are the placeholders' names
            parts.append(counters[part])
        elif part:
            escaped = part.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ")
            parts.append('"' + " ".join(escaped.splitlines()) + '"')
    return mark_safe(" ".join(parts))  # noqa: S308 (escaped above for a CSS string)


def _annexes(documents) -> tuple[list[dict], dict[int, str]]:
    """Every attachment of the included versions, listed; the PDFs among them embedded
    in the package as file attachments (see docs/architecture.md for why embedded, not
    appended). A file that is missing or unreadable is listed with a note and left out,
    never a failed package. Returns (rows, {attachment id: stored file} to embed)."""
    rows, files = [], {}
    for item in documents:
        doc = item["doc"]
        for attachment in doc["attachments"]:
            stored = attachment.get("file")
            available = bool(stored) and default_storage.exists(stored)
            embedded = available and attachment["content_type"] == "application/pdf"
            if embedded:
                files[attachment["id"]] = stored
            rows.append(
                {
                    "lead": doc["lead"]["acronym"],
                    "attachment": attachment,
                    "embedded": embedded,
                    "missing": not available,
                }
            )
    return rows, files


def _contributors(documents) -> list[dict]:
    rows = []
    for item in documents:
        doc = item["doc"]
        joint = bool(doc["partners"])
        language = doc["language"]
        # The input's language named in the package's language.
        language_name = (
            ContentLanguage(language).label if language in ContentLanguage else language
        )
        for role, iscm in [("lead", doc["lead"]), *(("partner", p) for p in doc["partners"])]:
            rows.append(
                {
                    "iscm": iscm,
                    # The kind named in the package's language (RCP → its label).
                    "kind": ISCM.Kind(iscm["kind"]).label
                    if iscm.get("kind") in ISCM.Kind
                    else iscm.get("kind", ""),
                    "role": role,
                    "joint": joint,
                    "language": language,
                    "direction": doc["direction"],
                    "language_name": language_name,
                    "title": doc["title"],
                }
            )
    return rows


def _coverage_matrix(documents) -> dict:
    """ISCM × objective: which objectives each contributing ISCM reported on, with the
    23 objectives grouped by the four round tables."""
    covered = {}
    for item in documents:
        doc = item["doc"]
        numbers = {o["number"] for o in doc["objectives"]}
        for iscm in [doc["lead"], *doc["partners"]]:
            covered.setdefault(iscm["acronym"], set()).update(numbers)
    objectives = list(GCMObjective.objects.order_by("round_table", "number"))
    groups = []
    for table in RoundTable:
        members = [o for o in objectives if o.round_table == table.value]
        if members:
            groups.append((table, members))
    rows = [
        (acronym, [[o.number in numbers for o in members] for _table, members in groups])
        for acronym, numbers in sorted(covered.items())
    ]
    return {"groups": groups, "rows": rows}


# Each list of a snapshot and, in snapshots that have them, its entries with the name
# in every language (submissions/snapshots.py).
_COUNTED = {
    "formats": "format_entries",
    "priorities": "priority_entries",
    "challenges": "challenge_entries",
}


def _counts(documents) -> dict:
    """How many inputs name each format, priority and challenge: {list: [(entry, n)]},
    an entry being a snapshot entry (its name in English under "name", in every
    language it has under "name_i18n"; the template shows the package's)."""
    counts = {}
    for key, entries_key in _COUNTED.items():
        counter, entries = Counter(), {}
        for item in documents:
            doc = item["doc"]
            for entry in doc.get(entries_key) or [{"name": name} for name in doc[key]]:
                counter[entry["name"]] += 1
                entries.setdefault(entry["name"], entry)
        counts[key] = [(entries[name], total) for name, total in counter.most_common()]
    return counts
