"""The test servers `scripts/services.sh` starts (or `.ci/run` hands over) answer."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.unit_tests._services import service_url, stop_started_services


@pytest.fixture(scope="module", autouse=True)
def _stop_after() -> Iterator[None]:
    yield
    stop_started_services()


def test_postgres_answers_on_loopback() -> None:
    psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed")
    uri = service_url("postgres")
    assert urlsplit(uri).hostname == "127.0.0.1"
    with psycopg.connect(uri, autocommit=True) as conn:
        (version,) = conn.execute("show server_version_num").fetchone() or (None,)
        conn.execute("create temporary table t (n int)")
        conn.execute("insert into t values (1), (2)")
        (total,) = conn.execute("select sum(n) from t").fetchone() or (None,)
    assert int(version) >= 120000  # Postgres 12 or newer
    assert total == 3


def test_redis_answers_on_loopback() -> None:
    redis = pytest.importorskip("redis", reason="redis (the client) is not installed")
    url = service_url("redis")
    assert urlsplit(url).hostname == "127.0.0.1"
    client = redis.Redis.from_url(url)
    try:
        assert client.ping()
        client.set("llmorch-test", "1", ex=60)
        assert client.incr("llmorch-test") == 2
        client.delete("llmorch-test")
    finally:
        client.close()
