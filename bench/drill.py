#!/usr/bin/env python3
"""The operations drill (issue 21): the failures an operator meets at 3 a.m., repeated
on PostgreSQL with real processes, each with a PASS or FAIL line, ending with one JSON
line of figures.

1. kill: two task workers (`manage.py db_worker`); the one compiling a package is killed
   with SIGKILL mid-compile. Nobody presses anything and no cron job runs: the other
   worker takes the package over and builds it. Prints `stale_recovered_s`, seconds from
   the kill to the package done, and whether the dead run's task row was reaped.
2. memory: the surviving worker's resident memory before and after it compiled the
   package (`worker_rss_before_mb`, `worker_rss_after_mb`): a compile runs in a child
   process, so the worker returns to its baseline.
3. restore: `ops/backup.sh`, then `ops/restore.sh` into an empty database and media
   folder; every table's row count and every stored file's sha256 compared
   (`restore_equal`).
4. mail: `bench/mail_outage.py` (the relay down, then back): `mails_lost`.
5. downloads: `bench/opendata_load.py` (pages under load with and without open-data
   downloads running): `html_p50_ratio_with_downloads`.

    ops/drill.sh                       # or: .venv/bin/python bench/drill.py
    .venv/bin/python bench/drill.py --skip mail downloads   # the first three only

The fleet's set-up is bench/fleet.py's (its own database, folder and Redis database,
removed at the end, also on failure): two gunicorns, two workers, demo data and
--inputs accepted inputs in ECLAC's review. Thresholds are short (a heartbeat every
2 s, a run without one for 10 s is dead) so the drill takes minutes; production's
defaults are in docs/operations.md. Exits 1 if a check failed.
"""

import argparse
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fleet as base  # the fleet's processes, database and checks' helpers

ROOT = base.ROOT
PY = base.PY


def rss_mb(pid: int) -> float:
    """Resident memory of one process (not its children), in MB."""
    with open(f"/proc/{pid}/status") as status:
        kb = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
    return round(kb / 1024, 1)


