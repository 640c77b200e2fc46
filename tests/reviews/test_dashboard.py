"""The staff dashboards (reviews/views/dashboard.py): a regional review's synthesis
dashboard and its CSV, the regions of a cycle side by side; who may open them, what
they show and what they cost in queries."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from lxml import html

from reviews import coverage
from submissions.models import WrittenInput

from ..factories import ISCMFactory, MembershipFactory
from .coverage_world import TODAY, build_coverage_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def coverage_world(world, make_input):
    return build_coverage_world(world, make_input)


def _url(review, name="reviews:dashboard"):
    return reverse(name, args=[review.cycle.slug, review.region.code])


def _page(client, user, url):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return html.fromstring(response.content.decode())


def _standings(tree):
    """ISCM → (state, input cell text, days cell text, extension cell text)."""
    table = tree.xpath("//section[@aria-labelledby='standings-heading']//table")[0]
    return {
        row.xpath("string(th)").strip(): tuple(
            " ".join(td.text_content().split()) for td in row.xpath("td")
        )
        for row in table.xpath("tbody/tr")
    }


def test_the_reviewer_sees_every_iscm_of_the_region_with_its_state(client, coverage_world):
    world = coverage_world.world
    tree = _page(client, world.reviewer, _url(coverage_world.review))
    rows = _standings(tree)
    states = {name: row[0] for name, row in rows.items()}
    assert states == {
        "LEAD": "Published",
        "X-ACC": "Accepted",
        "X-CHG": "Changes requested",
        "X-DEC": "Declined",
        "X-DRAFT": "Draft",
        "X-NONE": "No input",
        "X-SUB": "Submitted",
    }
    # Another ISCM's draft is never named to a reviewer.
    assert rows["X-DRAFT"][1] == "not yet submitted"
    assert "Still a draft" not in html.tostring(tree, encoding="unicode")
    assert rows["X-SUB"][1] == "Submitted one"
    assert rows["X-SUB"][3] == "30"
    assert rows["X-CHG"][3] == "45"
    assert rows["X-CHG"][4].startswith("extended to")
    totals = [
        (div.xpath("string(.//dt)"), div.xpath("string(.//dd)"))
        for div in tree.xpath("//div[contains(@class, 'dashboard-totals')]//dl")
    ]
    assert totals == [
        ("ISCMs expected", "7"),
        ("Received", "5"),
        ("Accepted", "2"),
        ("Published", "1"),
    ]
    link = tree.xpath("//a[text()='Submitted one']/@href")
    assert link == [reverse("reviews:input", args=[coverage_world.now["sub"].pk])]


def test_the_administrator_sees_draft_titles(client, coverage_world):
    rows = _standings(_page(client, coverage_world.world.admin, _url(coverage_world.review)))
    assert rows["X-DRAFT"][1] == "Still a draft"


def test_a_passed_deadline_says_how_long_ago(client, coverage_world):
    review = coverage_world.review
    review.submission_opens = TODAY - datetime.timedelta(days=400)
    review.deadline = TODAY - datetime.timedelta(days=365)
    review.save()
    rows = _standings(_page(client, coverage_world.world.reviewer, _url(review)))
    assert rows["X-NONE"][3] == "passed 365 days ago"
    assert rows["X-CHG"][3] == "45"  # its extension still runs


def _csv(client, user, review):
    client.force_login(user)
    response = client.get(_url(review, "reviews:dashboard-csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_the_csv_holds_one_row_per_iscm(client, coverage_world):
    rows = {
        row["iscm"]: row
        for row in _csv(client, coverage_world.world.reviewer, coverage_world.review)
    }
    assert list(rows) == ["LEAD", "X-ACC", "X-CHG", "X-DEC", "X-DRAFT", "X-NONE", "X-SUB"]
    assert {name: row["state"] for name, row in rows.items()} == {
        "LEAD": "published",
        "X-ACC": "accepted",
        "X-CHG": "changes_requested",
        "X-DEC": "declined",
        "X-DRAFT": "draft",
        "X-NONE": "nothing",
        "X-SUB": "submitted",
    }
    sub = rows["X-SUB"]
    assert (sub["cycle"], sub["region"]) == (coverage_world.review.cycle.slug, "AMR")
    assert sub["input_title"] == "Submitted one" and sub["lead_iscm"] == "X-SUB"
    assert sub["input_id"] == str(coverage_world.now["sub"].pk)
    assert sub["decision"] == "pending"
    assert sub["deadline"] == coverage_world.review.deadline.isoformat()
    assert sub["days_left"] == "30" and sub["extension"] == ""
    chg = rows["X-CHG"]
    assert chg["extension"] == chg["deadline"] == coverage_world.extension.isoformat()
    assert chg["days_left"] == "45"
    # A draft is counted, never named, for a reviewer.
    assert rows["X-DRAFT"]["input_title"] == rows["X-DRAFT"]["input_id"] == ""
    assert rows["X-NONE"]["input_title"] == "" and rows["X-NONE"]["days_left"] == "30"
    assert rows["LEAD"]["lead_iscm"] == "LEAD"


def test_the_csv_shows_a_formula_like_title_as_text(client, coverage_world):
    WrittenInput.objects.filter(pk=coverage_world.now["sub"].pk).update(
        title='=HYPERLINK("http://example.com")'
    )
    rows = {
        row["iscm"]: row
        for row in _csv(client, coverage_world.world.reviewer, coverage_world.review)
    }
    assert rows["X-SUB"]["input_title"] == '\'=HYPERLINK("http://example.com")'


def _matrix(tree):
    """objective number → {ISCM: [link targets or "" for an unlinked mark]}."""
    table = tree.xpath("//table[contains(@class, 'coverage-matrix')]")[0]
    iscms = [th.xpath("string(abbr)") for th in table.xpath("thead/tr/th")[1:-2]]
    found = {}
    for row in table.xpath("tbody/tr[td]"):
        number = int(row.xpath("string(th)").strip().split(".")[0])
        cells = row.xpath("td")[: len(iscms)]
        found[number] = {
            iscm: [a.get("href") for a in cell.xpath("a")]
            + ["" for _s in cell.xpath("span[@title]")]
            for iscm, cell in zip(iscms, cells, strict=True)
            if cell.xpath("a|span[@title]")
        }
    return found


def test_matrix_cells_link_the_reviewer_to_the_review_page_at_the_objective(
    client, coverage_world
):
    now = coverage_world.now
    tree = _page(client, coverage_world.world.reviewer, _url(coverage_world.review))

    def review_page(key, n):
        return reverse("reviews:input", args=[now[key].pk]) + f"#doc-objective-{n}"

    assert _matrix(tree) == {
        1: {
            "LEAD": [review_page("lead", 1)],
            "X-CHG": [review_page("chg", 1)],
            "PART": [review_page("lead", 1)],
        },
        2: {
            "LEAD": [review_page("lead", 2)],
            "X-ACC": [review_page("acc", 2)],
            "PART": [review_page("lead", 2)],
        },
        3: {"X-SUB": [review_page("sub", 3)]},
    }
    # Per objective, the inputs and the ISCMs.
    table = tree.xpath("//table[contains(@class, 'coverage-matrix')]")[0]
    counts = {
        int(row.xpath("string(th)").strip().split(".")[0]): [
            td.text_content() for td in row.xpath("td")[-2:]
        ]
        for row in table.xpath("tbody/tr[td]")
    }
    assert counts == {1: ["2", "3"], 2: ["2", "3"], 3: ["1", "1"]}


def test_a_compiler_reaches_published_texts_through_their_public_page(
    client, coverage_world, compiler
):
    now = coverage_world.now
    cells = _matrix(_page(client, compiler, _url(coverage_world.review)))
    public = reverse("public:contribution-detail", args=[now["lead"].slug])
    assert cells[1]["LEAD"] == [public + "#doc-objective-1"]
    assert cells[3]["X-SUB"] == [""]  # a compiler does not review: marked, not linked


def _svg_numbers(svg, attribute="font-weight"):
    return [t.text for t in svg.xpath(f".//*[local-name()='text'][@{attribute}]")]


def test_charts_are_svg_with_a_title_and_the_same_numbers_in_a_table(client, coverage_world):
    tree = _page(client, coverage_world.world.reviewer, _url(coverage_world.review))
    svgs = tree.xpath("//*[local-name()='svg']")
    assert len(svgs) == 4  # heat map, round tables, principles, cycle on cycle
    for svg in svgs:
        assert svg.get("role") == "img"
        title_id, desc_id = svg.get("aria-labelledby").split()
        assert svg.xpath(f".//*[local-name()='title'][@id='{title_id}']")[0].text.strip()
        assert svg.xpath(f".//*[local-name()='desc'][@id='{desc_id}']")[0].text.strip()
    by_title = {svg.xpath("string(*[local-name()='title'])"): svg for svg in svgs}
    # Round tables: the bar labels equal the table's inputs column.
    bars = _svg_numbers(by_title["Inputs per round table"])
    table = tree.xpath("//table[@aria-labelledby='round-tables-heading']")[0]
    assert (
        bars
        == [row.xpath("string(td[1])") for row in table.xpath("tbody/tr")]
        == ["0", "2", "2", "1"]
    )
    bars = _svg_numbers(by_title["Inputs per guiding principle"])
    table = tree.xpath("//table[@aria-labelledby='principles-heading']")[0]
    assert bars == [row.xpath("string(td[1])") for row in table.xpath("tbody/tr")] == ["1", "1"]
    # The heat map writes each cell's number: per objective row, the non-empty ones.
    heat = by_title["Coverage heat map"]
    rows = heat.xpath(".//*[local-name()='g'][*[local-name()='text'][@text-anchor='end']]")
    written = {
        row.xpath("string(*[local-name()='text'][@text-anchor='end'])"): [
            t.text for t in row.xpath(".//*[local-name()='g']/*[local-name()='text']")
        ]
        for row in rows
    }
    assert written == {"1": ["1", "1", "1"], "2": ["1", "1", "1"], "3": ["1"]}
    # Cycle on cycle: before and now per objective, as in the table beside.
    cycles = by_title["ISCMs per objective, cycle on cycle"]
    numbers = [t.text for t in cycles.xpath(".//*[local-name()='text'][@text-anchor='end']")]
    table = tree.xpath("//section[@aria-labelledby='change-heading']//table")[0]
    assert (
        numbers
        == [
            n
            for row in table.xpath("tbody/tr")
            for n in (row.xpath("string(td[1])"), row.xpath("string(td[2])"))
        ]
        == ["2", "3", "1", "3", "1", "1"]
    )


def test_the_change_since_the_previous_cycle_is_listed(client, coverage_world):
    tree = _page(client, coverage_world.world.reviewer, _url(coverage_world.review))
    section = tree.xpath("//section[@aria-labelledby='change-heading']")[0]
    lists = {
        h3.text_content(): [" ".join(li.text_content().split()) for li in h3.getnext().xpath("li")]
        for h3 in section.xpath(".//h3")
    }
    assert lists == {
        "Covered by more ISCMs": ["1. Objective 1 (2 → 3)", "2. Objective 2 (1 → 3)"],
        "Covered by fewer ISCMs": ["None."],
        "Reported in 2024–2025, not yet now": ["X-DEC", "X-NONE"],
    }


@pytest.mark.parametrize("persona", ["reviewer", "admin", "compiler"])
def test_iom_staff_of_the_region_open_the_dashboard(client, coverage_world, compiler, persona):
    user = compiler if persona == "compiler" else getattr(coverage_world.world, persona)
    client.force_login(user)
    for name in ("reviews:dashboard", "reviews:dashboard-csv"):
        assert client.get(_url(coverage_world.review, name)).status_code == 200


@pytest.mark.parametrize("persona", ["lead_user", "partner_user", "other_user", "other_reviewer"])
def test_others_get_404(client, coverage_world, persona):
    client.force_login(getattr(coverage_world.world, persona))
    for name in ("reviews:dashboard", "reviews:dashboard-csv"):
        assert client.get(_url(coverage_world.review, name)).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, coverage_world):
    for name in ("reviews:dashboard", "reviews:dashboard-csv"):
        response = client.get(_url(coverage_world.review, name))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    response = client.get(
        reverse("reviews:dashboard-regions", args=[coverage_world.review.cycle.slug])
    )
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_unknown_cycle_or_region_is_404(client, coverage_world):
    client.force_login(coverage_world.world.admin)
    cycle = coverage_world.review.cycle.slug
    assert client.get(reverse("reviews:dashboard", args=[cycle, "XYZ"])).status_code == 404
    assert (
        client.get(reverse("reviews:dashboard", args=["no-such-cycle", "AMR"])).status_code == 404
    )
    assert (
        client.get(reverse("reviews:dashboard-regions", args=["no-such-cycle"])).status_code == 404
    )


def test_the_regions_side_by_side(client, coverage_world):
    world = coverage_world.world
    tree = _page(
        client, world.other_reviewer, reverse("reviews:dashboard-regions", args=[world.cycle.slug])
    )
    rows = {
        row.xpath("string(th)").split()[0]: [td.text_content() for td in row.xpath("td")]
        for row in tree.xpath("//table/tbody/tr")
    }
    assert rows["AMR"] == ["7", "5", "2", "1", "4", "3/23"]
    assert rows["EUR"] == ["1", "0", "0", "0", "0", "0/23"]
    # Each region's dashboard is linked for whom may open it: AFR's reviewer, AFR's.
    links = tree.xpath("//table//th/a/@href")
    assert links == [reverse("reviews:dashboard", args=[world.cycle.slug, "AFR"])]
    svg = tree.xpath("//*[local-name()='svg']")[0]
    assert svg.get("role") == "img" and svg.xpath("string(*[local-name()='title'])")
    # The bars' numbers are the table's.
    numbers = [t.text for t in svg.xpath(".//*[local-name()='text'][@text-anchor='end']")]
    assert numbers == [
        n for code in ("AFR", "AMR", "EUR") for n in rows[code][0:2] + rows[code][3:4]
    ]


def test_the_regions_page_defaults_to_the_current_cycle(client, coverage_world):
    client.force_login(coverage_world.world.admin)
    response = client.get(reverse("reviews:dashboard-current"))
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "reviews:dashboard-regions", args=[coverage_world.world.cycle.slug]
    )


@pytest.mark.parametrize("persona", ["lead_user", "partner_user"])
def test_the_regions_page_is_404_for_secretariats(client, coverage_world, persona):
    client.force_login(getattr(coverage_world.world, persona))
    assert client.get(reverse("reviews:dashboard-current")).status_code == 404
    url = reverse("reviews:dashboard-regions", args=[coverage_world.world.cycle.slug])
    assert client.get(url).status_code == 404


def test_the_overview_links_the_dashboards(client, coverage_world):
    tree = _page(client, coverage_world.world.reviewer, reverse("reviews:overview"))
    assert reverse(
        "reviews:dashboard-regions", args=[coverage_world.world.cycle.slug]
    ) in tree.xpath("//main//a/@href")


def test_queries_do_not_grow_with_the_inputs(client, coverage_world, make_input, count_queries):
    world = coverage_world.world
    client.force_login(world.reviewer)
    urls = [
        _url(coverage_world.review),
        _url(coverage_world.review, "reviews:dashboard-csv"),
        reverse("reviews:dashboard-regions", args=[world.cycle.slug]),
    ]
    for url in urls:
        count_queries(client, url)  # the first read counts each review from scratch, once
    few = [count_queries(client, url) for url in urls]
    o1, _o2, o3 = world.objectives
    for n in range(5):
        iscm = ISCMFactory(acronym=f"MORE{n}", regions=[world.regions.amr])
        MembershipFactory(user=world.partner_user, iscm=iscm)
        state = ("published", "changes_requested", "submitted", "draft", "accepted")[n]
        make_input(
            f"More {n}", state, lead=iscm, partners=[world.partner], objectives={o1: "a", o3: "b"}
        )
    many = [count_queries(client, url) for url in urls]
    assert many == few
    assert len(coverage.standings(coverage_world.review, public=False).rows) == 12


def test_a_full_cell_links_its_first_inputs_and_counts_the_rest(
    client, coverage_world, make_input
):
    world = coverage_world.world
    o3 = world.objectives[2]
    for n in range(coverage.CELL_SHOWN + 1):
        make_input(f"Sub {n}", "submitted", lead=coverage_world.iscms["SUB"], objectives={o3: "a"})
    tree = _page(client, world.reviewer, _url(coverage_world.review))
    cell = _matrix(tree)[3]["X-SUB"]
    assert len(cell) == coverage.CELL_SHOWN
    table = tree.xpath("//table[contains(@class, 'coverage-matrix')]")[0]
    row = next(r for r in table.xpath("tbody/tr[td]") if r.xpath("string(th)").startswith("3."))
    texts = [" ".join(td.text_content().split()) for td in row.xpath("td")]
    assert any(text.endswith("+2 more inputs") for text in texts), texts
    assert texts[-2:] == [str(2 + coverage.CELL_SHOWN), "1"]
