"""Exceptions raised by langchain-llmorch.

Every error the library raises on purpose derives from `LLMOrchError`, so one
`except LLMOrchError` catches them all. Messages for plan errors are written
for an LLM to read: they say what is wrong *and* what to write instead.
"""

from __future__ import annotations

from dataclasses import dataclass


class LLMOrchError(Exception):
    """Base class of every error raised by langchain-llmorch."""


class MissingExtraError(LLMOrchError, ImportError):
    """An optional part of the package needs packages that are not installed.

    The message names the `pip install` line that brings them (an extra of
    `langchain-llmorch`). It is an `ImportError` too, so `except ImportError` still works.

    Example:
        ```python
        from langchain_llmorch.errors import MissingExtraError

        try:
            from langchain_llmorch.viz import gantt
        except MissingExtraError as err:
            print(err)  # ... pip install "langchain-llmorch[bench]"
        ```
    """


class PlanSyntaxError(LLMOrchError):
    """A plan's text does not follow the plan language.

    Attributes:
        line: 1-based line of the plan where the problem is.
        column: 1-based column on that line.
        message: what is wrong and how to fix it.
        text: the offending line, when known.

    Example:
        ```python
        from langchain_llmorch import parse_plan, PlanSyntaxError

        try:
            parse_plan("s1: search(query=")
        except PlanSyntaxError as err:
            print(err.line, err.column, err.message)
        ```
    """

    def __init__(self, message: str, *, line: int = 1, column: int = 1, text: str = "") -> None:
        self.message = message
        self.line = line
        self.column = column
        self.text = text
        super().__init__(f"line {line}, column {column}: {message}")


@dataclass(frozen=True)
class PlanProblem:
    """One problem found while validating a plan."""

    call_id: str | None
    """The call the problem belongs to (`None` for problems of the whole plan)."""
    message: str
    """What is wrong and how to fix it."""
    line: int | None = None
    """1-based plan line of the call, when known."""

    def __str__(self) -> str:
        """Render as `line N (s3): message`."""
        where = f"line {self.line} " if self.line is not None else ""
        who = f"({self.call_id}): " if self.call_id else ""
        return f"{where}{who}{self.message}".strip()


class PlanValidationError(LLMOrchError):
    """A plan parses but cannot run: every problem found is in `problems`.

    Example:
        ```python
        from langchain_llmorch import build_frg, parse_plan, PlanValidationError

        try:
            build_frg(parse_plan("s1: nope(x=s2)"), tools=[])
        except PlanValidationError as err:
            for problem in err.problems:
                print(problem)
        ```
    """

    def __init__(self, problems: list[PlanProblem]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"- {p}" for p in self.problems)
        super().__init__(f"the plan has {len(self.problems)} problem(s):\n{lines}")


class CallFailedError(LLMOrchError):
    """A tool call raised; the original exception is chained as `__cause__`."""

    def __init__(self, call_id: str, tool: str, message: str) -> None:
        self.call_id = call_id
        self.tool = tool
        super().__init__(f"{call_id} ({tool}) failed: {message}")


class WorkerCrashedError(LLMOrchError):
    """The worker process running a compute call died (segfault, `os._exit`, OOM kill)."""


class CallTimeoutError(LLMOrchError):
    """A call ran past `call_timeout` and was killed with its worker."""


class UnpicklableCallError(LLMOrchError):
    """A compute call's function or arguments could not be sent to a worker process."""


class BrokenPoolError(LLMOrchError):
    """The worker pool could not be started or was shut down."""


class DependencyFailedError(LLMOrchError):
    """A call did not run because a call it depends on failed."""


class RecoveryExhaustedError(LLMOrchError):
    """The agent used every repair attempt and still has failures."""


class OptionValueError(LLMOrchError, ValueError):
    """An option of the agent, the executor or the engine is out of range or conflicts.

    Also a `ValueError`, so code that caught the untyped error keeps working.
    """


class OptionTypeError(LLMOrchError, TypeError):
    """An option has the wrong type, or does not exist. Also a `TypeError`."""


class ToolDefinitionError(LLMOrchError, ValueError):
    """The tools given cannot be told apart or would be shadowed by a built-in tool.

    Two tools share a name, a tool is named like a built-in (`self`, `join`), or a
    function cannot be made a tool. Also a `ValueError`.

    Example:
        ```python
        from langchain_llmorch.errors import ToolDefinitionError
        from langchain_llmorch.tools import tools_by_name

        def join(text: str) -> str:
            \"\"\"Join words.\"\"\"
            return text

        try:
            tools_by_name([join])
        except ToolDefinitionError as err:
            print(err)  # a tool is named 'join', the name of the plan's built-in ...
        ```
    """


class ToolTypeError(LLMOrchError, TypeError):
    """Something given as a tool is neither a LangChain tool nor a function. Also a `TypeError`.

    Example:
        ```python
        from langchain_llmorch.errors import ToolTypeError
        from langchain_llmorch.tools import tools_by_name

        try:
            tools_by_name(["not a tool"])
        except ToolTypeError as err:
            print(err)  # tools[0] is a str ('not a tool'), not a tool ...
        ```
    """
