from bench import scale


def test_the_scale_benchmark_reports_every_goal_at_a_small_size() -> None:
    measures = scale.run_all(calls=30, inout_calls=20, lines=30)
    goals = [m for m in measures if m.goal is not None]
    assert [m.unit for m in goals] == ["s", "MB", "s", "ms", "ms"]
    assert all(m.value == m.value for m in measures)  # no NaN
    assert measures[1].value > 0  # memory was traced
    assert "MISSED" in str(scale.Measure("x", 2.0, "s", 1.0))
    assert "ok" in str(scale.Measure("x", 0.5, "s", 1.0))
