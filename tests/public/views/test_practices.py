"""Practices worth sharing (`public/practices.py`, `public/views/practices.py`): the
list with facets and search, a practice's page at its stable address with a citation,
the CSV and JSON exports, and who never appears there."""

import csv
import io
import json

import pytest
from django.urls import reverse

from public import opendata, practices
from submissions import workflow
from submissions.models import InputVersion, ObjectiveResponse, WrittenInput
from submissions.snapshots import content_queryset, take_snapshot

from ..conftest import body_of
from ..practice_inputs import closed_cycle, publish_practices, published

SECRET = "quetzalcoatlian"  # a word no other text of these tests holds


def detail_url(written_input, objective):
    return reverse("public:practice-detail", args=[written_input.slug, objective.number])


def csv_rows(response):
    return list(csv.DictReader(io.StringIO(body_of(response).lstrip("\ufeff"))))


@pytest.fixture
def spread(world):
    """Practices that differ on every facet: two cycles, two regions, lead and partner,
    three objectives, two principles, three languages."""
    o1, o2, o3 = world.objectives
    a, f = world.principles
    old_cycle, old_reviews = closed_cycle(world)
    return {
        "amr": publish_practices(
            world,
            "Direct to AMR",
            {o1: "Bilateral labour agreements.", o2: "Data sharing on drivers."},
            principles=[a],
        ),
        "joint": publish_practices(
            world,
            "Joint to AMR and EUR",
            {o1: "Joint consular assistance."},
            partners=[world.partner],
            targets=[world.reviews.amr, world.reviews.eur],
            principles=[a, f],
        ),
        "eur_fr": publish_practices(
            world,
            "Contribution française",
            {o3: "Échange de données entre États."},
            lead=world.partner,
            targets=[world.reviews.eur],
            language="fr",
        ),
        "old": publish_practices(
            world,
            "Earlier input",
            {o1: "Labour agreements, first round."},
            cycle=old_cycle,
            targets=[old_reviews["amr"]],
        ),
    }


def test_only_published_consented_non_empty_practices_appear(client, world):
    o1, o2, _o3 = world.objectives
    states = {
        state: publish_practices(
            world, f"{state} input", {o1: f"The {SECRET} practice."}, state=state
        )
        for state in ("draft", "submitted", "accepted", "published")
    }
    no_text = publish_practices(world, "No practice", {o2: ""})
    gone = publish_practices(world, "Gone", {o1: f"Another {SECRET} practice."})
    workflow.unpublish_input(gone, by=world.reviewer, reason="Error.")

    results = client.get(reverse("public:practice-list")).context["results"]
    assert [p.input_id for p in results.practices] == [states["published"].pk]
    for export in ("public:open-data-practices-json", "public:open-data-practices-csv"):
        body = body_of(client.get(reverse(export)))
        assert states["published"].slug in body
        hidden = [states["draft"], states["submitted"], states["accepted"], no_text, gone]
        assert not [w.title for w in hidden if w.slug in body], export
    for state, written_input in states.items():
        expected = 200 if state == "published" else 404
        assert client.get(detail_url(written_input, o1)).status_code == expected, state
    assert client.get(detail_url(no_text, o2)).status_code == 404
    assert client.get(detail_url(gone, o1)).status_code == 404
    # An objective the published input reports no practice on is no practice.
    assert client.get(detail_url(states["published"], o2)).status_code == 404


def test_facet_counts_apply_every_other_filter(client, world, spread):
    o1, _o2, o3 = world.objectives
    a, f = world.principles
    response = client.get(reverse("public:practice-list"), {"region": "EUR"})
    results = response.context["results"]
    assert results.total == 2  # the joint input's o1 and the French o3
    facets = results.facets
    # Region counts all other filters (none): AMR holds amr×2, joint, old; EUR joint, eur_fr.
    assert facets["region"] == {world.regions.amr.pk: 4, world.regions.eur.pk: 2}
    assert facets["objective"] == {o1.pk: 1, o3.pk: 1}
    assert facets["iscm"] == {world.lead.pk: 1, world.partner.pk: 2}
    assert facets["principle"] == {a.pk: 1, f.pk: 1}
    assert facets["cycle"] == {world.cycle.pk: 2}
    body = response.content.decode()
    assert 'name="region" value="EUR"' in body and "(2)" in body

    both = client.get(reverse("public:practice-list"), {"cycle": ["2024-2025", world.cycle.slug]})
    assert both.context["results"].total == 5
    old_only = client.get(reverse("public:practice-list"), {"cycle": "2024-2025"}).context
    assert [p.input_id for p in old_only["results"].practices] == [spread["old"].pk]
    assert old_only["results"].facets["cycle"] == {world.cycle.pk: 4, spread["old"].cycle_id: 1}
    assert (
        client.get(reverse("public:practice-list"), {"objective": "1", "principle": "f"})
        .context["results"]
        .total
        == 1
    )


