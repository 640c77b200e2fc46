#!/usr/bin/env bash
# Restore a backup made by ops/backup.sh into an EMPTY database and media folder.
#
#     DATABASE_URL=postgres://…/new_db MEDIA_ROOT=/srv/portal/media ops/restore.sh /backups/2026-11-30
#     … ops/restore.sh --overwrite-media /backups/2026-11-30
#
# Checks the SHA-256 sums first and refuses a damaged backup; refuses a database that
# already holds the portal's tables (restore into a new one, then switch over); refuses
# a media folder that holds anything, unless --overwrite-media is given: then the
# backup's files are unpacked over it (a file of the same name is replaced, the others
# stay). Every refusal comes before anything is written.
# Afterwards: `manage.py migrate` (a no-op unless the code is newer than the backup) and
# `manage.py rebuild_search_index`.
set -euo pipefail

usage="usage: ops/restore.sh [--overwrite-media] BACKUP_FOLDER"
overwrite_media=no
while [[ $# -gt 0 ]]; do
  case $1 in
    --overwrite-media) overwrite_media=yes; shift ;;
    -h | --help) echo "$usage"; exit 0 ;;
    -*) echo "unknown option $1; $usage" >&2; exit 2 ;;
    *) break ;;
  esac
done
[[ $# -eq 1 ]] || { echo "$usage" >&2; exit 2; }
src=$1
: "${DATABASE_URL:?set DATABASE_URL (postgres://…)}"
(cd "$src" && sha256sum --check --quiet SHA256SUMS) || {
  echo "the backup in $src does not match its SHA256SUMS: not restoring" >&2
  exit 1
}
if [[ -f $src/media.tar.gz ]]; then
  : "${MEDIA_ROOT:?set MEDIA_ROOT: the backup holds stored files}"
  if [[ $overwrite_media == no && -d $MEDIA_ROOT ]] &&
    [[ -n $(find "$MEDIA_ROOT" -mindepth 1 -print -quit) ]]; then
    echo "the media folder $MEDIA_ROOT is not empty: restore into an empty one," \
      "or give --overwrite-media to unpack the backup's files over it" >&2
    exit 1
  fi
fi
tables=$(psql "$DATABASE_URL" -tAc \
  "SELECT count(*) FROM information_schema.tables WHERE table_name = 'submissions_writteninput'")
if [[ $tables != 0 ]]; then
  echo "the database already holds the portal's tables: restore into an empty one" >&2
  exit 1
fi
pg_restore --no-owner --exit-on-error --dbname="$DATABASE_URL" "$src/database.dump"
if [[ -f $src/media.tar.gz ]]; then
  mkdir -p "$MEDIA_ROOT"
  tar --extract --gzip --file="$src/media.tar.gz" --directory="$MEDIA_ROOT"
fi
echo "restored $src"
