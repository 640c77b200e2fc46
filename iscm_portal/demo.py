"""The demo data set: accounts for every role and an open review round, so `make run`
shows real pages. Never for production: it creates accounts with a published password.
"""

import datetime
import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from accounts.models import User
from submissions import editing, workflow
from submissions.comments import add_review_comment
from submissions.models import (
    ISCM,
    Challenge,
    ContributionFormat,
    GCMObjective,
    GuidingPrinciple,
    Membership,
    Priority,
    Region,
    RegionalReview,
    ReviewCycle,
    ReviewerAssignment,
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
    """Create the demo accounts and open the demo review round; idempotent.

    Side effects, in one transaction: creates missing demo users (an existing one keeps
    its password, name and interface language), their memberships and region
    assignments, and syncs their role groups; makes the demo cycle the current one; gives
    the cycle's regional reviews dates relative to `today` where they have none or where
    the demo's example dates have passed (dates set by hand are kept); creates
    the demo inputs that are missing (by slug) through the same domain functions the
    pages use, submitting those marked so (which sends the submission e-mails).
    Needs the reference data. Refuses to run with DEBUG off.
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
        for entry in data.get("inputs", []):
            _input(entry, cycle, today)
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


def _input(entry: dict, cycle: ReviewCycle, today: datetime.date) -> None:
    if WrittenInput.objects.filter(slug=entry["slug"]).exists():
        return
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
    for step in entry["steps"]:
        _step(written_input, step, today)


def _step(written_input: WrittenInput, step: dict, today: datetime.date) -> None:
    """One action of a demo input's story, through the same functions as the pages."""
    actor = User.objects.get(email=step["by"])
    action = step["action"]
    if action == "submit":
        workflow.submit_input(written_input, by=actor, today=today)
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
