#!/usr/bin/env bash
# Load test of the public pages while a regional package compiles in the background.
#
#     bench/load.sh                          # ~6-8 minutes
#     INPUTS=500 DURATION=5s bench/load.sh   # a quick check of the script itself
#
# Creates a throwaway PostgreSQL database (iscm_load_*), migrates it, loads the reference
# and demo data, seeds INPUTS published inputs in the previous cycle (`seed_bench
# --publish --cycle 2024-2025`: the archive the public browses) and PACKAGE_INPUTS
# accepted inputs to the current cycle's ECLAC review (a large regional review: its
# package compiles for longer than the test), collects the static files into a
# temporary STATIC_ROOT and serves the site with `gunicorn -w 2` (DEBUG off, default
# PUBLIC_CACHE_SECONDS: caching on). It starts a task worker (`manage.py db_worker`) and
# asks for the ECLAC package (`compile_package --enqueue`). Then, while the package is
# compiling, it runs `wrk -t2 -cCONNECTIONS -dDURATION --latency` on the contribution
# list, a search and one contribution page, and prints requests/s, p50, p99, non-2xx/3xx
# answers, 5xx answers, socket errors and the package's state before and after each run.
# Target: 0 socket errors and 0 5xx; the script exits 1 when it is missed or when the
# package was not compiling throughout.
#
# Environment:
#   DURATION     per page, wrk syntax (default 60s)
#   CONNECTIONS  concurrent connections (default 16)
#   INPUTS       published inputs seeded (default 20000)
#   PACKAGE_INPUTS  accepted inputs in the package that compiles meanwhile (default 450)
#   TIMEOUT      wrk's timeout per request (default 10s; wrk's own 2 s default counts an
#                answer that is slow but correct as a socket error)
#   KEEP=1       keep the database and the temporary folder (logs) at the end; gunicorn
#                and the worker are stopped either way
#   LOAD_POSTGRES_URL  server and role that may create databases
#                (default postgres://postgres@127.0.0.1:5432)
#
# Needs wrk (Debian package `wrk`: installed here when running as root) and the
# project's virtualenv (.venv, `make install`).

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY="$ROOT/.venv/bin/python"
DURATION=${DURATION:-60s}
CONNECTIONS=${CONNECTIONS:-16}
INPUTS=${INPUTS:-20000}
THREADS=2
REGION=ECLAC
PACKAGE_INPUTS=${PACKAGE_INPUTS:-450} # ~0.45 s each: the compile outlasts the test
TIMEOUT=${TIMEOUT:-10s}
ARCHIVE_CYCLE=2024-2025
PG_BASE=${LOAD_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}
PG_BASE=${PG_BASE%/}
DB="iscm_load_$(date +%Y%m%d%H%M%S)_$$"
DB_URL="$PG_BASE/$DB"

say() { printf '%s [load] %s\n' "$(date +%T)" "$*"; }
die() {
  say "ERROR: $*" >&2
  exit 1
}

[[ -x $PY ]] || die "no virtualenv at $ROOT/.venv: run \`make install\` first."
if ! command -v wrk >/dev/null; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    say "wrk is missing: apt-get install -y wrk"
    apt-get install -y wrk >/dev/null || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
  fi
  command -v wrk >/dev/null || die "wrk is missing; install it with: sudo apt-get install -y wrk"
fi

WORKDIR=$(mktemp -d "${TMPDIR:-/tmp}/iscm-load-XXXXXX")
DB_CREATED=""
GUNICORN_PID=""
WORKER_PID=""

# sql URL STATEMENT: run one statement (autocommit), print the rows tab-separated.
sql() {
  "$PY" -c '
import sys
import psycopg2
connection = psycopg2.connect(sys.argv[1])
connection.autocommit = True  # CREATE / DROP DATABASE and VACUUM refuse transactions
with connection.cursor() as cursor:
    cursor.execute(sys.argv[2])
    if cursor.description:
        for row in cursor.fetchall():
            print("\t".join("" if v is None else str(v) for v in row))
connection.close()
' "$1" "$2"
}

