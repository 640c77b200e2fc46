"""Search in every content language (`submissions/search.py`): stemming per language on
PostgreSQL, Arabic found with or without its diacritics, Chinese, Japanese and Korean
words found inside a sentence, on PostgreSQL and on the SQLite fallback; migration 0008
re-indexing what was published before."""

import importlib
import random

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from submissions import search
from submissions.models import SectionResponse, WrittenInput
from submissions.validators import MAX_TEXT_CHARACTERS

from ..factories import OutlineSectionFactory

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="stemming needs PostgreSQL"
)


def found(text):
    """The published inputs matching `text`, by id."""
    return set(
        search.matching(WrittenInput.objects.published(), text).values_list("pk", flat=True)
    )


@pytest.fixture
def other(make_input):
    """An input none of the queries below should find."""
    return make_input("Something else", intro="Unrelated words about data.")


# Each text holds a word the query writes in another form of the same language; the
# query finds nothing without the language's stemmer.
INFLECTED = [
    ("en", "Member States recruited more migrant workers.", "recruiting"),
    ("fr", "Les travailleuses migrantes ont été protégées.", "travailleuse"),
    ("es", "Los trabajadores migrantes fueron contratados.", "trabajador"),
    ("pt", "Os trabalhadores migrantes foram contratados.", "trabalhador contratada"),
    ("ru", "Мигранты получили работу в сельском хозяйстве.", "мигрантов работы"),
    ("ar", "وصل المهاجرون إلى المدينة.", "مهاجر"),
]


@postgresql_only
@pytest.mark.parametrize(("language", "text", "query"), INFLECTED, ids=[i[0] for i in INFLECTED])
def test_a_word_is_found_by_another_form_in_the_language_of_the_input(
    make_input, other, language, text, query
):
    written_input = make_input(f"Input in {language}", language=language, intro=text)
    assert found(query) == {written_input.pk}
    assert "<mark>" in search.snippets([written_input.pk], query)[written_input.pk]


@postgresql_only
def test_the_stemmer_is_the_one_of_the_input_language(make_input):
    """Portuguese stemming applies to a Portuguese input, not to an English one."""
    portuguese = make_input("Em português", language="pt", intro="Foram contratados.")
    make_input("In English", language="en", intro="Foram contratados.")
    assert found("contratada") == {portuguese.pk}


# Without and with the short vowels (and a shadda), with a hamza on the alef, an alef
# maqsura, and a tatweel stretching a word.
BARE = "يعمل المهاجرون في الزراعة الى اليوم"
VOWELLED = "يَعْمَلُ الْمُهَاجِرُونَ فِي الزِّرَاعَةِ إِلَى اليـــوم"


@pytest.mark.parametrize("language", ["ar", "en"])
@pytest.mark.parametrize(
    ("text", "query"),
    [(VOWELLED, "الزراعة"), (BARE, "الزِّرَاعَةِ")],
    ids=["vowelled text, bare query", "bare text, vowelled query"],
)
def test_arabic_is_found_with_or_without_diacritics(make_input, other, language, text, query):
    """Both directions, in an Arabic input (the Arabic stemmer) and in an English one
    (the normalisation alone); on SQLite too."""
    written_input = make_input("Arabic text", language=language, intro=text)
    assert found(query) == {written_input.pk}
    snippet = search.snippets([written_input.pk], query)[written_input.pk]
    assert "<mark>" in snippet
    assert text.split()[3] in snippet  # shown as written


@pytest.mark.parametrize(
    ("query", "expected"),
    [("الي", True), ("إلى", True), ("اليوم", True), ("الْيَوْم", True), ("الزراعه", False)],
    ids=["bare alef and yeh", "hamza and maqsura", "no tatweel", "vowels", "heh for teh marbuta"],
)
def test_arabic_alef_yeh_and_tatweel_are_folded_not_teh_marbuta(make_input, query, expected):
    """إلى and الى, اليـــوم and اليوم are one word; ة and ه stay apart outside the
    Arabic stemmer (here an English input's Arabic quotation)."""
    written_input = make_input("Arabic quotation", language="en", intro=VOWELLED)
    assert found(query) == ({written_input.pk} if expected else set())


SENTENCE = "国际移民组织在2020年发表了关于劳工移徙的报告。"


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("移民", True),  # a two-character word inside the sentence
        ("民组织", True),
        ("发表 报告", True),
        ("国际移民组织 report", False),  # every word must occur
        ("组移", False),  # both characters occur, never together
        ("移民报告", False),  # both words occur, not side by side
    ],
    ids=["word", "three characters", "two words", "missing word", "bigram", "apart"],
)
def test_a_chinese_word_inside_a_sentence_is_found(make_input, other, language, query, expected):
    written_input = make_input("Chinese text", language=language, intro=SENTENCE)
    assert found(query) == ({written_input.pk} if expected else set())
    if expected:
        snippet = search.snippets([written_input.pk], query)[written_input.pk]
        assert f"<mark>{query.split()[0]}</mark>" in snippet


@pytest.mark.parametrize(
    ("language", "text", "query"),
    [("zh", "外国人労働者の受け入れについて", "労働者"), ("en", "이주노동자 보호 정책", "노동")],
    ids=["japanese", "korean"],
)
def test_japanese_and_korean_words_inside_a_run_are_found(
    make_input, other, language, text, query
):
    written_input = make_input("Text", language=language, intro=text)
    assert found(query) == {written_input.pk}
    assert found(query[::-1]) == set()


