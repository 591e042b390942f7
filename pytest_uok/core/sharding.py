"""The shard assignment: a pure function of (node ids, durations, number of shards, grouping).

Every selected test lands in exactly one shard, and the same one on every machine whatever the
collection order: ids are sorted first and every tie is broken by the id. Balance comes from
longest-processing-time-first over the recorded (or estimated) durations, followed by a short
local search that moves or swaps groups between the fullest and the emptiest shard.
"""

from __future__ import annotations

import bisect
import hashlib
import heapq
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from statistics import NormalDist

from pytest_uok.core.estimates import Estimator, file_key

#: Local search runs only on partitions this small (large ones are balanced by LPT already).
MAX_REFINE_UNITS = 5_000
#: Rounds of local search at most.
MAX_REFINE_ROUNDS = 200
#: How much of the guesses' spread a shard is spared (0: balance the expected durations only).
HEDGE = 1.0


def group_key(nodeid: str, by: str) -> str:
    """The unit a test is assigned with: itself, its class, or its module."""
    if by == "module":
        cut = nodeid.find("::")
        return nodeid if cut < 0 else nodeid[:cut]
    if by == "class":
        # names hold no "[": what follows the first one is parameters (which may hold "::")
        bracket = nodeid.find("[")
        base = nodeid if bracket < 0 else nodeid[:bracket]
        last = base.rfind("::")
        return base[:last] if last > base.find("::") else nodeid
    return nodeid


@dataclass
class Partition:
    """The shards' sorted node ids and their estimated seconds."""

    shards: list[list[str]]
    loads: list[float]
    unknown: int
    durations: dict[str, float]

    def of(self, index: int) -> list[str]:
        return self.shards[index]


def weigh(
    ids: list[str], durations: Mapping[str, float], variances: dict[str, float] | None = None
) -> tuple[dict[str, float], set[str]]:
    """Every test's duration: recorded, or estimated from the recorded ones (variance into ``variances``)."""
    weights: dict[str, float] = {}
    missing: list[str] = []
    get = durations.get
    for nodeid in ids:
        d = get(nodeid)
        if d is not None and d >= 0:  # NaN and negative values are not usable records
            weights[nodeid] = d
        else:
            missing.append(nodeid)
    if missing:
        known = dict(weights)
        if not known:
            # nothing in this selection is known: use whatever the store knows about others
            known = {k: float(v) for k, v in durations.items() if v >= 0}
        if not known:
            # no durations at all: every test weighs the same, and nothing is gained by guessing
            weights.update(dict.fromkeys(missing, 1.0))
            return weights, set(missing)
        estimator = Estimator(known)
        for nodeid in missing:
            mean, var = estimator.estimate_with_variance(nodeid)
            weights[nodeid] = mean
            if variances is not None:
                variances[nodeid] = var
    return weights, set(missing)


def partition(
    nodeids: Iterable[str], durations: Mapping[str, float], total: int, by: str = "test"
) -> Partition:
    """Split ``nodeids`` into ``total`` disjoint shards balanced by ``durations``."""
    if total < 1:
        raise ValueError("the number of shards must be at least 1")
    ids = sorted(set(nodeids))
    variances: dict[str, float] = {}
    weights, unknown = weigh(ids, durations, variances)
    units: dict[str, list[str]] | None = None
    group_keys: list[str] = []
    if by == "test":
        keys = ids
        unit_weight = weights
        unit_unknown = {n: v for n, v in variances.items() if v > 0}
    else:
        units = {}
        unit_weight = {}
        unit_unknown = {}  # units holding guessed tests: the guesses' variance
        group_keys = [group_key(nodeid, by) for nodeid in ids]
        for nodeid, key in zip(ids, group_keys, strict=True):
            units.setdefault(key, []).append(nodeid)
            unit_weight[key] = unit_weight.get(key, 0.0) + weights[nodeid]
            var = variances.get(nodeid)
            if var:
                unit_unknown[key] = unit_unknown.get(key, 0.0) + var
        keys = sorted(units)
    # longest first; the sort is stable, so equal weights keep the keys' sorted order
    order = sorted(keys, key=unit_weight.__getitem__, reverse=True)
    # A unit at least as long as a shard's fair share fills a shard on its own: it goes first, so
    # that no guess is put beside it (that shard has no room for a guess that turns out long).
    giants = _giant_count(order, unit_weight, total) if unit_unknown else 0
    # Then the units whose duration is only estimated, longest first: they spread evenly over the
    # other shards, so no shard gathers much of the estimate's error; the known units then even
    # out the loads exactly.
    rest = order[giants:] if giants else order
    first = order[:giants] + [k for k in rest if k in unit_unknown] if unit_unknown else []
    measured = [k for k in rest if k not in unit_unknown] if unit_unknown else order
    spread = [0.0] * total
    heap = [(0.0, i) for i in range(total)]
    replace = heapq.heapreplace
    placed: list[int] = []
    place = placed.append
    for key in first:
        load, shard = heap[0]
        replace(heap, (load + unit_weight[key], shard))
        place(shard)
        spread[shard] += unit_unknown.get(key, 0.0)
    # A shard holding risky guesses gets less known work: it is balanced as if its guesses took a
    # margin more (the expected maximum of `total` normal deviations, scaled by the guesses'
    # spread), so a guess that turns out long is less likely to make that shard the slowest.
    margin = HEDGE * _expected_max_normal(total)
    heap = sorted((load + margin * math.sqrt(spread[i]), i) for load, i in heap)
    for w in map(unit_weight.__getitem__, measured):  # the hot loop: one heap step per unit
        load, shard = heap[0]
        replace(heap, (load + w, shard))
        place(shard)
    owner = dict(zip(first + measured, placed, strict=True))
    loads = [0.0] * total
    for load, i in heap:
        loads[i] = load - margin * math.sqrt(spread[i])
    if total > 1 and len(order) <= MAX_REFINE_UNITS:
        members: list[list[str]] = [[] for _ in range(total)]
        for key in order:
            members[owner[key]].append(key)
        effective = [0.0] * total
        for load, i in heap:
            effective[i] = load
        _refine(members, effective, unit_weight)
        owner = {key: i for i, group in enumerate(members) for key in group}
        loads = [sum(unit_weight[k] for k in group) for group in members]
    shards: list[list[str]] = [[] for _ in range(total)]
    appends = [shard.append for shard in shards]
    if units is None:
        for nodeid in ids:
            appends[owner[nodeid]](nodeid)
    else:
        for nodeid, key in zip(ids, group_keys, strict=True):
            appends[owner[key]](nodeid)
    return Partition(shards, loads, len(unknown), weights)


