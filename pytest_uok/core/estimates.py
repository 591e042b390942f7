"""Duration estimates for tests the durations store has not seen, learned from the ones it has.

A new test is most like its parametrize siblings, then the other tests of its class, then of its
file and folder. How much each level tells is measured on the known tests (a two-level empirical
Bayes estimate on log durations at every level), so where file or class carry no information the
estimate falls back to the suite-wide mean instead of following noise.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

#: Durations below this are treated as this, so that logs stay finite.
FLOOR_S = 1e-4
#: Known tests used to fit the levels at most (the estimate is stable long before this).
MAX_FIT = 5_000


def file_key(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def dir_key(nodeid: str) -> str:
    path = file_key(nodeid)
    cut = path.rfind("/")
    return path[:cut] if cut >= 0 else ""


def parent_key(nodeid: str) -> str:
    """The class (or file) a test belongs to: its node id up to the last ``::``."""
    base = func_key(nodeid)
    cut = base.rfind("::")
    return base[:cut] if cut >= 0 else base


def func_key(nodeid: str) -> str:
    """The node id without its parametrize part: shared by all parametrize siblings."""
    # names cannot hold "[", so the first one after the file part opens the parameters (which
    # may themselves hold "::")
    start = nodeid.find("::")
    if start < 0:
        return nodeid
    cut = nodeid.find("[", start)
    return nodeid[:cut] if cut >= 0 else nodeid


LEVELS: tuple[Callable[[str], str], ...] = (dir_key, file_key, parent_key, func_key)


def level_keys(nodeid: str) -> tuple[str, str, str, str]:
    """The folder, file, class (or file) and function keys of a test, parsed once."""
    sep = nodeid.find("::")
    if sep < 0:
        cut = nodeid.rfind("/")
        return (nodeid[:cut] if cut >= 0 else "", nodeid, nodeid, nodeid)
    path = nodeid[:sep]
    cut = path.rfind("/")
    bracket = nodeid.find("[", sep)
    func = nodeid[:bracket] if bracket >= 0 else nodeid
    return (path[:cut] if cut >= 0 else "", path, func[: func.rfind("::")], func)


class _Level:
    __slots__ = ("effects", "key", "posterior", "within")

    def __init__(self, key: Callable[[str], str]) -> None:
        self.key = key
        self.effects: dict[str, float] = {}
        self.posterior: dict[str, float] = {}
        self.within = 0.0


class Estimator:
    """Predicts an unknown test's expected duration from the known durations."""

    def __init__(self, known: Mapping[str, float]) -> None:
        self._cache: dict[str, tuple[float, float]] = {}
        ids = sorted(known)
        if len(ids) > MAX_FIT:
            step = len(ids) / MAX_FIT
            ids = [ids[int(i * step)] for i in range(MAX_FIT)]
        self.levels: list[_Level] = []
        if not ids:
            self.mean_log, self.var_log, self.fallback = math.log(1.0), 0.0, 1.0
            return
        logs = [math.log(max(float(known[i]), FLOOR_S)) for i in ids]
        n = len(logs)
        self.mean_log = sum(logs) / n
        self.var_log = sum((x - self.mean_log) ** 2 for x in logs) / max(n - 1, 1)
        self.fallback = math.exp(self.mean_log + self.var_log / 2)
        residual = [x - self.mean_log for x in logs]
        previous_within = self.var_log
        parsed = [level_keys(i) for i in ids]
        for depth, key in enumerate(LEVELS):
            level = _Level(key)
            keys = [p[depth] for p in parsed]
            sums: dict[str, float] = {}
            counts: dict[str, int] = {}
            for k, r in zip(keys, residual, strict=False):
                sums[k] = sums.get(k, 0.0) + r
                counts[k] = counts.get(k, 0) + 1
            means = {k: sums[k] / counts[k] for k in sums}
            groups = len(means)
            ss_within = sum((r - means[k]) ** 2 for k, r in zip(keys, residual, strict=False))
            # with (nearly) one test per group the spread inside groups cannot be measured here
            within = ss_within / (n - groups) if n - groups >= max(2, n // 10) else previous_within
            if groups > 1:
                grand = sum(means.values()) / groups
                spread = sum((m - grand) ** 2 for m in means.values()) / (groups - 1)
                noise = within * sum(1.0 / c for c in counts.values()) / groups
                between = max(spread - noise, 0.0)
            else:
                between = 0.0
            for k, m in means.items():
                c = counts[k]
                weight = c * between / (c * between + within) if between > 0 and within > 0 else 0.0
                if between > 0 and within == 0:
                    weight = 1.0
                level.effects[k] = m * weight
                level.posterior[k] = (between * within / (c * between + within)) if between > 0 else 0.0
            level.within = within
            previous_within = within
            residual = [r - level.effects[k] for k, r in zip(keys, residual, strict=False)]
            self.levels.append(level)

    def estimate(self, nodeid: str) -> float:
        """The expected duration in seconds of a test with no recorded duration."""
        return self.estimate_with_variance(nodeid)[0]

    def estimate_with_variance(self, nodeid: str) -> tuple[float, float]:
        """The expected duration of an unknown test and the variance of that guess (seconds²)."""
        if not self.levels:
            return self.fallback, 0.0
        keys = level_keys(nodeid)
        # The deepest known key decides the estimate, and a class (or file) key names its file and
        # folder too: tests of one class whose functions are all new share one estimate, as do
        # parametrize siblings.
        memo = keys[3] if keys[3] in self.levels[-1].effects else keys[2]
        cached = self._cache.get(memo)
        if cached is not None:
            return cached
        log = self.mean_log
        var = self.var_log
        for level, k in zip(self.levels, keys, strict=False):
            effect = level.effects.get(k)
            if effect is None:
                break  # levels are nested: an unknown class has no known tests below it either
            log += effect
            var = level.within + level.posterior[k]
        mean = math.exp(log + var / 2)
        # a lognormal's variance; capped so one wild guess cannot overflow
        result = mean, mean * mean * math.expm1(min(var, 50.0))
        self._cache[memo] = result
        return result
