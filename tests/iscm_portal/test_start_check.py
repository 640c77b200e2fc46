"""The start check (iscm_portal/startup.py): with a DATABASE_URL that is well formed but
wrong — a port nothing listens on, a database that does not exist, a SQLite file that
cannot be opened — gunicorn, runserver and db_worker stop at start with a message naming
the database and a non-zero exit, and `check --deploy` reports an error. Real processes,
real connection failures."""

import os
import secrets
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from iscm_portal.startup import database_problems

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(arguments, database_url, *, debug=False, timeout=60):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_URL", "DEBUG", "DJANGO_"))
    }
    env.update(
        DATABASE_URL=database_url,
        DEBUG="1" if debug else "0",
        SECRET_KEY=secrets.token_urlsafe(50),
        SITE_URL="https://portal.example.org",
        ALLOWED_HOSTS="portal.example.org",
    )
    return subprocess.run(
        arguments, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def closed_port_url() -> str:
    return f"postgres://portal@127.0.0.1:{free_port()}/portal"


def test_check_deploy_reports_a_database_that_does_not_answer():
    url = closed_port_url()
    port = url.split(":")[2].split("/")[0]
    result = run([sys.executable, "manage.py", "check", "--deploy", "--tag", "database"], url)
    assert result.returncode == 1
    assert "(iscm_portal.E001) The database 'portal' on 127.0.0.1:" + port in result.stderr
    assert "Connection refused" in result.stderr


def test_check_deploy_reports_a_sqlite_file_that_cannot_be_opened(tmp_path):
    """A folder where the file should be: SQLite cannot open it."""
    (tmp_path / "db.sqlite3").mkdir()
    result = run(
        [sys.executable, "manage.py", "check", "--deploy", "--tag", "database"],
        f"sqlite:///{tmp_path}/db.sqlite3",
    )
    assert result.returncode == 1
    assert "iscm_portal.E001" in result.stderr and "unable to open database file" in (
        result.stderr
    )


def test_gunicorn_stops_at_start_before_it_listens():
    port = free_port()
    result = run(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "python:iscm_portal.gunicorn_config",
            "iscm_portal.wsgi",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
        ],
        closed_port_url(),
    )
    assert result.returncode == 1, result.stderr
    assert "The portal cannot start:" in result.stderr
    assert "Connection refused" in result.stderr
    assert "Listening at" not in result.stderr and "Booting worker" not in result.stderr


def test_runserver_stops_at_start():
    """With the autoreloader (the default): the child's exit ends the parent too."""
    result = run(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{free_port()}"],
        closed_port_url(),
        debug=True,
    )
    assert result.returncode == 1
    assert "The portal cannot start:" in result.stderr and "Connection refused" in result.stderr
    assert "Starting development server" not in result.stdout


def test_db_worker_stops_at_start():
    result = run([sys.executable, "manage.py", "db_worker", "--no-reload"], closed_port_url())
    assert result.returncode == 1
    assert "The portal cannot start:" in result.stderr and "Connection refused" in result.stderr


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL server answers")
@pytest.mark.django_db
def test_a_missing_database_stops_gunicorn_with_the_server_s_reason():
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    missing = f"iscm_missing_{secrets.token_hex(4)}"
    url = f"postgres://{auth}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{missing}"
    result = run(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "python:iscm_portal.gunicorn_config",
            "iscm_portal.wsgi",
            "-b",
            f"127.0.0.1:{free_port()}",
        ],
        url,
    )
    assert result.returncode == 1
    assert f'database "{missing}" does not exist' in result.stderr
    assert s["PASSWORD"] == "" or s["PASSWORD"] not in result.stderr


@pytest.mark.django_db
def test_the_test_database_passes_the_check():
    assert database_problems() == []
    assert database_problems(["default"]) == []
