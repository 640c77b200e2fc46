#!/usr/bin/env python3
"""Benchmark of the compare-across-cycles pages (issue 19, item 2) at two database
sizes, the inputs spread over three cycles. Prints per page and size the p50 and p95
over HTTP and the page's query count, then the ratio p50(largest) / p50(smallest); the
reviewer's and the secretariat's comparisons are timed in process (their pages ask for
a sign-in, and IOM staff for a second factor), rendered with the pages' template. The
last line is the whole result as one JSON object.

    .venv/bin/python bench/compare.py [--sizes 200 20000] [--requests 50] [--keep] [--reuse]

Needs PostgreSQL, like bench/public_pages.py (whose helpers it reuses: BENCH_POSTGRES_URL,
gunicorn with DEBUG off). For each size it uses the database of bench/cycles_data.py
(`iscm_bench_cycles_<size>`, shared with bench/dashboard.py): ECLAC's inputs over three
cycles, the region's eight ISCMs leading them in turn, every fourth with a partner,
each on four objectives. The pages are those of the ISCM with
the most published inputs (as lead or partner), on the objective it reports on in the
most cycles at the smallest size (the same at every size) and on the first
section (whose text differs in every input), and the objective page's "who reported
on it, cycle by cycle". `--reuse` uses a database an earlier `--keep` run seeded (and
migrates it first).
Targets (issue 19): query counts the same at every size; p50 at the largest size
<= 1.5 × p50 at the smallest, with PUBLIC_CACHE_SECONDS=0 (cold).
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cycles_data  # the seeded database shared with bench/dashboard.py
import public_pages as base  # the helpers of the public pages' benchmark
from cycles_data import BENCH_USER, CYCLES

ROOT = base.ROOT
SECTION = "introduction"  # the first narrative section: seed_bench marks it per input
REVIEWER = "compare-reviewer@example.invalid"


def pages(slug: str, objective: int) -> dict:
    return {
        "compare objective": f"/iscms/{slug}/compare/objective/{objective}/",
        "compare section": f"/iscms/{slug}/compare/section/{SECTION}/",
        "compare chosen": f"/iscms/{slug}/compare/objective/{objective}/"
        f"?from={CYCLES[0]}&to={CYCLES[-1]}",
        "iscm page": f"/iscms/{slug}/",
        "objective page": f"/objectives/{objective}/",
        "trivial": "/robots.txt",
    }


# Run by `manage.py shell -c`: each public page's query count (Django's test client,
# in process), and the reviewer's and secretariat's comparisons timed with their
# template rendered; JSON on the last line.
IN_PROCESS = """
import json, statistics, time
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import CaptureQueriesContext
from accounts.models import User
from submissions import crosscycle, crosscycle_subjects
from submissions.models import ISCM, GCMObjective, Region, ReviewerAssignment, WrittenInput

paths = json.loads('''%(paths)s''')
found = {"queries": {}, "status": {}, "in_process": {}}
client = Client(HTTP_HOST="127.0.0.1")
for name, path in paths.items():
    client.get(path)  # the first request of a process loads templates and translations
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    found["queries"][name] = len(queries)
    found["status"][name] = response.status_code

iscm = ISCM.objects.get(slug="%(slug)s")
reviewer, _ = User.objects.get_or_create(email="%(reviewer)s", defaults={"full_name": "R"})
ReviewerAssignment.objects.get_or_create(
    user=reviewer, region=Region.objects.get(code="ECLAC"),
    role=ReviewerAssignment.Role.REVIEWER,
)
secretariat = User.objects.get(email="%(secretariat)s")
# A reviewer of ECLAC alone: published inputs from the numbers kept for the region.
region = crosscycle.reviewer_region(reviewer)
assert region is not None, "the benchmark's reviewer must review one region"
audiences = {
    "review": (WrittenInput.objects.reviewable_by(reviewer), crosscycle.Source.LATEST, region),
    "secretariat": (
        WrittenInput.objects.for_secretariat(secretariat), crosscycle.Source.CURRENT, None
    ),
}
for audience, (inputs, source, region) in audiences.items():
    for kind, key in (("objective", %(objective)d), ("section", "%(section)s")):
        def page():
            comparison = crosscycle.compare_across_cycles(
                inputs, iscm=iscm, kind=kind, key=key, source=source, region=region
            )
            subject = (
                GCMObjective.objects.get(number=key) if kind == "objective"
                else crosscycle_subjects.section_for_key(key)
            )
            html = render_to_string(
                "includes/compare_cycles.html",
                {"iscm": iscm, "kind": kind, "subject": subject, "comparison": comparison,
                 "audience": audience},
            )
            return comparison, len(html)
        page()
        with CaptureQueriesContext(connection) as queries:
            comparison, size = page()
        timings = []
        for _ in range(%(runs)d):
            started = time.perf_counter()
            page()
            timings.append((time.perf_counter() - started) * 1000)
        found["in_process"][f"{audience} {kind}"] = {
            "p50": statistics.median(timings),
            "queries": len(queries),
            "html": size,
            "texts": sum(len(c.texts) for c in comparison.columns),
        }
print(json.dumps(found))
"""

# The ISCM with the most published inputs, as lead or partner, and how many it has.
BUSIEST = """
    SELECT i.slug, count(*) FROM submissions_iscm i
    JOIN submissions_writteninput w ON w.status = 'published' AND (
        w.lead_iscm_id = i.id OR EXISTS (
            SELECT 1 FROM submissions_writteninput_partner_iscms p
            WHERE p.writteninput_id = w.id AND p.iscm_id = i.id))
    GROUP BY i.slug ORDER BY count(*) DESC, i.slug LIMIT 1
