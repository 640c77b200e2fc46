#!/usr/bin/env python3
"""Benchmark of the regional synthesis dashboards (issue 19, item 3) and the practices
list (item 5) at two database sizes, the inputs spread over three cycles. Prints per
size: the public dashboard's p50 and p95 over HTTP (the seeded region's and a quieter
one's) and the practices list's, all cold (PUBLIC_CACHE_SECONDS=0), and, in process, the
staff dashboard's computation (`reviews.coverage.dashboard(public=False)` with the
matrix and counts rendered) and the regions side by side, each with its query count;
then the ratio p50(largest) / p50(smallest).

    .venv/bin/python bench/dashboard.py [--sizes 200 20000] [--requests 100] [--keep] [--reuse]

Needs PostgreSQL, like bench/public_pages.py (whose helpers it reuses: BENCH_POSTGRES_URL,
gunicorn with DEBUG off). For each size it uses the database of bench/cycles_data.py
(`iscm_bench_cycles_<size>`, shared with bench/compare.py; `--keep` keeps it, `--reuse`
takes it again): ECLAC's inputs over the three cycles of the reference data (a third
each, each input also sent to 0–2 other regions). The staff dashboard is measured in process
because its pages ask IOM staff for a second factor.
Targets (issue 19): query counts the same at every size; p50 at the largest size
<= 1.5 × p50 at the smallest.
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cycles_data  # the seeded database shared with bench/compare.py
import public_pages as base  # the helpers of the public pages' benchmark
from cycles_data import CYCLES

ROOT = base.ROOT
CURRENT = CYCLES[-1]
PAGES = {
    "public ECLAC": f"/regions/ECLAC/{CURRENT}/dashboard/",
    "public ECA": f"/regions/ECA/{CURRENT}/dashboard/",
    "practices": "/practices/",
    "trivial": "/robots.txt",
}
# Run by `manage.py shell -c`: median milliseconds and queries of the staff
# computations, as JSON on the last line.
IN_PROCESS = """
import json, statistics, time
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from reviews import coverage
from submissions.models import RegionalReview, ReviewCycle

review = RegionalReview.objects.select_related("cycle", "region").get(
    cycle__slug="%(cycle)s", region__code="ECLAC"
)
cycle = ReviewCycle.objects.get(slug="%(cycle)s")

def staff():
    result = coverage.dashboard(review, public=False)
    links = {ref.pk: "/x/" for ref in result.named_inputs}
    html = render_to_string(
        "reviews/dashboard_coverage.html",
        {"review": review, "dashboard": result, "links": links, "public": False},
    )
    return result, len(html)

def regions():
    return coverage.cross_region(cycle, public=False), 0

found = {}
for name, function in (("staff ECLAC", staff), ("regions", regions)):
    with CaptureQueriesContext(connection) as queries:
        result, size = function()
    timings = []
    for _ in range(%(runs)d):
        started = time.perf_counter()
        function()
        timings.append((time.perf_counter() - started) * 1000)
    found[name] = {
        "p50": statistics.median(timings),
        "queries": len(queries),
        "html": size,
    }
result = coverage.dashboard(review, public=False)
found["counted"] = result.coverage.input_count
print(json.dumps(found))
"""


def main() -> None:
    bench = cycles_data.start(__doc__, requests=100, runs=20, name="dashboard")
    args, sizes, run, workdir = bench.args, bench.args.sizes, bench.run, bench.workdir
    serve_env = {**bench.serve_env, "PUBLIC_CACHE_SECONDS": "0"}  # cold: no cached results
    http, in_process, created = {}, {}, []
    try:
        for size in sizes:
            name, url = bench.prepare(size)
            created.append(name)
            seed_env = {**serve_env, "SITE_URL": "http://127.0.0.1", "DATABASE_URL": url}
            said = run(seed_env, "shell", "-c", IN_PROCESS % {"cycle": CURRENT, "runs": args.runs})
            in_process[size] = json.loads(said.strip().splitlines()[-1])
            print(f"[{size}] counted for ECLAC {CURRENT}: {in_process[size]['counted']} inputs")
            with base.Server({**serve_env, "DATABASE_URL": url}, workdir) as server:
                http[size] = base.measure(server, PAGES, args.requests)
        small, large = sizes[0], sizes[-1]
        print(f"\npublic dashboards over HTTP, {args.requests} sequential requests, ms")
        for page in PAGES:
            row = f"{page:<14}"
            for size in sizes:
                p50, p95, failures = http[size][page]
                row += f"  {size}: p50 {p50:8.1f} p95 {p95:8.1f}"
                if failures:
                    row += f" non-200 {failures}"
            ratio = http[large][page][0] / http[small][page][0]
            mark = "ref" if page == "trivial" else "ok" if ratio <= 1.5 else "MISSED"
            print(f"{row}  ratio {ratio:5.2f} {mark}")
        print(f"\nstaff computations in process, median of {args.runs} runs, ms")
        for name in ("staff ECLAC", "regions"):
            row = f"{name:<14}"
            for size in sizes:
                found = in_process[size][name]
                row += f"  {size}: p50 {found['p50']:8.1f} queries {found['queries']:3d}"
                if found["html"]:
                    row += f" html {found['html'] // 1024:4d} KiB"
            ratio = in_process[large][name]["p50"] / in_process[small][name]["p50"]
            same = len({in_process[s][name]["queries"] for s in sizes}) == 1
            mark = "ok" if ratio <= 1.5 else "MISSED"
            print(f"{row}  ratio {ratio:5.2f} {mark}; queries {'same' if same else 'DIFFER'}")
        print("(target: the same query count at every size, p50 ratio <= 1.5)")
        figures = {
            "sizes": sizes,
            "http_p50_ms": {
                page: {size: round(http[size][page][0], 1) for size in sizes} for page in PAGES
            },
            "http_ratio": {
                page: round(http[large][page][0] / http[small][page][0], 2) for page in PAGES
            },
            "in_process_p50_ms": {
                name: {size: round(in_process[size][name]["p50"], 1) for size in sizes}
                for name in ("staff ECLAC", "regions")
            },
            "in_process_ratio": {
                name: round(in_process[large][name]["p50"] / in_process[small][name]["p50"], 2)
                for name in ("staff ECLAC", "regions")
            },
            "queries": {
                name: {size: in_process[size][name]["queries"] for size in sizes}
                for name in ("staff ECLAC", "regions")
            },
        }
        print(json.dumps(figures))
    finally:
        bench.finish(created)


if __name__ == "__main__":
    main()
