from django.db import migrations, models

# The default outline's sections (fixtures/reference.json), by number.
DEFAULT_KEYS = {
    1: "introduction",
    2: "engagement",
    3: "objectives",
    4: "principles",
    5: "challenges",
    6: "partnerships",
    7: "recommendations",
}


DEFAULT_OUTLINE = "default-outline"
# ISCMs whose own name is Spanish (shared/reference/iscm_members.yaml).
SPANISH_NAMED = ("rcm", "sacm", "fibemyd")


def original_languages(apps, schema_editor):
    apps.get_model("submissions", "ISCM").objects.filter(slug__in=SPANISH_NAMED).update(
        original_language="es"
    )


def keys_for_existing_sections(apps, schema_editor):
    """The default outline's sections get the keys the fixture gives them; in any
    outline the objectives and principles sections are keyed by their kind, and other
    sections by their number. Keys stay unique within an outline."""
    OutlineSection = apps.get_model("submissions", "OutlineSection")
    used = set()
    for section in OutlineSection.objects.select_related("outline").order_by(
        "outline_id", "number"
    ):
        if section.kind != "narrative":
            key = section.kind
        elif section.outline.slug == DEFAULT_OUTLINE:
            key = DEFAULT_KEYS.get(section.number, f"section-{section.number}")
        else:
            key = f"section-{section.number}"
        if (section.outline_id, key) in used:
            key = f"{key}-{section.number}"
        used.add((section.outline_id, key))
        section.key = key
        section.save(update_fields=["key"])


class Migration(migrations.Migration):
    dependencies = [("submissions", "0008_multilingual_search")]

    operations = [
        migrations.AddField(
            model_name="outlinesection",
            name="key",
            field=models.SlugField(
                default="",
                help_text=(
                    "Stays the same for the same part of the outline in every cycle "
                    "(e.g. introduction), so texts are carried over and compared across "
                    "cycles."
                ),
                max_length=60,
                verbose_name="key",
            ),
            preserve_default=False,
        ),
        migrations.RunPython(keys_for_existing_sections, migrations.RunPython.noop),
        migrations.AddField(
            model_name="iscm",
            name="original_language",
            field=models.CharField(
                choices=[
                    ("ar", "Arabic"),
                    ("zh-hans", "Chinese"),
                    ("en", "English"),
                    ("fr", "French"),
                    ("ru", "Russian"),
                    ("es", "Spanish"),
                ],
                default="en",
                help_text="Shown where it has no official name in the page's language.",
                max_length=10,
                verbose_name="language of its own name",
            ),
        ),
        migrations.RunPython(original_languages, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="outlinesection",
            constraint=models.UniqueConstraint(
                fields=("outline", "key"), name="outline_section_key"
            ),
        ),
    ]
