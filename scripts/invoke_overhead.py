"""Per-invoke wall time of a 6-call no-op plan through create_llmorch_agent (scripted model).

Run it with PYTHONPATH set to each checkout to compare two versions: python scripts/invoke_overhead.py 200
"""

import sys, time
from langchain_llmorch import create_llmorch_agent, inout
from langchain_llmorch.testing import planner_or


@inout
def noop(x: int) -> int:
    """Return x."""
    return x


plan = "\n".join(f"s{i}: noop(x={i})" for i in range(1, 7))
agent = create_llmorch_agent(planner_or(plan, "done"), [noop])
q = {"messages": [("user", "go")]}
for _ in range(5):
    agent.invoke(q)
n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
t = time.perf_counter()
for _ in range(n):
    agent.invoke(q)
print(f"{(time.perf_counter() - t) / n * 1000:.2f} ms per invoke")
