"""Open data's generated files: the whole-archive exports (`/open-data/contributions.json`,
`.csv`, `practices.json`, `.csv`) and every open cycle's own files, built once per
publication state and served from the default storage, so a download costs a few
milliseconds and a few queries however large the archive is (built on each request, a
1.2 MB file held a web worker for seconds and three downloads starved every page).

Scopes: "site" (every published contribution) and "cycle/<slug>" (an open cycle; a closed
cycle's files are frozen by `public/opendata_cycles.py`). A scope's files are named after
its publication state (`Scope.key`: a hash of the per-cycle numbers `submissions.
public_tallies` keeps as inputs are published, taken off or published in a new version,
and of `LAYOUT`), stored under `open-data/generated/<scope>/<key>/`:

- `<file>` and `<file>.meta` (sha256, size, time of building; written second, so a meta
  found means its file is whole);
- `manifest.json` once every file of the state is built (by the task): the time and the
  published inputs the files hold, as (id, published version) pairs.

A state's files are built in one database snapshot (REPEATABLE READ on PostgreSQL;
SQLite's transactions are snapshots already): the key, the pairs and the records agree.

Who builds: `public.tasks.build_open_data` (django-tasks), queued after the commit of
every change of the publication state (`submissions.public_tallies.publication_changed`,
a signal, so `submissions` never imports this app) and by a request that finds no file for
the current state. What a request gets (`obtain`):

1. the file of the current state, when built: "current";
2. else the newest complete state's file, if every input it holds is still published in
   the same version (only publications since, a few seconds stale): "previous";
3. else (first request ever, or an input was taken off or replaced since: serving the old
   file could show what is no longer public) the file is built now, in the request, and
   stored for the next ones: "built-now".

Old states are pruned after each complete build: the newest `KEEP` complete states stay
(a download in progress keeps reading its file), older ones and stray partial ones go.
What the key does not follow: an edit of reference data (an ISCM renamed) shows in the
files at the next publication, as in a closed cycle's frozen files.
"""

import datetime
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone, translation

from submissions import public_tallies
from submissions.models import WrittenInput

from . import opendata, opendata_cycles, practices
from .opendata_formats import csv_chunks, json_chunks

# Bumped when the files' layout changes: every scope then gets new files.
LAYOUT = 1
FOLDER = "open-data/generated"
SITE = "site"
FILES = opendata_cycles.CYCLE_FILES
MANIFEST = "manifest.json"
KEEP = 2
STRAY_HOURS = 1  # a partial state's files older than this are pruned
CURRENT, PREVIOUS, BUILT_NOW = "current", "previous", "built-now"


@dataclass(frozen=True)
class Scope:
    """A set of four generated files: the whole archive, or one open cycle's."""

    name: str  # "site" or "cycle/<slug>"
    key: str  # the hash of its publication state
    export: opendata_cycles.CycleExport | None = None  # an open cycle's

    @property
    def folder(self) -> str:
        return f"{FOLDER}/{self.name}"

    def stored_name(self, filename: str, key: str | None = None) -> str:
        return f"{self.folder}/{key or self.key}/{filename}"


@dataclass(frozen=True)
class Generated:
    """A stored file and what a response says of it."""

    name: str
    sha256: str
    size: int
    built_at: datetime.datetime
    state: str  # CURRENT, PREVIOUS or BUILT_NOW


