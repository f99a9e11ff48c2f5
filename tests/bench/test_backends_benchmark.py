"""The backends benchmark measures and tabulates (structure only, no timings asserted)."""

from __future__ import annotations

from bench.backends import BackendTiming, main, table


def test_table_has_a_row_per_backend_and_ratios_against_local() -> None:
    timings = [
        BackendTiming("local", 2, 0.3, 10.0, 1.0, 0.5),
        BackendTiming("ray", 2, 9.0, 300.0, 4.0, 3.0),
    ]
    lines = table(timings, calls=200).splitlines()
    assert len(lines) == 4
    assert lines[2].startswith("| local |")
    assert lines[3].startswith("| ray |")
    assert lines[3].endswith("| 4.0x |")
    assert "chain of 200" in lines[0]


def test_main_measures_the_local_pool_and_prints_the_table(capsys) -> None:
    (timing,) = main(["--backends", "local", "--processors", "2", "--calls", "4", "--repeats", "1"])
    assert (timing.backend, timing.processors) == ("local", 2)
    assert min(timing.startup_s, timing.first_calls_ms, timing.chain_ms, timing.flat_ms) > 0
    out = capsys.readouterr().out
    assert "load average" in out
    assert "| local |" in out
