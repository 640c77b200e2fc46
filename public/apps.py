from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicConfig(AppConfig):
    """Everything anyone may read without signing in: published contributions, the
    ISCM, objective and region pages, open data, the sitemap and published packages.

    Owns no data (no models): it reads `submissions` and `reviews`, which never import
    this app.
    """

    name = "public"
    verbose_name = _("Public site")
