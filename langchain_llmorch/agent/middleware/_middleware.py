"""`LLMOrchMiddleware`: LLMOrch inside LangChain 1.x `create_agent`.

Tool calls go through `CallRouter` (`_calls`): compute calls on the worker pool, inout
calls under `max_concurrency` and `call_timeout`. With `plan_first=True` the model node
writes a whole plan (here) and each planned call waits for its inputs in its own tool task
(`_planned_calls`).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Generator, Sequence
from typing import Any, cast

from langchain.agents.middleware import AgentMiddleware, ModelRequest, ModelResponse
from langchain.agents.middleware.types import ExtendedModelResponse
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage
from langchain_core.runnables import ensure_config
from langchain_core.runnables.config import merge_configs
from langchain_core.tools import BaseTool
from langgraph.prebuilt.tool_node import ToolCallRequest
from langgraph.types import Command

from langchain_llmorch.agent.answer import answer_steps, runnable_plan
from langchain_llmorch.agent.middleware._calls import CallRouter, ToolResult
from langchain_llmorch.agent.middleware._plan_first import (
    PLAN_KEY,
    PlanFirstState,
    PlanRun,
    bound_plan_text,
    new_plan_id,
    planned_message,
)
from langchain_llmorch.agent.middleware._planned_calls import PlannedCalls
from langchain_llmorch.agent.middleware._recovery import Recovery
from langchain_llmorch.agent.middleware._streaming import EarlyCall, EarlyStarts
from langchain_llmorch.agent.middleware._tools import Captured
from langchain_llmorch.agent.options import Planning
from langchain_llmorch.agent.prompts import last_question, planner_messages, repair_messages
from langchain_llmorch.agent.state import choose_planning
from langchain_llmorch.agent.streaming import streams
from langchain_llmorch.engine.backend import DEFAULT_MAX_THREADS
from langchain_llmorch.errors import (
    LLMOrchError,
    OptionValueError,
    PlanSyntaxError,
    PlanValidationError,
)
from langchain_llmorch.plan import FRG, build_frg, parse_plan
from langchain_llmorch.plan.replies import plan_text_of
from langchain_llmorch.plan.schema import plan_response_format
from langchain_llmorch.runs import RequestKind, mark_model, request_config
from langchain_llmorch.self_tool import make_self_tool
from langchain_llmorch.tools import tools_by_name

ModelResult = ModelResponse[Any] | AIMessage | ExtendedModelResponse[Any]


class LLMOrchMiddleware(AgentMiddleware[PlanFirstState, Any, Any]):
    """LLMOrch inside `langchain.agents.create_agent`: CPU-aware tool execution, one line.

    Add it last in `middleware=[...]` (innermost, so the app's other tool middleware see
    each call first). `compute`-tagged tools then run on LLMOrch's warm worker processes,
    never more at once than the machine-wide P slots allow (every agent and process of the
    user shares them); `inout` tools keep `ToolNode`'s path, bounded by `max_concurrency`
    and `call_timeout`. `ToolNode`'s argument validation, injection, error handling,
    callbacks and stream events apply to both.

    Args:
        tools: the agent's tools, to check now that every compute tool can run in a worker
            process (no injected arguments, a sync function that pickles). Without them the
            tools are checked at the first model call, before any tool runs.
        max_processors: P for this agent's compute calls; `None`: the processors this
            process may use. It caps below the machine-wide bound, never above it.
        max_concurrency: inout calls running at once, across every run of the agent, sync
            and async alike (`None`: no bound). Compute calls are bounded by P instead.
        call_timeout: seconds a call may run. A compute call past it is killed with its
            worker; an inout call is given up (an async tool is cancelled; a sync tool's
            thread is abandoned: it finishes on its own, at most `max_threads` at once, as
            daemons, and its result is dropped). Either way the call's `ToolMessage` is an
            error naming `CallTimeoutError`, and the agent goes on.
        plan_first: `False` (default): the model calls tools turn by turn, as in any
            `create_agent` app. `True`: a new question's first model turn writes the whole
            plan (LLMOrch's planner prompt, in the plan language); the turn's message
            carries every call of the plan as a tool call, so the app's other middleware
            approve, count and see each of them; the calls run as dataflow (each starts
            when the results it uses exist), and the next, ordinary turn answers. A plan
            that does not validate after `max_repairs` repairs falls back to ordinary turns.
        planning: in plan-first mode, how the model writes the plan: `"text"` (the plan
            language), `"structured"` (JSON-schema constrained output, read back into the
            plan language), or `"auto"` (default): structured for OpenAI chat models and
            every OpenAI-compatible server reached through them, text otherwise, as
            `create_llmorch_agent` decides.
        stream_plan: in plan-first mode, with a model that streams: the plan turn streams,
            and each compute call whose arguments are literals is sent to the worker pool
            as soon as its line is written, before the turn ends; its tool task then takes
            the running call. Inout calls, `self` steps and calls that use earlier results
            wait for the turn as without it. Compute calls so start before the app's
            `after_model` middleware (a reviewer, a call limit) see the plan: leave it off
            when those may reject or block compute calls.
        max_repairs: in plan-first mode, how often a plan that does not parse or validate
            goes back to the model with its error.
        max_recoveries: in plan-first mode, how often a failed call of the plan (its tool
            raised, timed out, lost its worker, or got invalid arguments) is rewritten by
            the model and run again, in its own tool task: no finished call runs again.
            `0`: a failure is the call's error message, or its exception, as without
            the middleware.
        max_threads: threads for sync inout calls under `call_timeout`.

    Raises:
        ComputeToolError: a compute tool in `tools` cannot run in a worker process.
        ValueError: an option is out of range.

    Example:
        ```python
        from langchain.agents import create_agent
        from langchain_llmorch import LLMOrchMiddleware, compute

        @compute
        def fib(n: int) -> int:
            \"\"\"The n-th Fibonacci number, slowly.\"\"\"
            return n if n < 2 else fib.func(n - 1) + fib.func(n - 2)

        agent = create_agent(
            "openai:gpt-4.1-mini",
            [fib],
            middleware=[LLMOrchMiddleware(max_concurrency=8, call_timeout=60)],
        )
        ```
    """

    state_schema = PlanFirstState

    def __init__(
        self,
        *,
        tools: Sequence[BaseTool | Callable[..., Any]] | None = None,
        max_processors: int | None = None,
        max_concurrency: int | None = None,
        call_timeout: float | None = None,
        plan_first: bool = False,
        planning: Planning = "auto",
        stream_plan: bool = False,
        max_repairs: int = 2,
        max_recoveries: int = 2,
        max_threads: int = DEFAULT_MAX_THREADS,
    ) -> None:
        super().__init__()
        if max_repairs < 0:
            msg = f"max_repairs must be at least 0, not {max_repairs}"
            raise OptionValueError(msg)
        if max_recoveries < 0:
            msg = f"max_recoveries must be at least 0, not {max_recoveries}"
            raise OptionValueError(msg)
        if planning not in ("auto", "text", "structured"):
            msg = f"planning must be 'auto', 'text' or 'structured', not {planning!r}"
            raise OptionValueError(msg)
        if stream_plan and not plan_first:
            msg = "stream_plan=True streams the plan of plan-first mode: pass plan_first=True"
            raise OptionValueError(msg)
        self.calls = CallRouter(
            max_processors=max_processors,
            max_concurrency=max_concurrency,
            call_timeout=call_timeout,
            max_threads=max_threads,
        )
        self.plan_first = plan_first
        self.stream_plan = stream_plan
        self.planning: Planning = planning
        self.max_repairs = max_repairs
        self.max_recoveries = max_recoveries
        self.planned = PlannedCalls(self.calls, Recovery(self.calls, max_recoveries))
        if tools is not None:
            self.calls.check_tools(tools_by_name(tools).values())

    # --- public helpers ---------------------------------------------------------------

    @property
    def processors(self) -> int:
        """P: how many of this agent's compute calls run at once (at most)."""
        return self.calls.processors

    @property
    def max_concurrency(self) -> int | None:
        """The bound on inout calls running at once (`None`: none)."""
        return None if self.calls.limit is None else self.calls.limit.size

    def warm(self) -> None:
        """Start the worker processes now, before the first compute call is due."""
        self.calls.warm()

    # --- model calls ------------------------------------------------------------------

    def _plans_now(self, request: ModelRequest[Any]) -> bool:
        """Plan-first mode and a new question (the conversation ends with the user)."""
        self.calls.check_tools(request.tools)
        return self.plan_first and bool(request.messages) and request.messages[-1].type == "human"

    def _planner_request(
        self,
        request: ModelRequest[Any],
        prompt: list[Any],
        kind: RequestKind = "plan",
        early: EarlyStarts | None = None,
        *,
        structured: bool = False,
    ) -> ModelRequest[Any]:
        # The request's kind in its run (metadata, run name, tag) and, for an
        # OpenAI-compatible model, in its HTTP headers, as the agent's own requests.
        model = mark_model(request.model, kind)
        if structured:  # what with_structured_output(method="json_schema") sends
            schema = plan_response_format(_agent_tools(request))
            model = model.bind(response_format={"type": "json_schema", "json_schema": schema})
        config = request_config(kind)
        if early is not None:  # stream the reply; the callback starts calls as lines end
            model = model.bind(stream=True)
            # Added to the run's own callbacks (tracing, stream_mode="messages"): a config
            # bound here would replace them, the model node passing none of its own.
            config = merge_configs(ensure_config(), config, {"callbacks": [early]})
        model = model.with_config(config)
        return request.override(
            model=model,
            system_message=prompt[0],
            messages=prompt[1:],
            tools=[],
            tool_choice=None,
            response_format=None,
        )

    def _structured(self, request: ModelRequest[Any]) -> bool:
        """Whether this agent's model writes structured plans (`planning`)."""
        if self.planning == "auto":
            return choose_planning(request.model)[0] == "structured"
        return self.planning == "structured"

    def _early_starts(
        self, request: ModelRequest[Any], kind: RequestKind, *, structured: bool
    ) -> EarlyStarts | None:
        """The callback that starts calls as the plan streams, when this request streams."""
        model = request.model
        if not (self.stream_plan and kind == "plan" and isinstance(model, BaseChatModel)):
            return None
        if not streams(model):
            return None
        tools = tools_by_name(_agent_tools(request))
        return EarlyStarts(tools, self.calls.start_early, structured=structured)

    def _after_plan(
        self,
        request: ModelRequest[Any],
        prompt: list[Any],
        reply: ModelResponse[Any],
        tools: list[BaseTool],
        early: EarlyStarts | None,
    ) -> tuple[ModelResult | None, list[Any] | None]:
        """Read one planner reply, for the sync and the async hook alike.

        Returns the planned turn, or the repair to ask for next; both `None` for a valid
        plan without calls (the model then works turn by turn). Calls started while the
        reply streamed go to the plan's run, or are aborted when it does not have them.
        """
        try:
            text, frg = self._compile(reply, tools)
        except (PlanSyntaxError, PlanValidationError, UnreadablePlanError) as err:
            if early is not None:
                self.calls.abort(e.future for e in early.drain())
            return None, repair_messages(prompt, _reply_text(reply), str(err), tools)
        started: dict[str, EarlyCall] = {}
        if early is not None:
            started, dropped = early.adopt(frg)
            self.calls.abort(e.future for e in dropped)
        if frg.calls:
            return self._planned(request, text, frg, started), None
        return None, None

    def _compile(self, reply: ModelResponse[Any], tools: list[BaseTool]) -> tuple[str, FRG]:
        """The plan text and the FRG of the calls that run (answer steps folded)."""
        text = _plan_text(_last_ai(reply))
        plan = parse_plan(text)
        build_frg(plan, tools)  # the whole plan validates, answer steps included
        return text, build_frg(runnable_plan(plan, answer_steps(plan)), tools)

    def _planned(
        self, request: ModelRequest[Any], text: str, frg: FRG, started: dict[str, EarlyCall]
    ) -> ModelResult:
        """The plan turn's result: every call as a tool call; the plan kept in the state."""
        plan_id = new_plan_id()
        bound = bound_plan_text(frg)
        run = PlanRun(plan_id, bound, self_tool=make_self_tool(request.model))
        run.early.update(started)
        run.model, run.question = request.model, last_question(request.messages)
        run.tools = tools_by_name(_agent_tools(request))
        self.planned.add(run)
        message = planned_message(plan_id, run.plan, text)
        update = {PLAN_KEY: {"id": plan_id, "text": bound}}
        return ExtendedModelResponse(
            model_response=ModelResponse(result=[message]), command=Command(update=update)
        )

    def wrap_model_call(
        self,
        request: ModelRequest[Any],
        handler: Callable[[ModelRequest[Any]], ModelResponse[Any]],
    ) -> ModelResult:
        """Check the compute tools; in plan-first mode a new question gets a whole plan."""
        if not self._plans_now(request):
            return handler(request)
        steps = self._planning(request)
        try:
            planner = next(steps)
            while True:
                planner = steps.send(handler(planner))
        except StopIteration as done:
            planned = cast("ModelResult | None", done.value)
        return handler(request) if planned is None else planned

    async def awrap_model_call(
        self,
        request: ModelRequest[Any],
        handler: Callable[[ModelRequest[Any]], Awaitable[ModelResponse[Any]]],
    ) -> ModelResult:
        """Async `wrap_model_call`."""
        if not self._plans_now(request):
            return await handler(request)
        steps = self._planning(request)
        try:
            planner = next(steps)
            while True:
                planner = steps.send(await handler(planner))
        except StopIteration as done:
            planned = cast("ModelResult | None", done.value)
        return await handler(request) if planned is None else planned

    def _planning(
        self, request: ModelRequest[Any]
    ) -> Generator[ModelRequest[Any], ModelResponse[Any], ModelResult | None]:
        """Ask for a plan, and for repairs, until one is usable (yields the model requests).

        Returns the planned response; `None` when no plan was usable: the model then works
        turn by turn.
        """
        tools = _agent_tools(request)
        structured = self._structured(request)
        prompt = planner_messages(
            request.messages, tools, system_prompt=request.system_prompt, structured=structured
        )
        messages: list[Any] | None = prompt
        for _ in range(self.max_repairs + 1):
            if messages is None:
                break
            kind: RequestKind = "plan" if messages is prompt else "repair"
            early = self._early_starts(request, kind, structured=structured)
            planner = self._planner_request(request, messages, kind, early, structured=structured)
            reply = yield planner
            planned, messages = self._after_plan(request, prompt, reply, tools, early)
            if planned is not None:
                return planned
        return None

    # --- tool calls -------------------------------------------------------------------

    def wrap_tool_call(
        self,
        request: ToolCallRequest,
        handler: Callable[[ToolCallRequest], ToolResult],
    ) -> ToolResult:
        """Run a compute call on the worker pool; bound and time inout calls.

        A call of a plan (plan-first mode) first waits for the results it uses.
        """
        planned = self.planned.find(request) if self.plan_first else None
        if planned is None:
            return self.calls.run(request, handler, Captured())
        return self.planned.run(*planned, request, handler)

    async def awrap_tool_call(
        self,
        request: ToolCallRequest,
        handler: Callable[[ToolCallRequest], Awaitable[ToolResult]],
    ) -> ToolResult:
        """Async `wrap_tool_call`: the same routing, on the event loop."""
        planned = self.planned.find(request) if self.plan_first else None
        if planned is None:
            return await self.calls.arun(request, handler, Captured())
        return await self.planned.arun(*planned, request, handler)


def _agent_tools(request: ModelRequest[Any]) -> list[BaseTool]:
    return [t for t in request.tools if isinstance(t, BaseTool)]


class UnreadablePlanError(LLMOrchError):
    """A structured plan reply that is not the plan's JSON (cut off, or not JSON)."""


def _plan_text(message: AIMessage | None) -> str:
    """The plan in a planner reply: its text, or its structured plan read as text."""
    if message is None:
        return ""
    structured = message.additional_kwargs.get("parsed")
    if structured is None and message.text.lstrip().startswith("{"):
        try:
            structured = json.loads(message.text)
        except ValueError as err:
            msg = f"the plan's JSON could not be read ({err}); write a shorter plan"
            raise UnreadablePlanError(msg) from err
    if structured is None:
        return plan_text_of(message)
    try:
        return plan_text_of(structured)
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        msg = f"the plan's JSON is not a plan ({type(err).__name__}: {err})"
        raise UnreadablePlanError(msg) from err


def _last_ai(reply: ModelResponse[Any]) -> AIMessage | None:
    return next((m for m in reversed(reply.result) if isinstance(m, AIMessage)), None)


def _reply_text(reply: ModelResponse[Any]) -> str:
    message = _last_ai(reply)
    return "" if message is None else message.text
