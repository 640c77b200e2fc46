"""Count the kept numbers again from the inputs: the regional synthesis dashboards'
(`submissions.tallies`), the public lists' (`submissions.public_tallies`, with every
input's facet keys) and the ISCMs' subjects.
After a bulk load or a restore, or to check them. The workflow keeps them as inputs
move, and numbers never counted are counted when first read; this is for everything
at once."""

from django.core.management.base import BaseCommand

from submissions import tallies
from submissions.models import RegionalReview


class Command(BaseCommand):
    help = "Count the dashboards' and the public lists' numbers again from the inputs."

    def add_arguments(self, parser):
        parser.add_argument("--cycle", help="only the regional reviews of this cycle (its slug)")

    def handle(self, *args, cycle=None, **options):
        reviews = RegionalReview.objects.all()
        if cycle:
            reviews = reviews.filter(cycle__slug=cycle)
        review_ids = list(reviews.values_list("pk", flat=True))
        tallies.count_everything_again(review_ids)
        self.stdout.write(f"Counted {len(review_ids)} regional review(s) and the public lists.")