def last_json(output: str) -> dict:
    lines = [line for line in output.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else {}


def check_kill_and_memory(fleet: base.Fleet) -> None:
    from reviews.models import RegionalPackage
    from reviews.packages import request_compile

    survivor = fleet.processes["worker-2"]
    time.sleep(3)  # both workers idle and started
    before = rss_mb(survivor.pid)
    package, _created = request_compile(base.the_review(), by=base.staff())
    package = base.wait_for(package.pk, {"running"}, 300, percent=30)  # laying out pages
    (task,) = base.package_tasks(package.pk)
    (victim,) = task.worker_ids
    if victim == "worker-2":  # keep the measured worker alive: swap the roles
        survivor = fleet.processes["worker-1"]
        before = rss_mb(survivor.pid)
    fleet.kill(victim)
    killed_at = time.perf_counter()
    base.say(f"killed {victim} while it compiled package {package.pk} ({package.stage})")
    package = base.wait_for(package.pk, {"done"}, 600)
    recovered = time.perf_counter() - killed_at
    task.refresh_from_db()
    reaped = task.status != "RUNNING"
    runs = [t.worker_ids for t in base.package_tasks(package.pk)]
    history = "; ".join(event.message for event in package.events.all())
    base.figures.update(
        stale_recovered_s=round(recovered, 1),
        dead_task_reaped=reaped,
        dead_task_status=task.status,
    )
    base.check(
        "kill",
        package.status == RegionalPackage.Status.DONE and reaped,
        f"package {package.pk} done {recovered:.1f} s after the kill, with nobody pressing "
        f"anything (runs claimed by {runs}); the killed run's task row is {task.status}; "
        f"history: {history or '(none)'}",
    )
    time.sleep(2)  # the worker's last clean-up after the task
    after = rss_mb(survivor.pid)
    base.figures.update(worker_rss_before_mb=before, worker_rss_after_mb=after)
    pages = package.page_count
    base.check(
        "memory",
        after <= before * 1.25 + 20,
        f"the surviving worker held {before} MB before the compile and {after} MB after it "
        f"({pages} pages): back to its baseline",
    )


def table_counts(url: str) -> dict[str, int]:
    import psycopg2

    connection = psycopg2.connect(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
            tables = [row[0] for row in cursor.fetchall()]
            counts = {}
            for table in tables:
                cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 — catalogue names
                counts[table] = cursor.fetchone()[0]
            return counts
    finally:
        connection.close()


def file_sums(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def check_restore(fleet: base.Fleet) -> None:
    from django.db import connections

    connections.close_all()
    backup = fleet.workdir / "backup"
    media = Path(fleet.env["MEDIA_ROOT"])
    restored_db = f"{fleet.database}_restored"
    restored_media = fleet.workdir / "media-restored"
    restored_url = f"postgres://postgres@127.0.0.1:5432/{restored_db}"
    for name in ("worker-1", "worker-2", "web-a", "web-b"):
        fleet.stop(name)  # a quiet database: the copy is compared with the original
    env = {**fleet.env}
    subprocess.run(
        [base.tool("bash"), str(ROOT / "ops" / "backup.sh"), str(backup)],
        env=env, cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    subprocess.run([base.tool("createdb"), *base.POSTGRES, restored_db], check=True)
    try:
        done = subprocess.run(
            [base.tool("bash"), str(ROOT / "ops" / "restore.sh"), str(backup)],
            env={**env, "DATABASE_URL": restored_url, "MEDIA_ROOT": str(restored_media)},
            cwd=ROOT, capture_output=True, text=True,
        )  # fmt: skip
        if done.returncode:
            raise SystemExit(f"restore.sh failed:\n{done.stderr[-2000:]}")
        original, copy = table_counts(fleet.env["DATABASE_URL"]), table_counts(restored_url)
        files, copied = file_sums(media), file_sums(restored_media)
        equal = original == copy and files == copied
        differ = sorted(t for t in original if original[t] != copy.get(t))
        base.figures.update(
            restore_equal=equal, restore_tables=len(original), restore_files=len(files)
        )
        base.check(
            "restore",
            equal and len(files) > 0,
            f"{len(original)} tables ({sum(original.values())} rows) and {len(files)} stored "
            f"files backed up and restored into an empty database and folder: "
            + ("equal row counts and sha256 everywhere" if equal else f"DIFFER: {differ}"),
        )
    finally:
        subprocess.run(
            [base.tool("dropdb"), *base.POSTGRES, "--force", restored_db], capture_output=True
        )


def run_bench(name: str, script: str, *arguments: str) -> dict:
    """Run another drill's script and return its JSON line (empty if it printed none)."""
    path = ROOT / "bench" / script
    if not path.exists():
        base.check(name, False, f"bench/{script} is missing")
        return {}
    base.say(f"running bench/{script} {' '.join(arguments)}")
    done = subprocess.run(
        [PY, str(path), *arguments], cwd=ROOT, capture_output=True, text=True, timeout=3600
    )
    found = last_json(done.stdout)
    if done.returncode or not found:
        tail = (done.stdout + done.stderr)[-1500:]
        base.check(name, False, f"bench/{script} exited {done.returncode}:\n{tail}")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=40, help="accepted inputs in the review")
    parser.add_argument("--cache-url", default="redis://127.0.0.1:6379/2", help="flushed!")
    parser.add_argument("--outage", default="60", help="seconds the mail relay is down")
    parser.add_argument(
        "--skip", nargs="*", default=[], choices=["mail", "downloads"], help="drills to skip"
    )
    parser.add_argument("--keep", action="store_true", help="keep the folder (logs)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    for program in ("createdb", "dropdb", "pg_dump", "pg_restore"):
        base.tool(program)
    started = time.perf_counter()
    fleet = base.Fleet(args)
    try:
        base.set_up(fleet)
        check_kill_and_memory(fleet)
        check_restore(fleet)
    except (Exception, SystemExit) as error:  # the figures so far still end the output
        base.figures["aborted"] = str(error) or type(error).__name__
        base.say(f"ABORTED: {base.figures['aborted']}")
        base.results.setdefault("aborted", False)
    finally:
        fleet.close()
    if "mail" not in args.skip:
        mail = run_bench("mail", "mail_outage.py", "--outage", args.outage)
        if mail:
            base.figures["mails_lost"] = mail.get("mails_lost")
            base.check(
                "mail",
                mail.get("mails_lost") == 0 and mail.get("mails_duplicated") == 0,
                f"relay down {args.outage} s: {mail}",
            )
    if "downloads" not in args.skip:
        load = run_bench("downloads", "opendata_load.py")
        if load:
            ratio = load.get("html_p50_ratio_with_downloads")
            base.figures["html_p50_ratio_with_downloads"] = ratio
            base.check("downloads", ratio is not None and ratio <= 1.5, f"{load}")
    figures = base.figures
    figures["checks_passed"] = sum(base.results.values())
    figures["checks_failed"] = len(base.results) - figures["checks_passed"]
    figures["total_s"] = round(time.perf_counter() - started, 1)
    wanted = (
        "restore_equal",
        "stale_recovered_s",
        "mails_lost",
        "worker_rss_after_mb",
        "html_p50_ratio_with_downloads",
    )
    print(json.dumps({**{key: figures.get(key) for key in wanted}, **figures}), flush=True)
    return 0 if base.results and all(base.results.values()) else 1


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
