"""The engine benchmark's agent measures: 6 CPU-bound calls and the fixed invoke overhead."""

from bench.engine import EngineReport, agent_measures


def test_agent_measures_run_six_calls_and_time_the_overhead() -> None:
    calls, agent_ms, engine_ms = agent_measures(2_000, 2, repeats=2)
    # Six calls on two processors take at least three call times (tiny calls: much more).
    assert calls >= 3.0 * 0.9
    assert agent_ms > 0.0
    assert engine_ms > 0.0


def test_the_table_reports_the_agent_rows_against_their_goals() -> None:
    report = EngineReport(
        processors=2,
        call_seconds=0.5,
        eight_calls_ratio=1.01,
        create_agent_calls=6.1,
        llmorch_calls=3.1,
        inout_overhead_ms=0.2,
        compute_overhead_ms=1.0,
        plan_1000_seconds=0.1,
        agent_calls=3.3,
        agent_overhead_ms=12.5,
        engine_overhead_ms=8.0,
    )
    table = report.table()
    row = next(line for line in table.splitlines() if "through the agent" in line)
    assert "3.30 (1.100x ideal)" in row
    assert "<= 3.36 (1.12x)" in row
    overhead = next(line for line in table.splitlines() if "fixed overhead" in line)
    assert "12.5 ms (engine alone 8.0 ms)" in overhead
