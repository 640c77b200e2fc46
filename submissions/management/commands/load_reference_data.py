from django.core.management.base import BaseCommand

from submissions.reference_data import REFERENCE_FIXTURE, load_reference_data


class Command(BaseCommand):
    help = (
        "Load regions, ISCMs, GCM objectives and principles, cycles and outlines "
        "(rows that exist are kept as they are)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--fixture", default=str(REFERENCE_FIXTURE), help="JSON fixture to load"
        )

    def handle(self, *args, fixture, **options):
        created, kept = load_reference_data(fixture)
        self.stdout.write(
            f"Reference data: {sum(created.values())} rows created, "
            f"{sum(kept.values())} already present and kept."
        )
        for label in sorted(created):
            self.stdout.write(f"  + {label}: {created[label]}")
