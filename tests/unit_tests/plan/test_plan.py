import pytest

from langchain_llmorch import PlanSyntaxError, parse_plan
from langchain_llmorch.plan.language import BinOp, ListExpr, Ref, Template, evaluate
from tests.unit_tests.paper_plans import KITTI_PLAN, LLMCOMPILER_PLAN, SEO_PLAN


def test_llmorch_grammar_keyword_arguments_and_references() -> None:
    plan = parse_plan(SEO_PLAN)
    assert [c.id for c in plan] == ["s1", "s2", "s3", "s4", "s5"]
    s3 = plan.calls[2]
    assert s3.tool == "python"
    assert s3.kwargs == {"file": "seo.py", "argv": Ref("s1")}
    assert plan.calls[4].references() == ["s2", "s3", "s4"]


def test_llmcompiler_grammar_numbering_dollar_refs_thoughts_and_join() -> None:
    plan = parse_plan(LLMCOMPILER_PLAN)
    assert [c.id for c in plan] == ["1", "2", "3", "4", "5"]
    assert plan.calls[0].args == ("Texas",)
    assert plan.calls[0].thought == "I need the population and area of Texas."
    assert plan.calls[1].args[1] == ListExpr((Ref("1"),))
    assert plan.calls[3].references() == ["2", "3"]
    assert plan.calls[4].tool == "join"
    assert plan.calls[4].thought == "I can answer now."


def test_bare_dollar_references_outside_strings() -> None:
    plan = parse_plan("1. f(1)\n2. g($1, ${1} + 2)")
    assert plan.calls[1].args == (Ref("1"), BinOp("+", Ref("1"), 2))


def test_braces_interpolate_only_known_ids() -> None:
    plan = parse_plan('s1: f()\ns2: g(text="a {s1} b {s1.__class__} {other} {}")')
    (expr,) = plan.calls[1].kwargs.values()
    assert expr == Template(("a ", Ref("s1"), " b {s1.__class__} {other} {}"))


def test_values_numbers_lists_dicts_and_arithmetic() -> None:
    plan = parse_plan('s1: f(a=-1.5, b=[1, "x"], c={"k": 2 * 3}, d=None, e=True)')
    values = {k: evaluate(v, {}) for k, v in plan.calls[0].kwargs.items()}
    assert values == {"a": -1.5, "b": [1, "x"], "c": {"k": 6}, "d": None, "e": True}


def test_evaluate_keeps_structure_for_whole_references_and_text_inside_strings() -> None:
    plan = parse_plan('s1: f()\ns2: g(x=s1, y="got {s1}", z=s1 / 2, w=["$1"])')
    kwargs = plan.calls[1].kwargs
    results = {"s1": {"n": 4}}
    assert evaluate(kwargs["x"], results) == {"n": 4}
    assert evaluate(kwargs["y"], results) == 'got {"n": 4}'
    assert evaluate(kwargs["z"], {"s1": "8"}) == 4.0


def test_call_split_over_lines_is_joined() -> None:
    plan = parse_plan('s1: f(a=[1,\n  2],\n  b="x")\ns2: g()')
    assert plan.calls[0].kwargs["b"] == "x"
    assert plan.calls[1].line == 4


@pytest.mark.parametrize(
    ("text", "line", "column", "fragment"),
    [
        ('s1: f(x=__import__("os").system("ls"))', 1, 9, "call inside an argument"),
        ("s1: f(x=1)\ns2: f(x=s1.__class__)", 2, 9, "attribute access"),
        ("s1: f(x=1)\nthis is prose", 2, 1, "expected a call"),
        ("s1: f(x=(1", 1, 11, "never closed"),
        ("s1: f(x=lambda: 1)", 1, 9, "lambda"),
        ("s1: f(**{'a': 1})", 1, 9, "`**` is not allowed"),
        ("s1: f(x=1, x=2)", 1, 14, "given twice"),
        ("s1: 3 + 4", 1, 5, "expected `tool(...)`"),
        ("", 1, 1, "no calls"),
    ],
)
def test_syntax_errors_have_line_column_and_a_fix(
    text: str, line: int, column: int, fragment: str
) -> None:
    with pytest.raises(PlanSyntaxError) as info:
        parse_plan(text)
    err = info.value
    assert (err.line, err.column) == (line, column)
    assert fragment in err.message


def test_no_python_is_ever_executed(tmp_path: object) -> None:
    sneaky = 's1: f(x="{s1.__globals__}", y=open("/etc/passwd"))'
    with pytest.raises(PlanSyntaxError):
        parse_plan(sneaky)


def test_render_round_trips() -> None:
    plan = parse_plan(KITTI_PLAN)
    again = parse_plan(plan.render())
    assert [c.kwargs for c in again] == [c.kwargs for c in plan]


def test_result_text_of_an_integer_too_long_for_str() -> None:
    # Python refuses str() of an int over 4,300 digits; a tool may still return one
    # (a 50,000th Fibonacci number), and its text must not crash the run.
    from langchain_llmorch.plan.language import result_text

    huge = 7 * 10**5000 + 1
    assert result_text(huge) == "7.000000e+5000"
    assert result_text([1, {"n": huge}]) == '[1, {"n": "7.000000e+5000"}]'
    assert result_text(12) == "12"
