#!/usr/bin/env python3
"""Benchmark: do open-data downloads slow the pages? HTML p50 under a mixed page load,
alone and with downloads of `/open-data/contributions.json` running at the same time.

    .venv/bin/python bench/opendata_load.py [--inputs 2000] [--duration 15]
        [--connections 16] [--downloads 3] [--rounds 3] [--keep]

Needs PostgreSQL (BENCH_POSTGRES_URL, as bench/public_pages.py: a role that may create
databases) and wrk. Creates the database `iscm_opendata_load_<pid>`, runs `migrate`,
`load_reference_data`, `load_demo_data` and `seed_bench --publish --inputs N` (about
1.2 MB of contributions.json at 2,000), serves it with bench/public_pages.py's
`Server` (gunicorn, two sync workers, DEBUG off, default caching) and runs, each for
`--duration` seconds, the three in turn `--rounds` times (each figure is the median over
the rounds, so the machine's other load weighs on every phase alike):

1. pages: `wrk -cCONNECTIONS` over the contribution list, a filtered list, a search,
   a contribution page and the open-data page, in turn;
2. the same, with `wrk -cDOWNLOADS` downloading the whole contributions.json meanwhile
   (a generated file served from storage, `public/opendata_files.py`);
3. the same, with the downloads asking a filtered selection (`?region=ECLAC`, a page of
   1,000 records built in the request).

Before that it times the first download (no file yet for this publication state: built
in the request, since no worker runs here) and a second one (served as stored).
Prints a table and ends with one JSON line: `html_p50_ratio_with_downloads` (phase 2
over phase 1; the goal is <= 1.5), the p50s in ms, the downloads' p50 and rate, and any
non-2xx answer or socket error counted. Exit status 1 when the goal is missed or an
answer was not 2xx. The database is dropped at the end unless --keep.
"""

import argparse
import json
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import public_pages as base  # the public pages' benchmark's helpers

ROOT = base.ROOT
GOAL = 1.5
DOWNLOAD = "/open-data/contributions.json"
FILTERED_DOWNLOAD = "/open-data/contributions.json?region=ECLAC"
# wrk script: each connection asks for the PATHS (space separated) in turn.
ROTATE = """
local paths = {}
for p in string.gmatch(os.getenv("PATHS") or "/", "%S+") do table.insert(paths, p) end
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
"""
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def parse_wrk(output: str) -> dict:
    """p50 and p99 (ms), requests/s, non-2xx/3xx answers and socket errors from
    `wrk --latency`."""

    def latency(percent):
        found = re.search(rf"^\s*{percent}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M)
        return round(float(found[1]) * UNITS[found[2]], 1) if found else None

    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "p50_ms": latency(50),
        "p99_ms": latency(99),
        "requests_s": float(rate[1]) if rate else None,
        "non_2xx": int(non_2xx[1]) if non_2xx else 0,
        "socket_errors": sum(map(int, errors.groups())) if errors else 0,
    }


def wrk(base_url: str, paths: list[str], connections: int, seconds: int, script: Path):
    """A started wrk (threads: 2, or 1 for fewer than 2 connections)."""
    threads = max(1, min(2, connections))
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    command += ["--timeout", "30s", "-s", str(script), base_url]
    env = {**os.environ, "PATHS": " ".join(paths)}
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)


def phase(server, pages, downloads, args, script) -> tuple[dict, dict | None]:
    """Run the page load (and `downloads` at the same time, if any): their figures."""
    loaders = [wrk(server.base, pages, args.connections, args.duration, script)]
    if downloads:
        loaders.append(wrk(server.base, downloads, args.downloads, args.duration, script))
    outputs = [loader.communicate()[0] for loader in loaders]
    results = [parse_wrk(output) for output in outputs]
    return results[0], (results[1] if downloads else None)


