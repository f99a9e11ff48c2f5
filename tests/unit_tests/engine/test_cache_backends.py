"""Sharing tool results between processes: LangGraph's SQLite and Redis cache backends."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from langgraph.cache.sqlite import SqliteCache

from langchain_llmorch import Orchestrator, build_frg, parse_plan
from tests.unit_tests._services import service_url, stop_started_services
from tests.unit_tests.engine import _cache_tools as t

ROOT = Path(__file__).resolve().parents[3]
PLAN = 's1: logged(key="a")\ns2: logged(key="b")\ns3: logged(key="{s1}{s2}")'

SCRIPT = """
import json, sys
from langgraph.cache.sqlite import SqliteCache
from langchain_llmorch import Orchestrator, build_frg, parse_plan
from tests.unit_tests.engine._cache_tools import logged_tool

frg = build_frg(parse_plan(sys.argv[2]), [logged_tool])
result = Orchestrator([logged_tool], cache=SqliteCache(path=sys.argv[1])).run(frg)
print(json.dumps({"results": result.results, "cached": {r.id: r.cached for r in result.trace}}))
"""


def _run_process(db: Path, ran: Path) -> dict[str, dict[str, object]]:
    env = {**os.environ, "LLMORCH_TEST_RAN_FILE": str(ran), "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(db), PLAN],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=str(ROOT),
        env=env,
    )
    parsed: dict[str, dict[str, object]] = json.loads(out.stdout.strip().splitlines()[-1])
    return parsed


def test_a_second_process_takes_the_first_ones_results_from_sqlite(tmp_path: Path) -> None:
    db, ran = tmp_path / "tools.db", tmp_path / "ran.txt"
    first = _run_process(db, ran)
    second = _run_process(db, ran)
    assert first["results"] == second["results"] == {"s1": "A", "s2": "B", "s3": "AB"}
    assert first["cached"] == {"s1": False, "s2": False, "s3": False}
    assert second["cached"] == {"s1": True, "s2": True, "s3": True}
    lines = ran.read_text().splitlines()
    assert sorted(line.split()[1] for line in lines) == ["AB", "a", "b"]  # each ran once
    assert len({line.split()[0] for line in lines}) == 1  # all in the first process


def test_sqlite_clear_cache_by_tool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLMORCH_TEST_RAN_FILE", str(tmp_path / "ran.txt"))
    tools = [t.logged_tool, t.lookup_tool]
    frg = build_frg(parse_plan('s1: logged(key="a")\ns2: lookup(key="a")'), tools)
    orch = Orchestrator(tools, cache=SqliteCache(path=str(tmp_path / "tools.db")))
    orch.run(frg)
    orch.clear_cache(tool="logged")
    again = orch.run(frg)
    assert {r.id: r.cached for r in again.trace} == {"s1": False, "s2": True}


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    pytest.importorskip("redis", reason="the redis client is not installed")
    try:
        from langgraph.cache.redis import RedisCache  # noqa: F401
    except ImportError:
        pytest.skip("this LangGraph has no langgraph.cache.redis.RedisCache")
    yield service_url("redis")
    stop_started_services()


def test_runs_with_separate_clients_share_results_through_redis(
    redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import redis
    from langgraph.cache.redis import RedisCache

    monkeypatch.setenv("LLMORCH_TEST_RAN_FILE", str(tmp_path / "ran.txt"))
    prefix = f"llmorch-test-{uuid.uuid4().hex}:"  # this test's keys only

    def engine() -> Orchestrator:  # a client and backend of its own, as another host has
        client = redis.Redis.from_url(redis_url)
        return Orchestrator([t.logged_tool], cache=RedisCache(client, prefix=prefix))

    frg = build_frg(parse_plan(PLAN), [t.logged_tool])
    first, second = engine().run(frg), engine().run(frg)
    assert first.results == second.results == {"s1": "A", "s2": "B", "s3": "AB"}
    assert {r.cached for r in first.trace} == {False}
    assert {r.cached for r in second.trace} == {True}
    third = engine()
    third.clear_cache(tool="logged")
    assert {r.cached for r in third.run(frg).trace} == {False}
    assert len((tmp_path / "ran.txt").read_text().splitlines()) == 6
