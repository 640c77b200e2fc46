"""Texts in six languages (submissions/languages.py, translation.py, reference_data.py):
which language a label is shown in, how a fallback is marked, how the reference data
reaches a database and the admin, and what snapshots keep."""

import importlib

from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.urls import reverse
from django.utils import translation

from submissions.languages import direction, label, plain
from submissions.models import ISCM, GCMObjective, OutlineSection, Region
from submissions.reference_data import load_reference_data
from submissions.snapshots import content_queryset, take_snapshot

from ..conftest import pass_second_factor
from ..factories import OutlineFactory, OutlineSectionFactory


def test_label_gives_the_active_language_or_english_marked_as_english(reference_data):
    region = Region.objects.get(code="ESCWA")
    with translation.override("ar"):
        assert label(region, "name") == "المنطقة العربية"
    region.name_ru = ""
    with translation.override("ru"):
        assert str(label(region, "name")) == '<span lang="en" dir="ltr">Arab region</span>'
    with translation.override("en"):
        assert label(region, "name") == "Arab region"


def test_label_escapes_what_it_marks(reference_data):
    region = Region.objects.get(code="ECA")
    region.name_en, region.name_fr = "<b>Africa</b>", ""
    with translation.override("fr"):
        assert "<b>" not in str(label(region, "name"))
        assert "&lt;b&gt;Africa&lt;/b&gt;" in str(label(region, "name"))


def test_plain_removes_bidirectional_controls_only():
    assert plain("\u2068Ada\u2069 \u202eLovelace\u202c") == "Ada Lovelace"
    assert plain("ليلى\u200f") == "ليلى\u200f"  # a right-to-left mark is text, kept
    assert direction("ar") == "rtl" and direction("zh-hans") == "ltr" and direction("fa") == "rtl"


def test_loading_the_reference_data_again_fills_empty_translations_and_keeps_edits(
    reference_data,
):
    Region.objects.filter(code="ECA").update(name_ar="", name_fr="Afrique (modifié)")
    created, kept = load_reference_data()
    assert not created and kept["submissions.Region"] == 5
    region = Region.objects.get(code="ECA")
    assert region.name_ar == "أفريقيا"  # filled in from the fixture
    assert region.name_fr == "Afrique (modifié)"  # an admin's edit survives


def test_official_titles_without_a_source_stay_empty(reference_data):
    objective = GCMObjective.objects.get(number=1)
    assert objective.title_ar in (None, "") and objective.title_zh_hans in (None, "")
    assert objective.short_title_ar  # the portal's own label is translated
    with translation.override("ar"):
        assert 'lang="en"' in str(label(objective, "title"))


def test_admin_edits_the_translations_of_a_region(reference_data, admin_user_, client):
    client.force_login(admin_user_)
    pass_second_factor(client, admin_user_)
    region = Region.objects.get(code="ECA")
    url = reverse("admin:submissions_region_change", args=[region.pk])
    page = client.get(url).content.decode()
    for column in ("name_ar", "name_zh_hans", "name_ru", "commission_ar"):
        assert f'name="{column}"' in page
    data = {
        "code": "ECA",
        "package_language": "fr",
        **{f"name_{c}": getattr(region, f"name_{c}") or "" for c in ("en", "fr", "es", "ru")},
        **{
            f"commission_{c}": getattr(region, f"commission_{c}") or ""
            for c in ("en", "fr", "es", "ar", "ru", "zh_hans")
        },
        "name_ar": "أفريقيا (معدّل)",
        "name_zh_hans": "非洲",
        "assignments-TOTAL_FORMS": "0",
        "assignments-INITIAL_FORMS": "0",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    region.refresh_from_db()
    assert region.name_ar == "أفريقيا (معدّل)" and region.package_language == "fr"


def test_a_snapshot_keeps_every_language_of_its_labels(world, make_input):
    written_input = make_input("Labels")
    region = written_input.target_reviews.first().region
    region.name_fr = "Nom d’avant"
    region.save()
    snapshot = take_snapshot(content_queryset().get(pk=written_input.pk))
    target = snapshot["targets"][0]
    assert target["region_name"] == target["region_name_i18n"]["en"] == region.name_en
    assert snapshot["cycle"]["name_i18n"]["en"] == snapshot["cycle"]["name"]
    for entry in snapshot["sections"]:
        assert entry["title_i18n"]["en"] == entry["title"]
    # A label edited later does not change what the version says, in any language.
    region.name_fr = "Nom modifié"
    region.save()
    with translation.override("fr"):
        assert label(target, "region_name") == "Nom d’avant"
    with translation.override("ar"):
        assert str(label(target, "region_name")).startswith('<span lang="en" dir="ltr">')


def test_migration_0009_keys_every_section_uniquely_within_its_outline(db):
    """An outline whose narrative section 3 would take the default key "objectives"
    while its objectives section is number 4: the keys stay unique."""
    kinds = ["narrative", "narrative", "narrative", "objectives", "principles"]
    for slug in ("default-outline", "custom"):
        outline = OutlineFactory(slug=slug)
        for number, kind in enumerate(kinds, start=1):
            OutlineSectionFactory(outline=outline, number=number, kind=kind, key=f"tmp-{number}")
    migration = importlib.import_module("submissions.migrations.0009_outline_section_keys")
    state = MigrationLoader(connection).project_state(("submissions", "0009_outline_section_keys"))
    migration.keys_for_existing_sections(state.apps, None)  # reads only `apps`
    keys = {
        slug: list(
            OutlineSection.objects.filter(outline__slug=slug)
            .order_by("number")
            .values_list("key", flat=True)
        )
        for slug in ("default-outline", "custom")
    }
    assert keys["default-outline"] == [
        "introduction",
        "engagement",
        "objectives",
        "objectives-4",
        "principles",
    ]
    assert keys["custom"] == ["section-1", "section-2", "section-3", "objectives", "principles"]


def test_an_iscm_without_a_name_in_the_pages_language_shows_its_own_name(reference_data):
    sacm = ISCM.objects.get(slug="sacm")
    assert sacm.original_language == "es"
    with translation.override("ru"):
        assert str(label(sacm, "name")) == (
            '<span lang="es" dir="ltr">Conferencia Suramericana sobre Migraciones</span>'
        )
    with translation.override("es"):
        assert label(sacm, "name") == "Conferencia Suramericana sobre Migraciones"
    prague = ISCM.objects.get(slug="prague-process")  # English is its own
    with translation.override("ar"):
        assert str(label(prague, "name")).startswith('<span lang="en" dir="ltr">Prague')
    with translation.override("ru"):
        assert label(prague, "name") == "Пражский процесс"
