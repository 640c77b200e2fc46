"""The demo data set: accounts for every role, an open review round and the published
inputs of the previous round, so `make run` shows real pages, including those that
compare cycles. Never for production: it creates accounts with a published password.
"""

import datetime
import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from submissions import editing, workflow
from submissions.comments import add_review_comment
from submissions.models import (
    ISCM,
    Challenge,
    ContributionFormat,
    GCMObjective,
    GuidingPrinciple,
    InputTarget,
    InputVersion,
    Membership,
    Priority,
    Region,
    RegionalReview,
    ReviewComment,
    ReviewCycle,
    ReviewerAssignment,
    ReviewEvent,
    WrittenInput,
)
from submissions.roles import sync_role_groups

DEMO_FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "demo.json"


class DemoRefused(Exception):
    pass


@dataclass
class DemoAccount:
    email: str
    password: str
    role: str
    created: bool


def load_demo_data(today: datetime.date, path: Path = DEMO_FIXTURE) -> list[DemoAccount]:
    """Create the demo accounts, open the demo review round and record the previous
    round's inputs; idempotent.

    Side effects, in one transaction: creates missing demo users (an existing one keeps
    its password, name and interface language), their memberships and region
    assignments, and syncs their role groups; makes the demo cycle the current one; gives
    the cycle's regional reviews dates relative to `today` where they have none or where
    the demo's example dates have passed (dates set by hand are kept); gives the previous
    cycle's reviews that have no dates the demo's example dates; creates the demo inputs
    that are missing (by slug) through the same domain functions the pages use, taking
    the steps of their story (submit, decide, publish), which sends their e-mails. A
    previous-cycle input's story happens on days counted from its review's deadline,
    and its rows are dated those days (see `_date_story`). Needs the reference data.
    Refuses to run with DEBUG off.
    """
    if not settings.DEBUG:
        raise DemoRefused(
            "The demo data set is for development only: it creates accounts with a "
            "published password. Refusing to load it with DEBUG off."
        )
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    with transaction.atomic():
        accounts = [_account(entry, data["password"]) for entry in data["accounts"]]
        cycle = _open_cycle(data["open_cycle"], today)
        cycles = {cycle.slug: cycle}
        if "previous_cycle" in data:
            previous = _previous_cycle(data["previous_cycle"])
            cycles[previous.slug] = previous
        for entry in data.get("inputs", []):
            _input(entry, cycles[entry.get("cycle", cycle.slug)], today)
    return accounts


def _account(entry: dict, password: str) -> DemoAccount:
    administrator = entry.get("administrator", False)
    user, created = User.objects.get_or_create(
        email=entry["email"],
        defaults={
            "full_name": entry["full_name"],
            "language": entry.get("language", ""),
            "is_staff": administrator,
            "is_superuser": administrator,
        },
    )
    if created:
        user.set_password(password)
        user.save(update_fields=["password"])
    for slug in entry.get("memberships", []):
        # Each demo secretariat member is their ISCM's only one, so its lead.
        Membership.objects.get_or_create(
            user=user, iscm=ISCM.objects.get(slug=slug), defaults={"is_lead": True}
        )
    for code, role in entry.get("assignments", []):
        ReviewerAssignment.objects.get_or_create(
            user=user, region=Region.objects.get(code=code), role=role
        )
    sync_role_groups(user)
    return DemoAccount(email=user.email, password=password, role=entry["role"], created=created)


def _open_cycle(spec: dict, today: datetime.date) -> ReviewCycle:
    cycle = ReviewCycle.objects.get(slug=spec["cycle"])
    if not cycle.active:
        # Only one cycle may be current (a database constraint): clear the others first.
        ReviewCycle.objects.filter(active=True).update(active=False)
        cycle.active = True
        cycle.save(update_fields=["active"])
    opens = today - datetime.timedelta(days=spec["opens_days_ago"])
    for code, days in spec["deadline_in_days"].items():
        review, _ = RegionalReview.objects.get_or_create(
            cycle=cycle, region=Region.objects.get(code=code)
        )
        # Dates set by hand are kept; the demo's own example dates are renewed once they
        # have passed, so the demo round never expires on a long-lived database.
        expired_example = (
            review.note == spec["note"] and review.deadline and review.deadline < today
        )
        if review.deadline is not None and not expired_example:
            continue
        review.submission_opens = opens
        review.deadline = today + datetime.timedelta(days=days)
        review.meeting_date = review.deadline + datetime.timedelta(
            days=spec["meeting_days_after_deadline"]
        )
        review.note = spec["note"]
        review.save()
    return cycle


def _previous_cycle(spec: dict) -> ReviewCycle:
    """The closed cycle the demo's earlier inputs belong to. Its reviews keep the dates of
    the reference data; one without dates (not verified) gets the demo's example dates,
    since a review without them takes no inputs."""
    cycle = ReviewCycle.objects.get(slug=spec["cycle"])
    for code, dates in spec.get("dates_where_missing", {}).items():
        review, _ = RegionalReview.objects.get_or_create(
            cycle=cycle, region=Region.objects.get(code=code)
        )
        if review.deadline is not None:
            continue
        review.submission_opens = datetime.date.fromisoformat(dates["submission_opens"])
        review.deadline = datetime.date.fromisoformat(dates["deadline"])
        review.meeting_date = datetime.date.fromisoformat(dates["meeting_date"])
        review.note = spec["note"]
        review.save()
    return cycle