"""


# The objective the busiest ISCM reports on in the most cycles (then the most often):
# at the smallest size, so that both sizes show a page of the same shape (a text per
# cycle in each of the three cycles), not more columns at the larger one.
COVERED = """
    SELECT o.number FROM submissions_objectiveresponse r
    JOIN submissions_writteninput w ON w.id = r.input_id AND w.status = 'published'
    JOIN submissions_gcmobjective o ON o.id = r.objective_id
    JOIN submissions_iscm i ON i.slug = %s
    WHERE w.lead_iscm_id = i.id OR EXISTS (
        SELECT 1 FROM submissions_writteninput_partner_iscms p
        WHERE p.writteninput_id = w.id AND p.iscm_id = i.id)
    GROUP BY o.number ORDER BY count(DISTINCT w.cycle_id) DESC, count(*) DESC, o.number
    LIMIT 1
"""


def main() -> None:
    bench = cycles_data.start(__doc__, requests=50, runs=10, name="compare")
    args, sizes, run, workdir = bench.args, bench.args.sizes, bench.run, bench.workdir
    serve_env = {**bench.serve_env, "PUBLIC_CACHE_SECONDS": "0"}  # cold: no cached results
    http, in_process, busiest, created = {}, {}, {}, []
    objective = None
    try:
        for size in sizes:
            name, url = bench.prepare(size)
            created.append(name)
            seed_env = {**serve_env, "SITE_URL": "http://127.0.0.1", "DATABASE_URL": url}
            connection = base.psycopg2.connect(url)
            with connection.cursor() as cursor:
                cursor.execute(BUSIEST)
                slug, count = cursor.fetchone()
                if objective is None:  # the smallest size chooses
                    cursor.execute(COVERED, [slug])
                    (objective,) = cursor.fetchone()
            connection.close()
            busiest[size] = {"iscm": slug, "published_inputs": count, "objective": objective}
            print(
                f"[{size}] busiest ISCM: {slug}, {count} published inputs; objective {objective}",
                flush=True,
            )
            paths = pages(slug, objective)
            said = run(
                seed_env,
                "shell",
                "-c",
                IN_PROCESS
                % {
                    "paths": json.dumps(paths),
                    "slug": slug,
                    "reviewer": REVIEWER,
                    "secretariat": BENCH_USER,
                    "objective": objective,
                    "section": SECTION,
                    "runs": args.runs,
                },
            )
            in_process[size] = json.loads(said.strip().splitlines()[-1])
            with base.Server({**serve_env, "DATABASE_URL": url}, workdir) as server:
                http[size] = base.measure(server, paths, args.requests)
            print(f"[{size}] measured", flush=True)
        report(http, in_process, busiest, sizes, args)
    finally:
        bench.finish(created)


def report(http, in_process, busiest, sizes, args) -> None:
    small, large = sizes[0], sizes[-1]
    result = {"bench": "compare", "sizes": sizes, "requests": args.requests}
    result["busiest"] = busiest
    result["pages"], result["in_process"] = {}, {}
    print(f"\npublic pages over HTTP, cold, {args.requests} sequential requests, ms")
    for page in http[small]:
        row = f"{page:<17}"
        entry = {}
        for size in sizes:
            p50, p95, failures = http[size][page]
            queries = in_process[size]["queries"][page]
            row += f"  {size}: p50 {p50:7.1f} p95 {p95:7.1f} q {queries:2d}"
            if failures:
                row += f" non-200 {failures}"
            entry[size] = {"p50": round(p50, 1), "p95": round(p95, 1), "queries": queries}
        ratio = http[large][page][0] / http[small][page][0]
        same = len({in_process[s]["queries"][page] for s in sizes}) == 1
        mark = "ref" if page == "trivial" else "ok" if ratio <= 1.5 else "MISSED"
        print(f"{row}  ratio {ratio:5.2f} {mark}; queries {'same' if same else 'DIFFER'}")
        entry.update(ratio=round(ratio, 2), same_queries=same)
        result["pages"][page] = entry
    print(f"\nreviewer and secretariat comparisons in process, median of {args.runs}, ms")
    for name in in_process[small]["in_process"]:
        row = f"{name:<22}"
        entry = {}
        for size in sizes:
            found = in_process[size]["in_process"][name]
            row += f"  {size}: p50 {found['p50']:7.1f} q {found['queries']:2d}"
            row += f" texts {found['texts']:3d} html {found['html'] // 1024:4d} KiB"
            entry[size] = {k: round(v, 1) for k, v in found.items()}
        ratio = (
            in_process[large]["in_process"][name]["p50"]
            / in_process[small]["in_process"][name]["p50"]
        )
        same = len({in_process[s]["in_process"][name]["queries"] for s in sizes}) == 1
        mark = "ok" if ratio <= 1.5 else "MISSED"
        print(f"{row}  ratio {ratio:5.2f} {mark}; queries {'same' if same else 'DIFFER'}")
        entry.update(ratio=round(ratio, 2), same_queries=same)
        result["in_process"][name] = entry
    statuses = {
        f"{page} at {size}": status
        for size in sizes
        for page, status in in_process[size]["status"].items()
        if status != 200
    }
    result["non_200_in_process"] = statuses
    print("(target: the same query count at every size, p50 ratio <= 1.5)")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
