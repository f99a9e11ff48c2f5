"""Mutation testing of the core modules with mutmut, one group of modules at a time.

Each group mutates a few modules and runs only the tests that hold them (mutmut then
runs, for each mutant, the tests of that subset that reach the mutated function), so
a mutant costs seconds, not the whole suite. Every group works in its own copy of the
project under `.mutation/<group>/`; results stay there, so a second run only tests
what is new.

    python scripts/mutation.py                 # every group
    python scripts/mutation.py plan engine     # some groups
    python scripts/mutation.py plan --only 'langchain_llmorch.plan.limits*'
    python scripts/mutation.py processes --sample 10 processes/slots.py=40 --seed 1
    python scripts/mutation.py --report        # the scores of the last runs

`--sample` runs a seeded random sample of each module's mutants (for groups whose tests
are too slow to run every mutant); `--report` then gives each score with its 95% (Wilson)
interval. Run by hand (`make mutation`), not in CI: the full run takes hours on two cores.
Scores and the surviving mutants judged equivalent are in docs/mutation.md.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".mutation"
PKG = "langchain_llmorch"

# Tests that are not about the mutated code, or that mutmut's trampolines disturb
# (a GeneratorExit raised by a tool is caught by the trampoline's generator handling).
_DESELECT = [
    "tests/unit_tests/engine/test_inout_faults.py::test_a_base_exception_from_a_tool_fails_only_its_call",
    "tests/unit_tests/engine/test_machine_bound.py",
    "tests/unit_tests/engine/test_scale_benchmark.py",
]

_INOUT_FAULTS_IN_PROCESS = (  # test_inout_faults.py without the scripts run in a subprocess
    "test_a_timed_out_sync_call_fails_typed_and_the_pool_goes_on",
    "test_the_pool_bounds_the_threads_a_stuck_call_may_hold",
    "test_a_base_exception_from_an_async_tool_fails_only_its_call_in_arun",
    "test_a_timed_out_async_call_fails_with_call_timeout_error",
    "test_a_tools_own_timeout_error_is_not_a_call_timeout",
    "test_doubling_results_fail_one_call_and_keep_the_finished_ones",
    "test_the_calls_of_one_run_share_a_value_budget",
    "test_a_deep_result_put_into_text_fails_only_that_call",
    "test_any_failure_while_filling_arguments_is_the_calls_error",
    "test_a_missing_result_is_still_a_dependency_failure",
)

GROUPS: dict[str, tuple[list[str], list[str]]] = {
    # group: (modules to mutate, tests that hold them)
    "plan": (
        [
            "plan/limits.py",
            "plan/frg.py",
            "plan/expressions.py",
            "plan/binding.py",
            "plan/language.py",
            "plan/lines.py",
            "plan/replies.py",
        ],
        ["tests/unit_tests/plan"],
    ),
    "schema": (["plan/schema.py"], ["tests/unit_tests/plan"]),
    "engine": (
        ["engine/_coordinator.py", "engine/policies.py", "engine/events.py"],
        [
            "tests/unit_tests/engine/test_coordinator_properties.py",
            "tests/unit_tests/engine/test_coordinator_timing.py",
            "tests/unit_tests/engine/test_scheduling.py",
            "tests/unit_tests/engine/test_orchestrator.py",
            "tests/unit_tests/engine/test_coordinator_mutants.py",
            "tests/unit_tests/engine/test_events_mutants.py",
            # the runner's slot limit, which the coordinator passes on
            (
                "tests/unit_tests/engine/test_calls_mutants.py::"
                "test_in_process_compute_calls_keep_to_the_orchestrators_processors"
            ),
        ],
    ),
    "orchestrator": (  # the public engine object, admission of resources, the result cache
        ["engine/orchestrator.py", "engine/admission.py", "engine/cache.py"],
        [
            "tests/unit_tests/engine/test_orchestrator.py",
            "tests/unit_tests/engine/test_resources.py",
            "tests/unit_tests/engine/test_resource_scheduling.py",
            "tests/unit_tests/engine/test_cache.py",
            "tests/unit_tests/engine/test_cache_agent.py",
            # not the Redis test: it starts the server with scripts/services.sh, which
            # the group's copy lacks (its error failed the whole stats run)
            "tests/unit_tests/engine/test_cache_backends.py::test_sqlite_clear_cache_by_tool",
            (
                "tests/unit_tests/engine/test_cache_backends.py::"
                "test_a_second_process_takes_the_first_ones_results_from_sqlite"
            ),
            "tests/unit_tests/engine/test_orchestrator_mutants.py",
            "tests/unit_tests/engine/test_admission_mutants.py",
            "tests/unit_tests/engine/test_cache_mutants.py",
        ],
    ),
    "scheduling": (
        ["engine/scheduling.py"],
        [
            "tests/unit_tests/engine/test_scheduling.py",
            "tests/unit_tests/engine/test_resource_scheduling.py",
            "tests/unit_tests/engine/test_scheduling_mutants.py",
            "tests/unit_tests/engine/test_scheduling_mutants2.py",
        ],
    ),
    "calls": (
        ["engine/calls.py", "engine/tool_payload.py", "engine/backend.py", "engine/load.py"],
        [  # the engine tests, but not those that run a script in a subprocess: they reach
            # no mutated function in the test process, and a Ctrl-C sent to the script
            # hangs under mutmut's fork server (the stats run then fails)
            *(
                f"tests/unit_tests/engine/{name}"
                for name in (
                    "test_cache.py",
                    "test_cache_agent.py",
                    "test_coordinator_properties.py",
                    "test_coordinator_timing.py",
                    "test_direct_calls.py",
                    "test_resource_scheduling.py",
                    "test_resources.py",
                    "test_scheduling.py",
                    "test_calls_mutants.py",
                    "test_backend_mutants.py",
                    "test_load_mutants.py",
                )
            ),
            "tests/unit_tests/engine/test_cache_backends.py::test_sqlite_clear_cache_by_tool",
            *(
                f"tests/unit_tests/engine/test_inout_faults.py::{name}"
                for name in _INOUT_FAULTS_IN_PROCESS
            ),
            *(
                f"tests/unit_tests/engine/test_orchestrator.py::{name}"
                for name in (
                    "test_never_more_than_p_compute_calls_at_once",
                    "test_mutually_exclusive_calls_run_on_distinct_processors",
                    "test_inout_calls_overlap_while_compute_calls_hold_every_processor",
                    "test_results_flow_along_data_edges",
                    "test_a_ready_call_starts_before_an_unrelated_slow_call_ends",
                    "test_paper_policy_holds_later_sets_while_no_processor_is_spare",
                    "test_a_crashing_tool_fails_only_itself_and_its_dependants",
                    "test_a_raising_tool_keeps_its_exception_and_remote_traceback",
                    "test_a_hung_call_is_killed_at_the_timeout",
                    "test_an_unpicklable_argument_fails_only_its_call",
                    "test_kept_results_are_not_run_again",
                    "test_events_for_each_transition",
                    "test_cancelling_a_run_kills_its_running_calls",
                    "test_max_concurrency_bounds_inout_calls",
                    "test_tool_callbacks_fire_for_compute_calls_with_their_tags",
                    "test_respect_load_holds_compute_calls_while_other_programs_take_processors",
                    "test_respect_load_never_stalls_when_every_processor_is_taken",
                    "test_load_monitor_reads_a_non_negative_number_of_cores",
                    "test_orchestrators_share_their_inout_threads",
                )
            ),
        ],
    ),
    "paths": (  # the run's paths beside the coordinator: reuse, held calls, direct threads
        ["engine/reuse.py", "engine/gating.py", "engine/direct.py"],
        [
            "tests/unit_tests/engine/test_cache.py",
            "tests/unit_tests/engine/test_cache_agent.py",
            "tests/unit_tests/engine/test_resources.py",
            "tests/unit_tests/engine/test_resource_scheduling.py",
            "tests/unit_tests/engine/test_direct_calls.py",
            *(
                f"tests/unit_tests/engine/test_inout_faults.py::{name}"
                for name in _INOUT_FAULTS_IN_PROCESS
            ),
            "tests/unit_tests/engine/test_coordinator_properties.py",
            "tests/unit_tests/engine/test_coordinator_timing.py",
            "tests/unit_tests/engine/test_reuse_mutants.py",
            "tests/unit_tests/engine/test_gating_mutants.py",
            "tests/unit_tests/engine/test_direct_mutants.py",
        ],
    ),
    "processes": (
        [
            "processes/pool.py",
            "processes/slots.py",
            "processes/slot_files.py",
            "processes/cpus.py",
            "processes/records.py",
            "processes/warm.py",
            "processes/worker_main.py",
            "processes/handles.py",
            "processes/delivery.py",
            "processes/watchdog.py",
            "processes/call_queue.py",
        ],
        ["tests/unit_tests/processes"],
    ),
    "agent": (
        ["agent/recovery.py"],
        [
            "tests/unit_tests/agent/test_recovery.py",
            "tests/unit_tests/agent/test_recovery_properties.py",
        ],
    ),
    "durable": (
        ["agent/durable.py", "agent/durable_tasks.py"],
        [
            "tests/unit_tests/agent/test_durable.py",
            "tests/unit_tests/agent/test_durable_plan_changes.py",
            "tests/unit_tests/agent/test_durable_mutants.py",
            "tests/unit_tests/agent/test_durable_mutants2.py",
            "tests/unit_tests/agent/test_durable_interrupts.py",
            "tests/unit_tests/agent/test_durable_sync_interrupts.py",
            "tests/unit_tests/agent/test_durable_async_limits.py",
        ],
    ),
    "answer": (
        ["agent/answer.py", "agent/joiner.py", "agent/claims.py", "agent/comparisons.py"],
        [
            "tests/unit_tests/agent/test_joiner.py",
            "tests/unit_tests/agent/test_honest_answers.py",
            "tests/unit_tests/agent/test_claims_answers.py",
            "tests/unit_tests/agent/test_checks.py",
            "tests/unit_tests/agent/test_middleware_plan_first.py",
            "tests/unit_tests/test_docstring_examples.py",
            "tests/unit_tests/agent/test_answer_mutants.py",
            "tests/unit_tests/agent/test_answer_mutants2.py",
            "tests/unit_tests/agent/test_joiner_mutants.py",
            "tests/unit_tests/agent/test_claims_mutants.py",
            "tests/unit_tests/agent/test_claims_mutants2.py",
            "tests/unit_tests/agent/test_comparisons_mutants.py",
        ],
    ),
}

_KILLED = {1, 3, 36, 24, -24, 152, 255}  # killed, or timed out (an endless loop is caught)
_SURVIVED = {0}
_NO_TESTS = {5, 33}


def _toml_list(items: list[str]) -> str:
    return "[" + ", ".join(json.dumps(i) for i in items) + "]"


def prepare(group: str) -> Path:
    """Copy the package and the tests into `.mutation/<group>` with the group's config."""
    modules, tests = GROUPS[group]
    home = WORK / group
    home.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in (PKG, "tests"):
        shutil.rmtree(home / name, ignore_errors=True)
        shutil.copytree(ROOT / name, home / name, ignore=ignore)
    pyproject = (ROOT / "pyproject.toml").read_text()
    pyproject = re.sub(r"\n\[tool\.mutmut\][^\[]*", "\n", pyproject)
    tests = [t for t in tests if (ROOT / t.split("::")[0]).exists()]
    extra = ["-p", "no:cacheprovider", "--timeout=60"]
    for item in _DESELECT:
        extra += ["--deselect", item]
    pyproject += (
        "\n[tool.mutmut]\n"
        f'source_paths = ["{PKG}"]\n'
        f"only_mutate = {_toml_list([f'{PKG}/{m}' for m in modules])}\n"
        f"pytest_add_cli_args_test_selection = {_toml_list(tests)}\n"
        f"pytest_add_cli_args = {_toml_list(extra)}\n"
        'process_isolation = "forkserver"\n'
        "use_git_change_detection = false\n"
        "timeout_multiplier = 5.0\n"
        "timeout_constant = 10.0\n"
    )
    (home / "pyproject.toml").write_text(pyproject)
    return home