def test_a_chinese_phrase_can_be_excluded_or_quoted_with_other_words(make_input):
    chinese = make_input("Chinese text", language="zh", intro=f"Labour {SENTENCE}")
    english = make_input("English text", intro="Labour migration.")
    assert found("labour -移民组织") == {english.pk}
    if search.uses_postgres():  # the fallback has no phrases nor exclusions
        assert found('"labour 国际移民"') == {chinese.pk}


def test_query_text_segments_cjk_runs_and_normalises_arabic():
    assert search.query_text("移民") == "移民 "
    assert search.query_text("-国际移民 data") == '-"国际 际移 移民"  data'
    assert search.query_text('"ILO 移民组织"') == '"ILO  移民 民组 组织 "'
    assert search.query_text("الْهِجْرَة إلى") == "الهجرة الي"
    assert search.indexed_text("在2020年发表") == " 在 2020 年发 发表 "


@postgresql_only
def test_migration_0008_reindexes_the_inputs_published_before(make_input):
    """With the models of its own state; an input indexed by the old rules (the whole
    Chinese run one word) is found inside the sentence afterwards, a draft is left."""
    written_input = make_input("Chinese text", language="zh", intro=SENTENCE)
    draft = make_input("Draft", "draft", language="zh", intro=SENTENCE)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE submissions_writteninput SET search_vector = to_tsvector('simple', %s)",
            [SENTENCE],
        )
    old_vector = WrittenInput.objects.values_list("search_vector", flat=True).get(pk=draft.pk)
    assert found("移民") == set()
    migration = importlib.import_module("submissions.migrations.0008_multilingual_search")
    state = MigrationLoader(connection).project_state(("submissions", "0008_multilingual_search"))
    with connection.schema_editor() as schema_editor:
        migration.reindex_published(state.apps, schema_editor)
    assert found("移民") == {written_input.pk}
    assert WrittenInput.objects.values_list("search_vector", flat=True).get(pk=draft.pk) == (
        old_vector
    )


@postgresql_only
def test_an_input_too_large_for_one_vector_is_indexed_from_its_beginning(world, make_input):
    """Two sections without a word limit, each filled to the 50,000 characters a text
    may hold with varied Chinese, would make a vector of about 1.3 MB, which PostgreSQL
    refuses (1 MB): indexing still works, the beginning of each part is found, what
    follows the cut is not, and the stored text stays whole."""
    rng = random.Random(18)
    characters = [chr(0x4E00 + i) for i in range(3500)]  # none of the words below

    def text(first):
        return first + "".join(rng.choice(characters) for _ in range(MAX_TEXT_CHARACTERS - 10))

    written_input = make_input("Long input", language="zh", intro="蝴蝶在花园里。")
    for number, first in ((5, "鲸鱼"), (6, "珊瑚")):
        section = OutlineSectionFactory(
            outline=world.cycle.outline, number=number, required=False, word_limit=None
        )
        SectionResponse.objects.create(input=written_input, section=section, body=text(first))
    search.index_input(written_input)  # as publishing does
    written_input.refresh_from_db()
    assert len(written_input.search_document) > 2 * MAX_TEXT_CHARACTERS - 100
    assert found("蝴蝶") == found("鲸鱼") == {written_input.pk}
    assert found("珊瑚") == set()


def test_a_word_after_a_minus_is_left_out_in_every_language(make_input):
    """ "migration -data" leaves out an English input with "data" although the French
    stemmer reads "data" differently: the minus applies in every configuration."""
    with_data = make_input("With data", language="en", intro="Labour migration data.")
    without = make_input("Without", language="en", intro="Labour migration policies.")
    assert found("migration -data") == {without.pk}
    assert found("migration") == {with_data.pk, without.pk}
    assert found("-data migration") == {without.pk}


@postgresql_only
def test_the_snippet_of_a_long_input_marks_a_word_written_far_into_it(make_input):
    """The headline is looked for around the first place the word is written (not over
    the whole text): a word after 4,000 characters is marked, with its neighbours."""
    written_input = make_input("Long")
    filler = "Regional consultations continued on several topics. " * 80
    WrittenInput.objects.filter(pk=written_input.pk).update(
        search_document=f"{filler}The Quetzaltenango workshop met."
    )
    snippet = search.snippets([written_input.pk], "quetzaltenango")[written_input.pk]
    assert "<mark>Quetzaltenango</mark> workshop" in snippet
    # A stem-only match (the word not written as typed) is still marked, from the whole text.
    snippet = search.snippets([written_input.pk], "consultation")[written_input.pk]
    assert "<mark>consultations</mark>" in snippet
    # Written first inside a longer word ("Quetzaltenangoan" is no match), the word
    # itself much further on: the window misses it, the whole text's headline does not.
    WrittenInput.objects.filter(pk=written_input.pk).update(
        search_document=f"Quetzaltenangoan {filler}The Quetzaltenango workshop met."
    )
    snippet = search.snippets([written_input.pk], "quetzaltenango")[written_input.pk]
    assert "<mark>Quetzaltenango</mark> workshop" in snippet
