"""/healthz (iscm_portal/health.py, iscm_portal/views.py::healthz): 200 when the database
answers, every migration is applied, a task worker was seen lately and the storage takes
a file; 503 naming the failing check otherwise. Each failure is produced for real (a
migration marked unapplied, no worker or a stale one, a media folder that cannot be
made, a database wrapper pointed at a file that cannot be opened)."""

import copy
import datetime
import json
import logging

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.db.utils import load_backend
from django.urls import reverse
from django.utils import timezone

from iscm_portal import health
from iscm_portal.models import WorkerHeartbeat

from ..factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/healthz"
# SELECT 1; the migration table's existence and its rows; the newest worker heartbeat.
HEALTH_QUERIES = 4


@pytest.fixture
def worker():
    now = timezone.now()
    return WorkerHeartbeat.objects.create(
        worker_id="w1", hostname="host", pid=1, started_at=now, seen_at=now
    )


def body(response) -> dict:
    assert response["Content-Type"] == "application/json"
    return json.loads(response.content)


def test_url_is_healthz():
    assert reverse("healthz") == URL


def test_healthy_setup_answers_200_naming_each_check(
    client, worker, django_assert_max_num_queries
):
    with django_assert_max_num_queries(HEALTH_QUERIES):
        response = client.get(URL)
    assert response.status_code == 200
    result = body(response)
    assert result["status"] == "ok"
    assert set(result["checks"]) == {"database", "migrations", "worker", "storage"}
    assert all(check["ok"] for check in result["checks"].values())
    assert result["checks"]["worker"]["seen_seconds_ago"] <= 1


def test_never_cached_no_cookie_no_html(client, worker):
    response = client.get(URL)
    cache = {d.split("=")[0].strip() for d in response["Cache-Control"].split(",")}
    assert {"no-store", "no-cache", "private"} <= cache and "public" not in cache
    assert not response.cookies
    assert b"<" not in response.content


def test_anonymous_and_signed_in_get_the_same_answer(client, worker):
    assert client.get(URL).status_code == 200
    client.force_login(UserFactory())
    assert client.get(URL).status_code == 200


def test_head_answers_without_a_body_and_other_methods_are_refused(client, worker):
    head = client.head(URL)
    assert head.status_code == 200 and head.content == b""
    for method in (client.post, client.put, client.delete, client.patch):
        assert method(URL).status_code == 405, method


def test_a_probe_over_plain_http_is_not_redirected_to_https(client, settings, worker):
    """A balancer probes the web process directly, without TLS (SECURE_REDIRECT_EXEMPT)."""
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/robots.txt").status_code == 301
    assert client.get(URL).status_code == 200


def test_no_worker_ever_seen_answers_503(client):
    response = client.get(URL)
    assert response.status_code == 503
    result = body(response)
    assert result["status"] == "fail"
    assert result["checks"]["worker"] == {
        "ok": False,
        "error": "no task worker has ever been seen",
    }
    assert result["checks"]["database"]["ok"] and result["checks"]["storage"]["ok"]


def test_worker_not_seen_lately_answers_503(client, settings, worker):
    settings.WORKER_SEEN_SECONDS = 300
    WorkerHeartbeat.objects.update(seen_at=timezone.now() - datetime.timedelta(seconds=301))
    response = client.get(URL)
    assert response.status_code == 503
    check = body(response)["checks"]["worker"]
    assert check["ok"] is False
    assert check["error"] == "no task worker seen in the last 300 seconds"
    assert check["seen_seconds_ago"] >= 301
    WorkerHeartbeat.objects.update(seen_at=timezone.now() - datetime.timedelta(seconds=200))
    assert client.get(URL).status_code == 200


def test_unapplied_migration_answers_503(client, worker):
    """The code holds a migration the database has not recorded: `migrate` was not run."""
    MigrationRecorder(connection).record_unapplied("iscm_portal", "0001_worker_heartbeat")
    response = client.get(URL)
    assert response.status_code == 503
    assert body(response)["checks"]["migrations"] == {
        "ok": False,
        "error": "1 migrations not applied",
        "unapplied": 1,
    }


def test_storage_that_takes_no_file_answers_503(client, settings, tmp_path, worker):
    """MEDIA_ROOT under a plain file: the folder cannot be made, so nothing can be saved."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    settings.MEDIA_ROOT = blocker / "media"
    response = client.get(URL)
    assert response.status_code == 503
    assert body(response)["checks"]["storage"] == {
        "ok": False,
        "error": "the storage does not take a file",
    }


def test_storage_probe_leaves_nothing(client, settings, worker):
    client.get(URL)
    assert not list(settings.MEDIA_ROOT.iterdir())


def test_database_that_does_not_answer_answers_503(client, monkeypatch, tmp_path):
    """The only check that needs a stand-in: the test's own database must keep answering,
    so /healthz is handed a real connection to a database that cannot be opened."""
    settings_dict = copy.deepcopy(connection.settings_dict)
    if connection.vendor == "postgresql":
        settings_dict.update(HOST="127.0.0.1", PORT="1")
    else:
        settings_dict["NAME"] = str(tmp_path / "no-such-folder" / "db.sqlite3")
    broken = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, "broken")
    monkeypatch.setattr(health, "connection", broken)
    response = client.get(URL)
    assert response.status_code == 503
    checks = body(response)["checks"]
    assert checks["database"] == {"ok": False, "error": "the database does not answer"}
    not_checked = {"ok": False, "error": "not checked: the database does not answer"}
    assert checks["migrations"] == checks["worker"] == not_checked
    assert checks["storage"] == {"ok": True}
    broken.close()


def test_a_failing_probe_logs_its_reasons_not_a_request_error(client, caplog):
    """django.request's error record of the 503 is dropped (settings.LOGGING); the health
    module's one warning names what fails. Other paths' request records are kept."""
    with caplog.at_level(logging.WARNING):
        assert client.get(URL).status_code == 503
        assert client.get("/no-such-page/").status_code == 404
    request_records = [r for r in caplog.records if r.name == "django.request"]
    assert [r.request.path for r in request_records] == ["/no-such-page/"]
    health_records = [r for r in caplog.records if r.name == "iscm_portal.health"]
    assert [r.getMessage() for r in health_records] == [
        "Health check failing: worker: no task worker has ever been seen"
    ]
