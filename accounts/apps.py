from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """People: invitations, secretariat teams, staff management, profiles, two-factor
    sign-in and the audit trail of who changed whose access. Imports `submissions`
    (memberships, assignments, reference data), never the other way round."""

    name = "accounts"
    verbose_name = _("Accounts and access")
