"""Put-right edits of an answer's text: `spliced`.

The answer checks put a claim right in place ("$145" as "145 euros", "410 + 96 = 410" as
"... = 506", "3120 meters higher" as "355 meters higher", "per ticket" as "for 5 tickets"):
each finds the spans to replace in the text as it was, and `spliced` writes them all.

Example:
    ```python
    from langchain_llmorch.agent.edits import spliced

    assert spliced("a 24-pound dog, $145", [(2, 4, "11"), (16, 20, "145 euros")]) == (
        "a 11-pound dog, 145 euros"
    )
    ```
"""

from __future__ import annotations

from collections.abc import Iterable


def spliced(text: str, edits: Iterable[tuple[int, int, str]]) -> str:
    """`text` with each (start, end, replacement) written in, spans as in `text` itself.

    The spans must not overlap; they are written from the last to the first, so each
    one's place is still where it was found.
    """
    out = text
    for start, end, replacement in sorted(edits, key=lambda edit: -edit[0]):
        out = f"{out[:start]}{replacement}{out[end:]}"
    return out


__all__ = ["spliced"]
