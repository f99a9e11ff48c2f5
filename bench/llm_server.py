"""A scripted, OpenAI-compatible chat-completions server on 127.0.0.1, for benchmarks and tests.

Every technique talks to it through its ordinary client (`ChatOpenAI(base_url=...)`): real HTTP,
client code and concurrency; the replies come from a script and the remote latency from the
seeded `LatencyModel` (first token + per output token), the same for the same reply.

    client ──POST /v1/chat/completions──▶ handler thread (one per request, ThreadingHTTPServer)
                                             │ reply = script(messages)     (str or tool calls)
                                             │ sleep(latency.llm_latency(reply, tokens))
    client ◀── chat.completion JSON, or SSE chunks when "stream": true ──┘

`GET /v1/models` lists the one model. Usage tokens are whitespace-separated words.

Example:
    ```python
    from langchain_openai import ChatOpenAI
    from bench.llm_server import ScriptedLLMServer
    from bench.workloads.latency import LatencyModel
from langchain_llmorch.runs import HEADER_CALL, HEADER_REQUEST

    with ScriptedLLMServer({"capital": "Paris"}, LatencyModel(scale=0.0)) as server:
        llm = ChatOpenAI(base_url=server.base_url, api_key="x", model="scripted")
        assert llm.invoke("What is the capital of France?").content == "Paris"
    ```
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count
from typing import TYPE_CHECKING, Any

from bench.workloads.latency import LatencyModel
from langchain_llmorch.runs import HEADER_CALL, HEADER_REQUEST

if TYPE_CHECKING:
    from typing import Self

__all__ = [
    "Reply",
    "RequestInfo",
    "Script",
    "ScriptedLLMServer",
    "ServedRequest",
    "completion_tokens",
    "current_request",
    "reply_key",
    "stream_deltas",
]


@dataclass(frozen=True, slots=True)
class RequestInfo:
    """What LLMOrch's client says a request is (its `x-llmorch-*` headers), if anything."""

    kind: str | None = None
    """`plan`, `repair`, `recover`, `join` or `self` (`langchain_llmorch.runs`)."""
    call: str | None = None
    """The call a `recover` request rewrites."""


_CURRENT: ContextVar[RequestInfo | None] = ContextVar("bench_llm_request", default=None)


def current_request() -> RequestInfo:
    """The kind of the request a script is answering (from its headers), while it runs."""
    return _CURRENT.get() or RequestInfo()


Reply = str | dict[str, Any]
"""A reply: text, or `{"content": str, "tool_calls": [{"name": str, "args": dict}]}`."""
Script = Callable[[list[dict[str, Any]]], Reply]
"""Computes the reply from the request's messages (each `content` already flattened to text)."""


@dataclass(frozen=True, slots=True)
class ServedRequest:
    """One request the server answered (or refused).

    Attributes:
        messages: the request's messages, contents flattened to text.
        tools: names of the tools offered in the request.
        stream: whether the client asked for server-sent events.
        reply: the scripted reply (None when the script failed).
        prompt_tokens: words in the messages and tool definitions.
        completion_tokens: words in the reply.
        latency: the simulated latency slept, seconds.
        received_at: `time.time()` when the request arrived.
        replied_at: `time.time()` when the reply was complete.
        response_format: the request's `response_format` (e.g. a strict `json_schema`
            for structured output), or None when it had none.
    """

    messages: list[dict[str, Any]]
    tools: list[str]
    stream: bool
    reply: Reply | None
    prompt_tokens: int
    completion_tokens: int
    latency: float
    received_at: float
    replied_at: float
    response_format: dict[str, Any] | None = None


def _text(content: Any) -> str:
    if isinstance(content, list):  # content parts: [{"type": "text", "text": ...}, ...]
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return "" if content is None else str(content)


def _arguments(args: Any) -> str:
    return args if isinstance(args, str) else json.dumps(args)


def _tool_calls(reply: Reply, rid: int) -> list[dict[str, Any]]:
    calls = reply.get("tool_calls", []) if isinstance(reply, dict) else []
    return [
        {
            "id": call.get("id") or f"call_{rid}_{i}",
            "type": "function",
            "function": {"name": call["name"], "arguments": _arguments(call.get("args", {}))},
        }
        for i, call in enumerate(calls)
    ]


def reply_key(_messages: list[dict[str, Any]], reply: Reply) -> str:
    """The default key of a reply's latency draw: the reply itself, the same for every asker."""
    return json.dumps(reply)


