"""The contributions pages (`public/views/contributions.py`): the list with facets and
search, the contribution page, its PDF and attachments, and what never appears there."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from pypdf import PdfReader

from public import browse
from submissions import editing, public_tallies, workflow
from submissions.models import WrittenInput
from submissions.pdf import INPUT_LAYOUT_VERSION as LAYOUT

from ...sample_files import make_pdf
from ..conftest import SECRET


def test_facet_counts_and_total_count_only_published(client, world, every_state):
    response = client.get(reverse("public:contribution-list"), {"q": SECRET})
    results = response.context["results"]
    assert results.total == 1
    assert [i.pk for i in results.inputs] == [every_state["published"].pk]
    for name, counts in results.facets.items():
        # Principles and formats are optional: none chosen counts nothing.
        expected = 0 if name in ("principle", "format") else 1
        assert sum(counts.values()) == expected, (name, counts)
    assert results.facets["language"] == {"en": 1}


def test_unpublished_contribution_pages_answer_404(client, every_state):
    for state, written_input in every_state.items():
        for name in ("contribution-detail", "contribution-pdf"):
            response = client.get(reverse(f"public:{name}", args=[written_input.slug]))
            expected = 200 if state == "published" else 404
            assert response.status_code == expected, (state, name)
            if response.streaming:  # read it whole, which closes the stored file
                b"".join(response.streaming_content)


def test_unpublishing_removes_an_input_from_search_and_lists(client, world, make_input):
    written_input = make_input(f"Soon gone {SECRET}")
    url = reverse("public:contribution-list")
    assert client.get(url, {"q": SECRET}).context["results"].total == 1
    workflow.unpublish_input(written_input, by=world.reviewer, reason="Error.")
    assert client.get(url, {"q": SECRET}).context["results"].total == 0
    assert WrittenInput.objects.get(pk=written_input.pk).published_at is None


def test_facet_counts_for_a_combined_selection(client, world, varied):
    o1, o2, o3 = world.objectives
    response = client.get(
        reverse("public:contribution-list"), {"region": "EUR", "objective": str(o2.number)}
    )
    results = response.context["results"]
    assert {i.title for i in results.inputs} == {"Joint to AMR and EUR", "Contribution française"}
    assert results.total == 2
    facets = results.facets
    # A facet counts with every other filter applied, never its own.
    # region: objective 2 alone selects joint_both (AMR+EUR) and eur_fr (EUR).
    assert facets["region"] == {world.regions.amr.pk: 1, world.regions.eur.pk: 2}
    # objective: EUR alone selects joint_both (o1, o2), eur_fr (o2), eur_es (o3).
    assert facets["objective"] == {o1.pk: 1, o2.pk: 2, o3.pk: 1}
    # Other facets count the selection itself (EUR and objective 2).
    assert facets["language"] == {"en": 1, "fr": 1}
    assert facets["joint"] == {"joint": 1, "direct": 1}
    assert facets["iscm"] == {world.lead.pk: 1, world.partner.pk: 2}
    assert facets["principle"] == {world.principles[0].pk: 1, world.principles[1].pk: 1}
    # round table: every round table of the selection's objectives (joint_both has o1).
    expected = {o2.round_table: 2}
    expected[o1.round_table] = expected.get(o1.round_table, 0) + 1
    assert facets["round_table"] == expected
    body = response.content.decode()
    assert 'name="region" value="EUR"' in body and "checked" in body


def test_a_selection_of_everything_counts_what_the_kept_numbers_count(client, world, varied):
    """The facet counts of a filtered list (counted by the database over the selection's ids) agree
    with the numbers kept for the whole archive (counted by GROUP BY) when the filter
    selects every published input."""
    everything = {"language": ["en", "fr", "es"]}
    results = client.get(reverse("public:contribution-list"), everything).context["results"]
    assert results.total == 4
    kept = public_tallies.load(public_tallies.CONTRIBUTIONS)
    for name in browse.FACET_NAMES:
        assert results.facets[name] == kept[name], name


def test_several_values_of_one_facet_widen_the_selection(client, varied):
    response = client.get(reverse("public:contribution-list") + "?language=fr&language=es")
    assert {i.language for i in response.context["results"].inputs} == {"fr", "es"}
    response = client.get(reverse("public:contribution-list") + "?language=fr&joint=joint")
    assert response.context["results"].total == 0


def test_filters_by_kind_iscm_principle_format_cycle_and_round_table(client, world, varied):
    url = reverse("public:contribution-list")
    world.partner.kind = "IRF"
    world.partner.save()

    def titles(**params):
        return {i.title for i in client.get(url, params).context["results"].inputs}

    assert titles(kind="IRF") == {
        "Joint to AMR and EUR",
        "Contribution française",
        "Contribución española",
    }
    assert titles(iscm=world.partner.slug) == titles(kind="IRF")
    assert titles(principle="f") == {"Joint to AMR and EUR"}
    assert titles(format="events") == {"Direct to AMR", "Contribución española"}
    assert titles(cycle=world.cycle.slug) == {i.title for i in varied.values()}
    assert titles(joint="direct") == {"Direct to AMR", "Contribution française"}
    round_table = world.objectives[2].round_table
    expected = {
        i.title
        for i in varied.values()
        if i.objective_responses.filter(objective__round_table=round_table).exists()
    }
    assert titles(round_table=str(round_table)) == expected


def test_bad_filter_values_are_reported_and_ignored(client, varied):
    response = client.get(
        reverse("public:contribution-list"),
        {"objective": "99", "language": "xx", "q": "x" * 300, "page": "zz"},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"objective", "language", "q"}
    assert response.context["results"].total == 4
    body = response.content.decode()
    assert "Some filters were not understood" in body


def test_filters_are_in_a_shareable_query_string_and_pagination_keeps_them(
    client, world, make_input, settings
):
    for n in range(browse.PAGE_SIZE + 2):
        make_input(f"Input {n}")
    response = client.get(reverse("public:contribution-list"), {"region": "AMR"})
    body = response.content.decode()
    assert response.context["results"].page.has_next()
    assert 'href="?region=AMR&amp;page=2"' in body
    second = client.get(reverse("public:contribution-list"), {"region": "AMR", "page": 2})
    assert len(second.context["results"].inputs) == 2


def test_newest_first_and_relevance_when_searching(client, world, make_input):
    older = make_input("Title without the word", intro=f"{SECRET} in the text only.")
    newer = make_input("Another one", intro="Nothing here.")
    in_title = make_input(f"The {SECRET} report", intro="Text.")
    url = reverse("public:contribution-list")
    assert [i.pk for i in client.get(url).context["results"].inputs] == [
        in_title.pk,
        newer.pk,
        older.pk,
    ]
    results = client.get(url, {"q": SECRET}).context["results"]
    assert results.sort == "relevance"
    assert [i.pk for i in results.inputs] == [in_title.pk, older.pk]  # title weighs more
    results = client.get(url, {"q": SECRET, "sort": "newest"}).context["results"]
    assert [i.pk for i in results.inputs] == [in_title.pk, older.pk]


def test_a_search_past_the_cap_lists_ranks_and_counts_only_the_newest_matches(
    client, world, make_input, monkeypatch, settings
):
    """A search matching more than SELECTION_LIMIT inputs works on the newest that
    many (its cost then stays bounded at any size of the archive): listed, ranked and
    counted in the facets, and the page says so."""
    settings.PUBLIC_CACHE_SECONDS = 0
    monkeypatch.setattr(browse, "SELECTION_LIMIT", 2)
    oldest = make_input(f"The {SECRET} report", language="fr", intro="Texte.")
    middle = make_input("Middle", intro=f"{SECRET} in the text only.")
    newest = make_input("Newest", language="es", intro=f"Sobre {SECRET}.")
    url = reverse("public:contribution-list")
    response = client.get(url, {"q": SECRET, "sort": "newest"})
    results = response.context["results"]
    assert results.capped
    assert results.total == 2
    assert [i.pk for i in results.inputs] == [newest.pk, middle.pk]
    assert results.facets["language"] == {"en": 1, "es": 1}
    page = response.content.decode()
    assert "More than 2 contributions" in page
    assert 'id="search-capped"' in page
    # Ranked within the two candidates: the title match (oldest) is not among them.
    ranked = client.get(url, {"q": SECRET}).context["results"]
    assert {i.pk for i in ranked.inputs} == {newest.pk, middle.pk}
    # A filter narrows the search before the cap: the older French match is found.
    french = client.get(url, {"q": SECRET, "language": "fr"}).context["results"]
    assert not french.capped
    assert [i.pk for i in french.inputs] == [oldest.pk]
    assert french.total == 1
    # Its own facet is counted over the matches without it (capped: the newest two).
    assert french.facets["language"] == {"en": 1, "es": 1}
    assert french.facets["cycle"] == {world.cycle.pk: 1}
    monkeypatch.setattr(browse, "SELECTION_LIMIT", 3)
    whole = client.get(url, {"q": SECRET}).context["results"]
    assert not whole.capped
    assert whole.total == 3
    assert whole.inputs[0].pk == oldest.pk  # the title weighs more
    assert 'id="search-capped"' not in client.get(url, {"q": SECRET}).content.decode()


def test_a_filtered_list_past_the_limit_lists_and_counts_only_the_newest(
    client, world, make_input, monkeypatch, settings
):
    """A filtered list holding more than SELECTION_LIMIT inputs (no search) pages and
    counts the newest that many, says so, and its open data links keep the filters
    (the whole selection); the unfiltered list is not limited."""
    settings.PUBLIC_CACHE_SECONDS = 0
    monkeypatch.setattr(browse, "SELECTION_LIMIT", 2)
    made = [make_input(f"Input {n}", language="fr" if n else "en") for n in range(4)]
    url = reverse("public:contribution-list")
    response = client.get(url, {"language": ["fr", "en"]})
    results = response.context["results"]
    assert results.capped
    assert [i.pk for i in results.inputs] == [made[3].pk, made[2].pk]
    assert results.facets["language"] == {"fr": 2}
    page = response.content.decode()
    assert "More than 2 contributions" in page
    assert "language=fr" in page  # the open-data links of the selection
    whole = client.get(url).context["results"]
    assert not whole.capped
    assert whole.total == 4


def test_search_covers_sections_and_objective_texts_with_highlighted_snippets(
    client, world, make_input
):
    in_objective = make_input(
        "Objective text", objectives={world.objectives[0]: f"Progress on {SECRET} corridors."}
    )
    hostile = make_input(
        "Hostile", intro=f'<script>alert("x")</script> {SECRET} <img src=x onerror=alert(1)>'
    )
    response = client.get(reverse("public:contribution-list"), {"q": SECRET})
    results = response.context["results"]
    assert {i.pk for i in results.inputs} == {in_objective.pk, hostile.pk}
    assert f"<mark>{SECRET}</mark>" in results.snippets[in_objective.pk]
    snippet = results.snippets[hostile.pk]
    assert "<script" not in snippet and "<img" not in snippet
    assert "&lt;" in snippet or "alert" not in snippet
    body = response.content.decode()
    assert "<script>alert" not in body and "<img src=x" not in body


@pytest.mark.skipif(connection.vendor != "postgresql", reason="stemming needs PostgreSQL")
@pytest.mark.parametrize(
    ("language", "text", "query"),
    [
        ("en", "Member States recruited more migrant workers.", "recruiting"),
        ("fr", "Les travailleuses migrantes ont été protégées.", "travailleuse"),
        ("es", "Los trabajadores migrantes fueron contratados.", "trabajador"),
        ("pt", "Os trabalhadores migrantes foram contratados.", "trabalhador"),
        ("ru", "Мигранты получили работу в сельском хозяйстве.", "мигрантов"),
    ],
)
def test_search_stems_words_in_the_language_of_the_content_on_postgresql(
    client, make_input, language, text, query
):
    written_input = make_input(f"Input in {language}", language=language, intro=text)
    make_input("Something else", intro="Unrelated words about data.")
    results = client.get(reverse("public:contribution-list"), {"q": query}).context["results"]
    assert [i.pk for i in results.inputs] == [written_input.pk]
    assert "<mark>" in results.snippets[written_input.pk]


@pytest.mark.parametrize(
    ("language", "text", "query"),
    [
        ("en", "Member States recruited more migrant workers.", "recruit"),
        ("fr", "Les travailleuses migrantes ont été protégées.", "protégées"),
        ("es", "Los trabajadores migrantes fueron contratados.", "contratados"),
    ],
)
def test_search_finds_a_word_of_a_section_in_english_french_and_spanish(
    client, make_input, language, text, query
):
    written_input = make_input(f"Input in {language}", language=language, intro=text)
    make_input("Something else", intro="Unrelated words about data.")
    results = client.get(reverse("public:contribution-list"), {"q": query}).context["results"]
    assert [i.pk for i in results.inputs] == [written_input.pk]


def test_the_search_box_says_which_languages_it_searched(client, make_input):
    """Once something was searched; in the page language; on SQLite, without stemming."""
    make_input(f"The {SECRET} report")
    url = reverse("public:contribution-list")
    assert 'id="search-languages"' not in client.get(url).content.decode()
    body = client.get(url, {"q": SECRET}).content.decode()
    assert "Searched in: Arabic, Chinese, English, French, Portuguese, Russian, Spanish." in body
    assert 'aria-describedby="search-help search-languages"' in body
    assert ("Stemming is off" in body) == (connection.vendor != "postgresql")
    client.post(reverse("set_language"), {"language": "fr", "next": url})
    body = client.get(url, {"q": SECRET}).content.decode()
    assert "Anglais, Arabe, Chinois, Espagnol, Français, Portugais, Russe" in body


def test_a_search_costs_one_query_more_than_the_list_whatever_the_language(
    client, make_input, settings, count_queries
):
    """A filtered list's queries (a search counts its facets over what it finds, as a
    filter does) and one for the snippets, with one result or several, for an English,
    an Arabic (with diacritics) and a Chinese query."""
    settings.PUBLIC_CACHE_SECONDS = 0
    text = f"{SECRET} — يعمل المهاجرون في الزراعة — 国际移民组织在2020年发表了报告。"
    make_input("First", language="ar", intro=text)
    url = reverse("public:contribution-list")
    queries = [SECRET, "الزِّرَاعَةِ", "移民", f"{SECRET} -移民报告"]
    filtered = f"{url}?joint=direct"
    listing = count_queries(client, filtered)
    one = {q: count_queries(client, f"{url}?q={q}") for q in queries}
    for n in range(3):
        make_input(f"More {n}", language=["en", "ar", "zh"][n], intro=text)
    several = {q: count_queries(client, f"{url}?q={q}") for q in queries}
    assert count_queries(client, filtered) == listing
    assert one == several == dict.fromkeys(queries, listing + 1)


def test_contribution_page_shows_the_published_version_with_links(client, world, varied):
    joint = varied["joint_both"]
    response = client.get(reverse("public:contribution-detail", args=[joint.slug]))
    body = response.content.decode()
    assert response.status_code == 200
    for url in (
        reverse("public:iscm-detail", args=[world.lead.slug]),
        reverse("public:iscm-detail", args=[world.partner.slug]),
        reverse("public:region-detail", args=["AMR"]),
        reverse("public:region-detail", args=["EUR"]),
        reverse("public:objective-detail", args=[world.objectives[1].number]),
        reverse("public:contribution-pdf", args=[joint.slug]),
    ):
        assert f'href="{url}"' in body, url
    assert "version 1" in body
    assert "How to cite" in body
    assert f"http://testserver/contributions/{joint.slug}/" in response.context["citation"]
    assert "(f) Human rights" in body


def test_contribution_page_of_an_arabic_input_is_right_to_left(client, make_input):
    written_input = make_input("مساهمة عربية", language="ar", intro="نص عربي عن الهجرة.")
    body = client.get(written_input.get_public_url()).content.decode()
    assert 'lang="ar" dir="rtl"' in body


def test_contribution_pdf_is_rendered_once_per_version_and_language(
    client, varied, settings, django_assert_max_num_queries
):
    url = reverse("public:contribution-pdf", args=[varied["eur_fr"].slug])
    first = b"".join(client.get(url).streaming_content)
    stored = sorted(p.name for p in (settings.MEDIA_ROOT / "public-pdfs").rglob("*.pdf"))
    assert stored == [f"v1-en-layout{LAYOUT}.pdf"]
    with django_assert_max_num_queries(3):  # the input, its version; no rendering
        assert b"".join(client.get(url).streaming_content) == first
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    b"".join(client.get(url).streaming_content)
    stored = sorted(p.name for p in (settings.MEDIA_ROOT / "public-pdfs").rglob("*.pdf"))
    assert stored == [f"v1-en-layout{LAYOUT}.pdf", f"v1-fr-layout{LAYOUT}.pdf"]


def test_contribution_pdf_is_the_published_version(client, varied):
    written_input = varied["eur_fr"]
    response = client.get(reverse("public:contribution-pdf", args=[written_input.slug]))
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    reader = PdfReader(io.BytesIO(b"".join(response.streaming_content)))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Contribution française" in text


def test_attachments_of_the_published_version_are_downloadable(client, world, make_input):
    draft = make_input("With annex", "draft")
    attachment = editing.add_attachment(
        draft, _upload("annex.pdf", make_pdf()), title="Annex", by=world.lead_user
    )
    published = make_input("Without annex")
    url = reverse("public:contribution-attachment", args=[published.slug, attachment.pk])
    assert client.get(url).status_code == 404  # not this input's
    url = reverse("public:contribution-attachment", args=[draft.slug, attachment.pk])
    assert client.get(url).status_code == 404  # not published


def test_the_published_version_attachments_download_as_attachments(client, make_input):
    data = make_pdf()
    written_input = make_input("With annex", attachments=[("Annex", _upload("a.pdf", data))])
    page = client.get(written_input.get_public_url()).content.decode()
    attachment = written_input.attachments.get()
    url = reverse("public:contribution-attachment", args=[written_input.slug, attachment.pk])
    assert f'href="{url}"' in page
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == data


def _upload(name, data):
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def test_the_language_switcher_keeps_the_current_page(client, varied):
    page = reverse("public:contribution-list") + "?region=EUR"
    response = client.post(reverse("set_language"), {"language": "fr", "next": page})
    assert response.status_code == 302 and response["Location"] == page
    body = client.get(page).content.decode()
    assert '<html lang="fr" dir="ltr">' in body
    assert "Contributions" in body
    response = client.post(reverse("set_language"), {"language": "es", "next": page})
    assert '<html lang="es" dir="ltr">' in client.get(response["Location"]).content.decode()
