#!/usr/bin/env python3
"""Benchmark of the public pages at two database sizes. Prints, per page and size, the
p50 and p95 latency over HTTP, the ratio p50(largest) / p50(smallest) and each page's
p50 over the trivial view's; then the full-text query with and without its GIN index.

    .venv/bin/python bench/public_pages.py [--sizes 200 20000] [--requests 200] [--keep]

Needs PostgreSQL (BENCH_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/postgres:
a role that may create databases). For each size it creates the database
`iscm_bench_<size>`, runs `migrate`, `load_reference_data`, `load_demo_data` and
`seed_bench --publish` (N published inputs of about 1,600 words in six languages; 1 %
carry the token `marker17`), then serves it with `gunicorn -w 2` (DEBUG off, static files
collected into a temporary folder) and requests each page sequentially, once with
PUBLIC_CACHE_SECONDS=0 (cold: no cached query results) and once with the default
(cached). Every answer must be 200; the others are counted and printed.
Targets (issue 6): for every page, p50 at the largest size <= 1.5 × p50 at the
smallest; the search query with the GIN index >= 10 × faster than without it.
The databases are dropped at the end unless --keep.
"""

import argparse
import math
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2

ROOT = Path(__file__).resolve().parents[1]
ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
PAGES = {
    "list": "/contributions/",
    "filtered": "/contributions/?objective=5&region=ECA",
    "search": "/contributions/?q=marker17",  # a rare word: 1 % of the inputs
    "search-common": "/contributions/?q=migrants",  # a common one: a full page at any size
    "contribution": None,  # /contributions/<slug>/ of a seeded input, found per database
    "trivial": "/robots.txt",
}
MODES = {"cold": "0", "cached": None}  # PUBLIC_CACHE_SECONDS (None: the default)
WARMUP = 10  # requests per page before measuring (two workers: each gets some)
GIN_INDEX = "input_search_vector_gin"
SEARCH_SQL = """
    SELECT id FROM submissions_writteninput
    WHERE status = 'published' AND search_vector @@ (
        websearch_to_tsquery('english', 'marker17')
        || websearch_to_tsquery('french', 'marker17')
        || websearch_to_tsquery('spanish', 'marker17')
        || websearch_to_tsquery('russian', 'marker17')
        || websearch_to_tsquery('simple', 'marker17'))
"""
GIN_RUNS = 20


def database_url(name: str) -> str:
    parts = urlsplit(ADMIN_URL)
    return urlunsplit(parts._replace(path=f"/{name}"))


def admin(sql: str) -> None:
    connection = psycopg2.connect(ADMIN_URL)
    connection.autocommit = True  # CREATE / DROP DATABASE refuse to run in a transaction
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
    finally:
        connection.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is an answer of its own (not 200), not followed


OPENER = urllib.request.build_opener(NoRedirect)


def fetch(url: str) -> tuple[int, float]:
    """(status, milliseconds) of one GET, body read to the end."""
    started = time.perf_counter()
    try:
        with OPENER.open(url, timeout=120) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        error.read()
        status = error.code
    return status, (time.perf_counter() - started) * 1000


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


class Server:
    """gunicorn serving the portal, as production does (DEBUG off, two workers)."""

    def __init__(self, env: dict, workdir: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = workdir / f"gunicorn-{self.port}.log"
        self.env = {**env, "SITE_URL": self.base}
        self.process = None

    def __enter__(self):
        command = [sys.executable, "-m", "gunicorn", "iscm_portal.wsgi", "-w", "2"]
        command += ["-b", f"127.0.0.1:{self.port}", "--error-logfile", str(self.log)]
        self.process = subprocess.Popen(command, env=self.env, cwd=ROOT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"gunicorn stopped at start:\n{self.log.read_text()[-3000:]}")
            try:
                fetch(self.base + PAGES["trivial"])
                return self
            except OSError:
                time.sleep(0.2)
        sys.exit(f"gunicorn did not answer within 60 s:\n{self.log.read_text()[-3000:]}")

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=30)


