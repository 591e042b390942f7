"""Which shard this run is: the ``I/N`` spec, and the parallel-job variables CI systems set."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

#: How tests may be grouped so that a group always lands in one shard.
SHARD_BY = ("test", "class", "module")


@dataclass(frozen=True)
class ShardSpec:
    """Shard ``index`` (0-based) of ``total``, and a human description of where that came from."""

    index: int
    total: int
    source: str = "cli"
    #: Bazel asks test runners to touch this file to say they understood sharding.
    status_file: str | None = None

    def label(self) -> str:
        return f"{self.index}/{self.total}"


def parse_shard_spec(value: str, what: str) -> ShardSpec:
    """``I/N`` with 0 <= I < N, or ValueError with a sentence saying what is wrong and the fix."""
    text = value.strip()
    left, sep, right = text.partition("/")
    if not sep:
        raise ValueError(
            f"{what} must look like I/N (shard I of N, counting from 0, e.g. 0/3), got {value!r}"
        )
    try:
        index, total = int(left), int(right)
    except ValueError:
        raise ValueError(f"{what} must be two whole numbers I/N (e.g. 0/3), got {value!r}") from None
    if total < 1:
        raise ValueError(f"{what}: the number of shards N must be at least 1, got {value!r}")
    if not 0 <= index < total:
        raise ValueError(
            f"{what}: the shard index counts from 0 and must be below N, so 0 to {total - 1} for "
            f"{total} shards; got {value!r}"
        )
    return ShardSpec(index, total)


def parse_shard_by(value: str, what: str) -> str:
    low = value.strip().lower()
    if low not in SHARD_BY:
        raise ValueError(f"{what} must be one of {', '.join(SHARD_BY)}, got {value!r}")
    return low


# (system, index variable, total variable, whether the index counts from 1)
_CI_VARIABLES = (
    ("Bazel", "TEST_SHARD_INDEX", "TEST_TOTAL_SHARDS", False),
    ("CircleCI", "CIRCLE_NODE_INDEX", "CIRCLE_NODE_TOTAL", False),
    ("Buildkite", "BUILDKITE_PARALLEL_JOB", "BUILDKITE_PARALLEL_JOB_COUNT", False),
    ("GitLab", "CI_NODE_INDEX", "CI_NODE_TOTAL", True),
)


def shard_from_ci(env: Mapping[str, str]) -> ShardSpec | None:
    """The shard a CI system announced, or None when none did (or the announcement is unclear).

    Only a complete, consistent pair of variables counts, and only when exactly one system
    announced a split of more than one job: a stale or half-set variable must not silently
    drop tests.
    """
    found: list[ShardSpec] = []
    for system, index_var, total_var, one_based in _CI_VARIABLES:
        raw_index, raw_total = env.get(index_var, "").strip(), env.get(total_var, "").strip()
        if not raw_index or not raw_total:
            continue
        try:
            index, total = int(raw_index), int(raw_total)
        except ValueError:
            continue
        if one_based:
            index -= 1
        if total < 2 or not 0 <= index < total:
            continue
        source = f"{system}: {index_var}={raw_index}, {total_var}={raw_total}"
        status = env.get("TEST_SHARD_STATUS_FILE") or None if system == "Bazel" else None
        found.append(ShardSpec(index, total, source, status))
    if len(found) != 1:
        return None
    return found[0]


def ci_shard_conflicts(env: Mapping[str, str]) -> list[str]:
    """Descriptions of CI shard variables that are set but were not used, to explain in the header."""
    notes = []
    for system, index_var, total_var, _one_based in _CI_VARIABLES:
        if bool(env.get(index_var, "").strip()) != bool(env.get(total_var, "").strip()):
            notes.append(f"{system}: only one of {index_var} and {total_var} is set")
    return notes
