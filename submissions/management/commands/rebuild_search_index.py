"""Rebuild the search text (and, on PostgreSQL, the weighted vectors) of every
published input: after a restore, a change of the indexing rules, or on an old
database. Publishing indexes an input by itself; this is for everything at once."""

from django.core.management.base import BaseCommand

from submissions import search
from submissions.models import WrittenInput


class Command(BaseCommand):
    help = "Rebuild the full-text search columns of the published inputs."

    def add_arguments(self, parser):
        parser.add_argument(
            "--all",
            dest="everything",
            action="store_true",
            help="index every input, not only published ones",
        )

    def handle(self, *args, everything, **options):
        queryset = WrittenInput.objects.all() if everything else WrittenInput.objects.published()
        count = search.reindex(queryset)
        self.stdout.write(f"Indexed {count} input(s).")
