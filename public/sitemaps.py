"""sitemap.xml: the public pages search engines should know about."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from submissions.models import ISCM, GCMObjective, Region, WrittenInput


class _PortalSitemap(Sitemap):
    limit = 5000

    @property
    def protocol(self):
        return urlsplit(settings.SITE_URL).scheme or "https"


class ContributionSitemap(_PortalSitemap):
    changefreq = "monthly"

    def items(self):
        return (
            WrittenInput.objects.published()
            .only("slug", "published_at")
            .order_by("published_at", "pk")
        )

    def location(self, item):
        return item.get_public_url()

    def lastmod(self, item):
        return item.published_at


class ISCMSitemap(_PortalSitemap):
    def items(self):
        return ISCM.objects.only("slug").order_by("slug")


class ObjectiveSitemap(_PortalSitemap):
    def items(self):
        return GCMObjective.objects.only("number").order_by("number")


class RegionSitemap(_PortalSitemap):
    def items(self):
        return Region.objects.only("code").order_by("code")

    def location(self, item):
        return reverse("public:region-detail", args=[item.code])


class PageSitemap(_PortalSitemap):
    PAGES = (
        "home",
        "public:contribution-list",
        "public:iscm-list",
        "public:objective-list",
        "public:region-list",
        "public:open-data",
        "public:packages",
    )

    def items(self):
        return list(self.PAGES)

    def location(self, item):
        return reverse(item)


SITEMAPS = {
    "pages": PageSitemap,
    "contributions": ContributionSitemap,
    "iscms": ISCMSitemap,
    "objectives": ObjectiveSitemap,
    "regions": RegionSitemap,
}
