#!/usr/bin/env python3
"""The portal as a fleet, simulated on one machine (issue 20, "Many machines"): two
gunicorn instances (A and B, `-w 2` each, on two free ports), two task workers
(`manage.py db_worker`), one PostgreSQL database, one shared media folder and one Redis
as the shared cache (CACHE_URL). Checks, each with a PASS or FAIL line:

1. cache: a page computed on A is served to B from the shared cache (B adds no entry);
2. publish: inputs published (on A's side) show on B's public list and pages at once,
   with no wait for a cache timeout (entries are keyed on the database's state);
3. compile: a package asked for once, its task also enqueued a second time (a client
   retrying), is claimed by exactly one worker per task and compiled once (two files:
   the review and the public edition); published, it downloads from B, byte for byte;
4. kill: the worker compiling a package is killed (SIGKILL); with nobody pressing
   anything and no cron job, the other worker's heartbeat takes the package over
   (reviews/recovery.py) and compiles it; nothing of the dead run is served meanwhile and
   the dead run's task row is reaped;
5. load: wrk, 64 connections for 60 s split over A and B (one wrk thread each, loopback
   only; bench/fleet.lua) across public pages while a package compiles: 0 socket
   errors, 0 4xx or 5xx, nothing in the error logs.

    .venv/bin/python bench/fleet.py                 # about 5 minutes here
    .venv/bin/python bench/fleet.py --duration 10   # a quick run of the script itself

Staff actions (publish, compile, publish a package) call the domain functions the staff
pages call, in this script's process against the same database and Redis (the staff
pages need a second factor); every observation goes over HTTP to A or B. Creates its own
database (iscm_fleet_<random>, `createdb -h 127.0.0.1 -U postgres`), folder and Redis
database (flushed at start and end), and removes them all at the end, also on failure.
Needs wrk (Debian package `wrk`), PostgreSQL and Redis on 127.0.0.1 and the `redis`
package. Ends with one JSON line of the figures; exits 1 if a check failed.
"""

import argparse
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
REGION = "ECLAC"
POSTGRES = ("-h", "127.0.0.1", "-U", "postgres")  # createdb's and dropdb's server
PUBLISHED = 3  # seeded inputs published by the publish check
# Short enough for the kill check to end within a minute; the heartbeat beats often
# enough that a loaded machine never misses PACKAGE_COMPILE_TIMEOUT by accident.
HEARTBEAT_SECONDS, COMPILE_TIMEOUT = 2, 15
# The workers' own recovery (reviews/recovery.py): a run without a heartbeat for this long,
# or claimed by a worker not seen for this long, is taken over.
STALE_SECONDS = 10
LOAD_PAGES = [
    "/contributions/",
    "/contributions/?q=marker17",
    "/practices/",
    "/iscms/",
    "/regions/",
    "/packages/",
    "/objectives/",
]

results: dict[str, bool] = {}
figures: dict = {}


def say(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} [fleet] {message}", flush=True)


def check(name: str, passed: bool, detail: str) -> bool:
    results[name] = passed
    say(f"{'PASS' if passed else 'FAIL'} {name}: {detail}")
    return passed


