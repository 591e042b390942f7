"""Runs several pytest command lines in alternation and summarises their cost against a reference.

Every round runs each configuration once (forwards on even rounds, backwards on odd ones, so a
slow drift of the machine's load hits every configuration alike); a warm-up round comes first
and is not counted. Each child's wall time, CPU time (user + system) and peak resident memory
come from ``os.wait4``, which reports the resources of that one child. A configuration's ratio
is taken per round against the reference's run of the same round, and the median of those
ratios is the figure, with its min..max.
"""

from __future__ import annotations

import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

#: Environment variables that would change what the runs do (sharding announced by CI, the
#: job summary the plugin appends to, options slipped in from outside): removed for every run.
_DROPPED_ENV = (
    "PYTEST_ADDOPTS",
    "PYTEST_PLUGINS",
    "GITHUB_STEP_SUMMARY",
    "TEST_SHARD_INDEX",
    "TEST_TOTAL_SHARDS",
    "TEST_SHARD_STATUS_FILE",
    "CIRCLE_NODE_INDEX",
    "CIRCLE_NODE_TOTAL",
    "BUILDKITE_PARALLEL_JOB",
    "BUILDKITE_PARALLEL_JOB_COUNT",
    "CI_NODE_INDEX",
    "CI_NODE_TOTAL",
)


#: Given to every run: hypothesis's pytest plugin (installed with the test extra) imports all of
#: hypothesis at the end of every session, a cost that has nothing to do with what is measured
#: and would make every ratio look smaller.
COMMON_ARGS = ("-p", "no:hypothesispytest")


def compile_plugin() -> None:
    """Write the bytecode of pytest-uok's modules, as installing a wheel does.

    An editable checkout run with PYTHONDONTWRITEBYTECODE set (common in CI images) would
    otherwise compile every changed module again in every measured run, a cost no installed
    copy of the plugin has.
    """
    import pytest_uok

    compileall.compile_dir(os.path.dirname(pytest_uok.__file__), quiet=1)


class BenchmarkError(Exception):
    """A run ended with an exit code its configuration does not expect: the benchmark is broken."""


@dataclass
class Config:
    """One command line to measure: pytest's arguments, the exit codes it may end with."""

    name: str
    args: list[str]
    expect: tuple[int, ...] = (0,)
    #: A figure to reach: the ratio at most this, and the peak memory at most this many MiB more.
    target: float | None = None
    target_mib: float | None = None
    #: What a peer or the issue measured for comparison, shown beside the result.
    note: str = ""


@dataclass
class Sample:
    wall_s: float
    cpu_s: float
    peak_mib: float


@dataclass
class Result:
    config: Config
    samples: list[Sample] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)
    cpu_ratios: list[float] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)

    @property
    def peak_mib(self) -> float:
        return statistics.median(s.peak_mib for s in self.samples)

    @property
    def wall_s(self) -> float:
        return statistics.median(s.wall_s for s in self.samples)

    @property
    def fastest_s(self) -> float:
        return min(s.wall_s for s in self.samples)


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED_ENV and not k.startswith("UOK_")}
    env["PYTHONHASHSEED"] = "0"
    return env


def run_once(config: Config, cwd: Path, env: dict[str, str]) -> Sample:
    """One run of ``config`` in ``cwd``; BenchmarkError when its exit code is not expected."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "pytest", *COMMON_ARGS, *config.args],
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=out,
        )
        # wait4 instead of wait: the rusage of exactly this child (peak memory, CPU seconds).
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        if code not in config.expect:
            out.seek(0)
            tail = out.read().decode("utf-8", "replace").splitlines()[-25:]
            raise BenchmarkError(
                f"{config.name}: pytest {' '.join(config.args)} exited {code}, expected "
                f"{' or '.join(map(str, config.expect))}:\n" + "\n".join(tail)
            )
    return Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def alternate(configs: Sequence[Config], cwd: Path, rounds: int, warmup: int = 1) -> list[Result]:
    """Run the configurations in alternation; ``configs[0]`` is the reference of the ratios."""
    env = environment()
    results = [Result(c) for c in configs]
    for r in range(warmup + rounds):
        order = list(range(len(configs)))
        if r % 2:
            order.reverse()
        samples: dict[int, Sample] = {}
        for i in order:
            samples[i] = run_once(configs[i], cwd, env)
        if r < warmup:
            continue
        ref = samples[0]
        for i, result in enumerate(results):
            result.samples.append(samples[i])
            result.ratios.append(samples[i].wall_s / ref.wall_s)
            result.cpu_ratios.append(samples[i].cpu_s / ref.cpu_s)
    return results


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def _verdict(result: Result, ref: Result) -> str:
    c = result.config
    if c.target is None:
        return ""
    ok = result.ratio <= c.target
    text = f"<= {c.target:.2f}"
    if c.target_mib is not None:
        delta = result.peak_mib - ref.peak_mib
        ok = ok and delta <= c.target_mib
        text += f", +{c.target_mib:.0f} MiB"
    return f"{text}: {'met' if ok else 'ABOVE TARGET'}"


def report(title: str, results: list[Result], load_before: str) -> list[str]:
    """The scenario's table as printed lines (also returned, for a summary at the end)."""
    ref = results[0]
    rounds = len(ref.ratios)
    lines = [
        "",
        f"== {title}",
        f"   {rounds} alternating rounds after a warm-up; before: {load_before}; after: {load()}",
        f"   {'configuration':<44} {'wall s':>7} {'ratio (median [min..max])':>27} {'cpu ratio':>9} "
        f"{'fastest':>7} {'peak MiB':>14}  target",
    ]
    for res in results:
        spread = f"{res.ratio:.3f} [{min(res.ratios):.3f}..{max(res.ratios):.3f}]"
        cpu = statistics.median(res.cpu_ratios)
        delta = res.peak_mib - ref.peak_mib
        mem = f"{res.peak_mib:.1f}" if res is ref else f"{res.peak_mib:.1f} ({delta:+.1f})"
        tail = _verdict(res, ref)
        if res.config.note:
            tail = f"{tail}  ({res.config.note})" if tail else f"({res.config.note})"
        # The fastest run over the reference's fastest: on a machine whose speed drifts, the
        # least disturbed runs, beside the median the targets are judged on.
        fastest = res.fastest_s / ref.fastest_s
        times = f"{res.wall_s:7.2f} {spread:>27} {cpu:9.3f} {fastest:7.3f}"
        lines.append(f"   {res.config.name:<44} {times} {mem:>14}  {tail}")
    for line in lines:
        print(line, flush=True)
    return lines
