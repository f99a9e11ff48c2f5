"""Plan text into raw calls: the line splitter, and `$N` references masked for `ast`.

Linear in the text: a call spanning many lines is scanned once, visiting only its
brackets, quotes and backslashes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from langchain_llmorch.errors import PlanSyntaxError

_CALL_LINE = re.compile(
    r"^\s*(?:(?P<num>\d+)\s*[.:)]|(?P<id>[A-Za-z_][A-Za-z0-9_]*)\s*:(?!=))\s*(?P<expr>.*)$"
)
_THOUGHT = re.compile(r"^\s*Thought\s*:\s*(?P<text>.*)$", re.IGNORECASE)
_IGNORED = re.compile(r"^\s*(?:#.*|<END_OF_PLAN>|```\w*|Plan:?|Action:?)\s*$")
_DOLLAR = re.compile(r"\$\{(\d+)\}|\$(\d+)")
REF_PREFIX = "__llmorch_ref_"
FIX_FORMAT = "Write one call per line as `s1: tool_name(argument_name=value, ...)`."


@dataclass
class RawCall:
    """One call's text as found in the plan, before it is parsed."""

    id: str
    line: int
    column: int
    text: str
    thought: str | None


_BRACKET_CHARS = re.compile(r"[()\[\]{}\"'\\]")


@dataclass
class _Brackets:
    """Open brackets and the open quote, carried from line to line of one call."""

    depth: int = 0
    quote: str = ""

    def scan(self, text: str) -> int:
        """Update with `text` (only its brackets, quotes and backslashes are visited)."""
        skip = -1
        for m in _BRACKET_CHARS.finditer(text):
            pos, ch = m.start(), m[0]
            if pos == skip:
                continue
            if self.quote:
                if ch == "\\":
                    skip = pos + 1
                elif ch == self.quote:
                    self.quote = ""
            elif ch in "\"'":
                self.quote = ch
            elif ch in "([{":
                self.depth += 1
            elif ch in ")]}":
                self.depth -= 1
        return self.depth


def call_is_closed(line: str) -> bool:
    """Whether `line` is one call, `id: tool(...)`, written out to its closing `)`.

    Example:
        ```python
        assert call_is_closed('s1: search(query="a (b)")')
        assert not call_is_closed('s1: search(query="a)')
        assert not call_is_closed("Thought: search(x)")  # a thought, however it ends
        ```
    """
    text = line.rstrip()
    if not text.endswith(")") or not _CALL_LINE.match(text) or _THOUGHT.match(text):
        return False
    brackets = _Brackets()
    return brackets.scan(text) == 0 and not brackets.quote


def split_calls(text: str) -> list[RawCall]:
    """The calls of a plan, each with its line, its `Thought:` and its (joined) text.

    Raises:
        PlanSyntaxError: a line that is not a call, or a bracket never closed.
    """
    lines = text.splitlines()
    raw: list[RawCall] = []
    thought: str | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.strip() or _IGNORED.match(line):
            continue
        if m := _THOUGHT.match(line):
            thought = m["text"].strip() or None
            continue
        m = _CALL_LINE.match(line)
        if m is None:
            msg = f"expected a call here, found {line.strip()[:60]!r}. {FIX_FORMAT}"
            raise PlanSyntaxError(msg, line=i, column=len(line) - len(line.lstrip()) + 1, text=line)
        start, body = i, [m["expr"]]
        brackets = _Brackets()
        # A call may continue over several lines while brackets are open.
        while (
            brackets.scan(body[-1]) > 0
            and i < len(lines)
            and not _CALL_LINE.match(lines[i])
            and not _THOUGHT.match(lines[i])
        ):
            body.append(lines[i])
            i += 1
        if brackets.depth > 0:
            msg = "a bracket is opened and never closed; end the call with `)` on its line"
            raise PlanSyntaxError(msg, line=start, column=len(line.rstrip()) + 1, text=line[:200])
        call_id = m["num"] if m["num"] is not None else m["id"]
        text_ = "\n".join(body).strip()
        raw.append(RawCall(call_id, start, m.start("expr") + 1, text_, thought))
        thought = None
    return raw


_MASKABLE = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|\$\{(\d+)\}|\$(\d+)")


def mask_dollar_refs(text: str) -> str:
    """Replace `$1`/`${1}` outside string literals by identifiers Python can parse."""
    if "$" not in text:
        return text

    def mask(m: re.Match[str]) -> str:
        number = m[1] or m[2]
        return m[0] if number is None else REF_PREFIX + number

    return _MASKABLE.sub(mask, text)