def measure(server: Server, paths: dict, requests: int) -> dict:
    """{page: (p50 ms, p95 ms, {status: count} of the non-200 answers)}."""
    for path in paths.values():
        for _ in range(WARMUP):
            fetch(server.base + path)
    results = {}
    for page, path in paths.items():
        timings, failures = [], {}
        for _ in range(requests):
            status, ms = fetch(server.base + path)
            timings.append(ms)
            if status != 200:
                failures[status] = failures.get(status, 0) + 1
        results[page] = (percentile(timings, 50), percentile(timings, 95), failures)
    return results


def explain_scans(cursor) -> list[str]:
    """The plan's top node and its scan nodes, one short line each."""
    cursor.execute("EXPLAIN " + SEARCH_SQL)
    lines = [row[0] for row in cursor.fetchall()]
    top = lines[0].split("  (")[0].strip()
    scans = [line.split("  (")[0].strip(" ->") for line in lines[1:] if "Scan" in line]
    return [top, *scans]


def timed_search(cursor) -> tuple[float, int]:
    """Median milliseconds of GIN_RUNS runs of the search query, and its row count."""
    cursor.execute(SEARCH_SQL)  # one unmeasured run: caches warm for both variants
    found = len(cursor.fetchall())
    timings = []
    for _ in range(GIN_RUNS):
        started = time.perf_counter()
        cursor.execute(SEARCH_SQL)
        cursor.fetchall()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), found


