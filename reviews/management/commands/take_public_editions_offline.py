from django.core.management.base import BaseCommand

from reviews.editions import take_public_editions_offline


class Command(BaseCommand):
    help = (
        "Record as offline every published package whose public edition carries an input "
        "that is no longer public, queue a version without it and e-mail the compilers "
        "(run daily; the reviewers' unpublish does it at once, this catches any other path)."
    )

    def handle(self, *args, **options):
        taken = take_public_editions_offline()
        for package in taken:
            self.stdout.write(f"{package}: taken offline ({package.taken_offline_reason})")
        self.stdout.write(f"{len(taken)} public edition(s) taken offline.")
