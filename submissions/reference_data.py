"""Loading the reference data (regions, ISCMs, objectives, cycles, outlines…).

The fixture is Django's JSON format with natural keys, so it also works with
`loaddata`. This loader differs in one way that matters: rows that already exist are
left as they are, so edits made in the admin survive `make run` and deploys; only their
translations (submissions/translation.py) that are still empty are filled in, so a new
language reaches an existing database without overwriting a translator's edit.
"""

from collections import Counter
from pathlib import Path

from django.conf import settings
from django.core import serializers
from django.db import transaction
from modeltranslation.translator import NotRegistered, translator

from .roles import ensure_role_groups

REFERENCE_FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "reference.json"


def load_reference_data(path: Path = REFERENCE_FIXTURE) -> tuple[Counter, Counter]:
    """Create the reference rows that are missing; keep the ones that exist.

    Side effects: inserts rows (and their many-to-many links) for objects not yet in
    the database, in one transaction; creates the role groups if missing.
    Returns (created, kept) counts per model label.
    """
    created, kept = Counter(), Counter()
    with transaction.atomic(), open(path, encoding="utf-8") as fixture:
        for item in serializers.deserialize("json", fixture):
            label = item.object._meta.label
            # The deserializer resolves natural keys: an existing row comes back with
            # its primary key set, a new one without.
            if item.object.pk is None:
                item.save()
                created[label] += 1
            else:
                kept[label] += 1
                _fill_missing_translations(item.object)
        ensure_role_groups()
    return created, kept


def _fill_missing_translations(fixture_row) -> None:
    """Copy the fixture's translations into the existing row's empty columns."""
    model = type(fixture_row)
    try:
        options = translator.get_options_for_model(model)
    except NotRegistered:
        return
    columns = [field.name for fields in options.all_fields.values() for field in fields]
    stored = model.objects.filter(pk=fixture_row.pk).values(*columns).first() or {}
    missing = {
        column: getattr(fixture_row, column)
        for column in columns
        if not stored.get(column) and getattr(fixture_row, column)
    }
    if missing:
        model.objects.filter(pk=fixture_row.pk).update(**missing)
