"""The database the cross-cycle benchmarks share (bench/dashboard.py, bench/compare.py):
for a size N, `iscm_bench_cycles_<N>` with the reference and demo data, then
`seed_bench --publish` for ECLAC in each of the three cycles of the reference data (a
third of the inputs each; the region's eight ISCMs lead them in turn, every fourth has
a partner, each reports on four objectives and goes to 0–2 other regions too).
`--reuse` takes a database an earlier `--keep` run seeded and migrates it."""

import time

import public_pages as base  # the helpers of the public pages' benchmark

CYCLES = ("2020-2021", "2024-2025", "2028-2029")
BENCH_USER = "bench@example.invalid"  # seed_bench's author, on every seeded ISCM's team


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
        print(f"[{size}] reusing {name} (migrated)", flush=True)
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
