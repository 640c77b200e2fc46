from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from submissions import outbox


class Command(BaseCommand):
    help = (
        "Send the e-mails whose next attempt is due (and those of a delivery that died), "
        "then delete the sent ones older than --keep-days. The task worker retries on its "
        "own; run this from cron every 10 minutes as the safety net for a retry whose task "
        "was lost."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--keep-days",
            type=int,
            default=30,
            help="Keep sent e-mails this many days (default 30); failed ones stay until sent.",
        )

    def handle(self, *args, keep_days=30, **options):
        if keep_days < 1:
            raise CommandError("--keep-days must be at least 1.")
        sent = outbox.deliver_due()
        forgotten = outbox.forget_sent(older_than=timedelta(days=keep_days))
        waiting = outbox.problems().count()
        self.stdout.write(
            f"{sent} e-mail(s) sent; {waiting} failed or waiting to be retried; "
            f"{forgotten} sent more than {keep_days} days ago deleted."
        )
