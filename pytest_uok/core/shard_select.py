"""Which of an earlier run's failures a shard reruns (``--uok-shard`` with ``--uok-rerun-from``)."""

from __future__ import annotations

from pathlib import Path

from pytest_uok.core.errors import UokInputError
from pytest_uok.core.models.summary import Summary
from pytest_uok.core.readback import load_artifact, resolve_input
from pytest_uok.core.shard_spec import ShardSpec
from pytest_uok.core.sharding import stable_shard


def owned_failures(path: Path, spec: ShardSpec) -> set[str] | None:
    """The failures this shard owns, or None when the summary was not sharded.

    A merged summary lists each shard's manifest: a shard reruns the failures of the tests it
    ran. A single shard's summary belongs to one shard only. An unsharded run's failures are
    split like any other selection (None).
    """
    file = resolve_input(path, ("summary.json",))
    if file.name == "replay_bundle.json":
        return None
    summary = load_artifact(file, Summary)
    failed = set(summary.failed_names) | {c.nodeid for c in summary.collection_errors if c.nodeid}
    manifests = list(summary.shards) or ([summary.manifest] if summary.manifest else [])
    if not manifests:
        return None
    totals = {m.total for m in manifests}
    if totals != {spec.total}:
        shown = ", ".join(str(t) for t in sorted(totals))
        raise UokInputError(
            f"{file} was split into {shown} shards, but this run is shard {spec.label()}; use the same "
            f"number of shards (or rerun without --uok-shard)."
        )
    if not summary.shards:
        # one shard's own summary: all its failures are that shard's
        return failed if manifests[0].index == spec.index else set()
    owned: set[str] = set()
    for m in manifests:
        if m.index == spec.index:
            if m.nodeids is None:
                raise UokInputError(
                    f"{file}: field 'shards[{m.index}].nodeids' is missing, so its tests are unknown."
                )
            owned.update(m.nodeids)
    # a collection error belongs to no manifest (every shard may have met it): one shard, chosen
    # by a stable hash of the node id, reruns it
    for c in summary.collection_errors:
        if c.nodeid and stable_shard(c.nodeid, spec.total) == spec.index:
            owned.add(c.nodeid)
    return owned & failed
