"""CACHE_URL: each process's memory by default, one Redis for a fleet, a clear refusal
for anything else (iscm_portal/settings.py, `cache_from_url`)."""

import os
import secrets
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured

from iscm_portal.settings import LOCMEM_CACHE, REDIS_CACHE, cache_from_url

BASE_DIR = Path(__file__).resolve().parents[2]
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379


@pytest.mark.parametrize("url", [None, "", "locmem://"])
def test_cache_url_unset_or_locmem_is_each_process_memory(url):
    assert cache_from_url(url) == {"BACKEND": LOCMEM_CACHE}


@pytest.mark.parametrize(
    "url",
    [
        "redis://127.0.0.1:6379/1",
        "redis://:s%40cret@cache.internal:6380/0",
        "rediss://cache.internal:6380/2?socket_timeout=5",
        "redis://cache.internal",
    ],
)
def test_cache_url_redis_is_djangos_redis_cache_at_that_address(url):
    entry = cache_from_url(url)
    assert entry["BACKEND"] == REDIS_CACHE
    # redis-py reads host, port, password, database and query options from the URL.
    assert entry["LOCATION"] == url
    assert entry["OPTIONS"] == {"socket_connect_timeout": 2, "socket_timeout": 2}


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("memcached://127.0.0.1:11211", "CACHE_URL scheme 'memcached' is not supported"),
        ("127.0.0.1:6379", "CACHE_URL has no scheme: use redis://"),
        ("redis:///1", "CACHE_URL names no Redis host"),
        ("redis://127.0.0.1:port/1", "names a Redis port that is not a number"),
        ("redis://127.0.0.1:6379/cache", "CACHE_URL names Redis database 'cache'"),
    ],
)
def test_cache_url_refuses_what_it_cannot_read(url, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        cache_from_url(url)


def test_cache_url_refusal_does_not_repeat_the_password():
    with pytest.raises(ImproperlyConfigured) as refused:
        cache_from_url("redis://:hunter2@127.0.0.1:6379/one")
    assert "hunter2" not in str(refused.value)


def _caches_in_a_fresh_process(**env):
    clean = {k: v for k, v in os.environ.items() if k != "CACHE_URL"}
    clean.update(env, DJANGO_SETTINGS_MODULE="iscm_portal.settings")
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.CACHES['default']['BACKEND'])",
        ],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_settings_read_cache_url_and_refuse_an_unknown_scheme_at_start():
    env = {"SECRET_KEY": "x" * 50, "SITE_URL": "https://p.test", "DEBUG": "0"}
    started = _caches_in_a_fresh_process(**env, CACHE_URL="redis://127.0.0.1:6379/1")
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == REDIS_CACHE
    refused = _caches_in_a_fresh_process(**env, CACHE_URL="memcached://127.0.0.1:11211")
    assert refused.returncode != 0
    assert "CACHE_URL scheme 'memcached' is not supported" in refused.stderr


def _redis_port_open() -> bool:
    try:
        socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _redis_port_open(), reason="no Redis listening on 127.0.0.1:6379")
def test_two_processes_configured_by_the_same_cache_url_share_entries():
    # Two cache objects built from one CACHE_URL, as two web processes build theirs: what
    # one stores the other reads, and what one deletes is gone for the other. A key
    # prefix of its own keeps this test off anything else in that Redis database.
    entry = cache_from_url(f"redis://{REDIS_HOST}:{REDIS_PORT}/2")
    params = {**entry, "KEY_PREFIX": f"test-settings-cache-{secrets.token_hex(8)}"}
    web_a = RedisCache(entry["LOCATION"], params)
    web_b = RedisCache(entry["LOCATION"], params)
    try:
        web_a.set("public:facets", {"total": 40, "facets": {"region": {1: 40}}}, 60)
        assert web_b.get("public:facets") == {"total": 40, "facets": {"region": {1: 40}}}
        web_b.delete("public:facets")
        assert web_a.get("public:facets") is None
    finally:
        web_a.delete("public:facets")
        web_a.close()
        web_b.close()
