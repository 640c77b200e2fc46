"""The settings module refuses bad environments loudly. Each case starts a fresh
interpreter, because settings are read once per process."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from iscm_portal.settings import database_from_url, env_bool, env_int

BASE_DIR = Path(__file__).resolve().parents[2]


def _load_settings(**env):
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "SITE_URL"}}
    clean.update(env)
    clean["DJANGO_SETTINGS_MODULE"] = "iscm_portal.settings"
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_settings_refuse_to_start_with_debug_off_and_no_secret_key():
    result = _load_settings(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY is required when DEBUG is off" in result.stderr


def test_settings_refuse_to_start_with_debug_off_and_no_site_url():
    result = _load_settings(DEBUG="0", SECRET_KEY="x" * 50)
    assert result.returncode != 0
    assert "SITE_URL is required when DEBUG is off" in result.stderr


def test_settings_start_with_debug_off_a_secret_key_and_a_site_url():
    result = _load_settings(DEBUG="0", SECRET_KEY="x" * 50, SITE_URL="https://portal.test")
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


def test_settings_refuse_a_debug_value_that_is_not_a_boolean():
    result = _load_settings(DEBUG="maybe", SECRET_KEY="x" * 50, SITE_URL="https://p.test")
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_settings_refuse_an_unsupported_database_url():
    result = _load_settings(
        SECRET_KEY="x" * 50, SITE_URL="https://p.test", DATABASE_URL="mysql://db/portal"
    )
    assert result.returncode != 0
    assert "scheme 'mysql' is not supported" in result.stderr


def test_env_helpers_read_and_refuse(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "yes")
    monkeypatch.setenv("SOME_NUMBER", "12")
    assert env_bool("SOME_FLAG") is True
    assert env_int("SOME_NUMBER", 3) == 12
    assert env_int("NOT_SET_AT_ALL", 3) == 3
    monkeypatch.setenv("SOME_NUMBER", "twelve")
    with pytest.raises(ImproperlyConfigured, match="not a whole number"):
        env_int("SOME_NUMBER", 3)


def test_database_url_postgres_and_sqlite(tmp_path):
    pg = database_from_url("postgres://portal:s%40cret@db.internal:5433/iscm?sslmode=require")
    assert pg["ENGINE"] == "django.db.backends.postgresql"
    assert (pg["NAME"], pg["USER"], pg["PASSWORD"], pg["HOST"], pg["PORT"]) == (
        "iscm",
        "portal",
        "s@cret",
        "db.internal",
        "5433",
    )
    assert pg["OPTIONS"] == {
        "sslmode": "require",
        "options": "-c max_parallel_workers_per_gather=0",
    }
    lite = database_from_url(f"sqlite:///{tmp_path}/new-folder/db.sqlite3")
    assert lite["NAME"] == f"{tmp_path}/new-folder/db.sqlite3"
    assert (tmp_path / "new-folder").is_dir()
    with pytest.raises(ImproperlyConfigured, match="names no database"):
        database_from_url("postgres://localhost/")


def test_parallel_query_is_off_unless_asked_for(monkeypatch):
    """The connection's `options` turn PostgreSQL's parallel query off (short page
    queries pay its start-up); DATABASE_PARALLEL_WORKERS sets it, the URL wins."""
    monkeypatch.setenv("DATABASE_PARALLEL_WORKERS", "2")
    assert database_from_url("postgres://h/iscm")["OPTIONS"] == {
        "options": "-c max_parallel_workers_per_gather=2"
    }
    url = "postgres://h/iscm?options=-c%20statement_timeout%3D5000"
    assert database_from_url(url)["OPTIONS"] == {"options": "-c statement_timeout=5000"}


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL setting")
def test_the_connection_runs_without_parallel_query():
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone()[0] == "0"


def _make_run(tmp_path, *arguments, **env):
    """`make run` for real, with a stand-in for the virtualenv's python that records
    each call and the SITE_URL it was given, then returns at once. `install` and the
    secret key are taken as done (`-o`): they are not what is tested."""
    log = tmp_path / "calls.log"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    python = bin_dir / "python"
    # The stand-in runserver waits (5 s at most) for the stand-in worker's record, so
    # that the recipe's trap does not stop the worker before it has written it.
    python.write_text(
        "#!/bin/sh\n"
        'printf "%s|SITE_URL=%s|DEBUG=%s\\n" "$*" "$SITE_URL" "$DEBUG" >> "$CALLS_LOG"\n'
        'if [ "$2" = runserver ]; then\n'
        "  i=0\n"
        '  until grep -q db_worker "$CALLS_LOG" || [ $i -ge 50 ]; do sleep 0.1; i=$((i+1)); done\n'
        "fi\n"
    )
    python.chmod(0o755)
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SITE_URL", "DEBUG", "MAKEFLAGS", "MFLAGS", "MAKELEVEL"}
    }
    result = subprocess.run(
        [
            "make",
            "-s",
            "-o",
            "install",
            "-o",
            "var/secret_key",
            "run",
            f"BIN={bin_dir}",
            *arguments,
        ],
        cwd=BASE_DIR,
        env={**clean, "CALLS_LOG": str(log), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    # The exit status says nothing here: when runserver returns, the recipe's trap
    # stops the worker, and the trap's own status (a kill of a finished process) ends it.
    assert log.exists(), result.stderr
    calls = {}
    for line in log.read_text().splitlines():
        command, site_url, debug = line.split("|")
        calls[command.split()[1]] = (command, site_url, debug)
    return calls


needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


@needs_make
def test_make_run_gives_server_and_worker_a_site_url_on_their_port(tmp_path):
    calls = _make_run(tmp_path, "PORT=8200")
    assert calls["runserver"][0] == "manage.py runserver 127.0.0.1:8200"
    # The worker sends the e-mails; the server shows the citation link.
    for process in ("runserver", "db_worker"):
        assert calls[process][1:] == ("SITE_URL=http://127.0.0.1:8200", "DEBUG=1"), process


@needs_make
def test_make_run_keeps_a_site_url_that_is_set(tmp_path):
    calls = _make_run(tmp_path, "PORT=8200", SITE_URL="http://192.0.2.10:8200")
    for process in ("runserver", "db_worker"):
        assert calls[process][1] == "SITE_URL=http://192.0.2.10:8200", process
