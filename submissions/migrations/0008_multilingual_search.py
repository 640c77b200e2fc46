"""Search in every content language (issue 18): the vectors of the published inputs are
built again with the new rules of submissions/search.py (Arabic normalised and stemmed,
Portuguese stemmed, CJK runs cut into bigrams). Until then an Arabic query with hamza
or diacritics, or a Chinese word inside a sentence, may miss an input published before.

PostgreSQL only: on SQLite the vector is empty and the stored text is unchanged.
Not atomic, so each input's UPDATE commits on its own: a long run (about 90 inputs a
second, docs/operations.md) locks one row at a time, and an interrupted run is finished
by the next `migrate` or by `manage.py rebuild_search_index` (the same function)."""

from django.db import migrations

from submissions import search


def reindex_published(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    WrittenInput = apps.get_model("submissions", "WrittenInput")
    published = WrittenInput.objects.using(schema_editor.connection.alias).filter(
        status="published"
    )
    search.reindex(published, batch_size=200)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("submissions", "0007_translated_reference_data"),
    ]

    operations = [
        migrations.RunPython(reindex_published, migrations.RunPython.noop, elidable=True),
    ]
