from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from iscm_portal.demo import DemoRefused, load_demo_data


class Command(BaseCommand):
    help = "Load the demo accounts and open the demo review round (development only)."

    def handle(self, *args, **options):
        try:
            accounts = load_demo_data(today=timezone.localdate())
        except DemoRefused as refusal:
            raise CommandError(str(refusal)) from None
        self.stdout.write(self.style.SUCCESS("Demo accounts (sign in at /accounts/login/):"))
        width = max(len(a.email) for a in accounts)
        for account in accounts:
            self.stdout.write(f"  {account.email:<{width}}  {account.password}  {account.role}")
        self.stdout.write(
            "IOM staff (reviewers, compilers, admin) set up a second factor at their first "
            "sign-in: an authenticator app (TOTP). admin@example.org manages people at /staff/."
        )
