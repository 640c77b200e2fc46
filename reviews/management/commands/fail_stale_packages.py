"""Mark compiles whose worker died as failed (cron, every 10 minutes; the packages page
and every compile request do it too). See reviews/packages.py."""

from django.core.management.base import BaseCommand

from reviews.packages import fail_stale_packages


class Command(BaseCommand):
    help = "Mark running package compiles without a recent heartbeat as failed."

    def handle(self, *args, **options):
        count = fail_stale_packages()
        self.stdout.write(f"{count} stalled package compile(s) marked failed.")
