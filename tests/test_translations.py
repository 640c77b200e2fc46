"""The interface in English, French and Spanish: complete catalogues, reference data
titles translated, and pages that really switch language."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from submissions.reference_strings import REFERENCE_TITLES

ROOT = Path(__file__).resolve().parents[1]
LANGUAGES = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


def _entries(path: Path):
    """(flags, msgid, [msgstr…]) of every entry of a .po file but the header."""
    text = path.read_text(encoding="utf-8")
    for block in re.split(r"\n\s*\n", text):
        lines = [line for line in block.splitlines() if not line.startswith("#~")]
        flags = " ".join(line for line in lines if line.startswith("#,"))
        fields, current = {}, None
        for line in lines:
            match = re.match(r'^(msgid|msgid_plural|msgstr(?:\[\d\])?) "(.*)"$', line)
            if match:
                current = match.group(1)
                fields[current] = match.group(2)
            elif line.startswith('"') and current:
                fields[current] += line[1:-1]
        if "msgid" not in fields or fields["msgid"] == "":
            continue
        strings = [v for k, v in fields.items() if k.startswith("msgstr")]
        yield flags, fields["msgid"], strings


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_is_complete_with_no_empty_or_fuzzy_entry(language):
    path = ROOT / "locale" / language / "LC_MESSAGES" / "django.po"
    entries = list(_entries(path))
    assert len(entries) > 500
    empty = [msgid for _f, msgid, strings in entries if not all(strings)]
    fuzzy = [msgid for flags, msgid, _s in entries if "fuzzy" in flags]
    assert not empty, f"{len(empty)} untranslated in {language}: {empty[:5]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy in {language}: {fuzzy[:5]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_keeps_every_placeholder(language):
    path = ROOT / "locale" / language / "LC_MESSAGES" / "django.po"
    placeholder = re.compile(r"%\(\w+\)[sd]")
    for _flags, msgid, strings in _entries(path):
        for string in strings[:1]:
            assert set(placeholder.findall(msgid)) == set(placeholder.findall(string)), msgid


def test_every_reference_title_of_the_fixtures_is_marked_for_translation():
    fixtures = json.loads((ROOT / "fixtures" / "reference.json").read_text(encoding="utf-8"))
    fields = {
        "submissions.region": ("name", "commission"),
        "submissions.gcmobjective": ("title", "short_title"),
        "submissions.guidingprinciple": ("title",),
        "submissions.contributionformat": ("name",),
        "submissions.priority": ("name",),
        "submissions.challenge": ("name",),
    }
    titles = {
        record["fields"][name] for record in fixtures for name in fields.get(record["model"], ())
    }
    assert titles - set(REFERENCE_TITLES) == set()


@pytest.mark.parametrize("language", LANGUAGES)
def test_reference_titles_are_translated_at_run_time(language):
    with translation.override(language):
        untranslated = [t for t in REFERENCE_TITLES if translation.gettext(t) == t]
    # Acronym-like titles may read the same; every sentence must not.
    assert [t for t in untranslated if " " in t] == []


@pytest.mark.parametrize(
    ("language", "expected"),
    [("fr", "Objectifs du GCM"), ("es", "Objetivos del GCM")],
)
def test_pages_switch_language_including_reference_titles(
    client, reference_data, language, expected
):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    body = client.get(reverse("public:objective-detail", args=[1])).content.decode()
    assert f'<html lang="{language}">' in body
    assert expected in body
    with translation.override(language):
        title = translation.gettext(
            "Collect and utilize accurate and disaggregated data as a basis for "
            "evidence-based policies"
        )
    assert title in body
