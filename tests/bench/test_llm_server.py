"""The scripted server speaks OpenAI chat completions well enough for ChatOpenAI."""

import asyncio
import json
import time
from typing import Any

import httpx
import openai
import pytest
from langchain_core.messages import AIMessageChunk, ToolMessage
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI

from bench.llm_server import Reply, ScriptedLLMServer
from bench.workloads.latency import LatencyModel

FAST = LatencyModel(ttft=0.01, per_token=0.001, llm_jitter=0.0)


@tool
def search(query: str) -> str:
    """Search the web."""
    return query


def script(messages: list[dict[str, Any]]) -> Reply:
    last = messages[-1]
    if last["role"] == "tool":
        return f"Finished with {last['content']}"
    if "use tools" in last["content"]:
        return {
            "tool_calls": [
                {"name": "search", "args": {"query": "Texas"}},
                {"name": "search", "args": {"query": "Florida"}},
            ]
        }
    return "Hello there, friend"


def llm(server: ScriptedLLMServer, **kwargs: Any) -> ChatOpenAI:
    return ChatOpenAI(
        base_url=server.base_url, api_key="x", model="scripted", max_retries=0, **kwargs
    )


def test_invoke_round_trips_text_and_usage() -> None:
    with ScriptedLLMServer(script, FAST) as server:
        reply = llm(server).invoke("hi there")
    assert reply.content == "Hello there, friend"
    assert reply.usage_metadata is not None
    assert reply.usage_metadata["input_tokens"] == 2
    assert reply.usage_metadata["output_tokens"] == 3


def test_bind_tools_gets_parallel_tool_calls_and_the_tool_results_come_back() -> None:
    with ScriptedLLMServer(script, FAST) as server:
        model = llm(server).bind_tools([search])
        first = model.invoke("please use tools")
        assert [(c["name"], c["args"]) for c in first.tool_calls] == [
            ("search", {"query": "Texas"}),
            ("search", {"query": "Florida"}),
        ]
        answer = model.invoke(
            ["please use tools", first, ToolMessage("42", tool_call_id=first.tool_calls[0]["id"])]
        )
        served = server.requests
    assert answer.content == "Finished with 42"
    assert served[0].tools == ["search"]
    assert served[1].messages[-1]["role"] == "tool"


def test_streaming_sends_chunks_text_tool_calls_and_usage() -> None:
    with ScriptedLLMServer(script, FAST) as server:
        chunks = list(llm(server, stream_usage=True).stream("hi"))
        merged: AIMessageChunk | None = None
        for chunk in llm(server).bind_tools([search]).stream("use tools"):
            assert isinstance(chunk, AIMessageChunk)
            merged = chunk if merged is None else merged + chunk
    assert len(chunks) > 3
    assert "".join(str(c.content) for c in chunks) == "Hello there, friend"
    assert any(c.usage_metadata for c in chunks)
    assert merged is not None
    assert [c["args"] for c in merged.tool_calls] == [{"query": "Texas"}, {"query": "Florida"}]


def test_dict_script_picks_the_longest_key_in_the_last_user_message() -> None:
    replies = {"capital": "Paris", "capital of Italy": "Rome", "": "fallback"}
    with ScriptedLLMServer(replies, FAST) as server:
        model = llm(server)
        assert model.invoke("What is the capital of France?").content == "Paris"
        assert model.invoke("And the capital of Italy?").content == "Rome"
        assert model.invoke("Something else").content == "fallback"


def test_a_missing_reply_is_a_400_error_not_a_hang() -> None:
    with ScriptedLLMServer({"capital": "Paris"}, FAST) as server:
        with pytest.raises(openai.BadRequestError, match="no scripted reply"):
            llm(server).invoke("nothing matches")
        assert server.requests[0].reply is None


def test_latency_is_the_models_draw_for_the_reply() -> None:
    model = LatencyModel(seed=5, ttft=0.02, per_token=0.002)
    with ScriptedLLMServer(script, model) as server:
        llm(server).invoke("hi")
        served = server.requests[0]
    expected = LatencyModel(seed=5, ttft=0.02, per_token=0.002).llm_latency(
        json.dumps("Hello there, friend"), 3
    )
    assert served.latency == expected
    assert model.draws[-1].seconds == expected


async def test_concurrent_requests_are_served_in_parallel() -> None:
    with ScriptedLLMServer(script, LatencyModel(ttft=0.2, per_token=0.0)) as server:
        await asyncio.gather(*(llm(server).ainvoke(f"hi {i}") for i in range(6)))
        served = server.requests
    assert len(served) == 6
    first_done = min(r.replied_at for r in served)
    assert all(r.received_at < first_done for r in served)  # all in flight at once


def test_models_endpoint_and_lifecycle() -> None:
    server = ScriptedLLMServer(script, FAST, model="my-model")
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.base_url
    with server:
        listing = httpx.get(server.base_url + "/models").json()
        missing = httpx.get(server.base_url + "/nope")
    assert listing["data"][0]["id"] == "my-model"
    assert missing.status_code == 404
    with pytest.raises(RuntimeError):
        _ = server.base_url


def test_streaming_costs_the_same_tokens_and_latency_but_text_arrives_early() -> None:
    def plan(_messages: list[dict[str, Any]]) -> Reply:
        return "s1: search(query='a')\ns2: search(query='b')\ns3: search(query='c')"

    model = LatencyModel(seed=1, ttft=0.02, per_token=0.03, llm_jitter=0.0)
    with ScriptedLLMServer(plan, model) as server:
        whole = llm(server).invoke("plan")
        first_line_at = None
        text = ""
        for chunk in llm(server).stream("plan"):
            text += str(chunk.content)
            if first_line_at is None and "\n" in text:
                first_line_at = time.time()
        batch, streamed = server.requests
    assert text == whole.content
    assert streamed.stream
    assert not batch.stream
    assert streamed.completion_tokens == batch.completion_tokens
    assert streamed.latency == batch.latency  # the same seeded draw for the same reply
    assert first_line_at is not None
    assert first_line_at < streamed.replied_at  # the first line came before the reply ended
    assert streamed.replied_at - streamed.received_at >= streamed.latency
