from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The site itself: the user model, the home page, the accounts pages."""

    name = "iscm_portal"
    verbose_name = _("Portal and accounts")

    def ready(self):
        # Registers the deployment check that the database answers (check --deploy);
        # importing it earlier would load the database layer before the apps.
        from . import startup  # noqa: F401, PLC0415
