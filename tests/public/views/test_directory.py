"""The ISCM, objective and region pages (`public/views/directory.py`)."""

import pytest
from django.urls import reverse

from submissions import workflow
from submissions.models import ISCM, GCMObjective

from ...factories import GCMObjectiveFactory, ISCMFactory, RegionFactory

pytestmark = pytest.mark.django_db

# Budget for the public directory and objective pages, whatever the data size:
# ISCM list: count of all ISCMs, the filtered ISCMs, their regions (prefetch), and the
# region choices of the filter form. Objective pages: one or two queries.
ISCM_LIST_QUERIES = 4
# ISCM page: + the published contributions: count, page, partners, regions (2); + its
# subjects as subject_tallies keeps them: counted?, the rows (2).
ISCM_DETAIL_QUERIES = 9
OBJECTIVE_LIST_QUERIES = 1
OBJECTIVE_DETAIL_QUERIES = 5  # + the reports on it: count, page, partners
# With published reports on the page, whatever their number: the objective and its
# neighbours (2), the kept count (1), who reported per cycle: counted?, the rows, their
# ISCMs and cycles (4), the page and its partners (2).
OBJECTIVE_WITH_REPORTS_QUERIES = 9
# The ISCM and its regions (2), the kept count (1), its subjects: counted?, the rows,
# objectives, sections (4), the page, its partners, targets and their regions (4).
ISCM_WITH_CONTRIBUTIONS_QUERIES = 11
# The region, its reviews and ISCMs (3), the kept count (1), the page, its partners,
# targets and their regions (4).
REGION_WITH_CONTRIBUTIONS_QUERIES = 8


def test_iscm_list_shows_all_thirty_iscms(client, reference_data):
    response = client.get(reverse("public:iscm-list"))
    assert response.status_code == 200
    assert len(response.context["iscms"]) == 30
    assert "30 ISCMs of 30" in response.content.decode()
    assert "Colombo Process" in response.content.decode()


def test_iscm_list_filters_by_kind_and_region(client, reference_data):
    url = reverse("public:iscm-list")

    global_processes = client.get(url, {"kind": "GLOBAL"}).context["iscms"]
    assert {i.acronym for i in global_processes} == {"GFMD", "IDM"}

    eclac = client.get(url, {"region": "ECLAC"}).context["iscms"]
    assert {"RCM", "SACM", "CMC", "GFMD"} <= {i.acronym for i in eclac}
    assert "Colombo Process" not in {i.acronym for i in eclac}

    both = client.get(url, {"region": "ECLAC", "kind": "IRF"}).context["iscms"]
    assert {i.acronym for i in both} == {"FIBEMYD", "EU-CELAC", "ACP-EU"}


def test_iscm_list_unknown_filter_value_explains_instead_of_failing(client, reference_data):
    response = client.get(reverse("public:iscm-list"), {"region": "ATLANTIS"})
    assert response.status_code == 200
    assert "Some filters could not be applied" in response.content.decode()


def test_iscm_list_query_count_does_not_grow_with_iscms(
    client, count_queries, django_assert_max_num_queries
):
    url = reverse("public:iscm-list")
    regions = [RegionFactory(), RegionFactory()]
    ISCMFactory.create_batch(3, regions=regions)
    with_three = count_queries(client, url)
    ISCMFactory.create_batch(27, regions=regions)
    assert ISCM.objects.count() == 30
    with django_assert_max_num_queries(ISCM_LIST_QUERIES):
        client.get(url)
    assert count_queries(client, url) == with_three