def gin_comparison(url: str) -> None:
    connection = psycopg2.connect(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW enable_seqscan")
            seqscan = cursor.fetchone()[0]
            with_index, found = timed_search(cursor)
            plan_with = explain_scans(cursor)
            # DROP INDEX is transactional: the rollback below brings the index back.
            cursor.execute(f"DROP INDEX {GIN_INDEX}")
            without_index, _ = timed_search(cursor)
            plan_without = explain_scans(cursor)
            connection.rollback()
            cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", [GIN_INDEX])
            restored = cursor.fetchone() is not None
    finally:
        connection.close()
    ratio = without_index / with_index
    mark = "ok" if ratio >= 10 else "MISSED"
    print(f"\nfull-text query for marker17 ({found} rows), median of {GIN_RUNS} runs")
    print(f"(enable_seqscan = {seqscan}, the default planner settings):")
    print(f"  with {GIN_INDEX}:    {with_index:8.2f} ms   plan: {' / '.join(plan_with)}")
    print(f"  without (dropped): {without_index:8.2f} ms   plan: {' / '.join(plan_without)}")
    print(f"  ratio without / with: {ratio:.1f}   (target >= 10: {mark})")
    print(f"  index back after ROLLBACK: {'yes' if restored else 'NO'}")


def print_table(results: dict, sizes: list[int], requests: int) -> None:
    small, large = sizes[0], sizes[-1]
    for mode, by_size in results.items():
        cache = "PUBLIC_CACHE_SECONDS=0" if MODES[mode] == "0" else "default caching"
        print(f"\n{mode} ({cache}), {requests} sequential requests per page, ms")
        header = f"{'page':<13}"
        for size in sizes:
            header += f"  {f'{size}: p50':>13} {'p95':>7} {'/triv':>6}"
        print(f"{header}  {f'p50 {large}/{small}':>16}")
        for page in PAGES:
            row = f"{page:<13}"
            for size in sizes:
                p50, p95, _ = by_size[size][page]
                relative = p50 / by_size[size]["trivial"][0]
                row += f"  {p50:>13.1f} {p95:>7.1f} {relative:>6.1f}"
            ratio = by_size[large][page][0] / by_size[small][page][0]
            mark = "ref" if page == "trivial" else "ok" if ratio <= 1.5 else "MISSED"
            row += f"  {ratio:>8.2f} {mark:>7}"
            print(row)
        failures = [
            f"{page} at {size}: {dict(sorted(by_size[size][page][2].items()))}"
            for size in sizes
            for page in PAGES
            if by_size[size][page][2]
        ]
        print("non-200 answers: " + ("; ".join(failures) if failures else "none"))
    print("(target: p50 ratio <= 1.5 for every page; /triv = p50 over /robots.txt p50;")
    print(" trivial is the reference: the same process and middleware, no query)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 20000])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark databases")
    args = parser.parse_args()
    sizes = sorted(args.sizes)

    workdir = Path(tempfile.mkdtemp(prefix="iscm-bench-"))
    base_env = {
        **os.environ,
        "SECRET_KEY": secrets.token_urlsafe(40),
        "MEDIA_ROOT": str(workdir / "media"),
        "STATIC_ROOT": str(workdir / "static"),
        "LOG_LEVEL": "WARNING",
    }
    base_env.pop("PUBLIC_CACHE_SECONDS", None)
    # Production settings: hashed static names from collectstatic, served by WhiteNoise.
    # Plain http on 127.0.0.1: no redirect to https (production settings otherwise).
    serve_env = {
        **base_env,
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]

    def run(env, *command):
        return subprocess.run(
            [*manage, *command], env=env, cwd=ROOT, check=True, capture_output=True, text=True
        ).stdout

    run({**serve_env, "SITE_URL": "http://127.0.0.1"}, "collectstatic", "--noinput")
    results = {mode: {} for mode in MODES}
    created = []
    try:
        for size in sizes:
            name = f"iscm_bench_{size}"
            url = database_url(name)
            admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            admin(f"CREATE DATABASE {name}")
            created.append(name)
            setup_env = {**base_env, "DEBUG": "1", "DATABASE_URL": url}
            started = time.perf_counter()
            run(setup_env, "migrate", "--noinput")
            run(setup_env, "load_reference_data")
            run(setup_env, "load_demo_data")  # opens the demo round, refuses with DEBUG off
            prepared = time.perf_counter() - started
            # DEBUG off (hence --force): Django keeps no log of the seeding's queries.
            seed_env = {**serve_env, "DATABASE_URL": url, "SITE_URL": "http://127.0.0.1"}
            started = time.perf_counter()
            said = run(seed_env, "seed_bench", "--publish", "--inputs", str(size), "--force")
            seeded = time.perf_counter() - started
            print(f"\n[{size}] migrate + reference + demo data: {prepared:.1f} s")
            print(f"[{size}] seed_bench --publish: {seeded:.1f} s (process wall time)")
            for line in said.strip().splitlines():
                print(f"[{size}]   {line}")
            # Fresh statistics, as autovacuum would have gathered on a live database.
            connection = psycopg2.connect(url)
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
                cursor.execute(
                    "SELECT w.slug, count(*) OVER () FROM submissions_writteninput w "
                    "JOIN accounts_user u ON u.id = w.created_by_id "
                    "WHERE w.status = 'published' AND u.email = 'bench@example.invalid' "
                    "ORDER BY w.id"
                )
                rows = cursor.fetchall()
            connection.close()
            slug, published = rows[len(rows) // 2]
            print(f"[{size}] {published} seeded published inputs; contribution page: {slug}")
            paths = {**PAGES, "contribution": f"/contributions/{slug}/"}
            for mode, seconds in MODES.items():
                env = {**serve_env, "DATABASE_URL": url}
                if seconds is not None:
                    env["PUBLIC_CACHE_SECONDS"] = seconds
                with Server(env, workdir) as server:
                    started = time.perf_counter()
                    results[mode][size] = measure(server, paths, args.requests)
                print(f"[{size}] {mode}: measured in {time.perf_counter() - started:.0f} s")
        print_table(results, sizes, args.requests)
        print(f"\nGIN comparison at {sizes[-1]} inputs")
        gin_comparison(database_url(f"iscm_bench_{sizes[-1]}"))
    finally:
        if args.keep:
            print(f"\nkept: {', '.join(created)}")
        else:
            for name in created:
                admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    main()