def completion_tokens(reply: Reply) -> int:
    """Output tokens of a reply: words of its text, and of each tool call's arguments plus one."""
    content = reply if isinstance(reply, str) else str(reply.get("content") or "")
    calls = _tool_calls(reply, 0)
    return len(content.split()) + sum(len(c["function"]["arguments"].split()) + 1 for c in calls)


def stream_deltas(
    content: str, calls: list[dict[str, Any]], first: float, total: float
) -> list[tuple[dict[str, Any], float]]:
    """The deltas of a streamed reply, each with when it is sent, in seconds after the start.

    The role comes at the first token's time, then one delta per space-separated word of the
    text, one per tool call and the closing one, evenly spaced so the last is sent at `total`.

    Example:
        ```python
        deltas = stream_deltas("a b", [], first=0.5, total=0.8)
        assert [t for _, t in deltas] == [0.5, 0.6, 0.7, 0.8]
        ```
    """
    words = content.split(" ") if content else []
    deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
    deltas += [{"content": w if i == 0 else " " + w} for i, w in enumerate(words)]
    deltas += [{"tool_calls": [{"index": i, **call}]} for i, call in enumerate(calls)]
    deltas.append({})
    gap = max(0.0, total - first) / max(1, len(deltas) - 1)
    return [(delta, first + i * gap) for i, delta in enumerate(deltas)]


@dataclass
class _State:
    """What the request handlers share: the script, the latency model and the log."""

    script: Script | Mapping[str, Reply]
    latency: LatencyModel
    model: str
    latency_key: Callable[[list[dict[str, Any]], Reply], str]
    requests: list[ServedRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    ids: Iterator[int] = field(default_factory=lambda: count(1))

    def reply_for(self, messages: list[dict[str, Any]]) -> Reply:
        if callable(self.script):
            return self.script(messages)
        last = next((m["content"] for m in messages[::-1] if m.get("role") == "user"), "")
        keys = sorted((k for k in self.script if k in last), key=len, reverse=True)
        if not keys:
            msg = f"no scripted reply: none of {sorted(self.script)} is in {last[:200]!r}"
            raise LookupError(msg)
        return self.script[keys[0]]


@dataclass
class _Exchange:
    """One request on its way through a handler, and then its record."""

    body: dict[str, Any]
    messages: list[dict[str, Any]]
    received: float
    reply: Reply | None = None
    completion_tokens: int = 0
    latency: float = 0.0

    @property
    def prompt_tokens(self) -> int:
        tools = self.body.get("tools")
        words = sum(len(m["content"].split()) for m in self.messages)
        return words + (len(json.dumps(tools).split()) if tools else 0)

    def record(self) -> ServedRequest:
        return ServedRequest(
            messages=self.messages,
            tools=[t.get("function", {}).get("name", "") for t in self.body.get("tools") or []],
            stream=bool(self.body.get("stream")),
            reply=self.reply,
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            latency=self.latency,
            received_at=self.received,
            replied_at=time.time(),
            response_format=self.body.get("response_format"),
        )


class ScriptedLLMServer:
    """An OpenAI-compatible chat server whose replies come from a script; a context manager.

    Args:
        script: a function `messages -> reply`, or a dict mapping a key to a reply: the longest
            key found in the last user message wins (so `""` is the fallback).
        latency: the seeded latency model (default: `LatencyModel()`; `scale=0.0` for none).
        model: the model name `/v1/models` lists.
        latency_key: the key of a reply's latency draw; by default the reply itself, so every
            technique waits the same for the same reply.

    Example:
        ```python
        def script(messages):
            return {"tool_calls": [{"name": "search", "args": {"query": "x"}}]}

        with ScriptedLLMServer(script) as server:
            print(server.base_url)  # http://127.0.0.1:<port>/v1
        ```
    """

    def __init__(
        self,
        script: Script | Mapping[str, Reply],
        latency: LatencyModel | None = None,
        *,
        model: str = "scripted",
        latency_key: Callable[[list[dict[str, Any]], Reply], str] | None = None,
    ) -> None:
        """Configure the server; `start()` or `with` runs it."""
        self._state = _State(
            script=script,
            latency=latency if latency is not None else LatencyModel(),
            model=model,
            latency_key=latency_key or reply_key,
        )
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def requests(self) -> list[ServedRequest]:
        """Every request served so far, in arrival order (a copy)."""
        with self._state.lock:
            return list(self._state.requests)

    @property
    def base_url(self) -> str:
        """The OpenAI base URL, `http://127.0.0.1:<port>/v1` (the server must be running)."""
        if self._server is None:
            msg = "the server is not running: use `with ScriptedLLMServer(...)` or start()"
            raise RuntimeError(msg)
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def start(self) -> Self:
        """Bind a free port on 127.0.0.1, serve in a background thread, return the server."""
        if self._server is None:
            handler = type("Handler", (_Handler,), {"state": self._state})
            self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
            self._server.daemon_threads = True
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},  # how long stop() may wait for the loop
                name="scripted-llm",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            if self._thread is not None:
                self._thread.join()
            self._server, self._thread = None, None

    def __enter__(self) -> Self:
        """Start the server."""
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        """Stop the server."""
        self.stop()