def _mutmut(home: Path, args: list[str], *, quiet: bool = False) -> int:
    """Run `mutmut <args>` in `home`, the slot group set apart from other work."""
    env = dict(os.environ)
    env.setdefault("LLMORCH_SLOT_GROUP", f"mutation-{home.name}")
    mutmut = Path(sys.executable).parent / "mutmut"
    print(f"== {home.name}: mutmut {' '.join(args)[:300]} (in {home})", flush=True)
    done = subprocess.run(  # noqa: S603
        [str(mutmut), *args],
        cwd=home,
        env=env,
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL if quiet else None,
    )
    return done.returncode


def run(group: str, only: list[str], children: int) -> None:
    """Mutate one group's modules and run its tests against every mutant."""
    home = prepare(group)
    (home / SAMPLE_FILE).unlink(missing_ok=True)  # the report counts every mutant again
    _mutmut(home, ["run", "--max-children", str(children), *only])


# A name no mutant has: `mutmut run` with it makes the mutants and collects which tests
# reach which function, then stops ("nothing matches") before testing any mutant.
_NO_MUTANT = "no-mutant-has-this-name"
SAMPLE_FILE = "sample.json"


def _meta(group: str, module: str) -> Path:
    return WORK / group / "mutants" / PKG / f"{module}.meta"