def test_search_needs_every_word_takes_phrases_and_minus(client, world, spread):
    url = reverse("public:practice-list")

    def found(q):
        return sorted(
            (p.input.title, p.objective.number)
            for p in client.get(url, {"q": q}).context["results"].practices
        )

    assert found("labour agreements") == [("Direct to AMR", 1), ("Earlier input", 1)]
    assert found("labour -first") == [("Direct to AMR", 1)]
    # A minus word of another objective of the same contribution leaves this one in.
    assert found("labour -drivers") == [("Direct to AMR", 1), ("Earlier input", 1)]
    assert found('"consular assistance"') == [("Joint to AMR and EUR", 1)]
    assert found('"assistance consular"') == []
    assert found("données") == [("Contribution française", 3)]
    # Only the practice's own text is searched: "Progress made." is every input's progress.
    assert found("progress") == []
    assert client.get(url, {"q": "data", "objective": "2"}).context["results"].total == 1


def test_list_entries_link_to_stable_addresses_and_keep_the_text_language(client, world, spread):
    body = client.get(reverse("public:practice-list"), {"iscm": "part"}).content.decode()
    french = spread["eur_fr"]
    assert f'href="/practices/{french.slug}/3/"' in body
    assert (
        'class="practice-excerpt mb-0" lang="fr" dir="ltr">Échange de données entre États.' in body
    )
    assert "PART: Objective 3 (" in body  # acronyms, the objective's short title, the years


def test_practice_page_shows_the_published_text_version_and_citation(client, world, spread):
    joint = published(spread["joint"])
    response = client.get(detail_url(joint, world.objectives[0]))
    assert response.status_code == 200
    body = response.content.decode()
    assert (
        '<div class="practice-text mt-3" lang="en" dir="ltr"><p>Joint consular assistance.</p>'
        in body
    )
    assert "LEAD, PART: Objective 1 (2028–2029)" in body
    assert "version 1" in body
    citation = response.context["citation"]
    assert citation.startswith(
        f"Consultation mechanism LEAD (LEAD), Consultation mechanism PART (PART) "
        f"({joint.published_at.year}). \u2068LEAD, PART: Objective 1 (2028–2029)\u2069. "
        "Practice worth sharing on objective 1 of the Global Compact for Migration, in: "
        "\u2068Joint to AMR and EUR\u2069, written input to the AMR, EUR regional review(s)"
    )
    assert citation.endswith(
        f", version 1. ISCM Review Portal. http://testserver/practices/{joint.slug}/1/"
    )
    assert citation in body


def test_practice_page_links_the_iscms_practices_on_the_objective_in_other_cycles(
    client, world, spread
):
    body = client.get(detail_url(spread["amr"], world.objectives[0])).content.decode()
    assert f'href="/practices/{spread["old"].slug}/1/"' in body
    assert f'href="/practices/{spread["joint"].slug}/1/"' in body  # LEAD leads it too


