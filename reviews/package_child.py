"""A package compile in a child process of the task worker, so that the worker gives
back the memory a compile takes (WeasyPrint's layout of thousands of pages, the
assembly with pikepdf: more than a gigabyte for a big package, which a long-lived
Python process keeps once it has it). Called by `tasks.compile_package_task`.

`compile_in_child` starts a fresh interpreter ("spawn": no copy of the worker's
threads and locks), which runs `package_pdf.compile_package` and exits; the worker
waits for it. The child runs with the worker's database (the same connection settings,
so also a test database) and the few settings the compile reads as the worker has
them now (`FORWARDED`).

The child dies with its worker: on Linux the kernel kills it when the worker dies
(prctl PR_SET_PDEATHSIG), elsewhere a thread sees that its parent changed and exits.
A worker killed outright therefore leaves no orphan finishing the package behind the
recovery's back (reviews/packages.py::recover_stale_packages queues it again).

Errors inside the compile are the package's failure as in process (compile_package
records them); a child that ends without finishing (killed, out of memory, a crash in
a C library) makes the package failed with its exit code.

The child starts in package_child_start.py (which imports nothing of the portal
before Django is set up in the child) and continues in `run_in_child` here.
"""

import logging
import multiprocessing
import os

from django.conf import settings
from django.db import connection, connections
from django.utils import timezone
from django.utils.translation import gettext as _

from . import package_child_start
from .models import RegionalPackage
from .package_pdf import compile_package

logger = logging.getLogger(__name__)

# The settings a compile reads that a process may have changed from the settings
# module's (the tests' media folder, a bench's heartbeat).
FORWARDED = ("MEDIA_ROOT", "STORAGES", "PACKAGE_HEARTBEAT_SECONDS", "LANGUAGE_CODE")


def compile_in_child(package_pk: int):
    """Compile `package_pk` in a child process and wait for it; returns the package as
    the child left it. Side effects: those of `package_pdf.compile_package`, in the
    child; if the child ends with a non-zero exit code while the package is still
    running from a claim made after the child started, at the same attempt (not a run
    the recovery handed to another worker meanwhile), marks it failed with that code.
    """
    overrides = {name: getattr(settings, name) for name in FORWARDED}
    overrides["DATABASES"] = {**settings.DATABASES, "default": dict(connection.settings_dict)}
    started = timezone.now()
    # The attempt this task runs: a run the recovery gave to another worker meanwhile
    # has the next one, and a failure of this child must not end it.
    attempt = RegionalPackage.objects.filter(pk=package_pk).values_list("attempt", flat=True)
    attempt = attempt.first()
    child = multiprocessing.get_context("spawn").Process(
        target=package_child_start.start,
        # By path: the child imports this module only once Django is set up.
        args=(f"{__name__}.run_in_child", (package_pk,), os.getpid(), overrides),
        name=f"package-{package_pk}",
    )
    child.start()
    child.join()
    if child.exitcode:
        logger.error("Package %s: the compile's process ended with %s", package_pk, child.exitcode)
        RegionalPackage.objects.filter(
            pk=package_pk,
            status=RegionalPackage.Status.RUNNING,
            started_at__gte=started,
            attempt=attempt,
        ).update(
            status=RegionalPackage.Status.FAILED,
            error=_(
                "The compile stopped unexpectedly (its process ended with code %(code)s), "
                "perhaps for lack of memory. Nothing was published; try again."
            )
            % {"code": child.exitcode},
            finished_at=timezone.now(),
        )
    return RegionalPackage.objects.get(pk=package_pk)


def run_in_child(package_pk: int) -> None:
    """The child's compile, once Django is set up (package_child_start.py)."""
    try:
        compile_package(package_pk)
    finally:
        connections.close_all()
