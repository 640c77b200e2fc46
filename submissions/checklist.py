"""What stops an input from being submitted: the checklist the secretariat sees and
the rule `workflow.submit_input` enforces. One function, so the page and the rule
cannot disagree. Beside it, `submission_warnings`: what the secretariat should look at
first but may submit as it is (the page shows it; the rule never reads it)."""

import datetime
from dataclasses import dataclass

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .carryover import unchanged_fields
from .markup import count_words
from .models import ObjectiveResponse, OutlineSection, WrittenInput

# The element that holds the target reviews on the details page (crispy's wrapper id).
TARGETS_ANCHOR = "div_id_target_reviews"


@dataclass(frozen=True)
class Problem:
    message: str
    page: str  # "content" or "details": the edit page that fixes it
    anchor: str  # the element on that page, e.g. "section-3"


def objective_words(response: ObjectiveResponse) -> int:
    return sum(count_words(getattr(response, field)) for field in ObjectiveResponse.TEXT_FIELDS)


def submission_problems(
    written_input: WrittenInput, today: datetime.date, *, first_submission: bool = True
) -> list[Problem]:
    """Everything missing or wrong for a submission on `today`, in page order. Load the
    input through `snapshots.content_queryset()` (no further queries). Deadlines bind
    the first submission only: a resubmission answers a reviewer's change request."""
    problems = []
    bodies = {r.section_id: r.body for r in written_input.section_responses.all()}
    for section in written_input.cycle.outline.sections.all():
        anchor = f"section-{section.number}"
        if section.kind == OutlineSection.Kind.OBJECTIVES:
            problems += _objective_problems(written_input, section)
            continue
        body = bodies.get(section.pk, "")
        filled = bool(body.strip())
        if section.kind == OutlineSection.Kind.PRINCIPLES:
            filled = filled or bool(written_input.principles.all())
        if section.required and not filled:
            problems.append(
                Problem(
                    _("Section %(number)s “%(title)s” is required and still empty.")
                    % {"number": section.number, "title": section.title},
                    "content",
                    anchor,
                )
            )
        words = count_words(body)
        if section.word_limit and words > section.word_limit:
            problems.append(
                Problem(
                    _(
                        "Section %(number)s “%(title)s” has %(words)s words; "
                        "the limit is %(limit)s."
                    )
                    % {
                        "number": section.number,
                        "title": section.title,
                        "words": words,
                        "limit": section.word_limit,
                    },
                    "content",
                    anchor,
                )
            )
    problems += _target_problems(written_input, today, check_dates=first_submission)
    return problems


def submission_warnings(written_input: WrittenInput) -> list[Problem]:
    """The fields still as they were carried over from an earlier cycle's input
    (`carryover.unchanged_fields`), in page order. A warning, not a block: a text that
    is still true may go as it is. Load the input through
    `snapshots.content_queryset()` with `started_from__input__cycle` selected: no
    further queries."""
    unchanged = unchanged_fields(written_input)
    if not unchanged:
        return []
    years = written_input.started_from.input.cycle.years
    return [
        Problem(
            _("%(field)s is still as carried over from %(cycle)s.")
            % {"field": field.label, "cycle": years},
            "content",
            field.anchor,
        )
        for field in unchanged
    ]


def _objective_problems(written_input, section) -> list[Problem]:
    problems = []
    responses = list(written_input.objective_responses.all())
    if section.required and not any(r.progress.strip() for r in responses):
        problems.append(
            Problem(
                _("Report the progress on at least one GCM objective (section %(number)s).")
                % {"number": section.number},
                "content",
                f"section-{section.number}",
            )
        )
    for response in responses:
        words = objective_words(response)
        if section.word_limit and words > section.word_limit:
            problems.append(
                Problem(
                    _(
                        "Objective %(number)s has %(words)s words; the limit is %(limit)s "
                        "per objective."
                    )
                    % {
                        "number": response.objective.number,
                        "words": words,
                        "limit": section.word_limit,
                    },
                    "content",
                    f"objective-{response.objective.number}",
                )
            )
    return problems


def _target_problems(written_input, today, *, check_dates: bool) -> list[Problem]:
    reviews = sorted(written_input.target_reviews.all(), key=lambda r: r.region.code)
    if not reviews:
        return [Problem(_("Choose at least one regional review."), "details", TARGETS_ANCHOR)]
    covered = {
        region.pk for iscm in written_input.participating_iscms() for region in iscm.regions.all()
    }
    problems = []
    for review in reviews:
        code = review.region.code
        deadline = written_input.deadline_for(review)
        if not check_dates:
            pass
        elif review.submission_opens is None or deadline is None:
            problems.append(
                Problem(
                    _("The %(region)s review is not scheduled yet: it takes no inputs.")
                    % {"region": code},
                    "details",
                    TARGETS_ANCHOR,
                )
            )
        elif today < review.submission_opens:
            problems.append(
                Problem(
                    _("The %(region)s review opens for inputs on %(date)s.")
                    % {"region": code, "date": date_format(review.submission_opens)},
                    "details",
                    TARGETS_ANCHOR,
                )
            )
        elif today > deadline:
            problems.append(
                Problem(
                    _(
                        "The deadline of the %(region)s review passed on %(date)s. Ask IOM "
                        "for an extension, or remove this review."
                    )
                    % {"region": code, "date": date_format(deadline)},
                    "details",
                    TARGETS_ANCHOR,
                )
            )
        if review.region_id not in covered:
            problems.append(
                Problem(
                    _(
                        "%(region)s is not covered by %(iscms)s: add a partner ISCM whose "
                        "member States are in %(region)s, or remove this review."
                    )
                    % {
                        "region": code,
                        "iscms": ", ".join(i.acronym for i in written_input.participating_iscms()),
                    },
                    "details",
                    TARGETS_ANCHOR,
                )
            )
    return problems
