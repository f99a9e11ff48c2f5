import langchain_llmorch

EXPECTED_ALL = [
    "FRG",
    "Call",
    "LLMOrchAgentExecutor",
    "LLMOrchError",
    "LLMOrchMiddleware",
    "Orchestrator",
    "Plan",
    "PlanSyntaxError",
    "PlanValidationError",
    "RunResult",
    "StreamEvent",
    "TraceRecord",
    "__version__",
    "build_frg",
    "build_llmorch_graph",
    "compute",
    "create_llmorch_agent",
    "inout",
    "parse_plan",
]


def test_all_pins_the_public_api() -> None:
    assert sorted(langchain_llmorch.__all__) == sorted(EXPECTED_ALL)
    for name in EXPECTED_ALL:
        assert hasattr(langchain_llmorch, name)


def test_plan_errors_share_one_base() -> None:
    assert issubclass(langchain_llmorch.PlanSyntaxError, langchain_llmorch.LLMOrchError)
    assert issubclass(langchain_llmorch.PlanValidationError, langchain_llmorch.LLMOrchError)