# stop PID SECONDS: TERM, TERM again a second later (db_worker's first TERM only asks it
# to stop after its current task), KILL after SECONDS.
stop() {
  local pid=$1 grace=$2 i
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 1; i <= grace * 5; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
    ((i == 5)) && kill -TERM "$pid" 2>/dev/null
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  set +e
  stop "$WORKER_PID" 10
  stop "$GUNICORN_PID" 30
  if [[ ${KEEP:-0} == 1 ]]; then
    [[ -n $DB_CREATED ]] && say "kept database $DB ($DB_URL)"
    say "kept $WORKDIR (logs, media, static files)"
  else
    if [[ -n $DB_CREATED ]]; then
      sql "$PG_BASE/postgres" "DROP DATABASE IF EXISTS $DB WITH (FORCE)" &&
        say "dropped database $DB" || say "could not drop database $DB"
    fi
    rm -rf "$WORKDIR"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- Database and data --------------------------------------------------------------

PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
export SECRET_KEY
SECRET_KEY=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')
export DATABASE_URL="$DB_URL" MEDIA_ROOT="$WORKDIR/media" STATIC_ROOT="$WORKDIR/static"
export LOG_LEVEL=WARNING DJANGO_SETTINGS_MODULE=iscm_portal.settings
unset PUBLIC_CACHE_SECONDS TASKS_BACKEND DEBUG
# Production settings for everything but the demo loader (which refuses with DEBUG off).
PROD=(env DEBUG=0 SITE_URL="$BASE" ALLOWED_HOSTS=127.0.0.1 SECURE_SSL_REDIRECT=0) # plain http here
manage() { (cd "$ROOT" && "$PY" manage.py "$@"); }

say "database $DB; inputs $INPUTS; wrk -t$THREADS -c$CONNECTIONS -d$DURATION per page"
sql "$PG_BASE/postgres" "CREATE DATABASE $DB" || die "cannot create $DB at $PG_BASE"
DB_CREATED=1
started=$SECONDS
DEBUG=1 manage migrate --noinput >"$WORKDIR/migrate.log"
DEBUG=1 manage load_reference_data >/dev/null
DEBUG=1 manage load_demo_data >/dev/null
say "migrate + reference + demo data: $((SECONDS - started)) s"
started=$SECONDS
"${PROD[@]}" "$PY" "$ROOT/manage.py" seed_bench --publish --inputs "$INPUTS" --force \
  --cycle "$ARCHIVE_CYCLE" --region "$REGION" | sed 's/^/    /'
"${PROD[@]}" "$PY" "$ROOT/manage.py" seed_bench --inputs "$PACKAGE_INPUTS" --force \
  --region "$REGION" | sed 's/^/    /'
say "seeding: $((SECONDS - started)) s"
sql "$DB_URL" "VACUUM ANALYZE" # fresh statistics, as autovacuum would have on a live site
"${PROD[@]}" "$PY" "$ROOT/manage.py" collectstatic --noinput >/dev/null

CYCLE=$(sql "$DB_URL" "SELECT slug FROM submissions_reviewcycle WHERE active")
[[ -n $CYCLE ]] || die "no active review cycle after load_reference_data"
# One seeded published input from the middle, as bench/public_pages.py picks it.
SLUG=$(sql "$DB_URL" "
  SELECT slug FROM (
    SELECT w.slug, row_number() OVER (ORDER BY w.id) AS n, count(*) OVER () AS total
    FROM submissions_writteninput w JOIN iscm_portal_user u ON u.id = w.created_by_id
    WHERE w.status = 'published' AND u.email = 'bench@example.invalid'
  ) seeded WHERE n = total / 2 + 1")
[[ -n $SLUG ]] || die "no seeded published input found"

# --- Servers ------------------------------------------------------------------------

(cd "$ROOT" && exec "${PROD[@]}" "$PY" -m gunicorn iscm_portal.wsgi -w 2 -b "127.0.0.1:$PORT" \
  --error-logfile "$WORKDIR/gunicorn.log" >>"$WORKDIR/gunicorn.log" 2>&1) &
GUNICORN_PID=$!
(cd "$ROOT" && exec "${PROD[@]}" "$PY" manage.py db_worker --no-reload --no-startup-delay \
  >"$WORKDIR/worker.log" 2>&1) &
WORKER_PID=$!

# http_status URL: the HTTP status of one GET (000 when nothing answers); redirects not followed.
http_status() {
  "$PY" -c '
import sys, urllib.error, urllib.request
class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
try:
    with urllib.request.build_opener(NoRedirect).open(sys.argv[1], timeout=120) as r:
        r.read(); print(r.status)
except urllib.error.HTTPError as e:
    print(e.code)
except OSError:
    print("000")
' "$1"
}

for _ in $(seq 300); do
  kill -0 "$GUNICORN_PID" 2>/dev/null || { tail -n 30 "$WORKDIR/gunicorn.log" >&2; die "gunicorn stopped at start"; }
  [[ $(http_status "$BASE/robots.txt") == 200 ]] && break
  sleep 0.2
done
[[ $(http_status "$BASE/robots.txt") == 200 ]] || die "gunicorn did not answer within 60 s"
say "gunicorn (pid $GUNICORN_PID) at $BASE; db_worker pid $WORKER_PID"

# --- The package compile ------------------------------------------------------------

said=$("${PROD[@]}" "$PY" "$ROOT/manage.py" compile_package --cycle "$CYCLE" --region "$REGION" --enqueue)
PACKAGE=$(head -n1 <<<"$said")
[[ $PACKAGE =~ ^[0-9]+$ ]] || die "compile_package --enqueue said: $said"
say "package $PACKAGE of $REGION $CYCLE: $(tail -n +2 <<<"$said")"

state() { # the package's status (one word)
  sql "$DB_URL" "SELECT status FROM reviews_regionalpackage WHERE id = $PACKAGE"
}
describe() { # status, stage and percent, and whether the worker process still lives
  local row rss
  row=$(sql "$DB_URL" "SELECT status || ' (' || stage || ', ' || percent || ' %)'
                       FROM reviews_regionalpackage WHERE id = $PACKAGE")
  if [[ -r /proc/$WORKER_PID/status ]]; then
    rss=$(awk '/^VmRSS/ {printf "%.0f MB", $2 / 1024}' "/proc/$WORKER_PID/status")
    echo "$row; worker alive, RSS $rss"
  else
    echo "$row; WORKER GONE (see $WORKDIR/worker.log)"
  fi
}

for _ in $(seq 240); do
  case $(state) in
  running) break ;;
  done | failed) die "package $PACKAGE ended before the test: $(describe)" ;;
  esac
  kill -0 "$WORKER_PID" 2>/dev/null || { cat "$WORKDIR/worker.log" >&2; die "db_worker stopped"; }
  sleep 0.5
done
[[ $(state) == running ]] || die "package $PACKAGE not running after 120 s: $(describe)"
say "package $PACKAGE: $(describe)"

# --- Load ---------------------------------------------------------------------------

PAGES=(list search contribution)
declare -A URL=(
  [list]="/contributions/"
  [search]="/contributions/?q=marker17"
  [contribution]="/contributions/$SLUG/"
)

# Counts 4xx and 5xx answers (wrk itself only counts "non-2xx or 3xx").
cat >"$WORKDIR/status.lua" <<'EOF'
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) c4xx = 0; c5xx = 0 end
function response(status, headers, body)
  if status >= 500 then c5xx = c5xx + 1 elseif status >= 400 then c4xx = c4xx + 1 end