class _Handler(BaseHTTPRequestHandler):
    state: _State
    server_version = "ScriptedLLM/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the benchmark's output clean."""

    def _json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, message: str) -> None:
        self._json(status, {"error": {"message": message, "type": "invalid_request_error"}})

    def do_GET(self) -> None:
        """List the one model."""
        if self.path.rstrip("/").endswith("/models"):
            model = {"id": self.state.model, "object": "model", "created": 0, "owned_by": "llmorch"}
            self._json(200, {"object": "list", "data": [model]})
        else:
            self._error(404, f"no route {self.path}")

    def do_POST(self) -> None:
        """Answer a chat completion from the script, after the simulated latency."""
        received, state = time.time(), self.state
        if not self.path.rstrip("/").endswith("/chat/completions"):  # base_url + this path
            self._error(404, f"no route {self.path}")
            return
        try:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            messages = [{**m, "content": _text(m.get("content"))} for m in body["messages"]]
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            self._error(400, f"bad request: {err}")
            return
        exchange = _Exchange(body, messages, received)
        info = RequestInfo(self.headers.get(HEADER_REQUEST), self.headers.get(HEADER_CALL))
        token = _CURRENT.set(info)
        try:
            reply = exchange.reply = state.reply_for(messages)
        except Exception as err:
            with state.lock:
                state.requests.append(exchange.record())
            self._error(400, f"scripted LLM failed: {type(err).__name__}: {err}")
            return
        finally:
            _CURRENT.reset(token)
        rid = next(state.ids)
        content = reply if isinstance(reply, str) else str(reply.get("content") or "")
        calls = _tool_calls(reply, rid)
        exchange.completion_tokens = completion_tokens(reply)
        key = state.latency_key(messages, reply)
        exchange.latency = state.latency.llm_latency(key, exchange.completion_tokens)
        head = {"id": f"chatcmpl-{rid}", "created": int(received), "model": state.model}
        prompt, completion = exchange.prompt_tokens, exchange.completion_tokens
        usage = {"prompt_tokens": prompt, "completion_tokens": completion}
        usage["total_tokens"] = prompt + completion
        finish = "tool_calls" if calls else "stop"
        if body.get("stream"):
            first = state.latency.first_token_latency(key)
            options = body.get("stream_options") or {}
            self._stream(head, content, calls, finish, (first, exchange.latency))
            if options.get("include_usage"):
                self._event({**head, "choices": [], "usage": usage})
            self._recorded(exchange)  # before the last bytes: a client that has the reply sees it
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
        else:
            time.sleep(exchange.latency)
            message: dict[str, Any] = {"role": "assistant", "content": content or None}
            if calls:
                message["tool_calls"] = calls
            choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": finish}
            reply_body = {**head, "object": "chat.completion", "choices": [choice], "usage": usage}
            self._recorded(exchange)
            self._json(200, reply_body)

    def _recorded(self, exchange: _Exchange) -> None:
        with self.state.lock:
            self.state.requests.append(exchange.record())

    def _stream(
        self,
        head: dict[str, Any],
        content: str,
        calls: list[dict[str, Any]],
        finish: str,
        timing: tuple[float, float],
    ) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        deltas = stream_deltas(content, calls, *timing)
        begin = time.perf_counter()
        for i, (delta, at) in enumerate(deltas):
            # Deadlines from the start, so the chunks' sleeps do not add up to more than `total`.
            time.sleep(max(0.0, begin + at - time.perf_counter()))
            last = i == len(deltas) - 1
            choice = {"index": 0, "delta": delta, "logprobs": None}
            self._event(
                {**head, "choices": [{**choice, "finish_reason": finish if last else None}]}
            )

    def _event(self, chunk: dict[str, Any]) -> None:
        body = {**chunk, "object": "chat.completion.chunk"}
        self.wfile.write(b"data: " + json.dumps(body).encode() + b"\n\n")
        self.wfile.flush()
