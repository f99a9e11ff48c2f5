import random

from langchain_llmorch import build_frg, compute, parse_plan
from langchain_llmorch.engine.scheduling import DurationModel, choose_order, lower_bound, simulate


@compute
def work(n: int = 0) -> int:
    """Busy work."""
    return n


def random_plan(rng: random.Random, size: int) -> tuple[str, dict[str, float]]:
    lines, durations = [], {}
    for i in range(1, size + 1):
        parents = [f"s{j}" for j in range(1, i) if rng.random() < 0.2]
        arg = f"n=[{', '.join(parents)}]" if parents else "n=0"
        lines.append(f"s{i}: work({arg})")
        durations[f"s{i}"] = rng.choice([1.0, 1.0, 2.0, 3.0, 5.0])
    return "\n".join(lines), durations


def test_choice_never_worse_than_fifo_and_never_below_the_lower_bound() -> None:
    rng = random.Random(7)
    for _ in range(30):
        text, durations = random_plan(rng, rng.randint(4, 14))
        frg = build_frg(parse_plan(text), [work])
        choice = choose_order(frg, durations, processors=2)
        assert choice.makespan <= choice.candidates["fifo"]
        assert choice.makespan >= choice.lower_bound - 1e-9


def test_simulation_of_eight_equal_calls_on_two_processors() -> None:
    frg = build_frg(parse_plan("\n".join(f"s{i}: work()" for i in range(8))), [work])
    durations = dict.fromkeys(frg.calls, 1.0)
    fifo = {c: float(i) for i, c in enumerate(frg.calls)}
    assert simulate(frg, durations, 2, fifo) == 4.0
    assert lower_bound(frg, durations, 2) == 4.0


def test_critical_path_first_beats_fifo_on_a_long_chain() -> None:
    # s0, s1 are short and listed first; s2 starts a long chain. FIFO wastes a processor.
    text = "s0: work()\ns1: work()\ns2: work()\ns3: work(n=s2)\ns4: work(n=s3)"
    frg = build_frg(parse_plan(text), [work])
    durations = {"s0": 1.0, "s1": 1.0, "s2": 1.0, "s3": 1.0, "s4": 1.0}
    choice = choose_order(frg, durations, processors=2)
    assert choice.candidates["fifo"] == 4.0
    assert choice.makespan == 3.0
    assert choice.priority["s2"] < choice.priority["s0"]


def test_duration_model_learns_a_moving_average() -> None:
    model = DurationModel()
    assert model.estimate("t", "compute") == 1.0
    model.observe("t", 2.0)
    model.observe("t", 4.0)
    assert 2.0 < model.estimate("t", "compute") < 4.0


def test_no_simulation_when_every_compute_call_gets_a_processor() -> None:
    frg = build_frg(parse_plan("s1: work()\ns2: work(n=s1)\ns3: work()"), [work])
    choice = choose_order(frg, {"s1": 1.0, "s2": 2.0, "s3": 1.0}, processors=3)
    assert choice.name == "fifo"
    assert choice.candidates == {"fifo": 3.0}  # the critical path s1 -> s2
    assert choice.makespan == choice.lower_bound == 3.0


def test_the_search_stops_at_an_order_that_reaches_the_lower_bound() -> None:
    frg = build_frg(parse_plan("\n".join(f"s{i}: work()" for i in range(6))), [work])
    choice = choose_order(frg, dict.fromkeys(frg.calls, 1.0), processors=2)
    assert choice.candidates == {"fifo": 3.0}  # FIFO is optimal: nothing else simulated


def test_perturbed_orders_are_capped_by_the_number_of_compute_calls() -> None:
    rng = random.Random(3)
    for _ in range(20):
        text, durations = random_plan(rng, rng.randint(4, 9))
        frg = build_frg(parse_plan(text), [work])
        choice = choose_order(frg, durations, processors=2)
        perturbed = [n for n in choice.candidates if n.startswith("perturbed")]
        assert len(perturbed) <= 2 * len(frg.calls)
        assert choice.makespan <= choice.candidates["fifo"]
        assert choice.makespan >= choice.lower_bound - 1e-9
