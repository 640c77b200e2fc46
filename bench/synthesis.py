#!/usr/bin/env python3
"""Benchmark of the regional synthesis draft (issue 19, item 4). Prints, measured in one
run: seconds to gather what the draft says, to write the .docx, to lay out the PDF,
their sizes and the PDF's pages, and the queries of the whole build. Ends with one JSON
line of the figures.

    .venv/bin/python bench/synthesis.py [--inputs 60]

Seeds its own SQLite database in a temporary folder (DATABASE_URL overrides, e.g. a
fresh PostgreSQL database), with N accepted inputs of about 1,600 words in six languages
to ECLAC's review of the demo round (`manage.py seed_bench`). Target (issue 19) at
N=60: the .docx built in under 30 s.
"""

import argparse
import io
import json
import os
import secrets
import shutil
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

    workdir = Path(tempfile.mkdtemp(prefix="iscm-bench-synthesis-"))
    try:
        measure(args.inputs, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def measure(inputs: int, workdir: Path) -> None:
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
        subprocess.run(
            [*manage, *command], env=env, cwd=ROOT, check=True, capture_output=True, text=True
        )

    run("migrate", "--noinput")
    run("load_reference_data")
    run("load_demo_data")  # opens the demo round (dates relative to today)
    run("seed_bench", "--inputs", str(inputs), "--region", "ECLAC")

    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iscm_portal.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from pypdf import PdfReader

    from reviews.packages import accepted_versions
    from reviews.synthesis import gather_synthesis
    from reviews.synthesis_docx import synthesis_document
    from reviews.synthesis_pdf import synthesis_pdf
    from submissions.models import RegionalReview

    review = RegionalReview.objects.select_related("cycle", "region").get(
        region__code="ECLAC", cycle__slug="2028-2029"
    )
    gather_synthesis(review, accepted_versions(review))  # the dashboard's counts, cached
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        synthesis = gather_synthesis(review, accepted_versions(review))
        gather_seconds = time.perf_counter() - started

        started = time.perf_counter()
        document = synthesis_document(synthesis, language="en")
        docx_seconds = time.perf_counter() - started

        started = time.perf_counter()
        pdf = synthesis_pdf(synthesis, language="en")
        pdf_seconds = time.perf_counter() - started

    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    quoted = len(synthesis.annex)
    excerpts = len(synthesis.excerpts)

    print(f"accepted inputs quoted: {quoted}   excerpts: {excerpts}")
    print(f"gathering (accepted versions and the dashboard's counts): {gather_seconds:.2f} s")
    print(
        f".docx: {docx_seconds:.2f} s, {len(document) / 1e6:.1f} MB   "
        f"(target: under 30 s with gathering, {gather_seconds + docx_seconds:.2f} s)"
    )
    print(f"PDF: {pdf_seconds:.2f} s, {pages} pages, {len(pdf) / 1e6:.1f} MB")
    print(f"queries of the whole build: {len(queries)}")
    print(
        json.dumps(
            {
                "inputs": quoted,
                "excerpts": excerpts,
                "gather_seconds": round(gather_seconds, 2),
                "docx_seconds": round(docx_seconds, 2),
                "docx_with_gather_seconds": round(gather_seconds + docx_seconds, 2),
                "docx_bytes": len(document),
                "pdf_seconds": round(pdf_seconds, 2),
                "pdf_pages": pages,
                "pdf_bytes": len(pdf),
                "queries": len(queries),
            }
        )
    )


if __name__ == "__main__":
    main()
