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
    .venv/bin/python bench/compile_package.py --memory [--inputs 600]

`--memory` (issue 21) measures instead a real `manage.py db_worker` compiling the
package through its task: the worker's RSS when idle before (`worker_before_mb`), the
peak RSS of the worker and all its processes summed (`peak_mb`, sampled every 100 ms
from /proc; shared pages such as libraries count once per process) and their peak PSS
summed (`peak_pss_mb`, /proc/<pid>/smaps_rollup: each shared page divided among its
processes, the memory they take together), and the worker's RSS once idle again after
(`worker_after_mb`); first as
the portal runs it (the compile in a child process), then, for comparison (unless
`--child-only`), with PACKAGE_COMPILE_IN_CHILD=0 (in the worker's own process, as
before). Targets: 600 inputs < 1 GB peak, 60 < 600 MB, after ≈ before.

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
    """Resident memory of a process and all its descendants, in kB (pages the processes
    share, such as libraries, count once per process)."""
    return _tree_kb(pid, "/proc/{pid}/status", "VmRSS:")


def _tree_pss_kb(pid: int) -> int:
    """Proportional set size of a process and all its descendants, in kB: each shared
    page divided among the processes sharing it, so the sum is the memory they take
    together (what RSS summed over processes counts several times)."""
    return _tree_kb(pid, "/proc/{pid}/smaps_rollup", "Pss:")


def _tree_kb(pid: int, path: str, field: str) -> int:
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            with open(path.format(pid=current)) as status:
                total += next(int(line.split()[1]) for line in status if line.startswith(field))
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


def _rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def measure_worker_compile(review, language: str, env: dict) -> dict:
    """Start a real db_worker, let it settle, queue `review`'s package in `language`
    and sample the worker's process tree until the task is done. Returns the figures in
    MB and seconds."""
    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    from iscm_portal.models import WorkerHeartbeat
    from reviews.packages import request_compile

    worker = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "db_worker", "--no-reload", "--worker-id",
         f"bench-{language}"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not WorkerHeartbeat.objects.filter(worker_id=f"bench-{language}").exists():
            if time.monotonic() > deadline or worker.poll() is not None:
                sys.exit(f"the worker did not start: {worker.stderr.read()[-3000:]}")
            time.sleep(0.2)
        time.sleep(3)  # idle: its imports done, waiting for a task
        before = _rss_kb(worker.pid)
        package, created = request_compile(review, language=language)
        assert created, "nothing new to compile"
        started, peak, peak_pss = time.perf_counter(), 0, 0
        task = DBTaskResult.objects.filter(task_path="reviews.tasks.compile_package_task")
        while True:
            peak = max(peak, _tree_rss_kb(worker.pid))
            peak_pss = max(peak_pss, _tree_pss_kb(worker.pid))
            package.refresh_from_db()
            if (
                package.status in ("done", "failed")
                and not task.filter(status__in=["READY", "RUNNING"]).exists()
            ):
                break
            if worker.poll() is not None:
                sys.exit(f"the worker died: {worker.stderr.read()[-3000:]}")
            time.sleep(0.1)
        seconds = time.perf_counter() - started
        if package.status != "done":
            sys.exit(f"the compile failed: {package.error}")
        time.sleep(3)  # idle again
        after = _rss_kb(worker.pid)
        connection.close()
        return {
            "worker_before_mb": round(before / 1024),
            "peak_mb": round(peak / 1024),
            "peak_pss_mb": round(peak_pss / 1024),
            "worker_after_mb": round(after / 1024),
            "pages": package.page_count,
            "seconds": round(seconds, 1),
        }
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()


def memory(args, env: dict, run) -> None:
    """--memory: see the module's doc."""
    run("migrate", "--noinput")
    run("load_reference_data")
    run("load_demo_data")
    run("seed_bench", "--inputs", str(args.inputs), "--region", "ECLAC")
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iscm_portal.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from submissions.models import RegionalReview

    review = RegionalReview.objects.filter(region__code="ECLAC").latest("cycle__start_year")
    child = measure_worker_compile(review, "en", env)
    rows = [("in a child process (the portal's way)", child)]
    figures = {"inputs": args.inputs, **child}
    if not args.child_only:
        in_process = measure_worker_compile(review, "fr", {**env, "PACKAGE_COMPILE_IN_CHILD": "0"})
        rows.append(("in the worker's process (before issue 21)", in_process))
        figures["in_process"] = in_process
    for name, row in rows:
        print(f"compile {name}: {row['pages']} pages, {row['seconds']} s")
        print(f"  worker RSS before: {row['worker_before_mb']} MB")
        print(f"  peak RSS, worker and its processes: {row['peak_mb']} MB")
        print(f"  peak PSS, worker and its processes: {row['peak_pss_mb']} MB")
        print(f"  worker RSS after: {row['worker_after_mb']} MB")
    goal = 1024 if args.inputs >= 600 else 600
    print(f"goal: peak < {goal} MB (PSS: shared pages counted once), after ≈ before")
    print(json.dumps(figures))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=60)
    parser.add_argument(
        "--memory", action="store_true", help="the worker's memory through a real db_worker"
    )
    parser.add_argument(
        "--child-only",
        action="store_true",
        help="with --memory: skip the comparison compile in the worker's own process",
    )
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

    if args.memory:
        memory(args, env, run)
        return

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
