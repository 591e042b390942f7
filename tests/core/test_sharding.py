"""The shard assignment: a partition, deterministic whatever the input order, balanced."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from pytest_uok.core.estimates import Estimator, func_key, parent_key
from pytest_uok.core.sharding import (
    MAX_REFINE_UNITS,
    digest_ids,
    file_shard,
    group_key,
    module_plan,
    partition,
    stable_shard,
)

segment = st.text(alphabet="abcdxyz_0123", min_size=1, max_size=6)
nodeid = st.builds(
    lambda d, f, c, t, p: (
        f"{d}/test_{f}.py::" + (f"Test{c}::" if c else "") + f"test_{t}" + (f"[{p}]" if p else "")
    ),
    segment,
    segment,
    st.one_of(st.none(), segment),
    segment,
    st.one_of(st.none(), segment),
)
ids_st = st.lists(nodeid, max_size=80, unique=True)
seconds = st.floats(min_value=0, max_value=100, allow_nan=False)


@st.composite
def suites(draw: st.DrawFn) -> tuple[list[str], dict[str, float], int, str]:
    ids = draw(ids_st)
    known = draw(st.lists(st.sampled_from(ids), unique=True)) if ids else []
    durations = {n: draw(seconds) for n in known}
    # the store may know tests that are no longer selected
    durations.update(draw(st.dictionaries(nodeid, seconds, max_size=5)))
    return ids, durations, draw(st.integers(1, 12)), draw(st.sampled_from(["test", "class", "module"]))


@given(suites())
def test_every_test_lands_in_exactly_one_shard(suite: tuple[list[str], dict[str, float], int, str]) -> None:
    ids, durations, total, by = suite
    plan = partition(ids, durations, total, by)
    assert len(plan.shards) == total
    flat = [n for shard in plan.shards for n in shard]
    assert sorted(flat) == sorted(ids)
    assert len(flat) == len(set(flat))


@given(suites(), st.randoms(use_true_random=False))
def test_the_assignment_ignores_input_order(
    suite: tuple[list[str], dict[str, float], int, str], rnd: random.Random
) -> None:
    ids, durations, total, by = suite
    shuffled = list(ids)
    rnd.shuffle(shuffled)
    reordered_store = dict(sorted(durations.items(), key=lambda kv: rnd.random()))
    assert (
        partition(ids, durations, total, by).shards == partition(shuffled, reordered_store, total, by).shards
    )


@given(suites())
def test_groups_stay_together(suite: tuple[list[str], dict[str, float], int, str]) -> None:
    ids, durations, total, by = suite
    owner: dict[str, int] = {}
    for index, shard in enumerate(partition(ids, durations, total, by).shards):
        for n in shard:
            assert owner.setdefault(group_key(n, by), index) == index


@given(st.lists(st.text(alphabet="abc/_.", min_size=1, max_size=12), unique=True), st.integers(1, 9))
def test_files_are_split_before_import_into_a_partition(files: list[str], total: int) -> None:
    known = {f"{f}::test": 1.0 for f in files[: len(files) // 2]}
    plan = module_plan(known, total)
    for f in files:
        shard = file_shard(f, total, plan)
        assert 0 <= shard < total
        assert shard == file_shard(f, total, dict(reversed(list(plan.items()))))
    assert stable_shard("tests/test_x.py", 7) == stable_shard("tests/test_x.py", 7)


def test_full_durations_are_balanced_almost_perfectly() -> None:
    rng = random.Random(7)
    durations = {f"tests/test_{i % 30}.py::test_{i}": rng.lognormvariate(-3, 1) for i in range(600)}
    for total in (3, 8, 16):
        plan = partition(durations, durations, total)
        bound = max(sum(durations.values()) / total, max(durations.values()))
        assert max(plan.loads) <= bound * 1.01


def test_an_unknown_test_is_estimated_from_its_parametrize_siblings_and_class() -> None:
    known = {f"t/test_a.py::TestSlow::test_big[{i}]": 10.0 + i % 2 for i in range(6)}
    known |= {f"t/test_a.py::TestFast::test_{i}": 0.01 for i in range(20)}
    known |= {f"t/test_b.py::test_{i}": 0.02 for i in range(20)}
    est = Estimator(known)
    assert est.estimate("t/test_a.py::TestSlow::test_big[9]") > 5
    assert est.estimate("t/test_a.py::TestFast::test_new") < 0.1
    assert func_key("t/test_a.py::TestSlow::test_big[a::b]") == "t/test_a.py::TestSlow::test_big"
    assert parent_key("t/test_a.py::TestSlow::test_big[1]") == "t/test_a.py::TestSlow"


def test_a_test_longer_than_a_shards_share_gets_no_guess_beside_it() -> None:
    # the slow test fills its shard alone: a guess put beside it would make that shard the slowest
    # as soon as the guess was too low, while the other shards have room to spare (a suite this
    # large is past the local search, which would otherwise move the guesses away afterwards)
    durations = {"t/test_a.py::test_slow": 100.0}
    durations |= {f"t/test_{i % 50}.py::test_{i}": 0.01 + i % 7 / 100 for i in range(MAX_REFINE_UNITS)}
    ids = [*durations, *(f"t/test_{i % 50}.py::test_new_{i}" for i in range(500))]
    for by in ("test", "class"):
        plan = partition(ids, durations, 4, by)
        slow = next(shard for shard in plan.shards if "t/test_a.py::test_slow" in shard)
        assert slow == ["t/test_a.py::test_slow"]
        assert plan.unknown == 500


def test_no_durations_at_all_balances_by_count() -> None:
    ids = [f"t/test_{i}.py::test" for i in range(10)]
    assert sorted(len(s) for s in partition(ids, {}, 3).shards) == [3, 3, 4]


def test_more_shards_than_tests_leaves_some_empty() -> None:
    plan = partition(["a.py::t1", "a.py::t2"], {}, 5)
    assert sum(1 for s in plan.shards if not s) == 3


def test_digest_is_order_sensitive_and_stable() -> None:
    assert digest_ids(["a", "b"]) == digest_ids(["a", "b"]) != digest_ids(["b", "a"])