end
function done(summary, latency, requests)
  local c4, c5 = 0, 0
  for _, thread in ipairs(threads) do
    c4 = c4 + thread:get("c4xx"); c5 = c5 + thread:get("c5xx")
  end
  io.write(string.format("Answers 4xx: %d\nAnswers 5xx: %d\n", c4, c5))
end
EOF

# A few sequential requests per page first, so both workers have it cached.
for page in "${PAGES[@]}"; do
  for _ in 1 2 3 4 5 6; do
    code=$(http_status "$BASE${URL[$page]}")
    [[ $code == 200 ]] || die "$page ${URL[$page]} answered $code at warm-up"
  done
done

# to_ms VALUE: wrk's 850.00us / 12.34ms / 1.02s / 1.50m in milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0; unit = v; sub(/^[0-9.]+/, "", unit)
    f = (unit == "us") ? 0.001 : (unit == "ms") ? 1 : (unit == "s") ? 1000 : (unit == "m") ? 60000 : (unit == "h") ? 3600000 : -1
    if (f < 0) { print "?"; exit } printf "%.1f", n * f }'
}

declare -A RPS P50 P99 NON2XX C5XX SOCKET BEFORE AFTER
all_running=1
for page in "${PAGES[@]}"; do
  BEFORE[$page]=$(state)
  say "package before $page: $(describe)"
  say "wrk -t$THREADS -c$CONNECTIONS -d$DURATION --timeout $TIMEOUT --latency $BASE${URL[$page]}"
  out="$WORKDIR/wrk-$page.txt"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout "$TIMEOUT" --latency -s "$WORKDIR/status.lua" \
    "$BASE${URL[$page]}" >"$out"
  sed 's/^/    /' "$out"
  AFTER[$page]=$(state)
  say "package after $page: $(describe)"
  RPS[$page]=$(awk '/^Requests\/sec:/ {print $2}' "$out")
  P50[$page]=$(to_ms "$(awk '$1 == "50%" {print $2}' "$out")")
  P99[$page]=$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")
  NON2XX[$page]=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$out")
  NON2XX[$page]=${NON2XX[$page]:-0}
  C5XX[$page]=$(awk '/^Answers 5xx:/ {print $3}' "$out")
  C5XX[$page]=${C5XX[$page]:-?}
  # "Socket errors: connect 0, read 0, write 0, timeout 3" (absent when all are 0)
  SOCKET[$page]=$(awk -F'[ ,]+' '/Socket errors:/ {print $5 + $7 + $9 + $11}' "$out")
  SOCKET[$page]=${SOCKET[$page]:-0}
  # Status only moves forward (queued → running → done/failed): running before and after
  # a run, with the worker alive, means running throughout it.
  if [[ ${BEFORE[$page]} != running || ${AFTER[$page]} != running ]] || ! kill -0 "$WORKER_PID" 2>/dev/null; then
    all_running=0
  fi
