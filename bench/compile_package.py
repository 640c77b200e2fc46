#!/usr/bin/env python3
"""Benchmark of regional package compilation. Prints, measured in one run:
pages, compile seconds, seconds WeasyPrint alone takes on the same final HTML of both
editions (review and public), their ratio, and the peak RSS of the compiling process.
Ends with one JSON line of the figures.

    .venv/bin/python bench/compile_package.py [--inputs 60]

Seeds its own SQLite database in a temporary folder (DATABASE_URL overrides), with N
accepted inputs of about 1,600 words in six languages (`manage.py seed_bench`).
Targets (issue 5) at N=60: ratio <= 1.15, peak RSS <= 600 MB, the compile request
answers in under 200 ms. Peak RSS is the largest of the child processes (the compile
is the largest of them).
"""

import argparse
import json
import os
import re
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=60)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="iscm-bench-"))
    env = {
        **os.environ,
        "DEBUG": "1",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(40),
        "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{workdir}/bench.sqlite3"),
        "MEDIA_ROOT": str(workdir / "media"),
        "LOG_LEVEL": "WARNING",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]

    def run(*command):
        return subprocess.run(
            [*manage, *command], env=env, cwd=ROOT, check=True, capture_output=True, text=True
        ).stdout

    run("migrate", "--noinput")
    run("load_reference_data")
    run("load_demo_data")  # opens the demo round (dates relative to today)
    run("seed_bench", "--inputs", str(args.inputs), "--region", "ECLAC")

    # The full compile, in its own process so its peak memory is its own.
    started = time.perf_counter()
    output = run("compile_package", "--cycle", "2028-2029", "--region", "ECLAC")
    wall = time.perf_counter() - started
    peak_rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    match = re.search(r"version (\d+), (\d+) pages, (\d+) bytes, ([\d.]+) s", output)
    if not match:
        sys.exit(f"compile_package said: {output}")
    version, pages, size, compile_seconds = match.groups()

    # WeasyPrint alone on the same final HTML, in this process.
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iscm_portal.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.template.loader import render_to_string

    from reviews.models import RegionalPackage
    from reviews.package_pdf import PUBLIC_EDITION, REVIEW_EDITION, package_context
    from submissions.pdf import PortalURLFetcher, render_html_to_pdf

    package = RegionalPackage.objects.get(review__region__code="ECLAC", number=int(version))
    weasyprint_seconds = 0.0
    for edition in (REVIEW_EDITION, PUBLIC_EDITION):  # a compile renders both
        html = render_to_string("pdf/package.html", package_context(package, edition=edition))
        started = time.perf_counter()
        render_html_to_pdf(html, fetcher=PortalURLFetcher())
        weasyprint_seconds += time.perf_counter() - started

    # The compiler's request: with one more accepted input, ask for a new version the way
    # the page does (database task backend: the work is only queued).
    run("seed_bench", "--inputs", "1", "--region", "ECLAC")
    from django.db import transaction

    from reviews.packages import request_compile

    started = time.perf_counter()
    with transaction.atomic():
        queued, created = request_compile(package.review)
    enqueue_ms = (time.perf_counter() - started) * 1000
    assert created and queued.status == "queued"

    ratio = float(compile_seconds) / weasyprint_seconds
    print(f"inputs: {args.inputs}")
    print(f"pages: {pages}   size: {int(size) / 1e6:.1f} MB")
    print(f"compile seconds (compile_package): {float(compile_seconds):.2f}")
    print(f"WeasyPrint alone on the same HTML: {weasyprint_seconds:.2f}")
    print(f"ratio compile / WeasyPrint: {ratio:.3f}   (target <= 1.15)")
    print(f"peak RSS of the compiling process: {peak_rss_mb:.0f} MB   (target <= 600)")
    total = args.inputs + 1
    print(f"compile request answered in {enqueue_ms:.0f} ms with {total} inputs (target < 200)")
    print(f"(wall time of the compile_package process, startup included: {wall:.2f} s)")
    print(
        json.dumps(
            {
                "inputs": args.inputs,
                "pages": int(pages),
                "compile_seconds": round(float(compile_seconds), 2),
                "weasyprint_seconds": round(weasyprint_seconds, 2),
                "ratio": round(ratio, 3),
                "peak_rss_mb": round(peak_rss_mb),
                "enqueue_ms": round(enqueue_ms),
            }
        )
    )


if __name__ == "__main__":
    main()
