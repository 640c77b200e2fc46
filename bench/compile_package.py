#!/usr/bin/env python3
"""Benchmark of regional package compilation. Prints, measured in one run:
pages; the full compile with the inputs' parts rendered in parallel worker processes
(`full_s`) and in this machine's one process (`single_s`, PACKAGE_RENDER_WORKERS=1),
both from an empty parts cache; the compile after one more input was accepted
(`incremental_s`, the other parts from the cache); WeasyPrint alone on the whole
package as one document, both editions (`raw_weasyprint_s`, what a compile was before
it assembled pieces); the peak RSS of the full compile, its worker processes included.
Ends with one JSON line of the figures.

    .venv/bin/python bench/compile_package.py [--inputs 60]

Seeds its own SQLite database in a temporary folder (DATABASE_URL overrides), with N
accepted inputs of about 1,600 words in six languages (`manage.py seed_bench`).
Targets (issue 20) at N=60 on 2 cores: parallel_ratio (full / single) <= 0.65,
incremental_ratio (incremental / full) <= 0.35, peak RSS <= 600 MB in total; (issue 5)
the compile request answers in under 200 ms.
"""

import argparse
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Compiles the queued-again package in a process of its own (see `compile_again`).
COMPILE_AGAIN = """
import time
from reviews.models import RegionalPackage
from reviews.package_pdf import compile_package
from reviews.packages import retry_compile
package = RegionalPackage.objects.get(pk={pk})
package.status = "failed"
package.save(update_fields=["status"])
retry_compile(package, enqueue=False)
started = time.perf_counter()
package = compile_package(package.pk)
assert package.status == "done", package.error
print(f"seconds: {{time.perf_counter() - started:.3f}}")
"""


def _tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and all its descendants, in kB."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/status") as status:
                total += next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
            with open(f"/proc/{current}/task/{current}/children") as children:
                pending += [int(child) for child in children.read().split()]
        except (FileNotFoundError, ProcessLookupError, StopIteration):
            continue
    return total


def run_measured(command, env) -> tuple[str, float]:
    """Run a command; return its output and the peak of its process tree's total RSS
    (MB), sampled every 50 ms."""
    process = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peak = 0
    while process.poll() is None:
        peak = max(peak, _tree_rss_kb(process.pid))
        time.sleep(0.05)
    output, errors = process.communicate()
    if process.returncode:
        sys.exit(f"{' '.join(command)} failed:\n{errors[-3000:]}")
    return output, peak / 1024


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

    def run(*command, **extra_env):
        return subprocess.run(
            [*manage, *command],
            env={**env, **extra_env},
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    run("migrate", "--noinput")
    run("load_reference_data")
    run("load_demo_data")  # opens the demo round (dates relative to today)
    run("seed_bench", "--inputs", str(args.inputs), "--region", "ECLAC")

    # 1. Single process, empty parts cache.
    output = run(
        "compile_package", "--cycle", "2028-2029", "--region", "ECLAC",
        PACKAGE_RENDER_WORKERS="1",
    )  # fmt: skip
    match = re.search(r"version (\d+), (\d+) pages, (\d+) bytes, ([\d.]+) s", output)
    if not match:
        sys.exit(f"compile_package said: {output}")
    version, pages, size, single_seconds = match.groups()
    single_seconds = float(single_seconds)

    # WeasyPrint alone on the whole package as one document, in this process.
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iscm_portal.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.template.loader import render_to_string
    from django.utils import translation

    from reviews.models import RegionalPackage
    from reviews.package_parts import CACHE_FOLDER
    from reviews.package_pdf import PUBLIC_EDITION, REVIEW_EDITION, package_context
    from submissions.pdf import PortalURLFetcher, render_html_to_pdf

    package = RegionalPackage.objects.get(review__region__code="ECLAC", number=int(version))
    weasyprint_seconds = 0.0
    for edition in (REVIEW_EDITION, PUBLIC_EDITION):  # a compile renders both
        with translation.override(package.language):
            context = package_context(package, edition=edition)
            html = render_to_string("pdf/package.html", context)
        started = time.perf_counter()
        render_html_to_pdf(html, fetcher=PortalURLFetcher(context["attachment_files"]))
        weasyprint_seconds += time.perf_counter() - started

    # 2. The same package again with parallel workers, from an empty parts cache, in a
    # process of its own so that its peak memory (workers included) is its own.
    shutil.rmtree(workdir / "media" / CACHE_FOLDER)
    output, peak_rss_mb = run_measured(
        [*manage, "shell", "-c", COMPILE_AGAIN.format(pk=package.pk)], env
    )
    full_seconds = float(re.search(r"seconds: ([\d.]+)", output).group(1))

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

    # 3. That new version: one input more, every other part from the cache.
    output = run("shell", "-c", COMPILE_AGAIN.format(pk=queued.pk))
    incremental_seconds = float(re.search(r"seconds: ([\d.]+)", output).group(1))

    figures = {
        "inputs": args.inputs,
        "pages": int(pages),
        "full_s": round(full_seconds, 2),
        "single_s": round(single_seconds, 2),
        "incremental_s": round(incremental_seconds, 2),
        "parallel_ratio": round(full_seconds / single_seconds, 3),
        "incremental_ratio": round(incremental_seconds / full_seconds, 3),
        "raw_weasyprint_s": round(weasyprint_seconds, 2),
        "full_vs_one_render": round(full_seconds / weasyprint_seconds, 3),
        "peak_rss_mb": round(peak_rss_mb),
        "enqueue_ms": round(enqueue_ms),
    }
    print(f"inputs: {args.inputs}")
    print(f"pages: {pages}   size: {int(size) / 1e6:.1f} MB")
    print(f"full compile, parts in parallel workers: {full_seconds:.2f} s")
    print(f"full compile, one process: {single_seconds:.2f} s")
    print(f"parallel / one process: {figures['parallel_ratio']}   (target <= 0.65)")
    print(f"after one more input, other parts cached: {incremental_seconds:.2f} s")
    print(f"incremental / full: {figures['incremental_ratio']}   (target <= 0.35)")
    print(f"WeasyPrint alone on the whole package as one document: {weasyprint_seconds:.2f} s")
    print(f"peak RSS of the full compile, workers included: {peak_rss_mb:.0f} MB (<= 600)")
    print(f"compile request answered in {enqueue_ms:.0f} ms (target < 200)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
