"""manage.py seed_bench (iscm_portal/management/commands/seed_bench.py): seeded inputs
for the benchmarks, accepted for a package or published for the public pages."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from iscm_portal.demo import load_demo_data
from reviews import packages
from submissions.models import InputTarget, WrittenInput

pytestmark = pytest.mark.django_db


def test_seed_bench_seeds_accepted_inputs_a_package_can_hold(reference_data, settings):
    settings.DEBUG = True

    load_demo_data(today=timezone.localdate())
    call_command("seed_bench", "--inputs", "3", "--region", "ECLAC", stdout=StringIO())
    seeded = WrittenInput.objects.filter(created_by__email="bench@example.invalid")
    assert seeded.count() == 3
    assert {i.status for i in seeded} == {"accepted"}
    assert {i.language for i in seeded} == {"en", "fr", "es"}
    eclac = seeded.first().target_reviews.get()
    assert {v.input_id for v in packages.accepted_versions(eclac)} >= {i.pk for i in seeded}
    settings.DEBUG = False
    with pytest.raises(Exception, match="force"):
        call_command("seed_bench", "--inputs", "1", stdout=StringIO())


def test_seed_bench_publish_seeds_searchable_published_inputs(reference_data, settings, client):
    settings.DEBUG = True

    load_demo_data(today=timezone.localdate())
    call_command("seed_bench", "--publish", "--inputs", "20", stdout=StringIO())
    seeded = WrittenInput.objects.filter(created_by__email="bench@example.invalid")
    assert seeded.count() == 20
    assert {i.status for i in seeded} == {"published"}
    assert all(i.published_at and i.published_version == 1 for i in seeded)
    # Every review a seeded input targets accepted it, so packages can hold them.
    targets = InputTarget.objects.filter(writteninput__in=seeded)
    assert set(targets.values_list("decision", "decided_version")) == {("accepted", 1)}
    assert seeded.filter(partner_iscms__isnull=False).distinct().count() == 5
    results = client.get(reverse("public:contribution-list"), {"q": "marker17"})
    assert [i.title for i in results.context["results"].inputs] == [
        i.title for i in seeded if "marker17" in i.search_document
    ]
    page = client.get(seeded.first().get_public_url())
    assert page.status_code == 200
