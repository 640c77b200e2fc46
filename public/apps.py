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

    def ready(self):
        # The generated open-data files are rebuilt after each change of what is
        # published (public/opendata_files.py); submissions sends, never imports us.
        # Imported here: the models must be loaded first.
        from submissions import public_tallies  # noqa: PLC0415

        from . import tasks  # noqa: PLC0415

        public_tallies.publication_changed.connect(
            tasks.publication_changed, dispatch_uid="public-open-data-files"
        )
