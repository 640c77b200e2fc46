"""A region whose ISCMs stand in every state, and its review of the previous cycle,
for the dashboard tests (reviews/coverage.py, the staff and the public pages): each
test module makes a `coverage_world` fixture of `build_coverage_world`."""

import datetime
from types import SimpleNamespace

from submissions import editing, workflow
from submissions.models import ContributionFormat, ReviewCycle

from ..factories import ISCMFactory, MembershipFactory, RegionalReviewFactory, ReviewCycleFactory

TODAY = datetime.date.today()
SUFFIXES = ("DRAFT", "SUB", "CHG", "ACC", "DEC", "NONE")


def build_coverage_world(world, make_input):
    """AMR's ISCMs: LEAD (published, joint with PART of EUR), X-SUB, X-CHG (its
    live draft now says more than the version reviewers have), X-ACC, X-DEC, X-DRAFT,
    X-NONE (one withdrawn input only). The previous cycle's AMR review has published
    inputs of LEAD, X-NONE and X-DEC."""
    amr = world.regions.amr
    iscms = {name: ISCMFactory(acronym=f"X-{name}", regions=[amr]) for name in SUFFIXES}
    for iscm in iscms.values():  # make_input acts for any lead but LEAD as this person
        MembershipFactory(user=world.partner_user, iscm=iscm)
    o1, o2, o3 = world.objectives
    a, f = world.principles
    events = ContributionFormat.objects.get(slug="events")
    amr_review = world.reviews.amr

    current = world.cycle
    previous_cycle = ReviewCycleFactory(
        outline=world.outline, start_year=2024, end_year=2025, slug="round-before"
    )
    older_cycle = ReviewCycleFactory(
        outline=world.outline, start_year=2020, end_year=2021, slug="round-long-before"
    )
    previous = RegionalReviewFactory(cycle=previous_cycle, region=amr)
    older = RegionalReviewFactory(cycle=older_cycle, region=amr)
    # make_input reads world.cycle when called: point it at the earlier rounds a while.
    world.cycle = previous_cycle
    before = {
        "lead": make_input(
            "Lead before", targets=[previous], objectives={o1: "Then."}, principles=[f]
        ),
        "none": make_input(
            "None before", lead=iscms["NONE"], targets=[previous], objectives={o1: "A", o3: "B"}
        ),
        "dec": make_input(
            "Dec before", lead=iscms["DEC"], targets=[previous], objectives={o2: "C"}
        ),
    }
    world.cycle = older_cycle
    make_input("Far back", lead=iscms["ACC"], targets=[older], objectives={o3: "Old."})
    world.cycle = current
    assert ReviewCycle.objects.filter(active=True).get() == current

    now = {
        "lead": make_input(
            "Lead published",
            partners=[world.partner],
            objectives={o1: "Data.", o2: "Drivers."},
            principles=[a],
            formats=[events],
        ),
        "draft": make_input("Still a draft", "draft", lead=iscms["DRAFT"], objectives={o1: "x"}),
        "sub": make_input("Submitted one", "submitted", lead=iscms["SUB"], objectives={o3: "y"}),
        "chg": make_input(
            "Changes asked", "changes_requested", lead=iscms["CHG"], objectives={o1: "z"}
        ),
        "acc": make_input(
            "Accepted one", "accepted", lead=iscms["ACC"], objectives={o2: "w"}, principles=[f]
        ),
        "dec": make_input("Declined one", "declined", lead=iscms["DEC"], objectives={o3: "v"}),
        "gone": make_input("Withdrawn one", "withdrawn", lead=iscms["NONE"], objectives={o2: "u"}),
    }
    # X-CHG's secretariat is rewriting: objectives 2 and 3 and principle f, not sent yet.
    chg = now["chg"]
    chg.refresh_from_db()
    editing.save_content(
        chg,
        editing.ContentChanges(
            sections={},
            objectives={
                o.pk: {"progress": "New.", "practices": "", "challenges": ""} for o in (o2, o3)
            },
            principles=[f],
        ),
        by=world.partner_user,
        expected_version=chg.version,
    )
    extension = TODAY + datetime.timedelta(days=45)
    workflow.grant_extension(chg, by=world.reviewer, until=extension, today=TODAY, reason="Late")
    return SimpleNamespace(
        world=world,
        iscms=iscms,
        review=amr_review,
        previous=previous,
        older=older,
        before=before,
        now=now,
        extension=extension,
    )
