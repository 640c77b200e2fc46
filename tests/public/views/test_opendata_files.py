"""The whole archive's open data as generated files (`public/opendata_files.py`): built
once per publication state, in the background after each publication, served from
storage with ETag and Last-Modified (304 when unchanged); a request finding no file for
the current state serves the previous one only when nothing in it was taken off, else
builds it. Filtered exports come a page at a time with `next` links."""

import csv
import hashlib
import io
import json
import os
import time

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django_tasks import default_task_backend

from public import opendata_files, tasks
from public.views import opendata as views
from submissions import workflow

from ..conftest import body_of
from ..practice_inputs import publish_practices

WHOLE = {
    "contributions.json": "public:open-data-json",
    "contributions.csv": "public:open-data-csv",
    "practices.json": "public:open-data-practices-json",
    "practices.csv": "public:open-data-practices-csv",
}
DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # "build queued" marks are per state; ids repeat across tests
    yield
    cache.clear()


@pytest.fixture
def no_worker(settings):
    """Tasks are queued and not run, as when the worker has not got to them yet."""
    settings.TASKS = DUMMY
    default_task_backend.clear()
    return default_task_backend


def titles(client, name="public:open-data-json"):
    response = client.get(reverse(name))
    data = json.loads(body_of(response))
    return {r["title"] for r in data["contributions"]}, response


@pytest.mark.parametrize("filename", WHOLE)
def test_the_whole_file_is_served_from_storage_with_etag_and_last_modified(
    client, world, varied, filename
):
    url = reverse(WHOLE[filename])
    first = client.get(url)
    assert first.status_code == 200 and first.streaming
    content = b"".join(first.streaming_content)
    assert first["ETag"] == f'"{hashlib.sha256(content).hexdigest()}"'
    assert first["Last-Modified"].endswith(" GMT")
    assert first["Cache-Control"] == "no-cache"
    assert first["Access-Control-Allow-Origin"] == "*"
    assert first["Content-Type"].startswith("text/csv" if filename.endswith("csv") else "appl")
    # The same bytes again, from the stored file of this publication state.
    again = client.get(url)
    assert b"".join(again.streaming_content) == content
    assert again["Open-Data-State"] == opendata_files.CURRENT
    assert again["ETag"] == first["ETag"]
    # Conditional requests: 304 with no body.
    unchanged = client.get(url, headers={"if-none-match": first["ETag"]})
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert unchanged["ETag"] == first["ETag"]
    # If-Modified-Since alone is answered in full: a state can come back with files
    # built before the copy the client holds (see the next test).
    since = client.get(url, headers={"if-modified-since": first["Last-Modified"]})
    assert since.status_code == 200 and b"".join(since.streaming_content) == content
    other = client.get(url, headers={"if-none-match": '"other"'})
    assert other.status_code == 200 and b"".join(other.streaming_content) == content


def test_a_state_that_comes_back_is_sent_to_a_client_holding_a_newer_copy(client, world, varied):
    """Published, then taken off again: the state (and its files, built earlier) comes
    back. A client holding the copy with the input taken off, asking with its
    Last-Modified only, gets the file again, not a 304 for the copy it holds."""
    tasks.build_open_data.call()
    newer = publish_practices(world, "Briefly published", {world.objectives[0]: "Shared."})
    tasks.build_open_data.call()
    held, held_response = titles(client)
    assert "Briefly published" in held
    workflow.unpublish_input(newer, by=world.reviewer, reason="Taken down.")
    url = reverse("public:open-data-json")
    again = client.get(url, headers={"if-modified-since": held_response["Last-Modified"]})
    assert again.status_code == 200
    assert "Briefly published" not in body_of(again)
    assert again["ETag"] != held_response["ETag"]
    assert client.get(url, headers={"if-none-match": again["ETag"]}).status_code == 304


def test_the_whole_json_keeps_its_shape_with_next_null(client, world, varied):
    data = json.loads(body_of(client.get(reverse("public:open-data-json"))))
    assert list(data) == ["source", "count", "errors", "fields", "next", "contributions"]
    assert data["count"] == len(data["contributions"]) == 4
    assert data["next"] is None and data["errors"] == {}
    assert data["source"] == "http://testserver/open-data/contributions.json"


