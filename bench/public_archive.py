#!/usr/bin/env python3
"""Benchmark of every public page issue 20 names (list, filtered list, search with a rare
and with a common word, contribution, ISCM, objective, region, open-data page) over the
archive of three cycles, at two sizes, cold (PUBLIC_CACHE_SECONDS=0: no cached query
results) and cached (the default). Prints per page, mode and size the p50 and p95 over
HTTP (gunicorn -w 2, DEBUG off, sequential requests), the ratio p50(largest) /
p50(smallest) and the page's query count (in process, Django's test client); the last
line is the whole result as one JSON object.

    .venv/bin/python bench/public_archive.py [--sizes 200 20000] [--requests 60] [--keep] [--reuse]

Needs PostgreSQL, like bench/public_pages.py (whose helpers it reuses). The database is
bench/cycles_data.py's (`iscm_bench_cycles_<size>`, shared with bench/dashboard.py and
bench/compare.py: ECLAC's published inputs over three cycles, 1 % with the word
`marker17`; the rare word, `intercambio`, is in three demo inputs at every size);
`--keep` keeps it, `--reuse` takes it again. The contribution, ISCM and objective pages
are those of the smallest size's choice (the same rows at every size).
Targets (issue 20): p50 at the largest size <= 1.5 × p50 at the smallest cold, and
<= 1.2 cached; query counts the same at every size.
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cycles_data  # the seeded database shared with the other cross-cycle benchmarks
import public_pages as base  # the helpers of the public pages' benchmark

ROOT = base.ROOT
MODES = {"cold": "0", "cached": None}  # PUBLIC_CACHE_SECONDS (None: the default)
TARGETS = {"cold": 1.5, "cached": 1.2}
# A published demo contribution (load_demo_data: the same at every size), the region's
# busiest ISCM and an objective the seeded inputs report on.
CHOSEN = """
    SELECT
      (SELECT slug FROM submissions_writteninput WHERE status = 'published'
         AND slug LIKE 'demo-%%' ORDER BY id LIMIT 1),
      (SELECT slug FROM submissions_iscm WHERE acronym = 'RCM')
"""


def pages(contribution: str, iscm: str) -> dict:
    return {
        "list": "/contributions/",
        "filtered": "/contributions/?objective=5&region=ECLAC",
        # A rare word: in three demo inputs (load_demo_data), the same at every size, so
        # the page lists the same results and only the archive around them grows.
        "search rare": "/contributions/?q=intercambio",
        # A word in 1 % of the inputs: 2 results at 200, 200 at 20,000 (a page of 20).
        "search 1 %": "/contributions/?q=marker17",
        "search common": "/contributions/?q=migrants",
        "contribution": f"/contributions/{contribution}/",
        "iscm": f"/iscms/{iscm}/",
        "objective": "/objectives/5/",
        "region": "/regions/ECLAC/",
        "open data": "/open-data/",
        "trivial": "/robots.txt",
    }


# Run by `manage.py shell -c`: each page's status and query count (in process, after one
# request that loads templates and translations), JSON on the last line.
COUNT = """
import json
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
paths = json.loads('''%(paths)s''')
client = Client(HTTP_HOST="127.0.0.1")
found = {}
for name, path in paths.items():
    client.get(path)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    found[name] = [response.status_code, len(queries)]
print(json.dumps(found))
"""


def main() -> None:
    bench = cycles_data.start(__doc__, requests=60, name="archive")
    args, sizes, run, serve_env = bench.args, bench.args.sizes, bench.run, bench.serve_env
    http, counted, created, paths = {}, {}, [], None
    try:
        for size in sizes:
            name, url = bench.prepare(size)
            created.append(name)
            seed_env = {**serve_env, "SITE_URL": "http://127.0.0.1"}
            if paths is None:  # the smallest size chooses
                connection = base.psycopg2.connect(url)
                with connection.cursor() as cursor:
                    cursor.execute(CHOSEN)
                    paths = pages(*cursor.fetchone())
                connection.close()
            env = {**seed_env, "DATABASE_URL": url, "PUBLIC_CACHE_SECONDS": "0"}
            said = run(env, "shell", "-c", COUNT % {"paths": json.dumps(paths)})
            counted[size] = json.loads(said.strip().splitlines()[-1])
            http[size] = {}
            for mode, seconds in MODES.items():
                mode_env = {**serve_env, "DATABASE_URL": url}
                if seconds is not None:
                    mode_env["PUBLIC_CACHE_SECONDS"] = seconds
                with base.Server(mode_env, bench.workdir) as server:
                    http[size][mode] = base.measure(server, paths, args.requests)
            print(f"[{size}] measured", flush=True)
        report(http, counted, sizes, paths, args)
    finally:
        bench.finish(created)


def report(http, counted, sizes, paths, args) -> None:
    small, large = sizes[0], sizes[-1]
    result = {"bench": "public_archive", "sizes": sizes, "requests": args.requests}
    result["paths"], result["pages"] = paths, {}
    for mode in MODES:
        print(f"\n{mode}, {args.requests} sequential requests per page, ms")
        for page in paths:
            row, entry = f"{page:<14}", {}
            for size in sizes:
                p50, p95, failures = http[size][mode][page]
                status, queries = counted[size][page]
                row += f"  {size}: p50 {p50:7.1f} p95 {p95:7.1f} q {queries:2d}"
                if failures or status != 200:
                    row += f" non-200 {failures or status}"
                entry[size] = {"p50": round(p50, 1), "p95": round(p95, 1), "queries": queries}
            ratio = http[large][mode][page][0] / http[small][mode][page][0]
            same = len({counted[s][page][1] for s in sizes}) == 1
            mark = "ref" if page == "trivial" else "ok" if ratio <= TARGETS[mode] else "MISSED"
            print(f"{row}  ratio {ratio:5.2f} {mark}; queries {'same' if same else 'DIFFER'}")
            entry.update(ratio=round(ratio, 2), same_queries=same)
            result["pages"].setdefault(page, {})[mode] = entry
    print("(targets: p50 ratio <= 1.5 cold, <= 1.2 cached; the same query count at every size)")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
