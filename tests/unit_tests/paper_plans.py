"""The paper's example plans (Figures 2 and 3) and tools shaped like its functions."""

from __future__ import annotations

from langchain_core.tools import BaseTool

from langchain_llmorch import compute, inout

SEO_PLAN = """\
s1: search(query="https://openai.com/")
s2: chatbot(prompt="Give an SEO optimization example")
s3: python(file="seo.py", argv=s1)
s4: python(file="con.py", argv=s1)
s5: chatbot(prompt="Summarize a report from {s2}, {s3} and {s4}")
"""

KITTI_PLAN = "\n".join(
    [f's{i}: stereorcnn(image="{i:06d}.png")' for i in range(1, 9)]
    + [
        's9: self(prompt="Average of the angles {s1}, {s3}, {s5}, {s7}")',
        's10: self(prompt="Average of the angles {s2}, {s4}, {s6}, {s8}")',
        's11: self(prompt="Difference between {s9} and {s10}")',
    ]
)

LLMCOMPILER_PLAN = """\
Thought: I need the population and area of Texas.
1. search("Texas")
2. math("population of Texas in millions?", ["$1"])
3. math("area of Texas in km^2?", ["$1"])
4. math("population density", ["$2", "${3}"])
Thought: I can answer now.
5. join()
<END_OF_PLAN>
"""


@inout
def search(query: str) -> str:
    """Search the web and return the top results."""
    return f"results for {query}"


@compute
def chatbot(prompt: str) -> str:
    """Ask a local LLM (running on this CPU)."""
    return prompt.upper()


@compute
def python(file: str, argv: str = "") -> str:
    """Run a local python file with arguments."""
    return f"{file}({argv})"


@compute
def stereorcnn(image: str) -> float:
    """Steering angle of a stereo image."""
    return float(len(image))


@inout
def math(question: str, context: list[str] | None = None) -> str:
    """Answer a math question from the context."""
    return f"{question}: {len(context or [])}"


SEO_TOOLS: list[BaseTool] = [search, chatbot, python]
KITTI_TOOLS: list[BaseTool] = [stereorcnn]
MATH_TOOLS: list[BaseTool] = [search, math]
