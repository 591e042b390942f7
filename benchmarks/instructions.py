"""What pytest-uok costs a session in instructions, counted by callgrind: a figure that does not drift.

The wall-clock ratios of session_cost.py move by 10-15% with this machine's speed; the number of
instructions a session executes does not. Each configuration runs once under
``valgrind --tool=callgrind`` on the generated suite at two sizes (with the history a month of
CI leaves, as in session_cost.py), with callgrind_phases.py dumping the counters at every phase
of the session. The difference to plain pytest then splits, per phase, into a fixed part and a
part per test, and the ratio is extrapolated to ``--at`` tests.

Instructions are not seconds: system calls (the file lock, fsync) are not counted, and a cache
miss costs nothing here. The ratio is the drift-free companion of session_cost.py's, not a
replacement for it.

Run: python benchmarks/instructions.py [--sizes 1000 3000] [--at 10000] (needs valgrind and the
``bench`` extra; about 12 minutes on 2 cores). Exits non-zero only when a run breaks.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from alternate import COMMON_ARGS, BenchmarkError, compile_plugin, environment
from callgrind_phases import PHASES
from session_cost import seed_history
from suite import POLICY_FILE, write_suite

HERE = Path(__file__).resolve().parent
#: How a dump asked for by callgrind_phases.py names its phase in the file.
_DUMPED = "desc: Trigger: dump "


@dataclass(frozen=True)
class Setup:
    name: str
    args: tuple[str, ...]


SETUPS = (
    Setup("plain pytest (-p no:uok)", ("-p", "no:uok")),
    Setup("pytest-uok, artifacts written", ()),
    Setup("--uok-gate, every file classified", ("--uok-gate", "--uok-policy", POLICY_FILE)),
)


def count(setup: Setup, suite: Path, workdir: Path) -> dict[str, int]:
    """Instructions per phase of one session of ``setup`` on a private copy of ``suite``."""
    root = workdir / "run"
    shutil.copytree(suite, root)
    out = workdir / "callgrind.out"
    env = environment()
    env["PYTHONPATH"] = str(HERE)
    proc = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={out}",
            sys.executable,
            "-m",
            "pytest",
            *COMMON_ARGS,
            "-p",
            "callgrind_phases",
            *setup.args,
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-20:])
        raise BenchmarkError(f"{setup.name}: exited {proc.returncode} under callgrind:\n{tail}")
    phases: dict[str, int] = {}
    for dump in sorted(workdir.glob("callgrind.out*")):
        text = dump.read_text(encoding="utf-8", errors="replace")
        phase = "exit"  # the file written at the process's end: "Trigger: Program termination"
        for line in text.splitlines():
            if line.startswith(_DUMPED):
                phase = line.removeprefix(_DUMPED).strip()
            elif line.startswith(("summary:", "totals:")):
                phases[phase] = phases.get(phase, 0) + int(line.split()[1])
                break
    missing = [p for p in PHASES if p not in phases]
    if missing:
        raise BenchmarkError(f"{setup.name}: no callgrind dump for {', '.join(missing)}")
    return phases


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs=2, default=[1000, 3000], metavar="N")
    parser.add_argument("--at", type=int, default=10_000, help="extrapolate the ratio to this many tests")
    args = parser.parse_args()
    small, large = sorted(args.sizes)
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        print("instructions.py needs valgrind (Debian: apt-get install valgrind)", file=sys.stderr)
        return 2
    compile_plugin()
    workdir = Path(tempfile.mkdtemp(prefix="uok-instructions-"))
    try:
        suites = {}
        for size in (small, large):
            suite = write_suite(workdir / f"suite-{size}", size, max(1, size // 100), policy=True)
            seed_history(workdir / f"suite-{size}", suite)
            suites[size] = workdir / f"suite-{size}"
        jobs = [(i, size) for size in (small, large) for i in range(len(SETUPS))]
        # One session per core: callgrind runs a process about 50 times slower.
        with ThreadPoolExecutor(max_workers=2) as pool:
            counted = list(pool.map(lambda job: _count_job(job, suites, workdir), jobs))
    except BenchmarkError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 2
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    by = {(SETUPS[i].name, size): phases for (i, size), phases in zip(jobs, counted, strict=True)}
    report(by, small, large, args.at)
    return 0


def report(by: dict[tuple[str, int], dict[str, int]], small: int, large: int, at: int) -> None:
    plain = SETUPS[0].name
    print(f"\n== instructions (callgrind) at {small} and {large} tests, extrapolated to {at}")
    print(f"   {'configuration':<36} {'phase':<12} {small:>8} t {large:>8} t   over plain: fixed, per test")
    for setup in SETUPS:
        for phase in PHASES:
            a, b = by[(setup.name, small)][phase], by[(setup.name, large)][phase]
            line = f"   {setup.name:<36} {phase:<12} {a / 1e9:8.3f} G {b / 1e9:8.3f} G"
            if setup.name != plain:
                fixed, per_test = _split(by, setup.name, phase, small, large)
                line += f"   {fixed / 1e6:+8.1f} M, {per_test / 1e3:+7.1f} k"
            print(line)
    base = _at(by, plain, small, large, at)
    for setup in SETUPS[1:]:
        total = _at(by, setup.name, small, large, at)
        extra = (total - base) / 1e9
        print(f"   {setup.name}: {total / base:.3f} of plain pytest at {at} tests ({extra:+.2f} G)")


def _count_job(job: tuple[int, int], suites: dict[int, Path], workdir: Path) -> dict[str, int]:
    index, size = job
    return count(SETUPS[index], suites[size], workdir / f"{size}-{index}")


def _split(
    by: dict[tuple[str, int], dict[str, int]], name: str, phase: str, small: int, large: int
) -> tuple[float, float]:
    """The phase's instructions over plain pytest's as fixed + per test (a line through both sizes)."""
    plain = SETUPS[0].name
    da = by[(name, small)][phase] - by[(plain, small)][phase]
    db = by[(name, large)][phase] - by[(plain, large)][phase]
    per_test = (db - da) / (large - small)
    return da - per_test * small, per_test


def _at(by: dict[tuple[str, int], dict[str, int]], name: str, small: int, large: int, at: int) -> float:
    a = sum(by[(name, small)].values())
    b = sum(by[(name, large)].values())
    return a + (b - a) / (large - small) * (at - small)


if __name__ == "__main__":
    sys.exit(main())