def tool(name: str) -> str:
    """The full path of a program this script runs."""
    path = shutil.which(name)
    if path is None:
        hint = {"wrk": "apt-get install -y wrk"}.get(name, "install the PostgreSQL client")
        raise SystemExit(f"{name} is missing: {hint}")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, timeout: float = 60) -> tuple[int, bytes]:
    """Status and body of one GET (redirects not followed; 0 when nothing answers)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        with urllib.request.build_opener(NoRedirect).open(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError:
        return 0, b""


class Fleet:
    """The processes, database and folder of one run; `close()` removes them all."""

    def __init__(self, args):
        self.args = args
        self.workdir = Path(tempfile.mkdtemp(prefix="iscm-fleet-"))
        self.database = f"iscm_fleet_{secrets.token_hex(4)}"
        self.database_created = False
        self.processes: dict[str, subprocess.Popen] = {}
        self.ports = {"a": free_port(), "b": free_port()}
        self.env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"PUBLIC_CACHE_SECONDS", "TASKS_BACKEND", "DEFAULT_FILE_STORAGE_BACKEND"}
        }
        self.env.update(
            DJANGO_SETTINGS_MODULE="iscm_portal.settings",
            DEBUG="0",
            SECRET_KEY=secrets.token_urlsafe(50),
            DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{self.database}",
            CACHE_URL=args.cache_url,
            MEDIA_ROOT=str(self.workdir / "media"),
            STATIC_ROOT=str(self.workdir / "static"),
            # The load balancer's address would be here; A's stands in for it.
            SITE_URL=self.url("a", ""),
            ALLOWED_HOSTS="127.0.0.1",
            SECURE_SSL_REDIRECT="0",  # plain http on the loopback
            EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
            LOG_LEVEL="WARNING",
            PACKAGE_HEARTBEAT_SECONDS=str(HEARTBEAT_SECONDS),
            PACKAGE_COMPILE_TIMEOUT=str(COMPILE_TIMEOUT),
            PACKAGE_QUEUE_TIMEOUT="900",
            PACKAGE_STALE_SECONDS=str(STALE_SECONDS),
            WORKER_HEARTBEAT_SECONDS=str(HEARTBEAT_SECONDS),
            WORKER_STALE_SECONDS=str(STALE_SECONDS),
        )

    def url(self, instance: str, path: str) -> str:
        return f"http://127.0.0.1:{self.ports[instance]}{path}"

    def manage(self, *command, debug=False) -> str:
        env = {**self.env, "DEBUG": "1"} if debug else self.env
        done = subprocess.run(
            [PY, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True
        )
        if done.returncode:
            raise SystemExit(f"manage.py {' '.join(command)} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def start(self, name: str, command: list[str]) -> None:
        log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 — the child keeps it
        # A session of its own: stopping it stops gunicorn's workers too.
        self.processes[name] = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=log, stderr=log, start_new_session=True
        )

    def start_web(self, instance: str) -> None:
        self.start(
            f"web-{instance}",
            [
                *(PY, "-m", "gunicorn", "iscm_portal.wsgi", "-w", "2", "--timeout", "60"),
                *("-b", f"127.0.0.1:{self.ports[instance]}"),
            ],
        )

    def start_worker(self, name: str) -> None:
        flags = ("--no-reload", "--no-startup-delay", "--worker-id", name)
        self.start(name, [PY, "manage.py", "db_worker", *flags])

    def stop(self, name: str, grace: float = 10) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        # db_worker's first TERM asks it to finish its task; the second stops it.
        for _ in range(2):
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                return
            try:
                process.wait(grace / 2)
                return
            except subprocess.TimeoutExpired:
                pass
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def kill(self, name: str) -> None:
        """SIGKILL, as the kernel's OOM killer or a lost machine would."""
        process = self.processes.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def flush_cache(self) -> None:
        import redis

        redis.Redis.from_url(self.args.cache_url).flushdb()

    def cache_keys(self) -> int:
        import redis

        return redis.Redis.from_url(self.args.cache_url).dbsize()

    def cache_entries(self) -> dict[bytes, tuple[int, int]]:
        """Each entry's seconds since it was last read or written (OBJECT IDLETIME) and
        milliseconds left to live (PTTL, which a write resets); neither touches it."""
        import redis

        client = redis.Redis.from_url(self.args.cache_url)
        return {
            key: (client.object("idletime", key), client.pttl(key)) for key in client.scan_iter()
        }

    def close(self) -> None:
        for name in list(self.processes):
            self.stop(name)
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        if self.database_created:
            dropped = subprocess.run(
                [tool("dropdb"), *POSTGRES, "--force", self.database],
                capture_output=True,
                text=True,
            )
            say(f"dropped database {self.database}" if not dropped.returncode else dropped.stderr)
        try:
            self.flush_cache()
        except Exception as error:  # cleanup goes on; say what was left
            say(f"could not flush {self.args.cache_url}: {error}")
        if self.args.keep:
            say(f"kept {self.workdir} (logs, media)")
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)


