"""One call of `LLMOrchAgentExecutor`, shown the way `AgentExecutor` shows its runs.

The graph reports each tool call as stream events (`started`, `finished`, `failed`);
`ExecutorRun` turns them into what an `AgentExecutor` app observes:

    graph event            AgentExecutor's world
    ───────────            ─────────────────────
    started  (user tool) -> on_agent_action callback, {"actions": [...]} chunk
    finished / failed    -> {"steps": [...]} chunk, an intermediate step,
                            the verbose "Invoking ..." line and its observation
    the answer           -> on_agent_finish, the final chunk / the output dict

Calls of the built-in `self` and `join` tools are the model thinking, not tool use:
they are left out, as `AgentExecutor` shows no step for its model's turns.

The actions are those the agent's own output parser makes: a `create_tool_calling_agent`
agent's parser makes `ToolAgentAction`s (with the `tool_call_id` of the call in their
`message_log`), other parsers `AgentActionMessageLog`s. A step's stream `messages` are
what `AgentStep.messages` gives for them, as in `AgentExecutor`'s stream.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from langchain_core.agents import AgentAction, AgentActionMessageLog, AgentFinish, AgentStep
from langchain_core.callbacks import StdOutCallbackHandler
from langchain_core.messages import AIMessage
from langchain_core.runnables.utils import AddableDict
from langchain_core.utils.input import get_color_mapping, print_text

try:
    from langchain_classic.agents.output_parsers.tools import ToolAgentAction
except ImportError:  # pragma: no cover - without the `classic` extra
    ToolAgentAction = None  # type: ignore[assignment,misc]

ACTION_COLOR = "green"
"""`AgentExecutor` prints actions and the answer in green."""
# AgentExecutor leaves green (actions) and red out of the tool colors; its async path
# leaves out green only. The same tools get the same colors here.
SYNC_EXCLUDED = ("green", "red")
ASYNC_EXCLUDED = ("green",)


def tool_colors(tool_names: list[str], *, asynchronous: bool = False) -> dict[str, str]:
    """The color `AgentExecutor` prints each tool's observations in."""
    excluded = ASYNC_EXCLUDED if asynchronous else SYNC_EXCLUDED
    return get_color_mapping(tool_names, excluded_colors=list(excluded))


class VerbosePrinter(StdOutCallbackHandler):
    """Prints what `AgentExecutor(verbose=True)` prints.

    The chain's start and end and the answer come through the root run's callbacks.
    A call's "Invoking ..." line is printed with its observation when the call ends,
    as `AgentExecutor` prints them, so calls that run at once never interleave.
    """

    def on_agent_action(self, action: AgentAction, color: str | None = None, **kwargs: Any) -> Any:
        """Printed with the observation (see `step`)."""

    def step(self, step: AgentStep, color: str | None) -> None:
        """Print a finished call: its action, then its observation."""
        print_text(step.action.log, color=ACTION_COLOR)
        print_text(str(step.observation), color=color)


def tool_action(
    call_id: str, tool: str, args: Mapping[str, Any], *, tool_calling: bool = True
) -> AgentActionMessageLog:
    """The action of a call, as the agent's output parser makes it.

    Args:
        call_id: the id of its tool call (`tool_call_id`).
        tool: the tool's name.
        args: the call's arguments.
        tool_calling: the agent's parser is a tool-calling agent's (as
            `create_tool_calling_agent` builds): a `ToolAgentAction` with `tool_call_id`.
            Otherwise (or without `langchain-classic`) an `AgentActionMessageLog`.

    Example:
        ```python
        action = tool_action("s1", "weather", {"city": "SF"})
        assert action.tool_call_id == action.message_log[0].tool_calls[0]["id"] == "s1"
        ```
    """
    tool_input = dict(args)
    call = {"name": tool, "args": tool_input, "id": call_id, "type": "tool_call"}
    fields: dict[str, Any] = {
        "tool": tool,
        "tool_input": tool_input,
        "log": f"\nInvoking: `{tool}` with `{tool_input}`\n\n\n",
        "message_log": [AIMessage(content="", tool_calls=[call])],
    }
    if tool_calling and ToolAgentAction is not None:
        return ToolAgentAction(**fields, tool_call_id=call_id)
    return AgentActionMessageLog(**fields)


