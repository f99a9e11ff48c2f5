from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from bench.baselines import arun_llmcompiler, run_llmcompiler
from bench.baselines.llmcompiler import JOINER_PROMPT, PLANNER_PROMPT
from tests.bench.baselines.fakes import TOOLS, ToolScriptChat, one, overlap

PLANNER_HEAD = PLANNER_PROMPT.split("\n", 1)[0]


def compiler_model(
    *plans: str, joined: list[str] | None = None, seen: list[list[BaseMessage]] | None = None
) -> ToolScriptChat:
    """Plan n for the n-th planner call; a Finish action for the joiner (its input -> `joined`)."""

    def script(messages: list[BaseMessage]) -> AIMessage:
        if seen is not None:
            seen.append(messages)
        first = messages[0]
        if isinstance(first, SystemMessage) and first.text.startswith(PLANNER_HEAD):
            done = sum(isinstance(m, AIMessage) for m in messages)
            return AIMessage(plans[min(done, len(plans) - 1)])
        if isinstance(first, SystemMessage) and first.text == JOINER_PROMPT:
            if joined is not None:
                joined.append(messages[-1].text)
            return AIMessage("Thought: enough.\nAction: Finish(the answer)")
        return AIMessage(f"self says: {messages[-1].text}")  # a `self(prompt)` call

    return ToolScriptChat(script=script)


async def test_dependant_starts_right_after_its_parent_not_after_the_layer() -> None:
    plan = """\
Thought: two pages, then a follow-up on the first.
1. fetch("a", 0.05)
2. fetch2("b", 0.4)
3. fetch($1, 0.05)
4. join()
<END_OF_PLAN>"""
    result = await arun_llmcompiler(compiler_model(plan), TOOLS, "q")
    first, slow, child = (next(r for r in result.trace if r.id == i) for i in "123")
    assert overlap(first, slow)  # independent async calls overlap
    assert first.ended_at <= child.scheduled_at <= child.started_at
    assert child.ended_at < slow.ended_at  # did not wait for the slow call of rank 1
    assert result.answer == "the answer"
    assert result.llm_turns == 2
    assert {r.id for r in result.trace} == {"1", "2", "3"}  # join is not a tool call


async def test_results_fill_the_arguments_and_reach_the_joiner() -> None:
    joins: list[str] = []
    model = compiler_model('1. fetch("a", 0)\n2. fetch2("x-{$1}", 0)\n3. join()', joined=joins)
    await arun_llmcompiler(model, TOOLS, "q")
    (joined,) = joins
    assert "[x-<a>]" in joined
    assert "Question: q" in joined


async def test_cpu_bound_sync_tools_block_the_loop_so_they_never_overlap() -> None:
    plan = '1. spin(60)\n2. spin(60)\n3. fetch("a", 0.01)\n4. join()'
    result = await arun_llmcompiler(compiler_model(plan), TOOLS, "q")
    first, second, fetched = (next(r for r in result.trace if r.id == i) for i in "123")
    assert second.scheduled_at <= first.ended_at  # both were ready and started at once
    assert not overlap(first, second)
    assert first.kind == second.kind == "compute"
    # The async call was started with them but cannot finish while a sync tool holds the loop.
    assert fetched.ended_at >= second.ended_at


async def test_a_failed_call_skips_its_dependants_and_the_joiner_sees_it() -> None:
    joins: list[str] = []
    plan = '1. boom("x")\n2. fetch($1, 0)\n3. fetch2("y", 0)\n4. join()'
    result = await arun_llmcompiler(compiler_model(plan, joined=joins), TOOLS, "q")
    assert sorted((r.id, r.status) for r in result.trace) == [("1", "failed"), ("3", "finished")]
    (joined,) = joins
    assert "failed: ConnectionError" in joined
    assert "skipped" in joined
    assert result.llm_turns == 2


async def test_static_replanning_asks_for_a_whole_new_plan() -> None:
    bad = '1. fetch("a", 0)\n2. boom($1)\n3. join()'
    good = '1. fetch("a", 0)\n2. fetch2($1, 0)\n3. join()'
    result = await arun_llmcompiler(compiler_model(bad, good), TOOLS, "q", max_replans=1)
    assert [(r.tool, r.attempt, r.status) for r in result.trace] == [
        ("fetch", 1, "finished"),
        ("boom", 1, "failed"),
        ("fetch", 2, "finished"),  # nothing of the failed round is reused
        ("fetch2", 2, "finished"),
    ]
    assert result.llm_turns == 3


async def test_an_unparsable_plan_is_replanned_or_reported() -> None:
    good = '1. fetch("a", 0)\n2. join()'
    result = await arun_llmcompiler(compiler_model("1. fetch(", good), TOOLS, "q", max_replans=1)
    assert [r.tool for r in result.trace] == ["fetch"]
    assert result.llm_turns == 3
    result = await arun_llmcompiler(compiler_model("1. nope()"), TOOLS, "q")
    assert result.answer.startswith("LLMCompiler could not make a valid plan")
    assert result.trace == []


async def test_chatter_around_the_steps_is_ignored() -> None:
    plan = 'Sure! Here is the plan:\n1. fetch("a", 0)\n2. join()\nHope this helps.'
    result = await arun_llmcompiler(compiler_model(plan), TOOLS, "q")
    assert [r.tool for r in result.trace] == ["fetch"]


async def test_self_without_a_self_tool_asks_the_model() -> None:
    joins: list[str] = []
    model = compiler_model('1. fetch("a", 0)\n2. self("sum up $1")\n3. join()', joined=joins)
    result = await arun_llmcompiler(model, TOOLS, "q")
    assert one(result.trace, "self").kind == "inout"
    assert "self says: sum up <a>" in joins[0]


def test_sync_wrapper_and_planner_prompt() -> None:
    seen: list[list[BaseMessage]] = []
    model = compiler_model('1. fetch("a", 0)\n2. join()', seen=seen)
    assert run_llmcompiler(model, TOOLS, "What?").answer == "the answer"
    system, human = seen[0]
    assert "fetch(key: string, delay: number)" in system.text
    assert "6. join()" in system.text
    assert isinstance(human, HumanMessage)
    assert human.text == "Question: What?"


async def test_an_unparsable_replan_falls_back_to_the_last_plan_that_ran() -> None:
    joins: list[str] = []
    bad = '1. boom("x")\n2. join()'
    model = compiler_model(bad, "1. fetch(", joined=joins)
    result = await arun_llmcompiler(model, TOOLS, "q", max_replans=1)
    assert result.answer == "the answer"
    assert [r.tool for r in result.trace] == ["boom"]
    assert "failed: ConnectionError" in joins[0]
    assert result.llm_turns == 3
