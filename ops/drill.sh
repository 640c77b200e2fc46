#!/usr/bin/env bash
# The operations drill on PostgreSQL (issue 21): kill -9 mid-compile, memory after a
# compile, backup → restore equality, a mail relay outage, pages under open-data
# downloads. Each drill prints PASS or FAIL; the last line is one JSON object of figures
# (restore_equal, stale_recovered_s, mails_lost, worker_rss_after_mb,
# html_p50_ratio_with_downloads). Needs PostgreSQL and Redis on 127.0.0.1, wrk, and the
# project's .venv (`make test` or `make run` creates it). See bench/drill.py.
#
#     ops/drill.sh [--skip mail downloads] [--keep]
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python bench/drill.py "$@"