def _mutant_names(group: str, module: str) -> list[str]:
    meta = _meta(group, module)
    if not meta.exists():
        return []
    return sorted(json.loads(meta.read_text()).get("exit_code_by_key", {}))


def _exit_codes(group: str, module: str) -> dict[str, int | None]:
    meta = _meta(group, module)
    if not meta.exists():
        return {}
    codes: dict[str, int | None] = json.loads(meta.read_text()).get("exit_code_by_key", {})
    return codes


def sample_sizes(specs: list[str], modules: list[str]) -> dict[str, float]:
    """Per module, how many mutants to sample (a fraction when below 1), from the specs.

    A spec is `N` (every module), `F` (a fraction, 0 < F < 1, of every module) or
    `MODULE=N` / `MODULE=F` (one module, e.g. `processes/slots.py=40`; it wins over `N`).
    """
    sizes: dict[str, float] = {}
    default: float | None = None
    for spec in specs:
        name, _, value = spec.rpartition("=")
        try:
            size = float(value)
        except ValueError:
            size = -1.0
        if size <= 0 or (size >= 1 and not size.is_integer()):
            msg = f"--sample: {spec!r} is not N, a fraction below 1, or MODULE=N"
            raise SystemExit(msg)
        if not name:
            default = size
            continue
        found = [m for m in modules if m == name or m.endswith(f"/{name}")]
        if len(found) != 1:
            msg = f"--sample: {name!r} is not one module of the group ({', '.join(modules)})"
            raise SystemExit(msg)
        sizes[found[0]] = size
    return {m: sizes.get(m, default if default is not None else 0.0) for m in modules}


