"""The history.json model: a compact record of the last runs, one outcome letter per test and run."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar, Literal

from pydantic import Field, StringConstraints, model_validator

from pytest_uok.core.models.common import ArtifactModelBase, StrictModel
from pytest_uok.core.sanitize import printable

#: The letter each outcome is stored as; ``.`` means the test did not run in that run.
OUTCOME_LETTERS: dict[str, str] = {
    "passed": "P",
    "failed": "F",
    "error": "E",
    "skipped": "S",
    "xfailed": "X",
    "xpassed": "Y",
    "quarantined": "Q",
    "waived": "W",
    "flaky": "K",
}
NOT_RUN = "."
LETTER_OUTCOMES = {letter: outcome for outcome, letter in OUTCOME_LETTERS.items()}


class HistoryRun(StrictModel):
    """One recorded session (one shard of a sharded run is a session of its own)."""

    run_id: str
    started_at: datetime
    duration_s: float = Field(ge=0)
    branch: str | None = Field(description="the git branch (or the CI system's branch variable)")
    git_sha: str | None
    git_dirty: bool | None
    selection: str = Field(
        description="what the run selected besides the whole suite (paths, -k, -m, suites, shard, rerun); "
        "empty for the default selection"
    )
    exit_status: int | None
    tests: int = Field(ge=0)
    failed: int = Field(ge=0, description="tests that failed or errored")
    suites: dict[str, float] = Field(default_factory=dict, description="seconds spent per suite")
    collection_errors: list[str] = Field(default_factory=list)


#: One letter per run of ``runs``, oldest first (see OUTCOME_LETTERS; ``.`` did not run).
Letters = Annotated[str, StringConstraints(pattern=r"^[PFESXYQWK.]*$")]
#: A test across the kept runs: its letters, and its recent average duration in seconds.
TestTrack = tuple[Letters, Annotated[float, Field(ge=0)] | None]


class History(ArtifactModelBase):
    """history.json: the last runs of the suite, bounded, shared by concurrent shards under a lock."""

    SCHEMA_ID: ClassVar[str] = "uok.history.v1"

    schema_: Literal["uok.history.v1"] = Field(default="uok.history.v1", alias="schema")
    max_runs: int = Field(ge=1, description="how many runs are kept")
    runs: list[HistoryRun] = Field(default_factory=list, description="oldest first")
    tests: dict[str, TestTrack] = Field(
        default_factory=dict,
        description="by node id: [letters, one per run, oldest first: P passed, F failed, E error, "
        "S skipped, X xfailed, Y xpassed, Q quarantined, W waived, K flaky, . did not run; "
        "recent average seconds (each run it ran in weighs 30%)]",
    )

    @model_validator(mode="after")
    def _aligned(self) -> History:
        width = len(self.runs)
        for nodeid, (letters, _seconds) in self.tests.items():
            if len(letters) != width:
                shown = printable(nodeid, 80)
                raise ValueError(f"tests[{shown!r}] has {len(letters)} outcome letters for {width} runs")
        return self
