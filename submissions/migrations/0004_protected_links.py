"""The link tables of `WrittenInput.partner_iscms` and `target_reviews` become models of
their own (same tables, same columns), so their other side is PROTECTed: deleting an
ISCM that partners an input, or a regional review an input targets, is refused instead
of silently dropping the link. Nothing changes in the database: Django enforces
on_delete itself."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("submissions", "0003_public_search"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="InputPartner",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "iscm",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                to="submissions.iscm",
                            ),
                        ),
                        (
                            "writteninput",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                to="submissions.writteninput",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "submissions_writteninput_partner_iscms",
                        "unique_together": {("writteninput", "iscm")},
                    },
                ),
                migrations.CreateModel(
                    name="InputTarget",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "regionalreview",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                to="submissions.regionalreview",
                            ),
                        ),
                        (
                            "writteninput",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                to="submissions.writteninput",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "submissions_writteninput_target_reviews",
                        "unique_together": {("writteninput", "regionalreview")},
                    },
                ),
                migrations.AlterField(
                    model_name="writteninput",
                    name="partner_iscms",
                    field=models.ManyToManyField(
                        blank=True,
                        related_name="partner_inputs",
                        through="submissions.InputPartner",
                        to="submissions.iscm",
                        verbose_name="partner ISCMs",
                    ),
                ),
                migrations.AlterField(
                    model_name="writteninput",
                    name="target_reviews",
                    field=models.ManyToManyField(
                        related_name="inputs",
                        through="submissions.InputTarget",
                        to="submissions.regionalreview",
                        verbose_name="target regional reviews",
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