def test_the_address_stays_and_shows_a_new_published_version(client, world, spread):
    """A published input has no way back to editing yet: a new published version is
    made here the way publishing one would leave it (the live rows changed, a version 2
    snapshot of them, published_version 2)."""
    written_input = spread["amr"]
    url = detail_url(written_input, world.objectives[0])
    assert "Bilateral labour agreements." in client.get(url).content.decode()
    ObjectiveResponse.objects.filter(input=written_input, objective=world.objectives[0]).update(
        practices="Bilateral labour agreements, now with twelve States."
    )
    InputVersion.objects.create(
        input=written_input,
        number=2,
        snapshot=take_snapshot(content_queryset().get(pk=written_input.pk)),
        created_by=world.lead_user,
    )
    WrittenInput.objects.filter(pk=written_input.pk).update(published_version=2)
    response = client.get(url)
    body = response.content.decode()
    assert "now with twelve States" in body and "version 2" in body
    assert response.context["citation"].endswith(
        f", version 2. ISCM Review Portal. http://testserver{url}"
    )
    record = next(
        r
        for r in json.loads(body_of(client.get(reverse("public:open-data-practices-json"))))[
            "practices"
        ]
        if r["id"] == f"{written_input.slug}/1"
    )
    assert (record["version"], record["url"]) == (2, "http://testserver" + url)


