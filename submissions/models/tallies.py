from django.db import models
from django.utils.translation import gettext_lazy as _

from .reference import RegionalReview


class CoverageTally(models.Model):
    """One number of a regional review's synthesis dashboard, kept up to date by
    `submissions.tallies` in the same transaction as the change that moves it, so the
    dashboard reads a few hundred small rows whatever the size of the archive.

    `public`: the published inputs' number (the public dashboard and the open data), or
    the number of the inputs the review received and did not decline (IOM staff).
    `kind` and `key` name the number (see `submissions.tallies.KINDS`); a cell of the
    objectives × ISCMs matrix also names its ISCM, and keeps the ids of its first
    inputs (`examples`). The row of kind "built" marks a review whose numbers exist:
    a review without it is counted from scratch when first read."""

    review = models.ForeignKey(RegionalReview, on_delete=models.CASCADE, related_name="+")
    public = models.BooleanField()
    kind = models.CharField(max_length=16)
    key = models.PositiveIntegerField(default=0)
    iscm = models.PositiveIntegerField(default=0)
    count = models.PositiveIntegerField(default=0)
    examples = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["review", "public", "kind", "key", "iscm"], name="one_tally_per_number"
            )
        ]
        verbose_name = _("coverage number")
        verbose_name_plural = _("coverage numbers")

    def __str__(self):
        return f"{self.review_id} {self.kind} {self.key}/{self.iscm}: {self.count}"


class PublicTally(models.Model):
    """How many entries of a public list have one value of one of its facets, over the
    whole archive: the contributions list (`public.browse`) and the practices list
    (`public.practices`), kept by `submissions.public_tallies` as inputs are published
    and unpublished. `facet` "total" (key "") counts them all; the row of facet
    "built" marks a list whose numbers exist (none: counted when first read). `key` is
    the value as the list's query string names it (an id, a language code…)."""

    class Listing(models.TextChoices):
        CONTRIBUTIONS = "contributions", _("Contributions")
        PRACTICES = "practices", _("Practices worth sharing")
        # Only its "built" row: the lock and mark of the SubjectTally rows.
        SUBJECTS = "subjects", _("Subjects")

    listing = models.CharField(max_length=16, choices=Listing.choices)
    facet = models.CharField(max_length=16)
    key = models.CharField(max_length=32, blank=True)
    # Big: a cycle's sums of ids and publication times (`public_tallies.STATE_FACETS`).
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["listing", "facet", "key"], name="one_public_tally_per_value"
            )
        ]
        verbose_name = _("public list number")
        verbose_name_plural = _("public list numbers")

    def __str__(self):
        return f"{self.listing} {self.facet} {self.key}: {self.count}"


class SubjectTally(models.Model):
    """How many published inputs of one ISCM (lead or partner) have text on one subject
    (a GCM objective by number, or an outline section by key) in one cycle, with the
    first of them in the order the compare pages show them (`examples`: [led, id]
    pairs, the inputs it leads first, then the newest). Kept by
    `submissions.subject_tallies` as inputs are published and unpublished; the
    PublicTally "built" row of listing "subjects" marks them counted.

    Each number is kept for every region at once (`region` null: the public pages and
    the ISCM's secretariat) and for each region the inputs target a review of (a
    reviewer of that region reads it)."""

    class Kind(models.TextChoices):
        OBJECTIVE = "objective", _("Objective")
        SECTION = "section", _("Section")

    iscm = models.ForeignKey("submissions.ISCM", on_delete=models.CASCADE, related_name="+")
    cycle = models.ForeignKey(
        "submissions.ReviewCycle", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=9, choices=Kind.choices)
    key = models.CharField(max_length=64)
    # Null: every published input; else those targeting a review of the region. Two
    # partial constraints keep one row per subject for both, nulls being distinct in a
    # plain unique constraint (SQLite, PostgreSQL before 15).
    region = models.ForeignKey(
        "submissions.Region", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    count = models.PositiveIntegerField(default=0)
    examples = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["iscm", "kind", "key", "cycle"],
                condition=models.Q(region__isnull=True),
                name="one_subject_tally_per_cycle",
            ),
            models.UniqueConstraint(
                fields=["iscm", "kind", "key", "cycle", "region"],
                condition=models.Q(region__isnull=False),
                name="one_subject_tally_per_cycle_region",
            ),
        ]
        verbose_name = _("subject number")
        verbose_name_plural = _("subject numbers")

    def __str__(self):
        return f"{self.iscm_id} {self.kind} {self.key} {self.cycle_id}: {self.count}"
