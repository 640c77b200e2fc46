from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    """IOM staff work: review queue and decisions, regional packages.

    Imports `submissions`; `submissions` never imports this app.
    """

    name = "reviews"
    verbose_name = _("Reviews and packages")
