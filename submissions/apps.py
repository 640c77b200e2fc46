from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubmissionsConfig(AppConfig):
    """Reference data, written inputs and their lifecycle (the public pages are the
    `public` app's)."""

    name = "submissions"
    verbose_name = _("Reference data and inputs")
