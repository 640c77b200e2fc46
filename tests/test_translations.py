"""The interface in the six UN languages: complete catalogues, reference data in every
language (or English marked as such), and pages that really switch language."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

ROOT = Path(__file__).resolve().parents[1]
LANGUAGES = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
CATALOGUES = [translation.to_locale(code) for code in LANGUAGES]


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


@pytest.mark.parametrize("language", CATALOGUES)
def test_catalogue_is_complete_with_no_empty_or_fuzzy_entry(language):
    path = ROOT / "locale" / language / "LC_MESSAGES" / "django.po"
    entries = list(_entries(path))
    assert len(entries) > 500
    empty = [msgid for _f, msgid, strings in entries if not all(strings)]
    fuzzy = [msgid for flags, msgid, _s in entries if "fuzzy" in flags]
    assert not empty, f"{len(empty)} untranslated in {language}: {empty[:5]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy in {language}: {fuzzy[:5]}"


@pytest.mark.parametrize("language", CATALOGUES)
def test_catalogue_keeps_every_placeholder(language):
    """Every translation uses only the msgid's placeholders, and the general form (the
    only one, or a plural entry's last: "other" in every language) uses all of them.
    Forms for exactly one or two may leave the number out (Arabic: "حقل واحد")."""
    path = ROOT / "locale" / language / "LC_MESSAGES" / "django.po"
    placeholder = re.compile(r"%\(\w+\)[sd]")
    for _flags, msgid, strings in _entries(path):
        wanted = set(placeholder.findall(msgid))
        for string in strings:
            assert set(placeholder.findall(string)) <= wanted | {"%(count)s", "%(counter)s"}, msgid
        if strings:
            assert set(placeholder.findall(strings[-1])) >= wanted, msgid


REFERENCE_FIELDS = {
    "submissions.region": ("name",),
    "submissions.gcmobjective": ("short_title",),
    "submissions.contributionformat": ("name",),
    "submissions.priority": ("name",),
    "submissions.challenge": ("name",),
    "submissions.outlinesection": ("title",),
    "submissions.reviewcycle": ("name",),
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_fixture_carries_the_portals_own_reference_labels_in_every_language(language):
    """Labels that are the portal's own (not official UN titles) exist in all six."""
    column = language.replace("-", "_")
    fixtures = json.loads((ROOT / "fixtures" / "reference.json").read_text(encoding="utf-8"))
    missing = [
        (record["model"], record["fields"][name])
        for record in fixtures
        for name in REFERENCE_FIELDS.get(record["model"], ())
        if not record["fields"].get(f"{name}_{column}")
    ]
    assert missing == []


def test_official_titles_come_only_from_the_official_texts():
    """Objective and principle titles in a language are the Compact's own wording from
    shared/reference/gcm_i18n.yaml, or absent (English shown, marked lang="en")."""
    fixtures = json.loads((ROOT / "fixtures" / "reference.json").read_text(encoding="utf-8"))
    objectives = {
        r["fields"]["number"]: r["fields"]
        for r in fixtures
        if r["model"] == "submissions.gcmobjective"
    }
    assert objectives[1]["title_fr"].startswith("Collecter et utiliser des données précises")
    assert objectives[1]["title_ar"] is None
    assert all(o["title_en"] == o["title"] for o in objectives.values())


@pytest.mark.parametrize(
    ("language", "expected", "title_lang"),
    [
        ("fr", "Objectifs du GCM", "fr"),
        ("es", "Objetivos del GCM", "es"),
        ("ru", "Сбор и использование точных", "ru"),
        ("ar", "Collect and utilize accurate", "en"),
        ("zh-hans", "Collect and utilize accurate", "en"),
    ],
)
def test_pages_switch_language_including_reference_titles(
    client, reference_data, language, expected, title_lang
):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    body = client.get(reverse("public:objective-detail", args=[1])).content.decode()
    direction = "rtl" if language == "ar" else "ltr"
    assert f'<html lang="{language}" dir="{direction}">' in body
    with translation.override(language):
        assert translation.gettext("GCM objectives") in body
    if title_lang == language:
        assert expected in body
    else:
        # No official wording in this language: the English title, marked as English.
        assert f'<span lang="en" dir="ltr">{expected}' in body