def _input(entry: dict, cycle: ReviewCycle, today: datetime.date) -> None:
    if WrittenInput.objects.filter(slug=entry["slug"]).exists():
        return
    # The open cycle's inputs act on `today`; a previous cycle's on days counted from
    # their first target review's deadline ("days_from_deadline", negative before it),
    # so they keep to whatever dates that review has.
    deadline = None
    if "days_from_deadline" in entry:
        first_target = RegionalReview.objects.get(cycle=cycle, region__code=entry["targets"][0])
        deadline = first_target.deadline
    started = timezone.now()
    author = User.objects.get(email=entry["created_by"])
    written_input = editing.create_input(
        by=author,
        cycle=cycle,
        lead_iscm=ISCM.objects.get(slug=entry["lead"]),
        partners=ISCM.objects.filter(slug__in=entry["partners"]),
        targets=RegionalReview.objects.filter(cycle=cycle, region__code__in=entry["targets"]),
        title=entry["title"],
        language=entry["language"],
        basis=entry["basis"],
    )
    WrittenInput.objects.filter(pk=written_input.pk).update(slug=entry["slug"])
    sections = {s.number: s for s in cycle.outline.sections.all()}
    objectives = {o.number: o for o in GCMObjective.objects.all()}
    editing.save_content(
        written_input,
        editing.ContentChanges(
            sections={sections[int(n)].pk: body for n, body in entry["sections"].items()},
            objectives={objectives[int(n)].pk: texts for n, texts in entry["objectives"].items()},
            principles=list(GuidingPrinciple.objects.filter(letter__in=entry["principles"])),
            formats=list(ContributionFormat.objects.filter(slug__in=entry["formats"])),
            priorities=list(Priority.objects.filter(slug__in=entry["priorities"])),
            challenges=list(Challenge.objects.filter(slug__in=entry["challenges"])),
        ),
        by=author,
        expected_version=written_input.version,
    )
    if entry.get("consent"):
        workflow.set_publication_consent(written_input, by=author, consent=True)
    if deadline is not None:
        _date_story(written_input, since=started, day=_day(deadline, entry), order=0)
    for order, step in enumerate(entry["steps"], start=1):
        started = timezone.now()
        day = today if deadline is None else _day(deadline, step)
        _step(written_input, step, day)
        if deadline is not None:
            _date_story(written_input, since=started, day=day, order=order)


def _day(deadline: datetime.date, entry: dict) -> datetime.date:
    return deadline + datetime.timedelta(days=entry["days_from_deadline"])


def _date_story(written_input: WrittenInput, *, since, day: datetime.date, order: int) -> None:
    """Date the rows that the last step of a previous-cycle input wrote (those stamped
    since `since`) on `day`, at a time that keeps the steps of one day in order.

    The domain functions stamp their rows with the current time, which would show an
    input of a cycle closed long ago as created, decided and published today, and sort
    it before the open cycle's inputs in every "newest first" list. The history is
    append-only for the pages; these rows are rewritten inside the transaction that
    creates them, before anyone can have read them.
    """
    moment = timezone.make_aware(
        datetime.datetime.combine(day, datetime.time(9)) + datetime.timedelta(minutes=order)
    )
    mine = {"input": written_input}
    ReviewEvent.objects.filter(**mine, created_at__gte=since).update(created_at=moment)
    InputVersion.objects.filter(**mine, created_at__gte=since).update(created_at=moment)
    ReviewComment.objects.filter(**mine, created_at__gte=since).update(created_at=moment)
    ReviewComment.objects.filter(**mine, released_at__gte=since).update(released_at=moment)
    InputTarget.objects.filter(writteninput=written_input, decided_at__gte=since).update(
        decided_at=moment
    )
    inputs = WrittenInput.objects.filter(pk=written_input.pk)
    inputs.filter(created_at__gte=since).update(created_at=moment)
    inputs.filter(published_at__gte=since).update(published_at=moment)
    inputs.update(updated_at=moment)


def _step(written_input: WrittenInput, step: dict, day: datetime.date) -> None:
    """One action of a demo input's story, on `day`, through the same functions as the
    pages."""
    actor = User.objects.get(email=step["by"])
    action = step["action"]
    if action == "submit":
        workflow.submit_input(written_input, by=actor, today=day)
    elif action == "comment":
        section = None
        if "section" in step:
            section = written_input.cycle.outline.sections.get(number=step["section"])
        add_review_comment(
            written_input,
            by=actor,
            body=step["body"],
            internal=step.get("internal", False),
            section=section,
        )
    elif action == "request_changes":
        workflow.request_changes(
            written_input, by=actor, message=step["message"], reviews=_reviews(written_input, step)
        )
    elif action == "accept":
        workflow.accept_input(written_input, by=actor, reviews=_reviews(written_input, step))
    elif action == "publish":
        workflow.publish_input(written_input, by=actor)
    else:
        raise ValueError(f"Unknown demo step {action!r}")


def _reviews(written_input: WrittenInput, step: dict):
    """The target reviews a decision step is for: those of the regions it names under
    "reviews" (a reviewer of several regions may decide for one and leave the others
    pending), or None for every pending one of the reviewer's regions, as the pages do."""
    if "reviews" not in step:
        return None
    return list(written_input.target_reviews.filter(region__code__in=step["reviews"]))
