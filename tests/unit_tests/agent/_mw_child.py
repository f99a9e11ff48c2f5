"""One of several processes running a create_agent app with LLMOrchMiddleware at once.

`python -m tests.unit_tests.agent._mw_child OUT STEPS`: warms its pool, touches OUT.ready,
waits for OUT.go, runs six compute calls in one turn, writes their (start, end) times to OUT.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from langchain.agents import create_agent
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from langchain_llmorch import LLMOrchMiddleware
from langchain_llmorch.testing import ScriptedChatModel
from tests.unit_tests.agent._mw_tools import spin


def main(out: str, steps: int) -> None:
    calls = [{"name": "spin", "args": {"n": steps + i}, "id": f"c{i}"} for i in range(6)]

    def script(messages: list[BaseMessage]) -> AIMessage | str:
        if isinstance(messages[-1], HumanMessage):
            return AIMessage("", tool_calls=calls)
        return "done"

    middleware = LLMOrchMiddleware(max_processors=2)
    middleware.warm()
    Path(out + ".ready").touch()
    while not Path(out + ".go").exists():
        time.sleep(0.01)
    agent = create_agent(ScriptedChatModel(script), [spin], middleware=[middleware])
    result = agent.invoke({"messages": [("user", "go")]})
    spans = [
        (m.response_metadata["llmorch"]["started_at"], m.response_metadata["llmorch"]["ended_at"])
        for m in result["messages"]
        if isinstance(m, ToolMessage)
    ]
    Path(out).write_text(json.dumps(spans))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
