"""Packages in the six UN languages: one row (and file) per version and language.
Every package compiled before this was compiled in English."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0003_package_editions"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="regionalpackage",
            options={
                "ordering": ["review", "-number", "language"],
                "verbose_name": "regional package",
                "verbose_name_plural": "regional packages",
            },
        ),
        migrations.RemoveConstraint(
            model_name="regionalpackage",
            name="one_package_number",
        ),
        migrations.AddField(
            model_name="regionalpackage",
            name="language",
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
                max_length=10,
                verbose_name="language",
            ),
            preserve_default=False,
        ),
        migrations.AddConstraint(
            model_name="regionalpackage",
            constraint=models.UniqueConstraint(
                fields=("review", "number", "language"), name="one_package_number_per_language"
            ),
        ),
    ]
