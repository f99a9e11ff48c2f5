"""The events of a run (`engine/events.py`): their names, their fields, when they go out.

Written for the mutants of `engine/events.py` that the engine's tests let live. A user
reads `on_event` (and `stream_mode="custom"`) by key: every event has exactly the keys
its type documents, the call's own fields come from its record, `waiting_for` is there
only when the call waited, and a sync call handed straight to a thread says `started`
after `scheduled`, never before.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from langchain_llmorch import Orchestrator, build_frg, parse_plan
from langchain_llmorch.engine.events import TraceRecord, event, started_announcer
from langchain_llmorch.engine.scheduling import DurationModel
from tests.unit_tests._prop_tools import TOOLS, mix

BASE = {"event", "id", "tool", "kind", "processor", "attempt"}


def record(**changes: Any) -> TraceRecord:
    fields: dict[str, Any] = {
        "id": "s2",
        "tool": "search",
        "kind": "compute",
        "processor": 1,
        "pid": 4242,
        "scheduled_at": 10.0,
        "started_at": 11.0,
        "ended_at": 12.5,
        "status": "finished",
        "attempt": 3,
    }
    fields.update(changes)
    return TraceRecord(**fields)


def test_an_event_of_the_whole_plan_has_every_call_field_empty() -> None:
    assert event("planning", request="repair") == {
        "event": "planning",
        "id": None,
        "tool": None,
        "kind": None,
        "processor": None,
        "attempt": None,
        "request": "repair",
    }


def test_an_event_of_a_call_takes_its_fields_from_the_record() -> None:
    made = event("finished", record(), result=7, pid=4242)
    assert made == {
        "event": "finished",
        "id": "s2",
        "tool": "search",
        "kind": "compute",
        "processor": 1,
        "attempt": 3,
        "result": 7,
        "pid": 4242,
    }
    # Fields given by name win over the record's.
    assert event("failed", record(), processor=None, error="x")["processor"] is None


def test_a_record_is_json_ready_with_its_own_fields() -> None:
    made = record(waiting_for=["processor"], error="E: x", node="10.0.0.2", cached=True)
    assert made.to_dict() == {
        "id": "s2",
        "tool": "search",
        "kind": "compute",
        "processor": 1,
        "pid": 4242,
        "scheduled_at": 10.0,
        "started_at": 11.0,
        "ended_at": 12.5,
        "status": "finished",
        "attempt": 3,
        "error": "E: x",
        "node": "10.0.0.2",
        "waiting_for": ["processor"],
        "cached": True,
    }
    assert made.duration == pytest.approx(1.5)


def test_the_started_event_has_the_calls_pid_args_and_what_it_waited_for() -> None:
    heard: list[Any] = []
    announce = started_announcer(heard.append, {"q": "x"})
    announce(record())  # it started at once: no `waiting_for`
    announce(record(id="s3", waiting_for=["gpu", "processor"]))
    assert heard == [
        {
            "event": "started",
            "id": "s2",
            "tool": "search",
            "kind": "compute",
            "processor": 1,
            "attempt": 3,
            "pid": 4242,
            "args": {"q": "x"},
        },
        {
            "event": "started",
            "id": "s3",
            "tool": "search",
            "kind": "compute",
            "processor": 1,
            "attempt": 3,
            "pid": 4242,
            "args": {"q": "x"},
            "waiting_for": ["gpu", "processor"],
        },
    ]
    # The event holds a copy: the record's list may still grow.
    assert heard[1]["waiting_for"] is not record().waiting_for


def test_without_a_listener_nothing_is_announced() -> None:
    announce = started_announcer(None, {"q": "x"})
    assert announce(record()) is None  # and it does not fail


def test_a_started_event_said_soon_goes_out_on_the_loops_next_turn() -> None:
    async def scenario() -> list[str]:
        heard: list[str] = []
        soon = started_announcer(lambda e: heard.append(f"started {e['id']}"), {}, soon=True)
        now = started_announcer(lambda e: heard.append(f"started {e['id']}"), {})
        soon(record(id="s1"))
        now(record(id="s2"))
        heard.append("scheduled s1")  # what the coordinator says right after starting s1
        await asyncio.sleep(0)
        return heard

    assert asyncio.run(scenario()) == ["started s2", "scheduled s1", "started s1"]


PLAN = (
    "s1: sio(tag=1, inputs=[], ms=0)\n"
    "s2: cpu(tag=2, inputs=[s1], ms=0)\n"
    "s3: aio(tag=3, inputs=[s1], ms=0, fail=True)"
)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_each_event_of_a_run_has_exactly_its_documented_fields(mode: str) -> None:
    frg = build_frg(parse_plan(PLAN), TOOLS)
    orch = Orchestrator(TOOLS, max_processors=2, durations=DurationModel())
    events: list[dict[str, Any]] = []
    attempts = {"s2": 2}
    if mode == "sync":
        run = orch.run(frg, on_event=events.append, attempts=attempts)
    else:
        run = asyncio.run(orch.arun(frg, on_event=events.append, attempts=attempts))
    by = {(e["event"], e["id"]): e for e in events}
    assert len(by) == len(events) == 9  # each call scheduled, started, finished or failed
    fields = {
        "scheduled": BASE,
        "started": BASE | {"pid", "args"},
        "finished": BASE | {"pid", "started_at", "ended_at", "result"},
        "failed": BASE | {"error"},
    }
    tools = {"s1": "sio", "s2": "cpu", "s3": "aio"}
    kinds = {"s1": "inout", "s2": "compute", "s3": "inout"}
    for (name, cid), item in by.items():
        assert set(item) == fields[name], (name, cid)
        assert (item["tool"], item["kind"]) == (tools[cid], kinds[cid])
        assert item["attempt"] == attempts.get(cid, 1)
        if kinds[cid] == "inout":
            assert item["processor"] is None
    one = mix(1, [])
    assert by["finished", "s1"]["result"] == one
    assert by["finished", "s2"]["result"] == run.results["s2"] == mix(2, [one])
    assert by["started", "s2"]["args"] == {"tag": 2, "inputs": [one], "ms": 0}
    assert by["started", "s2"]["processor"] in range(2)
    assert by["started", "s1"]["args"] == {"tag": 1, "inputs": [], "ms": 0}
    assert by["failed", "s3"]["error"] == "InjectedError: injected failure of tag 3"
    records = {r.id: r for r in run.trace}
    for cid in ("s1", "s2"):
        done = by["finished", cid]
        assert done["pid"] == records[cid].pid == by["started", cid]["pid"]
        assert (done["started_at"], done["ended_at"]) == (
            records[cid].started_at,
            records[cid].ended_at,
        )
        assert 0 < done["started_at"] <= done["ended_at"]
    # Every call says it was scheduled before it started, and started before it ended,
    # the sync one handed straight to a thread included.
    order = [(e["event"], e["id"]) for e in events]
    for cid in tools:
        end = "failed" if cid == "s3" else "finished"
        assert order.index(("scheduled", cid)) < order.index(("started", cid))
        assert order.index(("started", cid)) < order.index((end, cid))
