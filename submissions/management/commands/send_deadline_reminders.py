import argparse
import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from submissions.reminders import REMINDER_DAYS, send_deadline_reminders


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from None


class Command(BaseCommand):
    help = (
        "E-mail the secretariats of the ISCMs that have not sent an input to an open "
        f"regional review {' and '.join(map(str, REMINDER_DAYS))} days before its "
        "deadline. Run daily: each reminder is sent once, and a missed day is caught up."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date",
            type=_date,
            help="Act as if today were this date (YYYY-MM-DD); default: today.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Only list the reminders that are due: send and record nothing.",
        )

    def handle(self, *args, date=None, dry_run=False, **options):
        today = date or timezone.localdate()
        reminders = send_deadline_reminders(today, dry_run=dry_run)
        verb = "would be sent" if dry_run else "sent"
        self.stdout.write(
            f"Deadline reminders for {today.isoformat()}{' (dry run)' if dry_run else ''}:"
        )
        current = None
        for r in reminders:
            if r.review != current:
                current = r.review
                self.stdout.write(
                    f"  {r.review} (deadline {r.review.deadline.isoformat()}, "
                    f"{r.days_left} days left)"
                )
            line = f"    {r.iscm.acronym}: {r.days_before}-day reminder"
            if r.error:
                line += f" NOT SENT, retried on the next run ({r.error})"
            elif r.recipients:
                line += f" {verb} to {r.recipients} recipient(s)"
            else:
                line += " recorded, no active secretariat member to send it to"
            if r.superseded:
                steps = ", ".join(f"{d}-day" for d in r.superseded)
                line += f"; {steps} step recorded as superseded"
            self.stdout.write(line)
        delivered = [r for r in reminders if r.recipients and not r.error]
        self.stdout.write(
            f"{len(delivered)} reminder(s) {verb}, "
            f"{sum(r.recipients for r in delivered)} message(s)"
            + (", nothing recorded." if dry_run else ".")
        )
        failed = [r for r in reminders if r.error]
        if failed:
            # A non-zero exit makes cron (or whatever watches it) tell someone.
            raise CommandError(
                f"{len(failed)} reminder(s) could not be sent; they are retried on the next run."
            )
