"""reviews/coverage.py: who was expected and where each stands, the objectives × ISCMs
matrix and its counts, the change since the previous cycle, the regions side by side."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reviews import coverage
from submissions import editing, workflow
from submissions.models import Decision, Status

from ..factories import ISCMFactory, MembershipFactory
from .coverage_world import TODAY, build_coverage_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def coverage_world(world, make_input):
    return build_coverage_world(world, make_input)


@pytest.mark.parametrize(
    ("status", "decision", "state"),
    [
        ("draft", "pending", "draft"),
        ("submitted", "pending", "submitted"),
        ("changes_requested", "pending", "changes_requested"),  # another review asked
        ("changes_requested", "changes_requested", "changes_requested"),
        ("submitted", "accepted", "accepted"),  # accepted here, others still deciding
        ("accepted", "accepted", "accepted"),
        ("accepted", "declined", "declined"),  # another review accepted it
        ("published", "accepted", "published"),
        ("published", "declined", "declined"),
        ("declined", "declined", "declined"),
    ],
)
def test_state_for_reads_the_status_through_this_reviews_decision(status, decision, state):
    assert coverage.state_for(Status(status), Decision(decision)) == state


def _by_acronym(rows):
    return {row.iscm.acronym: row for row in rows}


def test_staff_standings_give_every_iscm_of_the_region_its_state(coverage_world):
    result = coverage.standings(coverage_world.review, public=False, today=TODAY)
    rows = _by_acronym(result.rows)
    assert {name: row.state for name, row in rows.items()} == {
        "LEAD": "published",
        "X-ACC": "accepted",
        "X-CHG": "changes_requested",
        "X-DEC": "declined",
        "X-DRAFT": "draft",
        "X-NONE": "nothing",  # its only input was withdrawn
        "X-SUB": "submitted",
    }
    assert [row.iscm.acronym for row in result.rows] == sorted(rows)  # PART is EUR's
    assert rows["X-NONE"].input is None
    assert rows["X-SUB"].input.title == "Submitted one"
    assert rows["X-DEC"].decision == "declined"
    deadline = coverage_world.review.deadline
    assert rows["X-SUB"].deadline == deadline and rows["X-SUB"].extension is None
    assert rows["X-SUB"].days_left == (deadline - TODAY).days == 30
    assert rows["X-CHG"].extension == rows["X-CHG"].deadline == coverage_world.extension
    assert rows["X-CHG"].days_left == 45
    assert rows["X-NONE"].days_left == 30
    totals = result.totals
    assert (totals.expected, totals.received, totals.accepted, totals.published) == (7, 5, 2, 1)
    assert totals.by_state == {
        "nothing": 1,
        "draft": 1,
        "declined": 1,
        "changes_requested": 1,
        "submitted": 1,
        "accepted": 1,
        "published": 1,
    }


def test_public_standings_say_only_published_or_not(coverage_world):
    result = coverage.standings(coverage_world.review, public=True, today=TODAY)
    states = {row.iscm.acronym: row.state for row in result.rows}
    assert states == dict.fromkeys(states, "nothing") | {"LEAD": "published"}
    for row in result.rows:
        assert row.decision is None and row.extension is None
        assert row.input is None or row.input.status == "published"
    assert result.totals.received is None and result.totals.accepted is None
    assert result.totals.by_state == {"nothing": 6, "published": 1}


def _cells(result):
    """objective number → {acronym: [titles]} for the non-empty cells."""
    return {
        row.objective.number: {
            iscm.acronym: [ref.title for ref in cell.examples]
            for iscm, cell in zip(result.iscms, row.cells, strict=True)
            if cell.count
        }
        for row in result.objective_rows
    }


def test_staff_coverage_counts_what_the_review_received_and_did_not_decline(coverage_world):
    result = coverage.coverage(coverage_world.review, public=False)
    names = [iscm.acronym for iscm in result.iscms]
    # The region's ISCMs first, then PART (EUR) as partner of a counted input.
    assert names == ["LEAD", "X-ACC", "X-CHG", "X-DEC", "X-DRAFT", "X-NONE", "X-SUB", "PART"]
    assert coverage_world.world.partner.pk not in result.expected_ids
    assert result.input_count == 4  # LEAD's, X-SUB's, X-CHG's, X-ACC's
    assert {i.acronym for i in result.iscms if i.pk in result.iscm_ids_reporting} == {
        "LEAD",
        "PART",
        "X-SUB",
        "X-CHG",
        "X-ACC",
    }
    # X-CHG counts with what it sent (objective 1), not its unsent objectives 2 and 3.
    assert _cells(result) == {
        1: {"LEAD": ["Lead published"], "X-CHG": ["Changes asked"], "PART": ["Lead published"]},
        2: {"LEAD": ["Lead published"], "X-ACC": ["Accepted one"], "PART": ["Lead published"]},
        3: {"X-SUB": ["Submitted one"]},
    }
    rows = {row.objective.number: row for row in result.objective_rows}
    assert [(rows[n].inputs, rows[n].iscms) for n in (1, 2, 3)] == [(2, 3), (2, 3), (1, 1)]
    tables = {table.round_table.value: table for table in result.round_tables}
    assert list(tables) == [1, 2, 3, 4]
    # The factory puts objective n at round table n % 4 + 1.
    assert (tables[1].inputs, tables[1].covered, tables[1].objectives) == (0, 0, [])
    assert (tables[2].inputs, tables[2].iscms, tables[2].responses) == (2, 3, 2)
    assert (tables[4].inputs, tables[4].iscms, tables[4].covered) == (1, 1, 1)
    assert result.objectives_covered == 3
    # Principle f is only in X-CHG's unsent draft and X-ACC's accepted input.
    assert [(p.letter, n) for p, n in result.principles] == [("a", 1), ("f", 1)]
    assert [(f.slug, n) for f, n in result.formats] == [("events", 1)]
    assert [n for _p, n in result.priorities] == [0]
    assert [n for _c, n in result.challenges] == [0]


def test_changes_requested_input_counts_its_latest_versions_lists(coverage_world):
    """What a version says is read from its snapshot, lists included."""
    world = coverage_world.world
    chg = coverage_world.now["chg"]
    chg.refresh_from_db()
    editing.save_content(
        chg,
        editing.ContentChanges(sections={}, objectives={}, principles=list(world.principles)),
        by=world.partner_user,
        expected_version=chg.version,
    )
    workflow.resubmit_input(chg, by=world.partner_user, today=TODAY)
    chg.refresh_from_db()
    workflow.request_changes(chg, by=world.reviewer, message="Again.")
    result = coverage.coverage(coverage_world.review, public=False)
    assert [(p.letter, n) for p, n in result.principles] == [("a", 2), ("f", 2)]
    rows = {row.objective.number: row for row in result.objective_rows}
    assert [rows[n].inputs for n in (1, 2, 3)] == [2, 3, 2]  # its version 2's objectives


def test_public_coverage_counts_published_inputs_only(coverage_world):
    result = coverage.coverage(coverage_world.review, public=True)
    assert result.input_count == 1
    assert _cells(result) == {
        1: {"LEAD": ["Lead published"], "PART": ["Lead published"]},
        2: {"LEAD": ["Lead published"], "PART": ["Lead published"]},
        3: {},
    }
    assert [(p.letter, n) for p, n in result.principles] == [("a", 1), ("f", 0)]


def test_change_since_the_previous_cycle(coverage_world):
    staff = coverage.change_since_previous(coverage_world.review, public=False)
    assert staff.previous == coverage_world.previous  # 2024, not 2020
    changes = {c.objective.number: (c.before, c.now, c.delta) for c in staff.objectives}
    # Before: o1 LEAD and X-NONE, o2 X-DEC, o3 X-NONE.
    assert changes == {1: (2, 3, 1), 2: (1, 3, 2), 3: (1, 1, 0)}
    assert [c.objective.number for c in staff.more] == [1, 2]
    assert staff.fewer == []
    assert [iscm.acronym for iscm in staff.not_yet] == ["X-DEC", "X-NONE"]

    public = coverage.change_since_previous(coverage_world.review, public=True)
    changes = {c.objective.number: (c.before, c.now) for c in public.objectives}
    assert changes == {1: (2, 2), 2: (1, 2), 3: (1, 0)}
    assert [c.objective.number for c in public.fewer] == [3]
    assert [iscm.acronym for iscm in public.not_yet] == ["X-DEC", "X-NONE"]


def test_the_first_cycle_has_no_previous_review(coverage_world):
    change = coverage.change_since_previous(coverage_world.older, public=False)
    assert change.previous is None and change.not_yet == []
    assert {c.before for c in change.objectives} == {0}


def test_cross_region_puts_the_cycles_reviews_side_by_side(coverage_world):
    staff = {
        s.review.region.code: s
        for s in coverage.cross_region(coverage_world.world.cycle, public=False)
    }
    assert list(staff) == ["AFR", "AMR", "EUR"]
    amr = staff["AMR"]
    assert (amr.expected, amr.received, amr.accepted, amr.published) == (7, 5, 2, 1)
    assert (amr.inputs, amr.objectives_covered) == (4, 3)
    assert (staff["EUR"].expected, staff["EUR"].inputs) == (1, 0)
    public = {
        s.review.region.code: s
        for s in coverage.cross_region(coverage_world.world.cycle, public=True)
    }
    assert (public["AMR"].received, public["AMR"].published, public["AMR"].inputs) == (None, 1, 1)
    assert public["AMR"].objectives_covered == 2


def _queries(function):
    with CaptureQueriesContext(connection) as queries:
        function()
    return len(queries)


def test_queries_do_not_grow_with_the_number_of_inputs(coverage_world, make_input):
    world = coverage_world.world
    review = coverage_world.review
    calls = {
        "staff": lambda: coverage.dashboard(review, public=False, today=TODAY),
        "public": lambda: coverage.dashboard(review, public=True, today=TODAY),
        "regions": lambda: coverage.cross_region(world.cycle, public=False),
    }
    for call in calls.values():
        call()  # the first read counts each review from scratch, once
    few = {name: _queries(call) for name, call in calls.items()}
    o1, _o2, o3 = world.objectives
    for n in range(6):
        iscm = ISCMFactory(acronym=f"MORE{n}", regions=[world.regions.amr])
        MembershipFactory(user=world.partner_user, iscm=iscm)
        state = ("published", "changes_requested", "submitted")[n % 3]
        make_input(
            f"More {n}",
            state,
            lead=iscm,
            partners=[world.partner],
            objectives={o1: "a", o3: "b"},
            principles=world.principles,
        )
    many = {name: _queries(call) for name, call in calls.items()}
    assert many == few
    # Staff dashboard, 11: the previous review; the two reviews' kept numbers, whether
    # they were counted and the numbers, with the standings (2); the region's ISCMs;
    # objectives and the four lists (5); the named inputs; the ISCMs. Public: the same.
    # Regions: no previous review, no reference rows, no cells.
    assert few == {"staff": 11, "public": 11, "regions": 6}
    assert coverage.dashboard(review, public=False).coverage.input_count == 10


@pytest.mark.parametrize("public", [False, True])
def test_the_dashboard_counts_as_coverage_does_beside_the_previous_review(coverage_world, public):
    """The dashboard reads both reviews in the same queries; the previous review's
    inputs (LEAD's chose principle f then) never count for this one."""
    review = coverage_world.review
    together = coverage.dashboard(review, public=public, today=TODAY)
    assert together.coverage == coverage.coverage(review, public=public)
    assert together.standings == coverage.standings(review, public=public, today=TODAY)
    before = coverage.coverage(coverage_world.previous, public=public)
    assert [(p.letter, n) for p, n in before.principles] == [("a", 0), ("f", 1)]


def test_a_cell_names_its_first_inputs_and_counts_the_others(coverage_world, make_input):
    world = coverage_world.world
    o1 = world.objectives[0]
    made = [
        make_input(f"Sub {n}", "submitted", lead=coverage_world.iscms["SUB"], objectives={o1: "a"})
        for n in range(coverage.CELL_EXAMPLES + 2)
    ]
    result = coverage.dashboard(coverage_world.review, public=False, today=TODAY)
    column = [i.acronym for i in result.coverage.iscms].index("X-SUB")
    cell = result.coverage.objective_rows[0].cells[column]
    shown, count = coverage.CELL_SHOWN, coverage.CELL_EXAMPLES + 2
    assert (cell.count, cell.more) == (count, count - shown)
    assert [ref.pk for ref in cell.examples] == [i.pk for i in made[:shown]]
    # The previous cycle's matrix gives numbers only: none of its inputs is named.
    named = {ref.pk for ref in result.named_inputs}
    assert named and not named & {i.pk for i in coverage_world.before.values()}
    standing = {row.iscm.acronym: row for row in result.standings.rows}["X-SUB"]
    assert standing.inputs == 1 + len(made)
    assert standing.input.title == "Submitted one"  # the oldest in its most advanced state
    assert result.coverage.objective_rows[0].inputs == 2 + len(made)