def choose_sample(names: list[str], size: float, seed: int, module: str) -> list[str]:
    """A seeded random choice of `size` of `names` (a fraction when below 1), in random order.

    Each module shuffles its mutants with its own generator (seeded by `seed` and the
    module's path) and takes the first `size`: a module's sample does not depend on the
    other modules or their sizes, and raising `size` only adds mutants to it.
    """
    count = math.ceil(size * len(names)) if size < 1 else int(size)
    order = sorted(names)
    random.Random(f"{seed}/{module}").shuffle(order)
    return order[:count]  # a larger size keeps the smaller one's mutants


def run_sample(group: str, specs: list[str], seed: int, children: int, batch: int) -> None:
    """Make the group's mutants, pick a seeded sample per module, and test only those.

    The sample is written to `.mutation/<group>/sample.json` (the report reads it). A
    second run with the same seed and sizes tests only the sampled mutants not checked yet,
    so an interrupted run resumes. With `batch`, mutmut is run on `batch` mutants at a time,
    taken in turn from each module's random order: a run stopped early still leaves every
    module a random sample (mutmut orders each call's mutants by their tests' speed).
    """
    modules = GROUPS[group][0]
    sizes = sample_sizes(specs, modules)
    home = WORK / group
    sample_path = home / SAMPLE_FILE
    old = json.loads(sample_path.read_text()) if sample_path.exists() else None
    resuming = old is not None and old.get("seed") == seed and (home / "mutants").exists()
    if not resuming:
        home = prepare(group)  # a fresh copy, unless resuming a sample of the same seed
    if not resuming or not all(_mutant_names(group, m) for m in modules):
        _mutmut(home, ["run", "--max-children", str(children), _NO_MUTANT], quiet=True)
        if not any(_mutant_names(group, m) for m in modules):
            msg = f"mutmut made no mutants in {home}; run `mutmut run` there to see why"
            raise SystemExit(msg)
    if resuming and old is not None and old.get("specs") == specs:  # the very same sample
        chosen = {m: entry["sample"] for m, entry in old["modules"].items()}
    else:
        chosen = {
            m: choose_sample(_mutant_names(group, m), size, seed, m)
            for m, size in sizes.items()
            if size > 0
        }
    sample = {
        "seed": seed,
        "specs": specs,
        "modules": {
            m: {"mutants": len(_mutant_names(group, m)), "sample": names}
            for m, names in chosen.items()
        },
    }
    sample_path.write_text(json.dumps(sample, indent=1))
    unchecked = {
        m: [n for n in names if _exit_codes(group, m).get(n) is None] for m, names in chosen.items()
    }
    order = [
        name
        for row in itertools.zip_longest(*unchecked.values())
        for name in row
        if name is not None
    ]
    print(
        f"== {group}: sample of {sum(map(len, chosen.values()))} mutants (seed {seed}), "
        f"{len(order)} not checked yet",
        flush=True,
    )
    step = batch if batch > 0 else max(len(order), 1)
    for start in range(0, len(order), step):
        _mutmut(home, ["run", "--max-children", str(children), *order[start : start + step]])


