"""Open data across cycles (`public/opendata_cycles.py`): every export carries the cycle and
the regional reviews, a closed cycle's files are frozen (the same bytes and sha256 on
every download, shown on the open-data page and in the data package), and
`datapackage.json` describes every column the files have."""

import csv
import datetime
import hashlib
import io
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from public import opendata, opendata_cycles
from submissions import public_tallies, workflow
from submissions.models import RegionalReview

from ..factories import RegionalReviewFactory, ReviewCycleFactory
from .practice_inputs import closed_cycle, publish_practices

# Table Schema (v1) field types and constraints, and Data Package (v1) names.
TABLE_SCHEMA_TYPES = {
    "string", "number", "integer", "boolean", "object", "array", "date", "time",
    "datetime", "year", "yearmonth", "duration", "geopoint", "geojson", "any",
}  # fmt: skip
CONSTRAINTS = {"required", "unique", "minLength", "maxLength", "minimum", "maximum"}
CONSTRAINTS |= {"pattern", "enum"}
NAME = re.compile(r"^[-a-z0-9._/]+$")


def cycle_file(cycle, filename):
    return reverse("public:open-data-cycle-file", args=[cycle.slug, filename])


def download(client, url) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, url
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def cycles(world):
    """The closed 2024–2025 cycle with two published inputs with practices, the
    world's open cycle with one."""
    old, reviews = closed_cycle(world)
    o1, o2, _o3 = world.objectives
    first = publish_practices(
        world,
        "Earlier input",
        {o1: "Labour agreements.", o2: "Data sharing."},
        cycle=old,
        targets=[reviews["amr"], reviews["eur"]],
        partners=[world.partner],
    )
    second = publish_practices(
        world, "Another earlier input", {o1: "Consular help."}, cycle=old, targets=[reviews["amr"]]
    )
    current = publish_practices(world, "Current input", {o1: "New agreements."})
    return {"old": old, "first": first, "second": second, "current": current}


def test_closed_means_every_meeting_held_or_the_last_year_over(world):
    today = timezone.localdate()
    cycle = world.cycle  # 2028–2029, reviews meeting in 70 days (the factory's)
    reviews = list(cycle.regional_reviews.all())
    assert not opendata_cycles.is_closed(cycle, reviews, today)
    past = today - datetime.timedelta(days=1)
    RegionalReview.objects.filter(cycle=cycle).exclude(pk=reviews[0].pk).update(meeting_date=past)
    reviews = list(cycle.regional_reviews.all())
    assert not opendata_cycles.is_closed(cycle, reviews, today)  # one meeting still to come
    RegionalReview.objects.filter(cycle=cycle).update(meeting_date=past)
    reviews = list(cycle.regional_reviews.all())
    assert all(r.status_on(today) == RegionalReview.Status.HELD for r in reviews)
    assert opendata_cycles.is_closed(cycle, reviews, today)
    # On the meeting day itself the review is not held yet.
    RegionalReview.objects.filter(pk=reviews[0].pk).update(meeting_date=today)
    assert not opendata_cycles.is_closed(cycle, list(cycle.regional_reviews.all()), today)
    # A cycle without reviews closes with its last year; an unscheduled one too.
    empty = ReviewCycleFactory(start_year=today.year - 2, end_year=today.year)
    assert not opendata_cycles.is_closed(empty, [], today)
    assert opendata_cycles.is_closed(empty, [], today.replace(year=today.year + 1))
    unscheduled = RegionalReviewFactory(cycle=empty, meeting_date=None)
    assert not opendata_cycles.is_closed(empty, [unscheduled], today)


@pytest.mark.parametrize("filename", opendata_cycles.CYCLE_FILES)
def test_a_closed_cycles_file_is_the_same_bytes_on_every_download(client, world, cycles, filename):
    url = cycle_file(cycles["old"], filename)
    first = download(client, url)
    assert download(client, url) == first
    # A publication in the open cycle, an edit of reference data and a page in another
    # language change nothing.
    publish_practices(world, "Yet another current input", {world.objectives[0]: "More."})
    world.lead.name = "Renamed mechanism"
    world.lead.save()
    client.cookies["django_language"] = "fr"
    response = client.get(url)
    again = b"".join(response.streaming_content)
    assert again == first
    sha = hashlib.sha256(first).hexdigest()
    assert response["ETag"] == f'"{sha}"'
    assert response["Access-Control-Allow-Origin"] == "*"
    assert b"Renamed" not in again and b"Current input" not in again
    assert "Earlier input" in first.decode("utf-8-sig") or filename.startswith("practices")


