"""The techniques the benchmark compares LLMOrch against.

Each takes a chat model, tools and a question, and returns a `BaselineResult`
(answer, trace of tool calls, LLM turns, wall time):

- `arun_react` / `run_react`: ReAct, one tool call per LLM turn;
- `arun_parallel_fc` / `run_parallel_fc`: parallel function calling, one batch
  of calls per turn, run together under asyncio (sync tools in threads);
- `arun_llmcompiler` / `run_llmcompiler`: LLMCompiler-style, one plan, every
  ready call started at once on one event loop (sync tools block it), a joiner;
- `arun_prebuilt` / `run_prebuilt`: LangChain's `create_agent`, as it comes.

Example:
    ```python
    from bench.baselines import run_llmcompiler, run_react

    slow = run_react(model, tools, question)
    fast = run_llmcompiler(model, tools, question)
    print(slow.seconds / fast.seconds, fast.llm_turns)
    ```
"""

from bench.baselines.common import BaselineResult
from bench.baselines.llmcompiler import arun_llmcompiler, run_llmcompiler
from bench.baselines.parallel_fc import arun_parallel_fc, run_parallel_fc
from bench.baselines.prebuilt import arun_prebuilt, run_prebuilt
from bench.baselines.react import arun_react, run_react

__all__ = [
    "BaselineResult",
    "arun_llmcompiler",
    "arun_parallel_fc",
    "arun_prebuilt",
    "arun_react",
    "run_llmcompiler",
    "run_parallel_fc",
    "run_prebuilt",
    "run_react",
]
