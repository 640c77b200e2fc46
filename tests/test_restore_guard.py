"""ops/restore.sh's refusals that need no PostgreSQL: a media folder that holds anything is
refused unless --overwrite-media is given, before the database is even asked (the URL
below names a port nothing listens on: reaching psql would fail differently), and
arguments it does not know are refused with its usage. The full restore, with and
without the option, is tried on PostgreSQL in tests/test_operations.py."""

import hashlib
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RESTORE = ROOT / "ops" / "restore.sh"
# Nothing listens there: a script that reached its database query would fail on it.
UNREACHABLE = "postgres://nobody@127.0.0.1:1/nothing"

pytestmark = pytest.mark.skipif(
    not (shutil.which("bash") and shutil.which("sha256sum") and shutil.which("tar")),
    reason="ops/restore.sh needs bash, sha256sum and tar",
)


@pytest.fixture
def backup(tmp_path) -> Path:
    """A backup folder shaped as ops/backup.sh writes it (the dump is not a real one:
    nothing here gets as far as reading it)."""
    folder = tmp_path / "backup"
    folder.mkdir()
    (folder / "database.dump").write_bytes(b"not read by these tests")
    annex = tmp_path / "annex.txt"
    annex.write_text("stored file")
    with tarfile.open(folder / "media.tar.gz", "w:gz") as archive:
        archive.add(annex, arcname="attachments/annex.txt")
    # sha256sum's own format: the hash, two spaces, the name.
    (folder / "SHA256SUMS").write_text(
        "".join(
            f"{hashlib.sha256((folder / name).read_bytes()).hexdigest()}  {name}\n"
            for name in ("database.dump", "media.tar.gz")
        )
    )
    return folder


def restore(*arguments, media_root: Path):
    env = {**os.environ, "DATABASE_URL": UNREACHABLE, "MEDIA_ROOT": str(media_root)}
    return subprocess.run(
        [RESTORE, *arguments], env=env, capture_output=True, text=True, timeout=60
    )


def test_a_media_folder_with_files_is_refused_before_the_database(backup, tmp_path):
    media = tmp_path / "media"
    (media / "packages").mkdir(parents=True)
    (media / "packages" / "old.pdf").write_bytes(b"%PDF")
    result = restore(backup, media_root=media)
    assert result.returncode == 1
    assert f"the media folder {media} is not empty" in result.stderr
    assert "--overwrite-media" in result.stderr
    assert "psql" not in result.stderr and "connection" not in result.stderr
    assert sorted(p.name for p in media.rglob("*")) == ["old.pdf", "packages"]


def test_a_media_folder_with_only_an_empty_subfolder_is_not_empty(backup, tmp_path):
    media = tmp_path / "media"
    (media / "attachments").mkdir(parents=True)
    result = restore(backup, media_root=media)
    assert result.returncode == 1 and "is not empty" in result.stderr


@pytest.mark.parametrize("state", ["missing", "empty"])
def test_a_missing_or_empty_media_folder_passes_to_the_database_check(backup, tmp_path, state):
    media = tmp_path / "media"
    if state == "empty":
        media.mkdir()
    result = restore(backup, media_root=media)
    # Reached the database query (psql), which fails: nothing listens there.
    assert result.returncode != 0 and "psql" in result.stderr
    assert "is not empty" not in result.stderr


def test_overwrite_media_lets_a_folder_with_files_pass(backup, tmp_path):
    media = tmp_path / "media"
    media.mkdir()
    (media / "stray.txt").write_text("left from before")
    result = restore("--overwrite-media", backup, media_root=media)
    # Stopped at the (unreachable) database's psql, not before.
    assert result.returncode != 0 and "psql" in result.stderr
    assert "is not empty" not in result.stderr


def test_unknown_option_and_missing_folder_give_the_usage(backup, tmp_path):
    media = tmp_path / "media"
    for arguments in (("--overwrite", backup), (), ("--overwrite-media",)):
        result = restore(*arguments, media_root=media)
        assert result.returncode == 2, arguments
        assert "usage: ops/restore.sh [--overwrite-media] BACKUP_FOLDER" in result.stderr
    assert not media.exists()