@pytest.mark.parametrize("filename", opendata_cycles.CYCLE_FILES)
def test_building_a_cycles_file_twice_gives_the_same_bytes(world, cycles, filename):
    """What makes a rebuilt frozen file (after its storage is lost) the same file: no
    time of generation, a fixed order, English whatever the language active."""

    def build():
        (export,) = opendata_cycles.cycle_exports(
            timezone.localdate(), slug="2024-2025", build=False
        )
        return "".join(opendata_cycles.cycle_chunks(export, filename))

    first = build()
    with translation.override("ar"):
        assert build() == first


def test_a_closed_cycles_files_change_when_its_publication_changes(client, world, cycles):
    url = cycle_file(cycles["old"], "contributions.json")
    before = json.loads(download(client, url))
    assert before["count"] == 2
    workflow.unpublish_input(cycles["second"], by=world.reviewer, reason="Taken down.")
    after = json.loads(download(client, url))
    assert after["count"] == 1
    assert [r["title"] for r in after["contributions"]] == ["Earlier input"]


def test_an_open_cycles_files_follow_each_publication(client, world, cycles):
    """An open cycle's files are generated files (`public/opendata_files.py`): a new
    file, with a new ETag, for each publication state."""
    url = cycle_file(world.cycle, "practices.csv")
    first = client.get(url)
    before = b"".join(first.streaming_content).decode("utf-8-sig")
    assert "New agreements." in before
    publish_practices(world, "Yet another current input", {world.objectives[1]: "More."})
    response = client.get(url)
    after = b"".join(response.streaming_content).decode("utf-8-sig")
    assert len(after.splitlines()) == len(before.splitlines()) + 1
    assert response["ETag"] == f'"{hashlib.sha256(after.encode("utf-8-sig")).hexdigest()}"'
    assert response["ETag"] != first["ETag"]


def test_the_open_data_page_shows_each_frozen_files_sha256(client, world, cycles):
    body = client.get(reverse("public:open-data")).content.decode()
    for filename in opendata_cycles.CYCLE_FILES:
        sha = hashlib.sha256(download(client, cycle_file(cycles["old"], filename))).hexdigest()
        link = f'href="{cycle_file(cycles["old"], filename)}">{filename}</a>'
        row = body.split(link)[1].split("</tr>")[0]
        assert f'<code class="sha256 text-break" dir="ltr">{sha}</code>' in row, filename
        open_row = body.split(f'href="{cycle_file(world.cycle, filename)}">')[1].split("</tr>")[0]
        assert "sha256" not in open_row
    assert "Closed: files frozen" in body and "Open: files follow each publication" in body


def test_every_export_carries_the_cycle_and_the_regional_reviews(client, world, cycles):
    old = cycles["old"].slug
    data = json.loads(download(client, reverse("public:open-data-json")))
    first = next(r for r in data["contributions"] if r["title"] == "Earlier input")
    assert (first["cycle"], first["regional_reviews"]) == (old, [f"{old}/AMR", f"{old}/EUR"])
    practices = json.loads(download(client, reverse("public:open-data-practices-json")))
    assert {(r["cycle"], tuple(r["regional_reviews"])) for r in practices["practices"]} == {
        (old, (f"{old}/AMR", f"{old}/EUR")),
        (old, (f"{old}/AMR",)),
        (world.cycle.slug, (f"{world.cycle.slug}/AMR",)),
    }
    frozen = json.loads(download(client, cycle_file(cycles["old"], "practices.json")))
    assert frozen["cycle"]["slug"] == old and frozen["cycle"]["closed"] is True
    assert [r["id"] for r in frozen["cycle"]["regional_reviews"]] == [f"{old}/AMR", f"{old}/EUR"]
    assert frozen["count"] == len(frozen["practices"]) == 3
    assert "generated_at" not in frozen and "generated_at" not in data


def _check_resource(client, resource):
    assert NAME.match(resource["name"]), resource["name"]
    assert resource["path"].startswith("http://testserver/open-data/")
    fields = resource["schema"]["fields"]
    assert resource["schema"]["primaryKey"] == "id"
    for described in fields:
        assert described["type"] in TABLE_SCHEMA_TYPES, described
        assert described["description"], described
        assert set(described.get("constraints", {})) <= CONSTRAINTS, described
    names = [f["name"] for f in fields]
    content = download(client, resource["path"].removeprefix("http://testserver"))
    if "hash" in resource:
        assert resource["hash"] == "sha256:" + hashlib.sha256(content).hexdigest()
        assert resource["bytes"] == len(content)
    if resource["format"] == "csv":
        assert resource["profile"] == "tabular-data-resource"
        rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
        assert rows[0] == names, resource["name"]
        for row in rows[1:]:
            for value, described in zip(row, fields, strict=True):
                constraints = described.get("constraints", {})
                if constraints.get("required"):
                    assert value != "", (resource["name"], described["name"])
                if value and "pattern" in constraints:
                    assert re.fullmatch(constraints["pattern"], value), (described, value)
                if value and "enum" in constraints:
                    assert value in constraints["enum"], (described, value)
                if described["type"] == "integer":
                    int(value)
    else:
        data = json.loads(content)
        key = resource["name"].split("-")[0]
        assert data["fields"] == names
        assert all(list(record) == names for record in data[key])
    return names


