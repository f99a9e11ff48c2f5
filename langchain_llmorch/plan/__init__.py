"""The plan stage: plan text (or a structured plan) in, a validated FRG out.

`language` parses the plan language into a `Plan` (nothing is ever evaluated),
`expressions` holds the whitelisted value language, `schema` the JSON schema for
structured planning, and `frg` builds the Function-call Relation Graph.
"""

from langchain_llmorch.plan.frg import FRG, build_frg
from langchain_llmorch.plan.language import Call, Plan, parse_plan

__all__ = ["FRG", "Call", "Plan", "build_frg", "parse_plan"]
