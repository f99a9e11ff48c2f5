import pytest
from pydantic import ValidationError

from langchain_llmorch import build_frg, parse_plan
from langchain_llmorch.plan.schema import plan_schema, structured_plan_text
from tests.unit_tests.paper_plans import SEO_TOOLS


def test_schema_names_only_the_given_tools_and_their_arguments() -> None:
    schema = plan_schema(SEO_TOOLS)
    good = schema.model_validate(
        {
            "steps": [
                {"id": "s1", "tool": "search", "args": {"query": "openai.com"}},
                {"id": "s2", "tool": "python", "args": {"file": "seo.py", "argv": "{s1}"}},
                {"id": "s3", "tool": "self", "args": {"prompt": "Summarize {s2}"}},
            ]
        }
    )
    text = structured_plan_text(good)
    assert text.splitlines() == [
        's1: search(query="openai.com")',
        's2: python(file="seo.py", argv=s1)',
        's3: self(prompt="Summarize {s2}")',
    ]
    frg = build_frg(parse_plan(text), SEO_TOOLS)
    assert frg.data_edges == {("s1", "s2"), ("s2", "s3")}


@pytest.mark.parametrize(
    "step",
    [
        {"id": "s1", "tool": "nosuch", "args": {}},
        {"id": "s1", "tool": "search", "args": {"q": "x"}},
        {"id": "1", "tool": "search", "args": {"query": "x"}},
        {"id": "s1", "tool": "search", "args": {"query": "x" * 1000}},
    ],
)
def test_schema_rejects_unknown_tools_arguments_ids_and_runaway_strings(step: dict) -> None:
    with pytest.raises(ValidationError):
        plan_schema(SEO_TOOLS).model_validate({"steps": [step]})


def test_json_schema_ties_arguments_to_each_tool() -> None:
    schema = plan_schema(SEO_TOOLS).model_json_schema()
    defs = schema["$defs"]
    assert defs["search_step"]["properties"]["tool"]["const"] == "search"
    assert set(defs["python_args"]["properties"]) == {"file", "argv"}
    assert defs["python_args"]["additionalProperties"] is False
