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
    from langchain_llmorch.baselines import run_llmcompiler, run_react

    slow = run_react(model, tools, question)
    fast = run_llmcompiler(model, tools, question)
    print(slow.seconds / fast.seconds, fast.llm_turns)
    ```
"""

from langchain_llmorch._extras import require_extra

require_extra("bench", "langchain", feature="The baselines")

from langchain_llmorch.baselines.common import BaselineResult  # noqa: E402
from langchain_llmorch.baselines.llmcompiler import arun_llmcompiler, run_llmcompiler  # noqa: E402
from langchain_llmorch.baselines.parallel_fc import arun_parallel_fc, run_parallel_fc  # noqa: E402
from langchain_llmorch.baselines.prebuilt import arun_prebuilt, run_prebuilt  # noqa: E402
from langchain_llmorch.baselines.react import arun_react, run_react  # noqa: E402

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
