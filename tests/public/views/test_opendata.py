"""Open data (`public/views/opendata.py`): the published contributions as JSON, CSV and
an Atom feed."""

import csv
import io
import json
import xml.etree.ElementTree as ET

from django.urls import reverse

from submissions.models import WrittenInput

from ..conftest import body_of


def test_open_data_json_has_every_field_and_takes_the_filters(client, world, varied):
    response = client.get(reverse("public:open-data-json"))
    data = json.loads(body_of(response))
    assert data["count"] == 4 and len(data["contributions"]) == 4
    record = next(r for r in data["contributions"] if r["title"] == "Joint to AMR and EUR")
    joint = varied["joint_both"]
    assert record == {
        "id": joint.pk,
        "slug": joint.slug,
        "title": "Joint to AMR and EUR",
        "url": f"http://testserver/contributions/{joint.slug}/",
        "pdf_url": f"http://testserver/contributions/{joint.slug}/pdf/",
        "cycle": world.cycle.slug,
        "regional_reviews": [f"{world.cycle.slug}/AMR", f"{world.cycle.slug}/EUR"],
        "lead_iscm": "LEAD",
        "partner_iscms": ["PART"],
        "regions": ["AMR", "EUR"],
        "objectives": [1, 2],
        "principles": ["a", "f"],
        "language": "en",
        "basis": "written_input",
        "published_at": WrittenInput.objects.get(pk=joint.pk).published_at.isoformat(),
    }
    filtered = json.loads(body_of(client.get(reverse("public:open-data-json"), {"region": "AMR"})))
    assert {r["title"] for r in filtered["contributions"]} == {
        "Direct to AMR",
        "Joint to AMR and EUR",
    }
    bad = json.loads(body_of(client.get(reverse("public:open-data-json"), {"region": "XX"})))
    assert "region" in bad["errors"] and bad["count"] == 4


def test_open_data_csv_parses_with_the_same_fields(client, varied):
    response = client.get(reverse("public:open-data-csv"), {"language": "es"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(body_of(response).lstrip("\ufeff"))))
    assert len(rows) == 1
    assert list(rows[0]) == [
        "id",
        "slug",
        "title",
        "url",
        "pdf_url",
        "cycle",
        "regional_reviews",
        "lead_iscm",
        "partner_iscms",
        "regions",
        "objectives",
        "principles",
        "language",
        "basis",
        "published_at",
    ]
    assert rows[0]["title"] == "Contribución española"
    assert rows[0]["lead_iscm"] == "PART"
    assert rows[0]["partner_iscms"] == "LEAD"
    assert rows[0]["objectives"] == "3"


def test_feed_is_atom_with_escaped_text(client, make_input):
    make_input("<b>Bold</b> title", intro="<script>alert(1)</script> Text.")
    response = client.get(reverse("public:feed"))
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)  # noqa: S314 — our own feed
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entry = root.find("a:entry", ns)
    assert entry.find("a:title", ns).text == "<b>Bold</b> title"
    summary = entry.find("a:summary", ns)
    assert summary.get("type") == "html"
    assert "<script>" not in summary.text and "&lt;script&gt;" in summary.text
