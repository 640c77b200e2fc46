"""sitemap.xml (`public/sitemaps.py`) and robots.txt, which points to it."""

from django.urls import reverse


def test_sitemap_and_robots(client, world, varied):
    sitemap = client.get(reverse("public:sitemap")).content.decode()
    for written_input in varied.values():
        assert f"/contributions/{written_input.slug}/" in sitemap
    assert f"/iscms/{world.lead.slug}/" in sitemap
    assert "/objectives/1/" in sitemap and "/regions/EUR/" in sitemap
    robots = client.get("/robots.txt")
    assert robots["Content-Type"].startswith("text/plain")
    text = robots.content.decode()
    assert "Disallow: /my/" in text and "Sitemap: http://testserver/sitemap.xml" in text
