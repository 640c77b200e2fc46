"""The first code of a package compile's child process (package_child.py): it runs
before Django is set up in the child, so it imports nothing of the portal at its top.
It ties the child's life to its parent's, gives the child the parent's settings, sets
Django up and hands over to the function it is named (by its dotted path, imported only
then: `package_child.run_in_child`)."""

import ctypes
import os
import signal
import sys
import threading
import time

import django
from django.conf import settings
from django.utils.module_loading import import_string

PR_SET_PDEATHSIG = 1  # linux/prctl.h
# How often the fallback watcher (no prctl) checks that its parent still lives.
WATCH_SECONDS = 1.0


def start(entry: str, args: tuple, parent_pid: int, overrides: dict) -> None:
    """The child's whole life: die with the parent, take the parent's `overrides` of
    the settings, set Django up, then call `entry` (a dotted path) with `args`."""
    die_with_parent(parent_pid)
    # A stop signal is for the worker (systemd's and a terminal's reach the whole
    # group): its first one lets the running task finish, so the compile goes on; if
    # the worker then ends before it, the child dies with it.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name, value in overrides.items():
        setattr(settings, name, value)
    django.setup()
    import_string(entry)(*args)


def pool_worker_start(parent_pid: int) -> None:
    """The initializer of the processes a compile renders its pieces in
    (package_parts.py): they die with the compile's process too, then set Django up."""
    die_with_parent(parent_pid)
    django.setup()


def die_with_parent(parent_pid: int) -> None:
    """Make this process end when `parent_pid` (its parent) does: SIGKILL from the
    kernel on Linux, and on every system a daemon thread that exits when the parent
    changes (also covers a parent that died before the prctl call)."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # no libc prctl: the thread below is enough
            pass
    if os.getppid() != parent_pid:
        os._exit(1)

    def watch():
        while True:
            time.sleep(WATCH_SECONDS)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
