#!/usr/bin/env bash
# Back up the portal: the PostgreSQL database and the stored files (uploads and
# packages) into one folder, with SHA-256 sums to check the copy.
#
#     DATABASE_URL=postgres://… MEDIA_ROOT=/srv/portal/media ops/backup.sh /backups/2026-11-30
#
# The database dump is taken first, then the files: a file stored between the two is
# in the files but not referenced (harmless); the reverse cannot happen, because stored
# files are never changed in place, only added (new names) or, for removed
# attachments, kept. With object storage (DEFAULT_FILE_STORAGE_BACKEND), back up the
# bucket with the provider's versioning instead and set MEDIA_ROOT= (empty) here.
set -euo pipefail

dest=${1:?usage: ops/backup.sh DESTINATION_FOLDER}
: "${DATABASE_URL:?set DATABASE_URL (postgres://…)}"
case $DATABASE_URL in postgres://* | postgresql://*) ;; *)
  echo "backup.sh backs up PostgreSQL; for the SQLite file of \`make run\`, copy var/." >&2
  exit 2
  ;;
esac
mkdir -p "$dest"
pg_dump --format=custom --no-owner --file="$dest/database.dump" "$DATABASE_URL"
if [[ -n ${MEDIA_ROOT:-} && -d $MEDIA_ROOT ]]; then
  tar --create --gzip --file="$dest/media.tar.gz" --directory="$MEDIA_ROOT" .
fi
(cd "$dest" && sha256sum ./* >SHA256SUMS)
echo "backup written to $dest:"
cat "$dest/SHA256SUMS"