def test_the_data_package_describes_every_column_of_every_file(client, world, cycles):
    response = client.get(reverse("public:open-data-datapackage"))
    assert response["Content-Type"].startswith("application/json")
    package = json.loads(response.content)
    assert package["profile"] == "tabular-data-package" and NAME.match(package["name"])
    names = [r["name"] for r in package["resources"]]
    assert len(names) == len(set(names))
    # Four files over all cycles, four per cycle (the world's and the closed one).
    assert len(names) == 4 + 4 * 2
    hashed = [r for r in package["resources"] if "hash" in r]
    assert {r["path"].split("/")[-2] for r in hashed} == {cycles["old"].slug}
    assert len(hashed) == 4
    for resource in package["resources"]:
        columns = _check_resource(client, resource)
        expected = opendata.FIELDS if "contributions" in resource["name"] else None
        assert columns == list(expected or opendata.PRACTICE_FIELDS)
    # The same document for everyone: in English, whatever the page's language.
    client.cookies["django_language"] = "ar"
    assert client.get(reverse("public:open-data-datapackage")).content == response.content


def test_a_cycles_data_package_describes_its_own_files(client, world, cycles):
    package = json.loads(download(client, cycle_file(cycles["old"], "datapackage.json")))
    assert [r["name"] for r in package["resources"]] == [
        f"{name.replace('.', '-')}-{cycles['old'].slug}" for name in opendata_cycles.CYCLE_FILES
    ]
    for resource in package["resources"]:
        _check_resource(client, resource)
        assert resource["hash"].startswith("sha256:")
    again = download(client, cycle_file(cycles["old"], "datapackage.json"))
    assert json.loads(again) == package


@pytest.mark.parametrize(
    "path",
    [
        "/open-data/2024-2025/contributions.xml",
        "/open-data/2024-2025/..%2Fsecret.csv",
        "/open-data/no-such-cycle/contributions.csv",
        "/open-data/no-such-cycle/datapackage.json",
    ],
)
def test_unknown_cycle_files_are_a_404(client, world, cycles, path):
    assert client.get(path).status_code == 404


def test_query_strings_do_not_change_a_cycles_file(client, world, cycles):
    url = cycle_file(cycles["old"], "contributions.csv")
    assert download(client, url + "?region=EUR&q=x") == download(client, url)


def test_frozen_downloads_and_the_page_cost_the_same_queries_whatever_the_data(
    client, world, cycles, count_queries, settings
):
    settings.PUBLIC_CACHE_SECONDS = 0
    url = cycle_file(cycles["old"], "practices.csv")
    page = reverse("public:open-data")
    client.get(page)  # every frozen file built and stored
    few = (count_queries(client, url), count_queries(client, page))
    for n in range(4):
        publish_practices(world, f"Current {n}", {world.objectives[0]: f"Practice {n}."})
    assert (count_queries(client, url), count_queries(client, page)) == few
    # The cycle with its reviews and the publication state: nothing per record.
    assert few[0] <= 4


def test_a_cycles_publication_state_is_kept_and_follows_each_change(world, cycles):
    """The state that names a closed cycle's frozen files is read from the numbers kept
    as inputs are published (the same as a count from scratch) and changes with each
    publication, unpublication and publication again, not with another cycle's."""
    old = cycles["old"]

    def state():
        (export,) = opendata_cycles.cycle_exports(timezone.localdate(), slug=old.slug, build=False)
        return export.state

    first = state()
    assert first["n"] == 2
    publish_practices(world, "Another current input", {world.objectives[0]: "More."})
    assert state() == first
    workflow.unpublish_input(cycles["second"], by=world.reviewer, reason="Taken down.")
    taken_off = state()
    assert taken_off["n"] == 1
    assert taken_off["ids"] == cycles["first"].pk
    workflow.publish_input(cycles["second"], by=world.reviewer)
    again = state()
    assert again["n"] == 2
    assert again not in (first, taken_off)
    public_tallies.rebuild()  # counted from scratch: the same state
    assert state() == again
