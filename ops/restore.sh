#!/usr/bin/env bash
# Restore a backup made by ops/backup.sh into an EMPTY database and media folder.
#
#     DATABASE_URL=postgres://…/new_db MEDIA_ROOT=/srv/portal/media ops/restore.sh /backups/2026-11-30
#
# Checks the SHA-256 sums first and refuses a damaged backup; refuses a database that
# already holds the portal's tables (restore into a new one, then switch over).
# Afterwards: `manage.py migrate` (a no-op unless the code is newer than the backup) and
# `manage.py rebuild_search_index`.
set -euo pipefail

src=${1:?usage: ops/restore.sh BACKUP_FOLDER}
: "${DATABASE_URL:?set DATABASE_URL (postgres://…)}"
(cd "$src" && sha256sum --check --quiet SHA256SUMS) || {
  echo "the backup in $src does not match its SHA256SUMS: not restoring" >&2
  exit 1
}
tables=$(psql "$DATABASE_URL" -tAc \
  "SELECT count(*) FROM information_schema.tables WHERE table_name = 'submissions_writteninput'")
if [[ $tables != 0 ]]; then
  echo "the database already holds the portal's tables: restore into an empty one" >&2
  exit 1
fi
pg_restore --no-owner --exit-on-error --dbname="$DATABASE_URL" "$src/database.dump"
if [[ -f $src/media.tar.gz ]]; then
  : "${MEDIA_ROOT:?set MEDIA_ROOT: the backup holds stored files}"
  mkdir -p "$MEDIA_ROOT"
  tar --extract --gzip --file="$src/media.tar.gz" --directory="$MEDIA_ROOT"
fi
echo "restored $src"
