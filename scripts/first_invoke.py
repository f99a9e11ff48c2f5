"""First-invoke latency: AgentExecutor vs LLMOrchAgentExecutor on the notebook-02 app.

Run from the repository root, once per executor, each in a fresh interpreter:
    LLM_S=0.5 .venv/bin/python scripts/first_invoke.py agentexecutor compute
    LLM_S=0.5 .venv/bin/python scripts/first_invoke.py llmorch compute
    LLMORCH_WARM=0 LLM_S=0.5 .venv/bin/python scripts/first_invoke.py llmorch compute
Each executor in its own fresh interpreter, so neither pays the other's imports.
"""
import sys, time
T0 = time.perf_counter()
from langchain_classic.agents import AgentExecutor, create_tool_calling_agent
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.prompts import ChatPromptTemplate
from langchain_llmorch import LLMOrchAgentExecutor, compute, inout
from langchain_llmorch.testing import ScriptedChatModel
T_IMPORT = time.perf_counter() - T0

WEATHER = {"Paris": "14 C, rain", "Rome": "21 C, sun", "Oslo": "6 C, snow"}
def weather(city: str) -> str:
    """The current weather in a city: Paris, Rome or Oslo."""
    time.sleep(0.3)
    return f"{city}: {WEATHER[city]}"
def weather_cpu(city: str) -> str:
    """The current weather in a city: Paris, Rome or Oslo (computed)."""
    import time as t
    end = t.perf_counter() + 0.3
    while t.perf_counter() < end:
        pass
    return f"{city}: " + {"Paris": "14 C, rain", "Rome": "21 C, sun", "Oslo": "6 C, snow"}[city]
weather_cpu.__name__ = "weather"
kind = sys.argv[2] if len(sys.argv) > 2 else "inout"
tools = [compute(weather_cpu) if kind == "compute" else inout(weather)]
prompt = ChatPromptTemplate.from_messages([
    ("system", "You are WeatherBot. Answer in one line."),
    ("placeholder", "{chat_history}"), ("human", "{input}"), ("placeholder", "{agent_scratchpad}")])
PLAN = 's1: weather(city="Paris")\ns2: weather(city="Rome")\ns3: weather(city="Oslo")\ns4: self(prompt="Weather report: {s1} | {s2} | {s3}")'
CITIES = ["Paris", "Rome", "Oslo"]
import os
LLM_S = float(os.environ.get('LLM_S', '0'))
def script(messages: list[BaseMessage]):
    time.sleep(LLM_S)
    first = messages[0].text
    if "Tools you can call" in first:
        return PLAN
    results = [m.text for m in messages if isinstance(m, ToolMessage)]
    if results:
        return "Right now: " + "; ".join(results)
    if first.startswith("You are WeatherBot"):
        return AIMessage("", tool_calls=[{"name": "weather", "args": {"city": c}, "id": c} for c in CITIES])
    return "Right now: " + "; ".join(messages[-1].text.removeprefix("Weather report: ").split(" | "))
agent = create_tool_calling_agent(ScriptedChatModel(script), tools, prompt)
t = time.perf_counter()
cls = AgentExecutor if sys.argv[1] == "agentexecutor" else LLMOrchAgentExecutor
ex = cls(agent=agent, tools=tools)
build = time.perf_counter() - t
q = {"input": "What is the weather in Paris, Rome and Oslo?"}
times = []
for _ in range(3):
    t = time.perf_counter(); out = ex.invoke(q); times.append(time.perf_counter() - t)
print(f"{sys.argv[1]:14s} {kind:8s} llm {LLM_S}s warm={os.environ.get('LLMORCH_WARM','1')} import {T_IMPORT:.2f}s build {build:.3f}s invokes " + " ".join(f"{x:.2f}" for x in times), "|", out["output"][:40])
