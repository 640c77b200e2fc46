"""The public synthesis dashboard of a regional review (public/views/dashboard.py):
published contributions only, the same numbers as the open data, links to the
contributions' texts, and a cost in queries that does not grow with the inputs."""

import json
from collections import Counter, defaultdict

import pytest
from django.urls import reverse
from lxml import html

from reviews import coverage
from submissions import workflow

from ...factories import ISCMFactory, MembershipFactory
from ...reviews.coverage_world import build_coverage_world
from ..conftest import body_of

pytestmark = pytest.mark.django_db

UNPUBLISHED = (
    "Still a draft",
    "Submitted one",
    "Changes asked",
    "Accepted one",
    "Declined one",
    "Withdrawn one",
)


@pytest.fixture
def coverage_world(world, make_input):
    return build_coverage_world(world, make_input)


def _url(review):
    return reverse("public:region-dashboard", args=[review.region.code, review.cycle.slug])


def _tree(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return html.fromstring(response.content.decode())


def _open_data(client, review):
    """The open-data records of the contributions to `review`."""
    records = json.loads(body_of(client.get(reverse("public:open-data-json"))))["contributions"]
    return [
        r
        for r in records
        if r["cycle"] == review.cycle.slug and review.region.code in r["regions"]
    ]


def _count_open_data(records):
    """Counted directly over the records: inputs and ISCMs per objective, inputs per
    principle, the ISCMs with a contribution."""
    inputs, iscms = Counter(), defaultdict(set)
    for record in records:
        for number in record["objectives"]:
            inputs[number] += 1
            iscms[number] |= {record["lead_iscm"], *record["partner_iscms"]}
    return {
        "inputs": len(records),
        "per_objective": {n: (inputs[n], len(iscms[n])) for n in inputs},
        "per_principle": Counter(p for r in records for p in r["principles"]),
        "iscms": {i for r in records for i in (r["lead_iscm"], *r["partner_iscms"])},
        "objectives_covered": len(inputs),
    }


def _count_dashboard(result):
    rows = result.coverage.objective_rows
    reporting = result.coverage.iscm_ids_reporting
    return {
        "inputs": result.coverage.input_count,
        "per_objective": {r.objective.number: (r.inputs, r.iscms) for r in rows if r.inputs},
        "per_principle": Counter({p.letter: n for p, n in result.coverage.principles if n}),
        "iscms": {iscm.acronym for iscm in result.coverage.iscms if iscm.pk in reporting},
        "objectives_covered": result.coverage.objectives_covered,
    }


def _count_page(tree):
    matrix = tree.xpath("//table[contains(@class, 'coverage-matrix')]")[0]
    per_objective = {}
    for row in matrix.xpath("tbody/tr[td]"):
        number = int(row.xpath("string(th)").strip().split(".")[0])
        inputs, iscms = (int(td.text_content()) for td in row.xpath("td")[-2:])
        if inputs:
            per_objective[number] = (inputs, iscms)
    principles = tree.xpath("//table[@aria-labelledby='principles-heading']/tbody/tr")
    return {
        "per_objective": per_objective,
        "per_principle": Counter(
            {
                row.xpath("string(th)").strip()[1]: int(row.xpath("string(td)"))
                for row in principles
                if int(row.xpath("string(td)"))
            }
        ),
    }


def test_the_numbers_equal_a_direct_count_over_the_open_data(client, coverage_world, varied):
    """Over the current review (with `varied`'s inputs too) and the previous one."""
    for review in (
        coverage_world.review,
        coverage_world.previous,
        coverage_world.world.reviews.eur,
    ):
        expected = _count_open_data(_open_data(client, review))
        assert expected["inputs"] > 0, review
        result = coverage.dashboard(review, public=True)
        assert _count_dashboard(result) == expected
        page = _count_page(_tree(client, _url(review)))
        assert page["per_objective"] == expected["per_objective"]
        assert page["per_principle"] == expected["per_principle"]
        # The change since the previous cycle counts the same ISCMs.
        now = {c.objective.number: c.now for c in result.change.objectives if c.now}
        assert now == {n: iscms for n, (_inputs, iscms) in expected["per_objective"].items()}


def test_an_input_taken_off_the_portal_leaves_the_counts(client, coverage_world):
    world = coverage_world.world
    lead = coverage_world.now["lead"]
    workflow.unpublish_input(lead, by=world.reviewer, reason="A mistake.")
    assert _open_data(client, coverage_world.review) == []
    result = coverage.dashboard(coverage_world.review, public=True)
    assert result.coverage.input_count == 0 and result.coverage.objectives_covered == 0
    assert result.standings.totals.published == 0
    assert "Lead published" not in body_of(client.get(_url(coverage_world.review)))


def test_the_page_never_names_an_unpublished_input(client, coverage_world):
    body = body_of(client.get(_url(coverage_world.review)))
    for title in UNPUBLISHED:
        assert title not in body
    assert "Lead published" in body
    assert "Draft" not in body and "Declined" not in body and "Submitted" not in body
    # Signed in as the region's reviewer, the public page is still the public one.
    client.force_login(coverage_world.world.reviewer)
    body = body_of(client.get(_url(coverage_world.review)))
    for title in UNPUBLISHED:
        assert title not in body


def test_the_region_iscms_say_published_or_not(client, coverage_world):
    tree = _tree(client, _url(coverage_world.review))
    table = tree.xpath("//section[@aria-labelledby='standings-heading']//table")[0]
    rows = {
        row.xpath("string(th)").strip(): " ".join(row.xpath("string(td)").split())
        for row in table.xpath("tbody/tr")
    }
    assert rows == dict.fromkeys(
        ["X-ACC", "X-CHG", "X-DEC", "X-DRAFT", "X-NONE", "X-SUB"], "None published"
    ) | {"LEAD": "Lead published"}
    assert tree.xpath("//a[text()='Lead published']/@href") == [
        reverse("public:contribution-detail", args=[coverage_world.now["lead"].slug])
    ]


def test_matrix_cells_link_to_the_objective_on_the_contribution_page(client, coverage_world):
    tree = _tree(client, _url(coverage_world.review))
    matrix = tree.xpath("//table[contains(@class, 'coverage-matrix')]")[0]
    links = sorted(set(matrix.xpath(".//td/a/@href")))
    page = reverse("public:contribution-detail", args=[coverage_world.now["lead"].slug])
    assert links == [page + "#doc-objective-1", page + "#doc-objective-2"]
    contribution = _tree(client, page)
    for link in links:
        assert contribution.xpath(f"//*[@id='{link.split('#')[1]}']")


def test_a_cell_of_several_contributions_links_them_through_the_filtered_list(
    client, coverage_world, make_input
):
    """More than one published contribution of one ISCM on one objective: the cell is
    their number, a link to the contributions list filtered to exactly those, Arabic
    and Chinese titles among them."""
    world = coverage_world.world
    o3 = world.objectives[2]
    titles = ["Coopération régionale", "التعاون الإقليمي", "区域合作"]
    for title in titles:
        make_input(title, "published", objectives={o3: "Text."})
    tree = _tree(client, _url(coverage_world.review))
    matrix = tree.xpath("//table[contains(@class, 'coverage-matrix')]")[0]
    column = [th.xpath("string(abbr)") for th in matrix.xpath("thead/tr/th")].index(
        world.lead.acronym
    )
    row = next(r for r in matrix.xpath("tbody/tr[td]") if r.xpath("string(th)").startswith("3."))
    (link,) = row.xpath("th|td")[column].xpath("a")
    assert " ".join(link.text_content().split()) == f"{len(titles)} inputs"
    listed = _tree(client, link.get("href"))
    found = {" ".join(a.text_content().split()) for a in listed.xpath("//main//h2/a|//main//h3/a")}
    assert found == set(titles)


def test_the_charts_are_accessible_svg(client, coverage_world):
    tree = _tree(client, _url(coverage_world.review))
    svgs = tree.xpath("//*[local-name()='svg']")
    assert len(svgs) == 4
    for svg in svgs:
        assert svg.get("role") == "img"
        title_id, desc_id = svg.get("aria-labelledby").split()
        assert svg.xpath(f"string(*[local-name()='title'][@id='{title_id}'])").strip()
        assert svg.xpath(f"string(*[local-name()='desc'][@id='{desc_id}'])").strip()


def test_the_region_page_links_each_reviews_dashboard(client, coverage_world):
    tree = _tree(client, reverse("public:region-detail", args=["AMR"]))
    links = set(tree.xpath("//main//a/@href"))
    for review in (coverage_world.review, coverage_world.previous, coverage_world.older):
        assert _url(review) in links


def test_an_unknown_region_or_cycle_is_404(client, coverage_world):
    cycle = coverage_world.review.cycle.slug
    assert client.get(reverse("public:region-dashboard", args=["XYZ", cycle])).status_code == 404
    url = reverse("public:region-dashboard", args=["AMR", "no-such-cycle"])
    assert client.get(url).status_code == 404


def test_queries_do_not_grow_with_the_inputs(client, coverage_world, make_input, count_queries):
    world = coverage_world.world
    url = _url(coverage_world.review)
    count_queries(client, url)  # the first read counts each review from scratch, once
    few = count_queries(client, url)
    o1, _o2, o3 = world.objectives
    for n in range(5):
        iscm = ISCMFactory(acronym=f"MORE{n}", regions=[world.regions.amr])
        MembershipFactory(user=world.partner_user, iscm=iscm)
        make_input(f"More {n}", lead=iscm, partners=[world.partner], objectives={o1: "a", o3: "b"})
    assert count_queries(client, url) == few
    assert coverage.coverage(coverage_world.review, public=True).input_count == 6
