#!/usr/bin/env python3
"""Benchmark of the team and staff pages at two sizes: queries and p50 latency per page
with few people and with many, and their ratios (issue 9: neither may grow with the
members).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/accounts_pages.py [--sizes 10 1000] [--requests 30]

Runs in-process through Django's test client against a throwaway test database (SQLite
without DATABASE_URL): for each size it gives one ISCM that many members, spreads as
many more people over the other ISCMs and regions (with assignments, invitations and
audit entries, all through the domain functions), then requests each page, signed in as
the team's lead or as an administrator who passed the second factor.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iscm_portal.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 40)
os.environ.setdefault("SITE_URL", "http://testserver")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import (  # noqa: E402
    setup_databases,
    setup_test_environment,
    teardown_databases,
)
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

PAGES = {
    "team (lead)": "/my/teams/{slug}/",
    "staff home": "/staff/",
    "people": "/staff/people/",
    "people search": "/staff/people/?q=person1",
    "person": "/staff/people/{lead_pk}/",
    "regions": "/staff/regions/",
    "teams": "/staff/iscms/",
    "invitations": "/staff/invitations/",
    "audit": "/staff/audit/",
}


def verified_client(user) -> Client:
    client = Client()
    client.force_login(user)
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, name="Bench", defaults={"confirmed": True}
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def populate(size: int) -> dict:
    from accounts import invitations, staffing, teams
    from accounts.models import User
    from submissions.models import ISCM, Membership, Region
    from submissions.reference_data import load_reference_data

    load_reference_data()
    admin = User.objects.create_user(
        "bench.admin@example.org", "x", is_staff=True, full_name="Bench Admin"
    )
    iscms = list(ISCM.objects.order_by("acronym"))
    regions = list(Region.objects.order_by("code"))
    team_iscm, others = iscms[0], iscms[1:]
    lead = User.objects.create_user("lead@example.org", "x", full_name="Team Lead")
    teams.add_member(iscm=team_iscm, user=lead, by=admin, as_lead=True)
    for n in range(size):
        member = User.objects.create_user(f"member{n}@example.org", "x", full_name=f"Member {n}")
        Membership.objects.create(iscm=team_iscm, user=member)
        person = User.objects.create_user(f"person{n}@example.org", "x", full_name=f"Person {n}")
        teams.add_member(iscm=others[n % len(others)], user=person, by=admin)
        staffing.add_assignment(
            user=person,
            region=regions[n % len(regions)],
            role="reviewer" if n % 2 else "compiler",
            by=admin,
        )
        invitations.create_invitation(
            by=admin, email=f"invited{n}@example.org", role="secretariat", iscms=[team_iscm]
        )
    return {"admin": admin, "lead": lead, "slug": team_iscm.slug}


def measure(world: dict, requests: int) -> dict:
    lead_client = verified_client(world["lead"])
    admin_client = verified_client(world["admin"])
    results = {}
    for name, pattern in PAGES.items():
        url = pattern.format(slug=world["slug"], lead_pk=world["lead"].pk)
        client = lead_client if name == "team (lead)" else admin_client
        queries = []

        def count(execute, sql, params, many, context, queries=queries):
            queries.append(sql)
            return execute(sql, params, many, context)

        # (Django's reset_queries runs at each request start, so CaptureQueriesContext
        # would see an empty log outside the test runner: count at the cursor instead.)
        with connection.execute_wrapper(count):
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        timings = []
        for _ in range(requests):
            started = time.perf_counter()
            client.get(url)
            timings.append(time.perf_counter() - started)
        results[name] = (len(queries), statistics.median(timings) * 1000)
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs=2, default=[10, 1000])
    parser.add_argument("--requests", type=int, default=30)
    options = parser.parse_args()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DEBUG = False
    settings.SECURE_SSL_REDIRECT = False  # plain http in-process
    settings.AXES_ENABLED = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    setup_test_environment()
    runs = {}
    for size in options.sizes:
        old = setup_databases(verbosity=0, interactive=False)
        try:
            world = populate(size)
            runs[size] = measure(world, options.requests)
        finally:
            teardown_databases(old, verbosity=0)
    small, large = options.sizes
    print(
        f"database: {connection.vendor}; {options.requests} requests per page; "
        f"{small} vs {large} members on the team (and as many other people)"
    )
    print(f"{'page':<15} {'queries':<12} {'p50 ms':<18} {'ratio':>6}")
    for name in PAGES:
        (q1, t1), (q2, t2) = runs[small][name], runs[large][name]
        print(f"{name:<15} {q1:>3} → {q2:<6} {t1:>6.1f} → {t2:<8.1f} {t2 / t1:>6.2f}")


if __name__ == "__main__":
    main()