def _hash(state) -> str:
    text = json.dumps({"layout": LAYOUT, "state": state}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def site_scope() -> Scope:
    """The whole archive's scope, its key read from the kept numbers (one query)."""
    kept = public_tallies.load(public_tallies.CONTRIBUTIONS)
    state = {
        str(cycle_id): [
            n,
            kept["cycle_ids"].get(cycle_id, 0),
            kept["cycle_versions"].get(cycle_id, 0),
            kept["cycle_times"].get(cycle_id, 0),
        ]
        for cycle_id, n in kept["cycle"].items()
        if n
    }
    return Scope(name=SITE, key=_hash(state))


def cycle_scope(export: opendata_cycles.CycleExport) -> Scope:
    """An open cycle's scope (`export` from `opendata_cycles.cycle_exports`)."""
    return Scope(
        name=f"cycle/{export.cycle.slug}",
        key=_hash({"cycle": export.state, "closed": export.closed}),
        export=export,
    )


def scopes_now(names: list[str] | None = None) -> list[Scope]:
    """The scopes named (all: the site and every open cycle), as they stand now."""
    found = []
    if names is None or SITE in names:
        found.append(site_scope())
    slugs = None if names is None else [n.split("/", 1)[1] for n in names if n != SITE]
    if slugs != []:
        for export in opendata_cycles.cycle_exports(timezone.localdate(), build=False):
            if not export.closed and (slugs is None or export.cycle.slug in slugs):
                found.append(cycle_scope(export))
    return found


# --- building ---------------------------------------------------------------------------


def _published_pairs(scope: Scope) -> set[tuple[int, int]]:
    inputs = WrittenInput.objects.published()
    if scope.export is not None:
        inputs = inputs.filter(cycle=scope.export.cycle)
    return set(inputs.values_list("pk", "published_version"))


def chunks(scope: Scope, filename: str) -> Iterator[str]:
    """The file `filename` of `scope`, built from the database, in English."""
    if scope.export is not None:
        yield from opendata_cycles.cycle_chunks(scope.export, filename)
        return
    resource_name, fmt = filename.rsplit(".", 1)
    with translation.override("en"):
        if resource_name == opendata.CONTRIBUTIONS.name:
            resource, queryset = opendata.CONTRIBUTIONS, WrittenInput.objects.published()
            queryset = queryset.order_by("published_at", "pk")
            count, rows = queryset.count(), opendata.records(queryset)
        else:
            resource, queryset = opendata.PRACTICES, practices.practices_queryset()
            count = queryset.count()
            rows = opendata.practice_records(practices.export_order(queryset))
        if fmt == "csv":
            yield from csv_chunks(resource.fields, rows)
            return
        url_name = opendata_cycles.URL_NAMES[resource.name, fmt]
        head = {
            "source": settings.SITE_URL + reverse(url_name),
            "count": count,
            "errors": {},
            "fields": list(resource.fields),
            "next": None,
        }
        yield from json_chunks(head, resource.name, rows)


@contextmanager
def _snapshot():
    """One transaction whose reads all see the same committed state."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def _save(name: str, content) -> None:
    """Save under exactly `name`: should another builder have got there first (same
    state, same bytes), the storage's other name is removed."""
    saved = default_storage.save(name, content)
    if saved != name:
        default_storage.delete(saved)


def _store(scope: Scope, filename: str) -> Generated:
    name = scope.stored_name(filename)
    digest, size = hashlib.sha256(), 0
    with tempfile.SpooledTemporaryFile(max_size=opendata_cycles.SPOOL_BYTES) as spool:
        for chunk in chunks(scope, filename):
            data = chunk.encode()
            digest.update(data)
            size += len(data)
            spool.write(data)
        spool.seek(0)
        _save(name, File(spool, name=filename))
    built_at = timezone.now()
    meta = {"sha256": digest.hexdigest(), "size": size, "built_at": built_at.isoformat()}
    _save(name + ".meta", ContentFile(json.dumps(meta).encode()))
    return Generated(name, meta["sha256"], size, built_at, BUILT_NOW)


def _read_json(name: str) -> dict | None:
    try:
        with default_storage.open(name, "rb") as stored:
            return json.loads(stored.read())
    except (FileNotFoundError, OSError, ValueError):
        return None


def stored(scope: Scope, filename: str, *, key: str | None = None, state=CURRENT):
    """The stored file `filename` of `scope` (its current state, or `key`), or None."""
    name = scope.stored_name(filename, key)
    meta = _read_json(name + ".meta")
    if meta is None:
        return None
    built_at = datetime.datetime.fromisoformat(meta["built_at"])
    return Generated(name, meta["sha256"], int(meta["size"]), built_at, state)


def build(name: str, filenames=FILES) -> Generated | None:
    """Build the files `filenames` of scope `name` for its publication state now, those
    not stored yet, in one snapshot; with every file, write the state's manifest and
    prune old states. Returns the last file (None when the scope is gone: a cycle
    closed or deleted).

    Side effects: writes files into the default storage, deletes old states' files."""
    public_tallies.load(public_tallies.CONTRIBUTIONS)  # counted before the snapshot
    with _snapshot():
        found = scopes_now([name])
        if not found:
            return None
        (scope,) = found
        complete = filenames == FILES
        if complete and _read_json(f"{scope.folder}/{scope.key}/{MANIFEST}"):
            return stored(scope, filenames[-1])
        pairs = sorted(_published_pairs(scope)) if complete else None
        last = None
        for filename in filenames:
            last = stored(scope, filename) or _store(scope, filename)
    if complete:
        manifest = {"key": scope.key, "built_at": timezone.now().isoformat(), "inputs": pairs}
        _save(f"{scope.folder}/{scope.key}/{MANIFEST}", ContentFile(json.dumps(manifest).encode()))
        prune(scope)
    return last


def _states(scope: Scope) -> list[tuple[str, dict | None]]:
    """(key, manifest or None) of every stored state of `scope`."""
    try:
        keys, _files = default_storage.listdir(scope.folder)
    except (FileNotFoundError, OSError):
        return []
    return [(key, _read_json(f"{scope.folder}/{key}/{MANIFEST}")) for key in keys]


def _newest_complete(states) -> list[tuple[str, dict]]:
    complete = [(key, manifest) for key, manifest in states if manifest]
    return sorted(complete, key=lambda entry: entry[1]["built_at"], reverse=True)


def prune(scope: Scope) -> int:
    """Delete the states of `scope` but the newest KEEP complete ones and partial ones
    built in the last STRAY_HOURS; returns how many went."""
    states = _states(scope)
    kept = {key for key, _manifest in _newest_complete(states)[:KEEP]}
    kept.add(scope.key)
    limit = timezone.now() - datetime.timedelta(hours=STRAY_HOURS)
    pruned = 0
    for key, manifest in states:
        if key in kept:
            continue
        folder = f"{scope.folder}/{key}"
        try:
            _dirs, names = default_storage.listdir(folder)
        except (FileNotFoundError, OSError):  # another build pruned it a moment ago
            continue
        if manifest is None and any(_modified_since(f"{folder}/{n}", limit) for n in names):
            continue  # a request may be building it now (a file, its meta still to come)
        for name in names:
            default_storage.delete(f"{folder}/{name}")
        _remove_folder(folder)
        pruned += 1
    return pruned


def _modified_since(name: str, limit: datetime.datetime) -> bool:
    try:
        return default_storage.get_modified_time(name) > limit
    except (FileNotFoundError, OSError, NotImplementedError):
        return False


def _remove_folder(folder: str) -> None:
    """A file system storage keeps empty folders; others (S3) have none to remove."""
    with suppress(NotImplementedError, OSError):
        os.rmdir(default_storage.path(folder))


# --- serving ---------------------------------------------------------------------------


def _previous(scope: Scope, filename: str) -> Generated | None:
    """The newest complete state's file, if serving it shows nothing that is no longer
    public: every input it holds is published now in the same version."""
    newest = _newest_complete(_states(scope))
    if not newest:
        return None
    key, manifest = newest[0]
    if key == scope.key:
        return stored(scope, filename)
    held = {tuple(pair) for pair in manifest["inputs"]}
    if not held <= _published_pairs(scope):
        return None
    return stored(scope, filename, key=key, state=PREVIOUS)


def obtain(scope: Scope, filename: str, *, request_build: Callable[[Scope], None]) -> Generated:
    """The file to serve for `filename` of `scope` (see the module docstring): the
    current state's; else `request_build(scope)` is called (a background build) and
    the previous state's is served if that is safe; else it is built now.

    Side effects: may queue a build, may build and store the file."""
    found = stored(scope, filename)
    if found:
        return found
    request_build(scope)
    found = stored(scope, filename) or _previous(scope, filename)
    if found:
        return found
    built = build(scope.name, [filename])
    if built is None:  # the cycle closed a moment ago: its frozen files take over
        raise LookupError(scope.name)
    return Generated(built.name, built.sha256, built.size, built.built_at, BUILT_NOW)