def test_iscm_detail_shows_profile_and_regions(client, reference_data):
    response = client.get(reverse("public:iscm-detail", args=["rcm"]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Regional Conference on Migration (Puebla Process)" in body
    assert "Regional consultative process" in body
    assert "ECLAC" in body
    assert "ECE" in body
    assert "1996" in body


def test_iscm_detail_unknown_slug_is_404(client, db):
    assert client.get(reverse("public:iscm-detail", args=["nope"])).status_code == 404


def test_iscm_detail_query_count_does_not_grow_with_regions(client, django_assert_max_num_queries):
    iscm = ISCMFactory(regions=[RegionFactory() for _ in range(5)])
    client.get(iscm.get_absolute_url())  # the first read counts the kept numbers, once
    with django_assert_max_num_queries(ISCM_DETAIL_QUERIES):
        response = client.get(iscm.get_absolute_url())
    assert response.status_code == 200


def test_objective_list_groups_23_objectives_by_four_round_tables(client, reference_data):
    response = client.get(reverse("public:objective-list"))
    groups = response.context["round_tables"]
    assert [table.value for table, _ in groups] == [1, 2, 3, 4]
    assert sum(len(objectives) for _, objectives in groups) == 23
    assert all(o.round_table == table.value for table, objectives in groups for o in objectives)
    assert "Round table 2" in response.content.decode()


def test_objective_pages_query_count_does_not_grow_with_objectives(
    client, count_queries, django_assert_max_num_queries
):
    GCMObjectiveFactory(number=1)
    client.get(reverse("public:objective-detail", args=[1]))  # counts the kept numbers once
    one = count_queries(client, reverse("public:objective-list"))
    for number in range(2, 24):
        GCMObjectiveFactory(number=number)
    assert GCMObjective.objects.count() == 23
    with django_assert_max_num_queries(OBJECTIVE_LIST_QUERIES):
        client.get(reverse("public:objective-list"))
    assert count_queries(client, reverse("public:objective-list")) == one
    with django_assert_max_num_queries(OBJECTIVE_DETAIL_QUERIES):
        client.get(reverse("public:objective-detail", args=[12]))


def test_objective_detail_shows_title_round_table_and_neighbours(client, reference_data):
    response = client.get(reverse("public:objective-detail", args=[10]))
    body = response.content.decode()
    assert "Prevent, combat and eradicate trafficking in persons" in body
    assert "Round table 2" in body
    assert response.context["previous"].number == 9
    assert response.context["next"].number == 11


def test_objective_detail_first_and_last_have_one_neighbour(client, reference_data):
    assert client.get("/objectives/1/").context["previous"] is None
    assert client.get("/objectives/23/").context["next"] is None


def test_objective_detail_unknown_number_is_404(client, reference_data):
    assert client.get("/objectives/24/").status_code == 404
    assert client.get("/objectives/0/").status_code == 404


def test_public_pages_are_readable_urls(reference_data):
    assert reverse("public:iscm-detail", args=["colombo-process"]) == ("/iscms/colombo-process/")
    assert GCMObjective.objects.get(number=7).get_absolute_url() == "/objectives/7/"


def test_objective_page_shows_what_each_iscm_reported_side_by_side(client, world, varied):
    o2 = world.objectives[1]
    body = client.get(reverse("public:objective-detail", args=[o2.number])).content.decode()
    assert "Drivers." in body and "Moteurs." in body
    assert "Data." not in body  # objective 1 texts stay on objective 1
    assert "Practices worth sharing" in body
    assert varied["joint_both"].get_public_url() in body


def test_iscm_page_lists_contributions_as_lead_and_as_partner(client, world, varied):
    body = client.get(world.partner.get_absolute_url()).content.decode()
    assert "Joint to AMR and EUR" in body  # partner
    assert "Contribution française" in body and "Contribución española" in body  # lead
    assert "Direct to AMR" not in body


def test_region_page_shows_reviews_iscms_and_contributions(client, world, varied):
    response = client.get(reverse("public:region-detail", args=["EUR"]))
    body = response.content.decode()
    assert world.cycle.name in body
    assert world.partner.acronym in body
    assert "Contribution française" in body and "Direct to AMR" not in body
    assert client.get(reverse("public:region-detail", args=["NOPE"])).status_code == 404


@pytest.mark.parametrize("page_name", ["objective", "iscm", "region"])
def test_the_kept_count_and_the_pages_follow_publication(
    client, world, make_input, page_name, django_assert_max_num_queries
):
    """The ISCM, objective and region pages take their number of contributions from the kept
    numbers and read one page: the heading's count, the pages and their rows equal
    what is published, in every state and after an unpublication, Arabic and Chinese
    titles among them."""
    o1 = world.objectives[0]
    titles = [f"Rapport {n}" for n in range(10)] + ["التقرير الإقليمي", "区域报告"]
    made = [make_input(title, objectives={o1: f"Text {n}."}) for n, title in enumerate(titles)]
    for state in ("draft", "submitted", "accepted", "declined", "withdrawn"):
        make_input(f"Not public {state}", state, objectives={o1: "Hidden."})
    url = {
        "objective": reverse("public:objective-detail", args=[o1.number]),
        "iscm": reverse("public:iscm-detail", args=[world.lead.slug]),
        "region": reverse("public:region-detail", args=[world.regions.amr.code]),
    }[page_name]
    size = 10 if page_name == "objective" else 20

    def shown():
        """(the heading's count, the titles on every page)."""
        first = client.get(url).content.decode()
        count = int(first.split('fs-6">(')[1].split(")")[0])
        pages = -(-count // size)
        found = []
        for number in range(1, pages + 1):
            body = client.get(f"{url}?page={number}").content.decode()
            on_page = [title for title in titles if f">{title}<" in body]
            found += sorted(on_page, key=lambda title: body.index(f">{title}<"))
            assert "Not public" not in body
        return count, found

    assert shown() == (len(titles), titles[::-1])  # newest first
    workflow.unpublish_input(made[3], by=world.reviewer, reason="Taken down.")
    expected = [t for t in titles if t != titles[3]]
    assert shown() == (len(expected), expected[::-1])
    budget = {
        "objective": OBJECTIVE_WITH_REPORTS_QUERIES,
        "iscm": ISCM_WITH_CONTRIBUTIONS_QUERIES,
        "region": REGION_WITH_CONTRIBUTIONS_QUERIES,
    }[page_name]
    with django_assert_max_num_queries(budget):
        client.get(f"{url}?page=2")
