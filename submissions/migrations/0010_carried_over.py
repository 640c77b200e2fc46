import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """A draft started from the ISCM's input to an earlier cycle remembers the version it
    came from and a digest of each field carried over (submissions/carryover.py).
    Existing inputs started empty: null and {}."""

    dependencies = [("submissions", "0009_outline_section_keys")]

    operations = [
        migrations.AddField(
            model_name="writteninput",
            name="carried_over",
            field=models.JSONField(
                blank=True, default=dict, editable=False, verbose_name="carried over"
            ),
        ),
        migrations.AddField(
            model_name="writteninput",
            name="started_from",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="submissions.inputversion",
                verbose_name="started from",
            ),
        ),
    ]