def set_up(fleet: Fleet) -> None:
    args = fleet.args
    subprocess.run([tool("createdb"), *POSTGRES, fleet.database], check=True)
    fleet.database_created = True
    started = time.perf_counter()
    fleet.manage("migrate", "--noinput")
    fleet.manage("load_reference_data")
    fleet.manage("load_demo_data", debug=True)  # it refuses with DEBUG off
    fleet.manage("seed_bench", "--force", "--inputs", str(args.inputs), "--region", REGION)
    fleet.manage("collectstatic", "--noinput")
    figures["setup_s"] = round(time.perf_counter() - started, 1)
    say(f"database {fleet.database}: migrated, demo data, {args.inputs} accepted inputs")
    fleet.flush_cache()
    # This process acts for the staff: Django against the same database and Redis.
    os.environ.update(fleet.env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    fleet.start_web("a")
    fleet.start_web("b")
    fleet.start_worker("worker-1")
    fleet.start_worker("worker-2")
    deadline = time.monotonic() + 120
    for instance in ("a", "b"):
        while get(fleet.url(instance, "/robots.txt"), timeout=5)[0] != 200:
            if (
                fleet.processes[f"web-{instance}"].poll() is not None
                or time.monotonic() > deadline
            ):
                raise SystemExit(f"gunicorn {instance} did not start: see web-{instance}.log")
            time.sleep(0.3)
    say(f"A at {fleet.url('a', '/')}, B at {fleet.url('b', '/')}, workers worker-1, worker-2")


def staff():
    from django.contrib.auth import get_user_model

    # Compiler and reviewer of ECLAC in the demo data.
    return get_user_model().objects.get(email="compiler@example.org")


def the_review():
    from submissions.models import RegionalReview, ReviewCycle

    return RegionalReview.objects.get(cycle=ReviewCycle.objects.current(), region__code=REGION)


def check_cache_and_publication(fleet: Fleet) -> None:
    from django.utils.html import escape

    from submissions import workflow
    from submissions.models import Status, WrittenInput

    list_path = "/contributions/"
    get(fleet.url("a", list_path))
    time.sleep(2.5)  # so that an entry read again shows an idle time of 0 against 2
    after_a = fleet.cache_entries()
    status, _body = get(fleet.url("b", list_path))
    after_b = fleet.cache_entries()
    # B read an entry: its idle time fell back to 0; B wrote it: its time to live grew.
    read = [k for k in after_a if k in after_b and after_b[k][0] < after_a[k][0]]
    written = [k for k in after_a if k in after_b and after_b[k][1] > after_a[k][1]]
    added = after_b.keys() - after_a.keys()
    check(
        "cache",
        status == 200 and after_a and len(read) == len(after_a) and not written and not added,
        f"A served {list_path} and left {len(after_a)} entries in Redis; B served it (HTTP "
        f"{status}) reading {len(read)} of them, writing {len(written)} again and adding "
        f"{len(added)}",
    )
    figures["cache_shared"] = results["cache"]

    chosen = list(
        WrittenInput.objects.filter(
            status=Status.ACCEPTED, created_by__email="bench@example.invalid"
        ).order_by("pk")[:PUBLISHED]
    )
    by = staff()
    started = time.perf_counter()
    for written_input in chosen:
        workflow.publish_input(written_input, by=by)
    published_at = time.perf_counter()
    status, body = get(fleet.url("b", list_path))
    seen_in = time.perf_counter() - published_at
    page = body.decode()
    shown = [w for w in chosen if escape(w.title) in page]
    details = [get(fleet.url("b", f"/contributions/{w.slug}/"))[0] for w in chosen]
    figures["publish_visible_s"] = round(seen_in, 3)
    check(
        "publish",
        len(shown) == len(chosen) and set(details) == {200},
        f"{len(chosen)} inputs published in {published_at - started:.2f} s; B's list showed "
        f"{len(shown)} of them {seen_in:.2f} s later (first request), their pages on B "
        f"answered {sorted(set(details))}; Redis now holds {fleet.cache_keys()} entries "
        "(the new state's next to the old)",
    )


def package_tasks(package_pk: int):
    from django_tasks_db.models import DBTaskResult

    return [
        t
        for t in DBTaskResult.objects.filter(task_path__endswith="compile_package_task")
        if t.args_kwargs["args"] == [package_pk]
    ]


def wait_for(package_pk: int, statuses: set[str], seconds: float, *, percent=0):
    from reviews.models import RegionalPackage

    deadline = time.monotonic() + seconds
    while True:
        package = RegionalPackage.objects.get(pk=package_pk)
        if package.status in statuses and package.percent >= percent:
            return package
        if time.monotonic() > deadline:
            raise SystemExit(f"package {package_pk} still {package.status} after {seconds} s")
        time.sleep(0.5)


def stored_package_files(fleet: Fleet) -> set[str]:
    folder = fleet.workdir / "media" / "packages"
    return {str(p.relative_to(fleet.workdir / "media")) for p in folder.rglob("*.pdf")}


def check_compile_and_download(fleet: Fleet):
    from reviews import editions, tasks
    from reviews.packages import request_compile

    before = stored_package_files(fleet)
    started = time.perf_counter()
    package, _created = request_compile(the_review(), by=staff())
    tasks.compile_package_task.enqueue(package.pk)  # the same task a second time
    package = wait_for(package.pk, {"done", "failed"}, 600)
    seconds = time.perf_counter() - started
    runs = package_tasks(package.pk)
    workers = [t.worker_ids for t in runs]
    new_files = stored_package_files(fleet) - before
    figures["claimed_once"] = len(runs) == 2 and all(len(w) == 1 for w in workers)
    figures["compiled_once"] = package.status == "done" and new_files == {
        package.file.name,
        package.public_file.name,
    }
    check(
        "compile",
        figures["claimed_once"] and figures["compiled_once"],
        f"package {package.pk} ({package.language}) {package.status} in {seconds:.1f} s; its two "
        f"tasks were claimed by {workers}; {len(new_files)} files stored",
    )
    figures["compile_s"] = round(seconds, 1)
    download = fleet.url("b", f"/packages/{package.pk}/{package.language}/download/")
    unpublished_status = get(download)[0]
    editions.set_published(package, publish=True)
    status, body = get(download)
    same = hashlib.sha256(body).hexdigest() == package.public_sha256
    figures["downloaded_from_b"] = status == 200 and same and unpublished_status == 404
    check(
        "download",
        figures["downloaded_from_b"],
        f"B answered {unpublished_status} before publication, then {status} with "
        f"{len(body)} bytes, sha256 {'equal to' if same else 'NOT equal to'} the stored one",
    )
    return package


def check_kill(fleet: Fleet, used: list[str]) -> None:
    from reviews.packages import package_languages, request_compile

    language = next(code for code in package_languages() if code not in used)
    used.append(language)
    before = stored_package_files(fleet)
    package, _created = request_compile(the_review(), language=language, by=staff())
    package = wait_for(package.pk, {"running"}, 300, percent=30)  # laying out pages
    time.sleep(1)
    package = wait_for(package.pk, {"running"}, 0)  # still compiling: kill it now
    (dead_task,) = package_tasks(package.pk)
    (victim,) = dead_task.worker_ids
    fleet.kill(victim)
    killed_at = time.perf_counter()
    say(f"killed {victim} while it compiled package {package.pk} ({package.stage})")
    download = fleet.url("b", f"/packages/{package.pk}/{language}/download/")
    served_meanwhile = set()
    while package.status != "done" and time.perf_counter() - killed_at < 600:
        # Nobody presses anything and no cron runs: the other worker's heartbeat takes
        # the package over. Meanwhile nothing of the dead run is served.
        served_meanwhile.add(get(download)[0])
        time.sleep(2)
        package.refresh_from_db()
    recovered = time.perf_counter() - killed_at
    dead_task.refresh_from_db()
    runs = package_tasks(package.pk)
    history = [event.message for event in package.events.all()]
    kept = {package.file.name, package.public_file.name}
    leftovers = sorted(stored_package_files(fleet) - before - kept)
    figures.update(
        killed_package=package.status,
        recovered_after_s=round(recovered, 1),
        dead_task_row=dead_task.status,
        orphan_files=len(leftovers),
    )
    check(
        "kill",
        package.status == "done" and dead_task.status != "RUNNING" and served_meanwhile <= {404},
        f"package {package.pk} {package.status} {recovered:.1f} s after the kill, with nobody "
        f"pressing anything and no cron (PACKAGE_STALE_SECONDS={STALE_SECONDS}, "
        f"WORKER_STALE_SECONDS={STALE_SECONDS}): compiled by {runs[-1].worker_ids}, "
        f"attempt {package.attempt}; B answered {sorted(served_meanwhile)} meanwhile; the "
        f"killed run's task row is {dead_task.status}; history: {history}; "
        f"{len(leftovers)} unreferenced file(s) left in the storage {leftovers}",
    )
    fleet.start_worker(f"{victim}-restarted")  # two workers again for the load check


def check_load(fleet: Fleet, used: list[str]) -> None:
    from reviews.models import RegionalPackage
    from reviews.packages import package_languages, request_compile
    from submissions.models import WrittenInput

    published = WrittenInput.objects.published().order_by("-pk")
    slugs = published.values_list("slug", flat=True)[:3]
    paths = [*LOAD_PAGES, *(f"/contributions/{slug}/" for slug in slugs)]
    page_ms = {}
    for path in paths:  # every page on each instance first: no warm-up inside the run
        for instance in ("a", "b", "b"):
            started = time.perf_counter()
            status = get(fleet.url(instance, path))[0]
            if status != 200:
                raise SystemExit(f"{path} answered {status} on {instance} before the load")
        label = (
            path
            if path in LOAD_PAGES
            else f"/contributions/<slug {len(page_ms) - len(LOAD_PAGES) + 1}>/"
        )
        page_ms[label] = round((time.perf_counter() - started) * 1000, 1)
    figures["page_ms"] = page_ms
    say(f"one request at a time, idle fleet, B, ms: {page_ms}")
    languages = [code for code in package_languages() if code not in used]

    def compile_next():
        package, _created = request_compile(the_review(), language=languages.pop(0), by=staff())
        return package

    compiling = wait_for(compile_next().pk, {"running"}, 300)
    say(f"package {compiling.pk} ({compiling.language}) compiling; wrk starts")
    command = [
        *(tool("wrk"), "-t2", f"-c{fleet.args.connections}", f"-d{fleet.args.duration}s"),
        *("--timeout", "10s", "-s", str(ROOT / "bench" / "fleet.lua"), fleet.url("a", "/")),
    ]
    wrk_env = {
        **os.environ,
        "FLEET_PORTS": ",".join(str(fleet.ports[i]) for i in ("a", "b")),
        "FLEET_PATHS": " ".join(paths),
    }
    wrk = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=wrk_env)
    samples = running = 0
    compiles = 1
    while wrk.poll() is None:
        time.sleep(1)
        compiling.refresh_from_db()
        samples += 1
        running += compiling.status == RegionalPackage.Status.RUNNING
        if compiling.status in {"done", "failed"} and languages:
            compiling = compile_next()  # keep a compile going throughout
            compiles += 1
    output = wrk.stdout.read()
    (line,) = [x for x in output.splitlines() if x.startswith("FLEET ")]
    measured = json.loads(line.removeprefix("FLEET "))
    socket_errors = sum(measured[k] for k in ("connect", "read", "write", "timeout"))
    status_5xx = sum(t["5xx"] for t in measured["threads"])
    status_4xx = sum(t["4xx"] for t in measured["threads"])
    logs = "".join((fleet.workdir / f"web-{i}.log").read_text() for i in ("a", "b"))
    logged = len(re.findall(r"Traceback|\[(?:ERROR|CRITICAL)\]", logs))
    figures.update(
        errors=socket_errors,
        status_5xx=status_5xx,
        status_4xx=status_4xx,
        requests=measured["requests"],
        rps=round(measured["requests"] / measured["seconds"], 1),
        p50_ms=round(measured["p50_us"] / 1000, 1),
        p99_ms=round(measured["p99_us"] / 1000, 1),
        max_ms=round(measured["max_us"] / 1000, 1),
        per_instance={"ab"[t["instance"] - 1]: t["responses"] for t in measured["threads"]},
        compile_running_share=round(running / max(samples, 1), 2),
        compiles_during_load=compiles,
        errors_logged=logged,
    )
    check(
        "load",
        socket_errors == 0 and status_5xx == 0 and status_4xx == 0 and logged == 0,
        f"wrk -t2 -c{fleet.args.connections} -d{fleet.args.duration}s over A and B, "
        f"{len(paths)} pages: {measured['requests']} requests ({figures['rps']}/s; A "
        f"{figures['per_instance'].get('a')}, B {figures['per_instance'].get('b')}), p50 "
        f"{figures['p50_ms']} ms, p99 {figures['p99_ms']} ms, socket errors {socket_errors}, "
        f"4xx {status_4xx}, 5xx {status_5xx}, errors logged {logged}; a package was "
        f"compiling in {figures['compile_running_share']:.0%} of the seconds sampled "
        f"({compiles} compile(s) asked for)",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=40, help="accepted inputs in the review")
    parser.add_argument("--duration", type=int, default=60, help="wrk's seconds")
    parser.add_argument("--connections", type=int, default=64, help="wrk's connections")
    parser.add_argument("--cache-url", default="redis://127.0.0.1:6379/1", help="flushed!")
    parser.add_argument("--keep", action="store_true", help="keep the folder (logs)")
    args = parser.parse_args()

    # A TERM (or Ctrl-C) still runs the cleanup below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    for program in ("wrk", "createdb", "dropdb"):
        tool(program)  # missing: say so now, not after minutes of set-up
    fleet = Fleet(args)
    started = time.perf_counter()
    try:
        set_up(fleet)
        check_cache_and_publication(fleet)
        package = check_compile_and_download(fleet)
        used = [package.language]
        check_kill(fleet, used)
        check_load(fleet, used)
    except (Exception, SystemExit) as error:  # the figures so far still end the output
        figures["aborted"] = str(error) or type(error).__name__
        say(f"ABORTED: {figures['aborted']}")
        results.setdefault("aborted", False)
    finally:
        fleet.close()
    figures["checks_passed"] = sum(results.values())
    figures["checks_failed"] = len(results) - figures["checks_passed"]
    figures["total_s"] = round(time.perf_counter() - started, 1)
    print(json.dumps(figures), flush=True)
    return 0 if results and all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
