from django.core.management.base import BaseCommand

from submissions import outbox


class Command(BaseCommand):
    help = (
        "Send the e-mails whose next attempt is due (and those of a delivery that died). "
        "The task worker retries on its own; run this from cron every few minutes as the "
        "safety net for a retry whose task was lost."
    )

    def handle(self, *args, **options):
        sent = outbox.deliver_due()
        waiting = outbox.problems().count()
        self.stdout.write(f"{sent} e-mail(s) sent; {waiting} failed or waiting to be retried.")
