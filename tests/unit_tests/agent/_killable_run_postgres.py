"""A durable agent run on a `PostgresSaver`, in its own process, for the kill -9 test.

    python -m tests.unit_tests.agent._killable_run_postgres URI THREAD LOG GO

The Postgres twin of `_killable_run`: the same 6-call plan on thread THREAD with a
`PostgresSaver` at URI (its tables already set up), or resumed when the thread already
has a checkpoint. Every call appends `start N` and `done N` to LOG; calls 4-6 wait until
the file GO exists. Prints the answer.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from langgraph.checkpoint.postgres import PostgresSaver

from langchain_llmorch import create_llmorch_agent, inout
from langchain_llmorch.testing import planner_or
from tests.unit_tests.agent._durable_tools import folded_answer
from tests.unit_tests.agent._killable_run import PLAN


def main(uri: str, thread: str, log: str, go: str) -> None:
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

    config = {"configurable": {"thread_id": thread}}
    model = planner_or(PLAN, answer=folded_answer)
    with PostgresSaver.from_conn_string(uri) as saver:
        agent = create_llmorch_agent(model, [work], checkpointer=saver)
        resuming = agent.get_state(config).next
        inputs = None if resuming else {"messages": [("user", "work on 1-6")]}
        out = agent.invoke(inputs, config)
    print(out["messages"][-1].content)  # noqa: T201 - the test reads it


if __name__ == "__main__":
    main(*sys.argv[1:5])
