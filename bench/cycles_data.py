"""The database the cross-cycle benchmarks share (bench/dashboard.py, bench/compare.py):
for a size N, `iscm_bench_cycles_<N>` with the reference and demo data, then
`seed_bench --publish` for ECLAC in each of the three cycles of the reference data (a
third of the inputs each; the region's eight ISCMs lead them in turn, every fourth has
a partner, each reports on four objectives and goes to 0–2 other regions too).
`--reuse` takes a database an earlier `--keep` run seeded and migrates it."""

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import public_pages as base  # the helpers of the public pages' benchmark

CYCLES = ("2020-2021", "2024-2025", "2028-2029")
BENCH_USER = "bench@example.invalid"  # seed_bench's author, on every seeded ISCM's team


@dataclass
class Bench:
    """What a cross-cycle benchmark starts from: its arguments, a work folder, the
    environments to set up a database (`setup_env`) and to serve it (`serve_env`: DEBUG
    off, static files collected), and `run(env, *command)` for manage.py."""

    args: argparse.Namespace
    workdir: Path
    setup_env: dict
    serve_env: dict

    def run(self, env: dict, *command: str) -> str:
        manage = [sys.executable, str(base.ROOT / "manage.py")]
        return subprocess.run(
            [*manage, *command], env=env, cwd=base.ROOT, check=True, capture_output=True, text=True
        ).stdout

    def prepare(self, size: int) -> tuple[str, str]:
        """The seeded database for `size` (see `prepare`): its name and URL."""
        return prepare(
            size,
            self.run,
            setup_env=self.setup_env,
            seed_env={**self.serve_env, "SITE_URL": "http://127.0.0.1"},
            reuse=self.args.reuse,
        )

    def finish(self, created: list[str]) -> None:
        """Keep the databases `created` (--keep) or drop them."""
        if self.args.keep:
            print(f"\nkept: {', '.join(created)}")
        else:
            for name in created:
                drop(name)


def start(doc: str, *, requests: int, runs: int | None = None, name: str) -> Bench:
    """Parse the common arguments (--sizes, --requests, --runs when `runs` is given,
    --keep, --reuse) and collect the static files once."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 20000])
    parser.add_argument("--requests", type=int, default=requests)
    if runs is not None:
        parser.add_argument("--runs", type=int, default=runs, help="in-process repetitions")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark databases")
    parser.add_argument(
        "--reuse", action="store_true", help="use a database kept seeded by an earlier run"
    )
    args = parser.parse_args()
    args.sizes = sorted(args.sizes)
    workdir = Path(tempfile.mkdtemp(prefix=f"iscm-bench-{name}-"))
    base_env = {
        **os.environ,
        "SECRET_KEY": secrets.token_urlsafe(40),
        "MEDIA_ROOT": str(workdir / "media"),
        "STATIC_ROOT": str(workdir / "static"),
        "LOG_LEVEL": "WARNING",
    }
    serve_env = {**base_env, "DEBUG": "0", "ALLOWED_HOSTS": "127.0.0.1"}
    serve_env["SECURE_SSL_REDIRECT"] = "0"
    bench = Bench(args, workdir, {**base_env, "DEBUG": "1"}, serve_env)
    bench.run({**serve_env, "SITE_URL": "http://127.0.0.1"}, "collectstatic", "--noinput")
    return bench


def is_seeded(url: str) -> bool:
    try:
        connection = base.psycopg2.connect(url)
    except base.psycopg2.OperationalError:
        return False
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM accounts_user WHERE email = %s", [BENCH_USER])
            return cursor.fetchone()[0] > 0
    except base.psycopg2.Error:
        return False
    finally:
        connection.close()


def prepare(size: int, run, *, setup_env: dict, seed_env: dict, reuse: bool) -> tuple[str, str]:
    """The seeded database for `size` (created, or reused and migrated), vacuumed and
    analysed; returns its name and URL. `run(env, *command)` runs manage.py."""
    name = f"iscm_bench_cycles_{size}"
    url = base.database_url(name)
    setup_env = {**setup_env, "DATABASE_URL": url}
    seed_env = {**seed_env, "DATABASE_URL": url}
    if reuse and is_seeded(url):
        # Migrations added since it was seeded (an index) apply to the kept data.
        run(setup_env, "migrate", "--noinput")
        # A migration may leave kept numbers to their first reader (0017: every input's
        # facet keys): count them now, before the vacuum, not in a measured request.
        run(setup_env, "rebuild_counts")
        print(f"[{size}] reusing {name} (migrated, counts rebuilt)", flush=True)
    else:
        base.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        base.admin(f"CREATE DATABASE {name}")
        run(setup_env, "migrate", "--noinput")
        run(setup_env, "load_reference_data")
        run(setup_env, "load_demo_data")
        started = time.perf_counter()
        for n, cycle in enumerate(CYCLES):
            share = size // len(CYCLES) + (1 if n < size % len(CYCLES) else 0)
            run(seed_env, "seed_bench", "--publish", "--force", "--cycle", cycle,
                "--region", "ECLAC", "--inputs", str(share))  # fmt: skip
        seconds = time.perf_counter() - started
        print(f"[{size}] seeded over {', '.join(CYCLES)} in {seconds:.0f} s", flush=True)
    connection = base.psycopg2.connect(url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    connection.close()
    return name, url


def drop(name: str) -> None:
    base.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
