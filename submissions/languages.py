"""Texts in the six UN languages: which one a page shows, and how it is marked.

Reference data has one column per language (submissions/translation.py). A page in a
language the row lacks shows the English text, and must say so: `label` returns it
marked `<span lang="en" dir="ltr">`, so screen readers pronounce it as English and an
Arabic page lays it out left to right. Snapshots (submissions/snapshots.py) keep the
same texts as `<field>_i18n` dictionaries, so an old version reads the same after the
reference data is edited, in every language.

Plain-text places (e-mail text parts, `<title>`, `<option>`) cannot carry markup, and
some clients draw Unicode isolates (U+2066–U+2069) as boxes: `plain` removes the
bidirectional controls someone typed instead, so an override cannot reorder the
portal's words there either.
"""

import re

from django.conf import settings
from django.utils.html import format_html
from django.utils.translation import get_language, get_language_info
from modeltranslation.utils import build_localized_fieldname

SOURCE_LANGUAGE = "en"
LANGUAGE_CODES = tuple(code for code, _name in settings.LANGUAGES)
# Embeddings, overrides, isolates and their terminators; the marks LRM/RLM/ALM stay.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def plain(text) -> str:
    """`text` without bidirectional embeddings, overrides or isolates."""
    return _BIDI_CONTROLS.sub("", str(text or ""))


def direction(language: str | None) -> str:
    """ "rtl" or "ltr" for a language code of the interface or of a text."""
    code = (language or SOURCE_LANGUAGE).lower()
    try:
        return "rtl" if get_language_info(code)["bidi"] else "ltr"
    except KeyError:
        return "rtl" if code.split("-")[0] in settings.LANGUAGES_BIDI else "ltr"


def current_language() -> str:
    return get_language() or settings.LANGUAGE_CODE


def texts(obj, field: str) -> dict[str, str]:
    """The non-empty texts of a translated field of a reference row, by language."""
    values = {
        code: getattr(obj, build_localized_fieldname(field, code), "") for code in LANGUAGE_CODES
    }
    found = {code: value for code, value in values.items() if value}
    if SOURCE_LANGUAGE not in found and getattr(obj, field, ""):
        found[SOURCE_LANGUAGE] = getattr(obj, field)
    return found


def source_text(obj, field: str) -> str:
    """The English text of a translated field (what snapshots and exports keep)."""
    return texts(obj, field).get(SOURCE_LANGUAGE, "")


def pick(found: dict[str, str], fallback: str = "", original: str = "") -> tuple[str, str]:
    """(text, its language) in the active language, else in the `original` language
    (an ISCM's own name), else English, else `fallback`."""
    for language in (current_language(), original, SOURCE_LANGUAGE):
        if language and found.get(language):
            return found[language], language
    return fallback, SOURCE_LANGUAGE


def label(obj, field: str, *, markup: bool = True):
    """A translated field of a reference row (a model instance) or of a snapshot entry
    (a dict with `<field>` in English and `<field>_i18n`), in the active language; for
    an ISCM without a name in it, its own name (`original_language`), else English. In
    another language than the page's, marked with its `lang` and `dir` when `markup`."""
    if isinstance(obj, dict):
        found = dict(obj.get(f"{field}_i18n") or {})
        text, language = pick(found, obj.get(field, ""), obj.get("original_language", ""))
    else:
        original = getattr(obj, "original_language", "")
        text, language = pick(texts(obj, field), getattr(obj, field, ""), original)
    if not markup or language == current_language():
        return text
    return format_html('<span lang="{}" dir="{}">{}</span>', language, direction(language), text)
