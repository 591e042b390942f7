"""Errors the core raises for problems a user can fix; the adapter turns them into usage errors."""

from __future__ import annotations


class UokInputError(Exception):
    """A file or value given by the user is unusable; the message names the file, field and fix."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UokWriteError(Exception):
    """An artifact could not be written; the message says which and why."""