def test_a_publication_rebuilds_the_files_in_the_background(
    client, world, varied, django_capture_on_commit_callbacks
):
    before, _response = titles(client)
    assert "Newly published" not in before
    # After commit, the task (run inline here) builds the new state's files, so the
    # next download is the current file, not one built in the request.
    with django_capture_on_commit_callbacks(execute=True):
        publish_practices(world, "Newly published", {world.objectives[0]: "Shared."})
    stored = default_storage.listdir(f"{opendata_files.FOLDER}/site")[0]
    assert len(stored) == 2  # the previous state and the new one
    after, response = titles(client)
    assert after == before | {"Newly published"}
    assert response["Open-Data-State"] == opendata_files.CURRENT


def test_a_publication_queues_one_build_after_commit(
    world, varied, no_worker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        publish_practices(world, "Newly published", {world.objectives[0]: "Shared."})
    assert not [r for r in no_worker.results if r.task.name == "build_open_data"]
    for callback in callbacks:
        callback()
    queued = [r for r in no_worker.results if r.task.name == "build_open_data"]
    assert len(queued) == 1


def test_right_after_an_unpublication_the_input_is_never_served(client, world, varied, no_worker):
    """No worker has run: the previous file would still hold the input taken off, so the
    request builds the file of the current state itself."""
    tasks.build_open_data.call()  # the files of the state with four inputs
    assert "Direct to AMR" in titles(client)[0]
    workflow.unpublish_input(varied["amr_direct"], by=world.reviewer, reason="Taken down.")
    after, response = titles(client)
    assert "Direct to AMR" not in after and len(after) == 3
    assert response["Open-Data-State"] == opendata_files.BUILT_NOW
    for name in ("public:open-data-csv", "public:open-data-practices-json"):
        assert "Direct to AMR" not in body_of(client.get(reverse(name)))
    # A build was queued for the new state, once, however many requests came.
    titles(client)
    assert len([r for r in no_worker.results if r.args == [["site"]]]) == 1


def test_right_after_a_publication_the_previous_file_is_served_meanwhile(
    client, world, varied, no_worker
):
    tasks.build_open_data.call()
    first, first_response = titles(client)
    publish_practices(world, "Newly published", {world.objectives[0]: "Shared."})
    stale, response = titles(client)
    # Nothing taken off since: the last file built, seconds old, and it says so.
    assert stale == first
    assert response["Open-Data-State"] == opendata_files.PREVIOUS
    assert response["ETag"] == first_response["ETag"]
    tasks.build_open_data.call()  # the worker gets to it
    current, response = titles(client)
    assert current == first | {"Newly published"}
    assert response["Open-Data-State"] == opendata_files.CURRENT


def test_only_published_inputs_are_in_the_files(client, world):
    publish_practices(world, "Public input", {world.objectives[0]: "Public practice."})
    for state in ("draft", "submitted", "accepted"):
        publish_practices(world, f"Hidden {state}", {world.objectives[0]: "SECRET."}, state=state)
    for name in WHOLE.values():
        body = body_of(client.get(reverse(name)))
        assert "Public" in body and "Hidden" not in body and "SECRET" not in body, name


def test_old_states_are_pruned(client, world, varied):
    for n in range(4):
        publish_practices(world, f"Published {n}", {world.objectives[0]: f"Practice {n}."})
        tasks.build_open_data.call()
    keys, _files = default_storage.listdir(f"{opendata_files.FOLDER}/site")
    assert len(keys) == opendata_files.KEEP


def test_a_state_a_request_is_building_is_not_pruned_until_it_is_old(world, varied):
    """A file saved, its meta not yet written (a request building it): kept by another
    build's pruning, unless untouched for STRAY_HOURS."""
    tasks.build_open_data.call()
    scope = opendata_files.site_scope()
    partial = f"{scope.folder}/partial/contributions.json"
    default_storage.save(partial, ContentFile(b"[]"))
    assert opendata_files.prune(scope) == 0
    assert default_storage.exists(partial)
    old = time.time() - (opendata_files.STRAY_HOURS + 1) * 3600
    os.utime(default_storage.path(partial), (old, old))
    assert opendata_files.prune(scope) == 1
    assert not default_storage.exists(partial)


def test_whole_files_cost_the_same_queries_whatever_the_data(client, world, varied, count_queries):
    tasks.build_open_data.call()
    few = {name: count_queries(client, reverse(name)) for name in WHOLE.values()}
    for n in range(5):
        publish_practices(world, f"More {n}", {world.objectives[0]: f"Practice {n}."})
    tasks.build_open_data.call()
    many = {name: count_queries(client, reverse(name)) for name in WHOLE.values()}
    assert many == few
    # The kept publication state: nothing per record, nothing per cycle.
    assert max(few.values()) <= 2


# --- filtered exports, a page at a time ------------------------------------------------------


def test_a_filtered_json_comes_a_page_at_a_time_with_next_links(
    client, world, varied, monkeypatch
):
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    url = reverse("public:open-data-json")
    response = client.get(url, {"language": ["en", "fr", "es"]})
    first = json.loads(body_of(response))
    assert list(first) == [
        "source",
        "count",
        "errors",
        "fields",
        "page",
        "page_size",
        "next",
        "previous",
        "contributions",
    ]
    assert (first["count"], first["page"], first["page_size"]) == (4, 1, 2)
    assert len(first["contributions"]) == 2 and first["previous"] is None
    assert first["next"].startswith("http://testserver/open-data/contributions.json?")
    assert "page=2" in first["next"] and "language=fr" in first["next"]
    assert response["Link"] == f'<{first["next"]}>; rel="next"'
    assert response["X-Total-Count"] == "4"
    second = json.loads(body_of(client.get(first["next"].removeprefix("http://testserver"))))
    assert second["page"] == 2 and second["next"] is None
    assert second["previous"] and "page=1" in second["previous"]
    ids = [r["id"] for r in first["contributions"] + second["contributions"]]
    assert len(set(ids)) == 4  # every record once, in the export's order
    # Beyond the last page: no records, no next; a page that is not a number: the first.
    beyond = json.loads(body_of(client.get(url, {"language": "en", "page": "9"})))
    assert beyond["contributions"] == [] and beyond["next"] is None
    bad = json.loads(body_of(client.get(url, {"page": "²"})))
    assert bad["page"] == 1 and "page" in bad["errors"]


def test_a_filtered_csv_is_paged_with_a_link_header(client, world, varied, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 1)
    response = client.get(reverse("public:open-data-csv"), {"region": "EUR"})
    rows = list(csv.DictReader(io.StringIO(body_of(response).lstrip("\ufeff"))))
    assert len(rows) == 1
    assert response["X-Total-Count"] == "3"
    assert 'rel="next"' in response["Link"] and "page=2" in response["Link"]
    last = client.get(reverse("public:open-data-csv"), {"region": "EUR", "page": "3"})
    body_of(last)
    assert 'rel="next"' not in last["Link"] and 'rel="prev"' in last["Link"]


def test_filtered_practices_are_paged_and_hold_only_consented_published_ones(
    client, world, monkeypatch
):
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    o1, o2, o3 = world.objectives
    publish_practices(world, "Public", {o1: "One.", o2: "Two.", o3: "Three."})
    publish_practices(world, "Not consented", {o1: "SECRET."}, state="accepted", consent=False)
    url = reverse("public:open-data-practices-json")
    first = json.loads(body_of(client.get(url, {"region": "AMR"})))
    assert first["count"] == 3 and len(first["practices"]) == 2 and first["next"]
    second = json.loads(body_of(client.get(first["next"].removeprefix("http://testserver"))))
    texts = {r["description"] for r in first["practices"] + second["practices"]}
    assert texts == {"One.", "Two.", "Three."}


def test_a_page_costs_the_same_queries_whatever_the_data(client, world, count_queries):
    url = reverse("public:open-data-json") + "?region=AMR"
    practices_url = reverse("public:open-data-practices-csv") + "?region=AMR"
    publish_practices(world, "First", {world.objectives[0]: "Practice."})
    few = (count_queries(client, url), count_queries(client, practices_url))
    for n in range(5):
        publish_practices(world, f"More {n}", {world.objectives[0]: f"Practice {n}."})
    assert (count_queries(client, url), count_queries(client, practices_url)) == few