def tool_call_id(call_id: str, attempt: int | None = None) -> str:
    """The tool call id of a call's attempt: its plan id, then `s1-2`, `s1-3` for reruns.

    Each attempt is a tool call of its own, so the ids stay unique when the steps go
    back to a model as messages (`format_to_tool_messages`).

    Example:
        ```python
        assert tool_call_id("s1") == "s1"
        assert tool_call_id("s1", attempt=2) == "s1-2"
        ```
    """
    return call_id if attempt is None or attempt <= 1 else f"{call_id}-{attempt}"


def finish(output: str) -> AgentFinish:
    """The finish of a run, as a tool-calling agent's parser makes it."""
    return AgentFinish(return_values={"output": output}, log=output)


class ExecutorRun:
    """The calls of one executor run: their actions, their steps and their printing.

    Args:
        tool_names: the user's tools; calls of other tools (`self`, `join`) are hidden.
        colors: tool name -> the color its observations print in.
        printer: prints the steps when the executor is verbose.
        tool_calling: make `ToolAgentAction`s, as a tool-calling agent's parser does
            (see `tool_action`).
    """

    def __init__(
        self,
        tool_names: Collection[str],
        colors: Mapping[str, str],
        printer: VerbosePrinter | None = None,
        *,
        tool_calling: bool = True,
    ) -> None:
        """Start with no calls seen."""
        self.tool_names = frozenset(tool_names)
        self.colors = dict(colors)
        self.printer = printer
        self.tool_calling = tool_calling
        self._steps: list[tuple[str, AgentAction, Any]] = []
        self._actions: dict[str, AgentActionMessageLog] = {}

    def steps(self, plan_order: Sequence[str] = ()) -> list[tuple[AgentAction, Any]]:
        """`(action, observation)` per finished call, in plan order.

        As `AgentExecutor` lists steps in the order its model asked for them. A call
        run again after a recovery follows its earlier attempt; calls not in
        `plan_order` come last, in the order they ended.
        """
        place = {call_id: i for i, call_id in enumerate(plan_order)}
        ordered = sorted(self._steps, key=lambda s: place.get(s[0], len(place)))
        return [(action, observation) for _, action, observation in ordered]

    def on_event(self, event: Mapping[str, Any]) -> tuple[AgentAction | None, AddableDict | None]:
        """The action to announce (on `started`) and the chunk to stream for an event."""
        name, tool = event.get("event"), event.get("tool")
        if tool not in self.tool_names:
            return None, None
        call_id = str(event["id"])
        if name == "started":
            args = event.get("args") or {}
            action = tool_action(
                tool_call_id(call_id, event.get("attempt")),
                str(tool),
                args,
                tool_calling=self.tool_calling,
            )
            self._actions[call_id] = action
            return action, AddableDict(actions=[action], messages=action.messages)
        if name in ("finished", "failed"):
            action = self._actions.get(call_id) or tool_action(
                tool_call_id(call_id, event.get("attempt")),
                str(tool),
                {},
                tool_calling=self.tool_calling,
            )
            observation = event.get("error") if name == "failed" else event.get("result")
            step = AgentStep(action=action, observation=observation)
            self._steps.append((call_id, action, observation))
            if self.printer is not None:
                self.printer.step(step, self.colors.get(str(tool)))
            return None, AddableDict(steps=[step], messages=step.messages)
        return None, None


__all__ = [
    "ACTION_COLOR",
    "ExecutorRun",
    "VerbosePrinter",
    "finish",
    "tool_action",
    "tool_call_id",
    "tool_colors",
]