def wilson(killed: int, checked: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval (95% by default) of a proportion `killed / checked`."""
    if checked == 0:
        return 0.0, 1.0
    p = killed / checked
    centre = (p + z * z / (2 * checked)) / (1 + z * z / checked)
    half = z * math.sqrt(p * (1 - p) / checked + z * z / (4 * checked * checked))
    half /= 1 + z * z / checked
    return max(0.0, centre - half), min(1.0, centre + half)


def _status(code: int | None) -> str:
    if code in _KILLED:
        return "killed"
    if code in _SURVIVED:
        return "survived"
    if code in _NO_TESTS:
        return "no tests"
    return "not checked" if code is None else "other"


def scores(group: str) -> dict[str, dict[str, object]]:
    """Per module of `group`: killed, survived, untested mutants, the score, the survivors.

    When the group was run on a sample (`sample.json`), only the sampled mutants count;
    `sampled` and `interval` (the score's 95% Wilson interval, in percent) say so.
    """
    sample_path = WORK / group / SAMPLE_FILE
    sample = json.loads(sample_path.read_text()) if sample_path.exists() else None
    out: dict[str, dict[str, object]] = {}
    for module in GROUPS[group][0]:
        codes = _exit_codes(group, module)
        if not codes:
            continue
        entry: dict[str, object] = {"mutants": len(codes)}
        if sample is not None:
            if module not in sample["modules"]:
                continue
            names = sample["modules"][module]["sample"]
            codes = {n: codes.get(n) for n in names}
            entry["sampled"] = len(names)
            entry["seed"] = sample["seed"]
        counts = Counter(_status(c) for c in codes.values())
        checked = counts["killed"] + counts["survived"] + counts["no tests"]
        entry.update(counts)
        entry["score"] = round(100 * counts["killed"] / checked, 1) if checked else None
        if sample is not None and checked:
            low, high = wilson(counts["killed"], checked)
            entry["interval"] = [round(100 * low, 1), round(100 * high, 1)]
        entry["survivors"] = sorted(k for k, c in codes.items() if c in _SURVIVED | _NO_TESTS)
        out[module] = entry
    return out


def report(groups: list[str]) -> None:
    """Print each module's score and write them all to `.mutation/scores.json`."""
    every = {g: scores(g) for g in groups}
    print(
        f"{'module':34} {'mutants':>7} {'killed':>7} {'survived':>8} {'no tests':>8} {'score':>6}"
    )
    for per_module in every.values():
        for module, s in per_module.items():
            line = (
                f"{module:34} {s['mutants']:>7} {s.get('killed', 0):>7} "
                f"{s.get('survived', 0):>8} {s.get('no tests', 0):>8} {s['score']!s:>6}"
            )
            if "sampled" in s:
                checked = s.get("killed", 0) + s.get("survived", 0) + s.get("no tests", 0)  # type: ignore[operator]
                low, high = s.get("interval", [None, None])  # type: ignore[misc]
                line += (
                    f"  sample of {s['sampled']} (seed {s['seed']}), {checked} checked, "
                    f"95% interval {low}-{high}%"
                )
            print(line)
    WORK.mkdir(exist_ok=True)
    (WORK / "scores.json").write_text(json.dumps(every, indent=1))


def main() -> None:
    """Run the groups asked for (all by default), then print the scores."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("groups", nargs="*", choices=[*GROUPS, []], default=[])  # []: all
    parser.add_argument("--only", nargs="+", default=[], help="mutant name patterns")
    parser.add_argument("--children", type=int, default=1, help="mutants tested at once")
    parser.add_argument("--report", action="store_true", help="only print the last scores")
    parser.add_argument(
        "--sample",
        nargs="+",
        metavar="SIZE",
        help="test a seeded random sample of each module's mutants: N, a fraction F < 1, "
        "or MODULE=N for one module (e.g. 10 processes/slots.py=40); modules left at 0 "
        "are skipped",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of --sample's choice")
    parser.add_argument(
        "--batch", type=int, default=0, help="with --sample: mutants per mutmut call (0: all)"
    )
    args = parser.parse_args()
    groups = args.groups or list(GROUPS)
    if args.sample and args.only:
        parser.error("--sample and --only do not go together")
    if not args.report:
        for group in groups:
            if args.sample:
                run_sample(group, args.sample, args.seed, args.children, args.batch)
            else:
                run(group, args.only, args.children)
    report([g for g in groups if (WORK / g / "mutants").exists()])


if __name__ == "__main__":
    main()
