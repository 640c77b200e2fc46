"""The backup and restore procedure of docs/operations.md, tried for real on PostgreSQL:
back up a database with a published input, an attachment and a compiled package,
restore it into a new database and media folder, compare."""

import hashlib
import os
import secrets
import shutil
import subprocess
from pathlib import Path

import psycopg2
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from reviews import package_pdf, packages
from submissions import editing

from .sample_files import make_pdf
from .submissions.conftest import make_input, world  # noqa: F401 (fixtures)

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the procedure backs up PostgreSQL"
    ),
    pytest.mark.skipif(not shutil.which("pg_dump"), reason="pg_dump is not installed"),
]


def _url(name: str) -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{name}"


def _rows(url: str) -> dict:
    tables = (
        "submissions_writteninput",
        "submissions_inputversion",
        "submissions_attachment",
        "submissions_reviewevent",
        "reviews_regionalpackage",
        "accounts_user",
    )
    with psycopg2.connect(url) as db, db.cursor() as cursor:
        counts = {}
        for table in tables:
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 — fixed names
            counts[table] = cursor.fetchone()[0]
        cursor.execute("SELECT slug, search_document FROM submissions_writteninput ORDER BY id")
        counts["inputs"] = cursor.fetchall()
    db.close()
    return counts


def _hashes(folder: Path) -> dict:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.rglob("*")
        if p.is_file()
    }


@pytest.mark.django_db(transaction=True)
def test_backup_and_restore_round_trip(tmp_path, settings, world, make_input):  # noqa: F811
    draft = make_input("With an annex", "draft")
    editing.add_attachment(
        draft,
        SimpleUploadedFile("annex.pdf", make_pdf(), content_type="application/pdf"),
        title="Annex",
        by=world.lead_user,
    )
    make_input("Published")
    package, _ = packages.request_compile(world.reviews.amr, by=None, enqueue=False)
    assert package_pdf.compile_package(package.pk).status == "done"

    source = _url(connection.settings_dict["NAME"])
    restored_name = f"iscm_restore_{secrets.token_hex(4)}"
    restored = _url(restored_name)
    backup = tmp_path / "backup"
    media_restored = tmp_path / "media-restored"
    env = {**os.environ, "DATABASE_URL": source, "MEDIA_ROOT": str(settings.MEDIA_ROOT)}
    subprocess.run([ROOT / "ops" / "backup.sh", backup], env=env, check=True, capture_output=True)
    assert {p.name for p in backup.iterdir()} == {"database.dump", "media.tar.gz", "SHA256SUMS"}

    subprocess.run(["createdb", "--maintenance-db", source, restored_name], check=True)
    try:
        env = {**os.environ, "DATABASE_URL": restored, "MEDIA_ROOT": str(media_restored)}
        subprocess.run(
            [ROOT / "ops" / "restore.sh", backup], env=env, check=True, capture_output=True
        )
        assert _rows(restored) == _rows(source)
        assert _hashes(media_restored) == _hashes(Path(settings.MEDIA_ROOT))
        assert any(name.startswith("packages/") for name in _hashes(media_restored))
        # Restoring again over the restored copy is refused: it is not empty.
        again = subprocess.run(
            [ROOT / "ops" / "restore.sh", backup], env=env, capture_output=True, text=True
        )
        assert again.returncode == 1 and "restore into an empty one" in again.stderr
    finally:
        subprocess.run(["dropdb", "--maintenance-db", source, restored_name], check=True)


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_damaged_backup(tmp_path, settings):
    source = _url(connection.settings_dict["NAME"])
    backup = tmp_path / "backup"
    env = {**os.environ, "DATABASE_URL": source, "MEDIA_ROOT": ""}
    subprocess.run([ROOT / "ops" / "backup.sh", backup], env=env, check=True, capture_output=True)
    with (backup / "database.dump").open("ab") as dump:
        dump.write(b"tampered")
    result = subprocess.run(
        [ROOT / "ops" / "restore.sh", backup], env=env, capture_output=True, text=True
    )
    assert result.returncode == 1 and "does not match its SHA256SUMS" in result.stderr


@pytest.mark.django_db(transaction=True)
def test_restore_into_a_media_folder_with_files_only_with_overwrite_media(
    tmp_path,
    settings,
    world,  # noqa: F811
    make_input,  # noqa: F811
):
    draft = make_input("With an annex", "draft")
    editing.add_attachment(
        draft,
        SimpleUploadedFile("annex.pdf", make_pdf(), content_type="application/pdf"),
        title="Annex",
        by=world.lead_user,
    )
    source = _url(connection.settings_dict["NAME"])
    backup = tmp_path / "backup"
    env = {**os.environ, "DATABASE_URL": source, "MEDIA_ROOT": str(settings.MEDIA_ROOT)}
    subprocess.run([ROOT / "ops" / "backup.sh", backup], env=env, check=True, capture_output=True)

    media = tmp_path / "media-in-use"
    media.mkdir()
    (media / "stray.txt").write_text("a file from before the restore")
    restored_name = f"iscm_restore_{secrets.token_hex(4)}"
    restored = _url(restored_name)
    subprocess.run(["createdb", "--maintenance-db", source, restored_name], check=True)
    try:
        env = {**os.environ, "DATABASE_URL": restored, "MEDIA_ROOT": str(media)}
        refused = subprocess.run(
            [ROOT / "ops" / "restore.sh", backup], env=env, capture_output=True, text=True
        )
        assert refused.returncode == 1 and "is not empty" in refused.stderr
        # Refused before anything was written: the new database is still empty.
        with psycopg2.connect(restored) as db, db.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
            )
            assert cursor.fetchone()[0] == 0
        db.close()
        assert _hashes(media) == {
            "stray.txt": hashlib.sha256(b"a file from before the restore").hexdigest()
        }

        subprocess.run(
            [ROOT / "ops" / "restore.sh", "--overwrite-media", backup],
            env=env,
            check=True,
            capture_output=True,
        )
        assert _rows(restored) == _rows(source)
        # The backup's files unpacked over the folder; the file that was there stays.
        expected = _hashes(Path(settings.MEDIA_ROOT))
        assert expected and _hashes(media) == {
            **expected,
            "stray.txt": hashlib.sha256(b"a file from before the restore").hexdigest(),
        }
    finally:
        subprocess.run(["dropdb", "--maintenance-db", source, restored_name], check=True)