def test_practices_json_and_csv_have_the_repository_fields(client, world, spread):
    data = json.loads(body_of(client.get(reverse("public:open-data-practices-json"))))
    assert data["count"] == 5 and data["fields"] == list(opendata.PRACTICE_FIELDS)
    joint = published(spread["joint"])
    record = next(r for r in data["practices"] if r["id"] == f"{joint.slug}/1")
    assert record == {
        "id": f"{joint.slug}/1",
        "title": "LEAD, PART: Objective 1 (2028–2029)",
        "description": "Joint consular assistance.",
        "objectives": [1],
        "guiding_principles": ["a", "f"],
        "geographic_scope": ["AMR", "EUR"],
        "implementing_iscm": "Consultation mechanism LEAD (LEAD)",
        "partner_iscms": ["Consultation mechanism PART (PART)"],
        "period": "2028–2029",
        "cycle": world.cycle.slug,
        "regional_reviews": [f"{world.cycle.slug}/AMR", f"{world.cycle.slug}/EUR"],
        "url": f"http://testserver/practices/{joint.slug}/1/",
        "contribution_url": f"http://testserver/contributions/{joint.slug}/",
        "language": "en",
        "version": 1,
        "published_at": joint.published_at.isoformat(),
    }
    # Oldest publication first, then by objective: the order of the frozen files.
    assert [r["id"] for r in data["practices"]][:2] == [
        f"{spread['amr'].slug}/1",
        f"{spread['amr'].slug}/2",
    ]
    response = client.get(
        reverse("public:open-data-practices-csv"), {"language": "x", "region": "EUR"}
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = csv_rows(response)
    assert list(rows[0]) == list(opendata.PRACTICE_FIELDS)
    assert {r["title"] for r in rows} == {
        "LEAD, PART: Objective 1 (2028–2029)",
        "PART: Objective 3 (2028–2029)",
    }
    french = next(r for r in rows if r["language"] == "fr")
    assert french["description"] == "Échange de données entre États."
    assert french["geographic_scope"] == "EUR" and french["guiding_principles"] == ""


def test_exports_hold_the_published_versions_text(client, world, spread):
    """The exports read the live rows; for a published input they are its published
    version's snapshot (public/practices.py says why): checked here for every one."""
    data = json.loads(body_of(client.get(reverse("public:open-data-practices-json"))))
    for record in data["practices"]:
        slug, number = record["id"].rsplit("/", 1)
        written_input = WrittenInput.objects.get(slug=slug)
        snapshot = written_input.versions.get(number=written_input.published_version).snapshot
        entry = next(o for o in snapshot["objectives"] if o["number"] == int(number))
        assert record["description"] == entry["practices"]


def test_a_formula_in_a_practice_is_text_in_the_csv_only(client, world):
    publish_practices(world, "Formula", {world.objectives[0]: '=HYPERLINK("http://x")'})
    row = csv_rows(client.get(reverse("public:open-data-practices-csv")))[0]
    assert row["description"] == '\'=HYPERLINK("http://x")'
    data = json.loads(body_of(client.get(reverse("public:open-data-practices-json"))))
    assert data["practices"][0]["description"] == '=HYPERLINK("http://x")'


@pytest.mark.parametrize(
    ("language", "direction", "text", "word"),
    [
        ("ar", "rtl", "تبادل البيانات بين الدول الأعضاء", "البيانات"),
        ("zh", "ltr", "成员国之间的数据交换", "数据交换"),
    ],
)
def test_arabic_and_chinese_practices_keep_their_language_and_direction(
    client, world, language, direction, text, word
):
    written_input = publish_practices(world, "—", {world.objectives[0]: text}, language=language)
    for interface in ("en", "ar"):
        listing = client.get(reverse("public:practice-list"), HTTP_ACCEPT_LANGUAGE=interface)
        page = client.get(
            detail_url(written_input, world.objectives[0]), HTTP_ACCEPT_LANGUAGE=interface
        )
        assert page.context["LANGUAGE_CODE"] == interface
        assert f'lang="{language}" dir="{direction}">{text}</p>' in listing.content.decode()
        assert f'lang="{language}" dir="{direction}"><p>{text}</p>' in page.content.decode()
    found = client.get(reverse("public:practice-list"), {"q": word}).context["results"]
    assert found.total == 1


def test_the_main_navigation_and_home_page_link_the_practices(client, world):
    for url in (reverse("home"), reverse("public:contribution-list")):
        body = client.get(url).content.decode()
        assert 'href="/practices/"' in body
    body = client.get(reverse("public:practice-list")).content.decode()
    assert 'class="nav-link active" href="/practices/" aria-current="page"' in body


# --- queries and bad input ---------------------------------------------------------


def _more(world, n):
    o1, _o2, o3 = world.objectives
    for i in range(n):
        publish_practices(
            world,
            f"More {i}",
            {o1: f"Practice {i}.", o3: f"Other practice {i}."},
            partners=[world.partner] if i % 2 else [],
            targets=[world.reviews.amr, world.reviews.eur] if i % 2 else [world.reviews.amr],
            principles=world.principles[: i % 3],
        )


@pytest.mark.parametrize(
    "name",
    [
        "public:practice-list",
        "public:open-data-practices-json",
        "public:open-data-practices-csv",
    ],
)
def test_query_counts_do_not_grow_with_the_practices(client, world, count_queries, settings, name):
    settings.PUBLIC_CACHE_SECONDS = 0
    query = "?region=AMR&iscm=lead&q=practice"
    publish_practices(world, "First", {world.objectives[0]: "A practice."})
    few = count_queries(client, reverse(name) + query)
    _more(world, 6)
    assert count_queries(client, reverse(name) + query) == few


def test_practice_page_query_count_does_not_grow(client, world, count_queries):
    first = publish_practices(world, "First", {world.objectives[0]: "A practice."})
    url = detail_url(first, world.objectives[0])
    few = count_queries(client, url)
    _more(world, 4)
    # The input, its version, the lead's other practices on the objective (and the
    # session and language lookups Django makes anyway).
    assert count_queries(client, url) == few <= 6


BAD_QUERIES = [
    "objective=99999999999999999999999",
    "objective=٣",
    "objective=-1",
    "region=" + "A" * 500,
    "cycle=x%00y",
    "iscm=%00",
    "principle=zz",
    "page=-1",
    "page=99999999999999999999",
    "page=x",
    "q=" + "%22" * 50,
    "q=" + "-" * 300,
    "q=%25_%5C",
    "q=%00",
]


@pytest.mark.parametrize("query", BAD_QUERIES)
def test_bad_query_parameters_are_ignored_never_a_500(client, world, query):
    publish_practices(world, "First", {world.objectives[0]: "A practice 100% _done_."})
    for name in (
        "public:practice-list",
        "public:open-data-practices-json",
        "public:open-data-practices-csv",
    ):
        response = client.get(reverse(name) + "?" + query)
        assert response.status_code == 200, (name, query)
        body_of(response)


@pytest.mark.parametrize(
    "path",
    [
        "/practices/no-such-input/1/",
        "/practices/{slug}/0/",
        "/practices/{slug}/24/",
        "/practices/{slug}/999999999999999999/",
    ],
)
def test_no_such_practice_is_a_404(client, world, path):
    first = publish_practices(world, "First", {world.objectives[0]: "A practice."})
    assert client.get(path.format(slug=first.slug)).status_code == 404


def test_search_words_are_parsed_like_the_help_says():
    assert practices.query_words('data "fair recruitment" -visa -"old text" -') == (
        ["data", "fair recruitment", "-"],
        ["visa", "old text"],
    )
    assert practices.query_words(" ".join(str(n) for n in range(20)))[0] == [
        str(n) for n in range(8)
    ]