done

# --- Report -------------------------------------------------------------------------

errors_logged=$(grep -cE 'Traceback|\[(ERROR|CRITICAL)\]' "$WORKDIR/gunicorn.log" || true)
echo
echo "Load test: $INPUTS published inputs, wrk -t$THREADS -c$CONNECTIONS -d$DURATION per page," \
  "gunicorn -w 2, default caching;"
echo "package $PACKAGE ($REGION $CYCLE) compiling in db_worker meanwhile"
printf '%-13s %-34s %9s %9s %9s %11s %5s %9s  %s\n' \
  page path 'req/s' 'p50 ms' 'p99 ms' 'non-2xx/3xx' 5xx 'sock err' 'package before → after'
failed=0
for page in "${PAGES[@]}"; do
  path=${URL[$page]}
  ((${#path} > 34)) && path="${path:0:31}..."
  printf '%-13s %-34s %9s %9s %9s %11s %5s %9s  %s → %s\n' "$page" "$path" "${RPS[$page]}" \
    "${P50[$page]}" "${P99[$page]}" "${NON2XX[$page]}" "${C5XX[$page]}" "${SOCKET[$page]}" \
    "${BEFORE[$page]}" "${AFTER[$page]}"
  if [[ ${C5XX[$page]} != 0 || ${SOCKET[$page]} != 0 ]]; then failed=1; fi
done
echo "package at the end: $(describe)"
echo "errors in the gunicorn log: $errors_logged"
if ((failed)); then
  echo "target (0 socket errors, 0 5xx): MISSED"
else
  echo "target (0 socket errors, 0 5xx): met"
fi
if ((!all_running)); then
  echo "the package was NOT compiling throughout every run"
  failed=1
else
  echo "the package was compiling throughout every run"
fi
exit "$failed"
