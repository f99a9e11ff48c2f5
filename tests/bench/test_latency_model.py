"""The latency model is deterministic per key, recorded, and validated."""

import asyncio

import pytest

from bench.workloads.latency import LatencyModel


def test_same_seed_and_key_give_the_same_latency_in_any_order() -> None:
    a, b = LatencyModel(seed=3), LatencyModel(seed=3)
    first = [a.search_latency(k) for k in ("x", "y", "z")]
    second = [b.search_latency(k) for k in ("z", "y", "x")][::-1]
    assert first == second
    assert a.llm_latency("reply", 10) == b.llm_latency("reply", 10)


def test_keys_and_seeds_change_the_draw() -> None:
    model = LatencyModel(seed=0)
    assert model.search_latency("Texas") != model.search_latency("Florida")
    assert model.search_latency("Texas") != LatencyModel(seed=1).search_latency("Texas")


def test_draws_stay_inside_the_jitter_band() -> None:
    model = LatencyModel(search_mean=1.0, search_jitter=0.3, ttft=0.5, llm_jitter=0.2)
    for i in range(200):
        assert 0.7 <= model.search_latency(str(i)) <= 1.3
        assert 0.4 <= model.llm_latency(str(i), 0) <= 0.6


def test_llm_latency_is_first_token_plus_tokens() -> None:
    model = LatencyModel(ttft=0.5, per_token=0.01, llm_jitter=0.0)
    assert model.llm_latency("k", 100) == pytest.approx(1.5)
    assert model.first_token_latency("k") == pytest.approx(0.5)


def test_scale_zero_turns_latency_off_and_draws_are_recorded() -> None:
    model = LatencyModel(scale=0.0)
    assert asyncio.run(model.asleep_search("x")) == 0.0
    assert model.sleep_search("y") == 0.0
    assert model.llm_latency("z", 1000) == 0.0
    assert [(d.kind, d.key) for d in model.draws] == [
        ("search", "x"),
        ("search", "y"),
        ("llm", "z"),
    ]
    assert model.total() == 0.0


def test_total_sums_one_kind() -> None:
    model = LatencyModel(search_mean=1.0, search_jitter=0.0, ttft=2.0, llm_jitter=0.0)
    model.search_latency("a")
    model.search_latency("b")
    model.llm_latency("c", 0)
    assert model.total("search") == pytest.approx(2.0)
    assert model.total() == pytest.approx(4.0)


@pytest.mark.parametrize(
    "kwargs", [{"ttft": -1.0}, {"scale": -0.1}, {"search_jitter": 1.5}, {"llm_jitter": -0.1}]
)
def test_invalid_settings_are_rejected(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=r"latenc|jitter"):
        LatencyModel(**kwargs)  # type: ignore[arg-type]
