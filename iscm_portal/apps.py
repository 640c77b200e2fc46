from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The site itself: the user model, the home page, the accounts pages."""

    name = "iscm_portal"
    verbose_name = _("Portal and accounts")