def _giant_count(order: list[str], weight: Mapping[str, float], total: int) -> int:
    """How many units, longest first, are each at least a shard's fair share of the whole."""
    share = math.fsum(weight.values()) / total
    if share <= 0:
        return 0
    count = 0
    for key in order[:total]:
        if weight[key] < share:
            break
        count += 1
    return count


def _expected_max_normal(k: int) -> float:
    """About the expected largest of ``k`` standard normal draws (Blom's approximation)."""
    if k < 2:
        return 0.0
    return NormalDist().inv_cdf((k - 0.375) / (k + 0.25))


def _refine(members: list[list[str]], loads: list[float], weight: Mapping[str, float]) -> None:
    """Move or swap units from the fullest to the emptiest shard while that lowers the maximum."""
    for _ in range(MAX_REFINE_ROUNDS):
        hi = max(range(len(loads)), key=lambda i: (loads[i], -i))
        lo = min(range(len(loads)), key=lambda i: (loads[i], i))
        gap = loads[hi] - loads[lo]
        if gap <= 1e-12:
            return
        target = gap / 2
        # the lo shard's units by weight, with a zero-weight "nothing" for a plain move
        lows = sorted((weight[b], b) for b in members[lo])
        low_weights = [0.0] + [w for w, _ in lows]
        low_names: list[str | None] = [None] + [b for _, b in lows]
        best: tuple[float, str, str] | None = None
        for a in sorted(members[hi]):
            wa = weight[a]
            # the b with wa - wb closest to target: wb closest to wa - target
            j = bisect.bisect_left(low_weights, wa - target)
            for k in (j - 1, j):
                if 0 <= k < len(low_weights):
                    delta = wa - low_weights[k]
                    if 0 < delta < gap:
                        cand = (abs(delta - target), a, low_names[k] or "")
                        if best is None or cand < best:
                            best = cand
        if best is None or best[0] >= target - 1e-12:
            return
        _, a, b = best
        members[hi].remove(a)
        members[lo].append(a)
        moved = weight[a]
        if b:
            members[lo].remove(b)
            members[hi].append(b)
            moved -= weight[b]
        loads[hi] -= moved
        loads[lo] += moved


def stable_shard(path: str, total: int) -> int:
    """The shard of a file no durations know: a hash of its path, the same on every machine."""
    digest = hashlib.sha256(path.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % total


def module_plan(durations: Mapping[str, float], total: int) -> dict[str, int]:
    """Each file the durations know, assigned to a shard before any file is imported."""
    per_file: dict[str, float] = {}
    for nodeid, seconds in durations.items():
        f = file_key(nodeid)
        per_file[f] = per_file.get(f, 0.0) + max(float(seconds), 0.0)
    files = sorted(per_file)
    plan = partition(files, per_file, total, by="test")
    return {f: i for i, shard in enumerate(plan.shards) for f in shard}


def file_shard(path: str, total: int, plan: Mapping[str, int]) -> int:
    found = plan.get(path)
    return found if found is not None else stable_shard(path, total)


def digest_ids(sorted_ids: Iterable[str]) -> str:
    """sha256 over node ids, one per line, in the order given (callers sort them)."""
    h = hashlib.sha256()
    for nodeid in sorted_ids:
        h.update(nodeid.encode("utf-8", "surrogateescape"))
        h.update(b"\n")
    return h.hexdigest()
