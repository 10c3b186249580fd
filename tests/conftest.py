"""Fixtures shared by test modules.

`redis_url`: a real redis-server, one per test module (the distributed crawl, the remote stream),
on a free port and without persistence; its verbose log stays beside its data so that a hung run
can show it (tests/test_remote.py `_diagnose`)."""
from __future__ import annotations

import pytest

from farm.redis_server import redis_server


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    with redis_server(tmp_path_factory.mktemp("redis"), log=True) as url:   # fails setup if it won't start
        yield url
