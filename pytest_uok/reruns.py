"""Running a test again in the same session: --uok-reruns, --uok-attempt-to-fix, new-test retries."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import pytest

from pytest_uok.core.attempts import AttemptState
from pytest_uok.stash import ITEM_ATTEMPT, ITEM_NEW_TEST, ITEM_QUARANTINE

if TYPE_CHECKING:
    from pytest_uok.policy_setup import PolicyContext


class RerunPlugin:
    """Runs each test's whole protocol once per attempt, so fixtures are torn down and set up again.

    Every attempt goes through pytest's own protocol with the real next item: the test's
    function-scoped fixtures are finalized after each attempt and broader ones only when the
    next item does not share them, exactly as between two different tests; the next attempt
    sets up whatever is missing. Works the same on xdist workers, which call this hook too.
    """

    def __init__(self, ctx: PolicyContext) -> None:
        self.reruns = ctx.reruns
        self.attempt_to_fix = ctx.attempt_to_fix
        self._inside = False

    # A wrapper, not a replacement: the first attempt is pytest's own protocol call, so a test
    # that passes at once costs nothing more; only a further attempt calls the protocol again.
    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_protocol(
        self, item: pytest.Item, nextitem: pytest.Item | None
    ) -> Generator[None, object, object]:
        if self._inside:
            return (yield)
        cover = item.stash.get(ITEM_QUARANTINE, None)
        fixing = bool(self.attempt_to_fix) and cover is not None and cover.protects
        # A new test (early flake detection) is explored unless a quarantine already protects it.
        explore = 0 if cover is not None and cover.protects else item.stash.get(ITEM_NEW_TEST, 0)
        total = self.attempt_to_fix if fixing else (explore + 1 if explore else self.reruns + 1)
        if total <= 1 and not fixing:
            return (yield)
        failed_before = passed_before = 0
        session = item.session
        number = 1
        state = self._state(number, total, fixing, explore, failed_before, passed_before)
        with self._attempt(item, state):
            result = yield
        while True:
            if session.shouldfail or session.shouldstop or state.skipped:
                break
            if number == 1 and explore:
                # The first attempt's duration decided how many there are (maybe no more).
                total, explore = state.total, state.explore
            if state.failed:
                failed_before += 1
            else:
                passed_before += 1
            if fixing:
                if state.failed:
                    break
            elif explore:
                if failed_before and passed_before:
                    break  # flaky, proven
            elif not state.failed:
                break
            if number >= total:
                break
            number += 1
            state = self._state(number, total, fixing, explore, failed_before, passed_before)
            with self._attempt(item, state):
                item.ihook.pytest_runtest_protocol(item=item, nextitem=nextitem)
        del item.stash[ITEM_ATTEMPT]
        return result

    @contextmanager
    def _attempt(self, item: pytest.Item, state: AttemptState) -> Iterator[None]:
        """One attempt's protocol runs inside: its state on the item, nested calls let through."""
        item.stash[ITEM_ATTEMPT] = state
        self._inside = True
        try:
            yield
        finally:
            self._inside = False

    def _state(
        self, number: int, total: int, fixing: bool, explore: int, failed_before: int, passed_before: int
    ) -> AttemptState:
        last = number >= total
        if explore:
            return AttemptState(
                number=number,
                retry_on_failure=not last,
                final_if_passed=last or failed_before > 0,
                failed_before=failed_before,
                passed_before=passed_before,
                explore=explore,
                total=total,
                fallback_total=self.reruns + 1,
            )
        return AttemptState(
            number=number,
            retry_on_failure=not fixing and not last,
            final_if_passed=not fixing or last,
            fixing=fixing,
            failed_before=failed_before,
        )
