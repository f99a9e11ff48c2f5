"""A value written for a call that failed: `given_to_failed`.

"Port Ashby vs Tarrow Quay": the Ashby call failed, Tarrow Quay's fee was 44.0, and the
0.5B model wrote "The mooring fee of Ashby = 44.0 I could not get the mooring fee for
Ashby". Every number in it is a result, so the check for numbers nothing supports passes
it; but 44.0 is given to the subject whose call failed. A number written right after a
failed call's subject ("of Ashby = 44.0", "Ashby charges 44.0"), within a few words and
before any other subject or sentence end, is a value for that call: `agent.review`
holds it like a number nothing supports (sent back once, then the results speak).

Example:
    ```python
    from langchain_llmorch import parse_plan
    from langchain_llmorch.agent.failed_values import given_to_failed

    ashby, tarrow = parse_plan('s1: fee(marina="Ashby")\\ns2: fee(marina="Tarrow")').calls
    numeric = {"s2": (tarrow, 44.0)}
    said = "The fee of Ashby = 44.0. Tarrow's is 44.0 too."
    assert given_to_failed(said, {"s1": ashby}, numeric) == ["44.0"]
    assert given_to_failed("Tarrow costs 44.0; Ashby was not found.", {"s1": ashby}, numeric) == []
    assert given_to_failed("Ashby: error 404. Tarrow: 44.0.", {"s1": ashby}, numeric) == []
    ```
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from langchain_llmorch.agent.answer import mentions
from langchain_llmorch.agent.claims import subjects
from langchain_llmorch.agent.echoes import sentences
from langchain_llmorch.plan.language import Call

# A number within a few words after a subject: "of Ashby = 44.0", "Ashby charges 44.0".
_WINDOW = 32
_NUMBER = re.compile(r"(?<![\w.])-?\d[\d,]*(?:\.\d+)?(?![\w])")


def given_to_failed(
    answer: str, failed: Mapping[str, Call], numeric: Mapping[str, tuple[Call, float]]
) -> list[str]:
    """The results `answer` writes right after a failed call's subject (see the module).

    Only another call's result counts (`numeric`: the finished calls with a number, by
    id): a number nothing supports is found by `claims.unsupported_numbers`, and one
    from the error ("error 404") is no value.
    """
    others = {s for call, _ in numeric.values() for s in subjects(call)}
    values = [value for _, value in numeric.values()]
    found: list[str] = []
    for sentence in sentences(answer):
        lower = sentence.lower()
        for call in failed.values():
            for subject in subjects(call):
                if subject in others:
                    continue  # a finished call asked about it too: its value may follow
                for match in re.finditer(rf"(?<!\w){re.escape(subject)}(?!\w)", lower):
                    after = lower[match.end() : match.end() + _WINDOW]
                    number = _NUMBER.search(after)
                    if number is None:
                        continue
                    between = after[: number.start()]
                    if any(other in between for other in others):
                        continue  # the number is another subject's
                    written = number.group(0).rstrip(",")
                    if any(mentions(written, value) for value in values):
                        found.append(written)
    return list(dict.fromkeys(found))


__all__ = ["given_to_failed"]