def median_of(results: list[tuple[dict, dict | None]]) -> tuple[dict, dict | None]:
    """Per figure, the median over the rounds of (pages, downloads)."""

    def median(dicts):
        if dicts[0] is None:
            return None
        return {key: statistics.median(d[key] for d in dicts) for key in dicts[0]}

    return median([r[0] for r in results]), median([r[1] for r in results])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=2000)
    parser.add_argument("--duration", type=int, default=15, help="seconds per phase")
    parser.add_argument("--connections", type=int, default=16, help="on the pages")
    parser.add_argument("--downloads", type=int, default=3, help="connections downloading")
    parser.add_argument("--rounds", type=int, default=3, help="alternations of the phases")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="iscm-opendata-load-"))
    script = workdir / "rotate.lua"
    script.write_text(ROTATE)
    base_env = {
        **os.environ,
        "SECRET_KEY": secrets.token_urlsafe(40),
        "MEDIA_ROOT": str(workdir / "media"),
        "STATIC_ROOT": str(workdir / "static"),
        "LOG_LEVEL": "WARNING",
    }
    base_env.pop("PUBLIC_CACHE_SECONDS", None)
    serve_env = {**base_env, "DEBUG": "0", "ALLOWED_HOSTS": "127.0.0.1"}
    serve_env["SECURE_SSL_REDIRECT"] = "0"
    manage = [sys.executable, str(ROOT / "manage.py")]

    def run(env, *command):
        return subprocess.run(
            [*manage, *command], env=env, cwd=ROOT, check=True, capture_output=True, text=True
        ).stdout

    name = f"iscm_opendata_load_{os.getpid()}"
    url = base.database_url(name)
    base.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    base.admin(f"CREATE DATABASE {name}")
    figures: dict = {"inputs": args.inputs}
    try:
        started = time.perf_counter()
        run({**serve_env, "SITE_URL": "http://127.0.0.1"}, "collectstatic", "--noinput")
        setup_env = {**base_env, "DEBUG": "1", "DATABASE_URL": url}
        run(setup_env, "migrate", "--noinput")
        run(setup_env, "load_reference_data")
        run(setup_env, "load_demo_data")
        seed_env = {**serve_env, "DATABASE_URL": url, "SITE_URL": "http://127.0.0.1"}
        run(seed_env, "seed_bench", "--publish", "--inputs", str(args.inputs), "--force")
        connection = base.psycopg2.connect(url)
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
            cursor.execute(
                "SELECT slug, count(*) OVER () FROM submissions_writteninput "
                "WHERE status = 'published' ORDER BY id"
            )
            rows = cursor.fetchall()
        connection.close()
        slug, published = rows[len(rows) // 2]
        figures["published"] = published
        print(f"prepared {published} published inputs in {time.perf_counter() - started:.0f} s")
        pages = [
            "/contributions/",
            "/contributions/?objective=5&region=ECLAC",
            "/contributions/?q=migrants",
            f"/contributions/{slug}/",
            "/open-data/",
        ]
        with base.Server({**serve_env, "DATABASE_URL": url}, workdir) as server:
            status, first_ms = base.fetch(server.base + DOWNLOAD)
            # Then from storage: the median of a few (the first to reach each worker
            # also pays for the worker's first request).
            again = [base.fetch(server.base + DOWNLOAD) for _ in range(7)]
            status_again = max(code for code, _ms in again)
            again_ms = statistics.median(ms for _code, ms in again)
            status_page, page_ms = base.fetch(server.base + FILTERED_DOWNLOAD)
            size = len(base.OPENER.open(server.base + DOWNLOAD, timeout=120).read())
            figures.update(
                download_bytes=size,
                first_download_ms=round(first_ms),
                stored_download_ms=round(again_ms, 1),
                filtered_page_ms=round(page_ms, 1),
            )
            print(
                f"contributions.json: {size / 1e6:.2f} MB; first download {first_ms:.0f} ms "
                f"(built in the request, {status}), then {again_ms:.1f} ms (stored, median of 7, "
                f"{status_again}); ?region=ECLAC page {page_ms:.0f} ms ({status_page})"
            )
            for path in pages:  # warm every worker's caches
                for _ in range(4):
                    base.fetch(server.base + path)
            # Alternated, --rounds times, each figure the median over the rounds: the
            # machine's other load drifts, and it should weigh on both sides alike.
            runs = {"alone": [], "whole": [], "filtered": []}
            for _round in range(args.rounds):
                runs["alone"].append(phase(server, pages, [], args, script))
                runs["whole"].append(phase(server, pages, [DOWNLOAD], args, script))
                runs["filtered"].append(phase(server, pages, [FILTERED_DOWNLOAD], args, script))
        alone, _none = median_of(runs["alone"])
        with_downloads, downloads = median_of(runs["whole"])
        with_filtered, filtered = median_of(runs["filtered"])
        figures["html_p50_ms_per_round"] = [pages["p50_ms"] for pages, _d in runs["alone"]]
        figures["html_p50_ms_with_downloads_per_round"] = [
            pages["p50_ms"] for pages, _d in runs["whole"]
        ]
        ratio = round(with_downloads["p50_ms"] / alone["p50_ms"], 2)
        filtered_ratio = round(with_filtered["p50_ms"] / alone["p50_ms"], 2)
        print(f"\n{'phase':<36}{'p50 ms':>9}{'p99 ms':>9}{'req/s':>9}{'non-2xx':>9}")
        for label, result in (
            ("pages alone", alone),
            ("pages, with contributions.json", with_downloads),
            ("  the downloads", downloads),
            ("pages, with ?region=ECLAC pages", with_filtered),
            ("  the downloads", filtered),
        ):
            print(
                f"{label:<36}{result['p50_ms']:>9}{result['p99_ms']:>9}"
                f"{result['requests_s']:>9.1f}{result['non_2xx'] + result['socket_errors']:>9}"
            )
        print(f"\nhtml_p50_ratio_with_downloads = {ratio} (goal <= {GOAL})")
        figures.update(
            html_p50_ms=alone["p50_ms"],
            html_p50_ms_with_downloads=with_downloads["p50_ms"],
            html_p50_ratio_with_downloads=ratio,
            html_p50_ms_with_filtered_downloads=with_filtered["p50_ms"],
            html_p50_ratio_with_filtered_downloads=filtered_ratio,
            download_p50_ms=downloads["p50_ms"],
            downloads_per_s=downloads["requests_s"],
            filtered_download_p50_ms=filtered["p50_ms"],
            errors=sum(
                r["non_2xx"] + r["socket_errors"]
                for r in (alone, with_downloads, downloads, with_filtered, filtered)
            ),
            rounds=args.rounds,
            connections=args.connections,
            download_connections=args.downloads,
            duration_s=args.duration,
        )
    finally:
        if args.keep:
            print(f"kept database {name}; folder {workdir}")
        else:
            base.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    print(json.dumps(figures), flush=True)
    return 0 if ratio <= GOAL and not figures["errors"] else 1


if __name__ == "__main__":
    sys.exit(main())
