"""Draw an FRG as Mermaid flowchart text: calls, data edges (R1) and order edges.

Mermaid renders on GitHub, in many Markdown viewers and in notebooks; the text needs no
package to make. Data edges are solid arrows; order edges (consecutive calls of an
`ordered` tool) are dashed arrows labelled `order`. Each call's box names its tool, its
kind and what it holds while it runs (`gpu=1`, `tool:search`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from langchain_llmorch.plan.frg import FRG


def _label(frg: FRG, cid: str) -> str:
    parts = [f"{cid}: {frg.calls[cid].tool}", frg.kind(cid)]
    held = [
        name if name.startswith("tool:") else f"{name}={amount:g}"
        for name, amount in frg.demand(cid).items()
    ]
    if frg.order_predecessor(cid) is not None or frg.order_successor(cid) is not None:
        held.append("ordered")
    if held:
        parts.append(", ".join(held))
    text = "<br/>".join(parts)
    return text.replace('"', "#quot;")


def frg_mermaid(frg: FRG) -> str:
    """The FRG as a Mermaid flowchart (`flowchart TD`), calls in plan order.

    Example:
        ```python
        from langchain_llmorch import build_frg, inout, parse_plan
        from langchain_llmorch.plan.drawing import frg_mermaid

        @inout(ordered=True)
        def write(text: str) -> str:
            \"\"\"Append a line to the log.\"\"\"
            return text

        frg = build_frg(parse_plan('s1: write(text="a")\\ns2: write(text="b")'), [write])
        assert "s1 -. order .-> s2" in frg_mermaid(frg)
        ```
    """
    lines = ["flowchart TD"]
    lines += [f'    {cid}["{_label(frg, cid)}"]' for cid in frg.calls]
    position = {cid: i for i, cid in enumerate(frg.calls)}

    def key(edge: tuple[str, str]) -> tuple[int, int]:
        return position[edge[0]], position[edge[1]]

    lines += [f"    {a} --> {b}" for a, b in sorted(frg.data_edges, key=key)]
    lines += [f"    {a} -. order .-> {b}" for a, b in sorted(frg.order_edges, key=key)]
    return "\n".join(lines) + "\n"


__all__ = ["frg_mermaid"]
