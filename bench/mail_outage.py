#!/usr/bin/env python3
"""The mail outage drill (issue 21, item 2): notices queued while the mail relay is
down reach it once it is back, through the task worker's retries, none lost and none
twice.

A real `manage.py db_worker`, Django's SMTP backend and the loopback relay of the tests
(tests/submissions/smtp_stub.py, its own process) on PostgreSQL: N notices are queued
with nothing listening on the relay's port (each refused at its first attempt), the
relay starts after --outage seconds, and the script waits until every notice is sent or
--timeout passes. Retries come 1, 5 and 30 minutes after the first attempt
(submissions/outbox.py), so an outage under a minute is over at the first retry, one
under six minutes at the second.

    .venv/bin/python bench/mail_outage.py                     # 20 notices, 30 s outage
    .venv/bin/python bench/mail_outage.py --outage 120 -n 50  # delivered at the 2nd retry

Creates its own database (iscm_mail_<random>, `createdb -h 127.0.0.1 -U postgres`) and
folder and removes them at the end, also on failure. Ends with one JSON line of the
figures (`mails_lost`, `mails_duplicated`, `delivered_after_s`); exits 1 if a notice
was lost or sent twice.
"""

import argparse
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
POSTGRES = ("-h", "127.0.0.1", "-U", "postgres")
STUB = ROOT / "tests" / "submissions" / "smtp_stub.py"
QUEUE = """
from submissions import emails
context = {"person": None, "old_email": "a@example.org", "new_email": "b@example.org"}
for i in range(%d):
    emails.send_templated("email_changed", context, [(f"person{i}@example.org", "fr")])
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        sys.exit(f"{name} not found: this drill needs PostgreSQL's client programs.")
    return path


def statuses(database: str) -> dict[str, int]:
    out = subprocess.run(
        [
            tool("psql"),
            *POSTGRES,
            "-d",
            database,
            "-tAF",
            "\t",
            "-c",
            "SELECT status, count(*) FROM submissions_outgoingemail GROUP BY status",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rows = (line.split("\t") for line in out.splitlines() if line)
    return {status: int(n) for status, n in rows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=20, help="notices to queue (default 20)")
    parser.add_argument("--outage", type=float, default=30, help="seconds the relay is down")
    parser.add_argument("--timeout", type=float, default=900, help="give up after (s)")
    args = parser.parse_args()

    database = f"iscm_mail_{secrets.token_hex(4)}"
    folder = Path(tempfile.mkdtemp(prefix="iscm_mail_"))
    mailbox, port = folder / "mailbox.jsonl", free_port()
    env = {
        **os.environ,
        "SECRET_KEY": "mail-outage-drill",
        "SITE_URL": "http://127.0.0.1:8000",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "EMAIL_TIMEOUT": "5",
        "MEDIA_ROOT": str(folder / "media"),
    }
    env.pop("DEBUG", None)
    manage = [PY, str(ROOT / "manage.py")]
    processes = []
    subprocess.run([tool("createdb"), *POSTGRES, database], check=True)
    try:
        subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True)
        worker_log = open(folder / "worker.log", "w")  # noqa: SIM115 — closed with the worker
        processes.append(
            subprocess.Popen([*manage, "db_worker"], env=env, stdout=worker_log, stderr=worker_log)
        )
        queued_at = time.monotonic()
        subprocess.run(
            [*manage, "shell", "-c", QUEUE % args.n], env=env, check=True, capture_output=True
        )
        print(f"queued {args.n} notices with the relay down: {statuses(database)}", flush=True)
        time.sleep(max(0.0, args.outage - (time.monotonic() - queued_at)))
        relay = subprocess.Popen(
            [PY, str(STUB), str(port), str(mailbox)], stdout=subprocess.PIPE, text=True
        )
        processes.append(relay)
        assert relay.stdout.readline().strip() == "ready"
        print(f"relay up after {time.monotonic() - queued_at:.0f} s", flush=True)
        delivered_after = None
        while time.monotonic() - queued_at < args.timeout:
            counts = statuses(database)
            if counts.get("sent", 0) == args.n:
                delivered_after = time.monotonic() - queued_at
                break
            time.sleep(5)
        received = [json.loads(line)["to"][0] for line in mailbox.read_text().splitlines()]
        figures = {
            "mails_queued": args.n,
            "relay_down_s": args.outage,
            "mails_sent": statuses(database).get("sent", 0),
            "mails_lost": args.n - len(set(received)),
            "mails_duplicated": len(received) - len(set(received)),
            "delivered_after_s": round(delivered_after, 1) if delivered_after else None,
        }
        print(json.dumps(figures))
        return 0 if figures["mails_lost"] == figures["mails_duplicated"] == 0 else 1
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=60)
        subprocess.run([tool("dropdb"), *POSTGRES, "--if-exists", database], check=False)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
