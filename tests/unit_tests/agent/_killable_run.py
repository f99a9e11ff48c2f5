"""A durable agent run in its own process, for the kill -9 tests (SQLite and Postgres).

    python -m tests.unit_tests.agent._killable_run sqlite|postgres TARGET THREAD LOG GO

Runs a 6-call plan on thread THREAD with a `SqliteSaver` (TARGET: the database file) or a
`PostgresSaver` (TARGET: its URI, tables already set up), or resumes it when the thread
already has a checkpoint. Every call appends `start N` and `done N` to LOG; calls 4-6
wait until the file GO exists. Prints the answer.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from langgraph.checkpoint.base import BaseCheckpointSaver

from langchain_llmorch import create_llmorch_agent, inout
from langchain_llmorch.testing import planner_or
from tests.unit_tests.agent._durable_tools import folded_answer

PLAN = "\n".join(
    [*(f"s{n}: work(n={n})" for n in range(1, 7)), 's7: self(prompt="{s1}{s2}{s3}{s4}{s5}{s6}")']
)


@contextmanager
def saver_at(kind: str, target: str) -> Iterator[BaseCheckpointSaver[str]]:
    """The checkpointer of `kind` ("sqlite" or "postgres") at `target`."""
    if kind == "sqlite":
        from langgraph.checkpoint.sqlite import SqliteSaver

        with SqliteSaver.from_conn_string(target) as saver:
            yield saver
    else:
        from langgraph.checkpoint.postgres import PostgresSaver

        with PostgresSaver.from_conn_string(target) as saver:
            yield saver


def main(kind: str, target: str, thread: str, log: str, go: str) -> None:
    def note(line: str) -> None:
        with Path(log).open("a") as f:
            f.write(line + "\n")

    @inout
    def work(n: int) -> str:
        """Work on item n."""
        note(f"start {n}")
        while n > 3 and not Path(go).exists():
            time.sleep(0.02)
        note(f"done {n}")
        return f"[{n}]"

    model = planner_or(PLAN, answer=folded_answer)
    config = {"configurable": {"thread_id": thread}}
    with saver_at(kind, target) as saver:
        agent = create_llmorch_agent(model, [work], checkpointer=saver)
        resuming = agent.get_state(config).next
        inputs = None if resuming else {"messages": [("user", "work on 1-6")]}
        out = agent.invoke(inputs, config)
    print(out["messages"][-1].content)  # noqa: T201 - the test reads it


if __name__ == "__main__":
    main(*sys.argv[1:6])
