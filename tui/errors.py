"""Errors a user can act on: each carries one line that names the thing and the fix."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class CoalignError(Exception):
    """A problem to show the user as one line, never as a traceback."""


class ModelError(CoalignError):
    """The model file is missing, unreadable, not a GGUF, or failed to load."""


class DataDirError(CoalignError):
    """The data directory cannot be created or written."""


class RemoteError(CoalignError):
    """An OpenAI-compatible server could not be reached, refused the request, or failed."""


class StreamInterrupted(RemoteError):
    """The server's answer stopped part-way (dropped, stalled, or an error mid-stream);
    the text received until then is kept."""


class ActionRefused(CoalignError, ValueError):
    """An action that cannot be done now (nothing to retry, no answer to mark …); says why."""


class LimitReached(ActionRefused):
    """A daily engagement limit of the profile in force is reached and not overridden today."""

    def __init__(self, described: str) -> None:
        super().__init__(f"daily limit reached: {described}. Stepping away is a choice too")
        self.described = described


class ControlVectorError(CoalignError):
    """A control-vector file is missing, unreadable, or made for another model."""


class HistoryError(CoalignError):
    """history.sqlite3 cannot be opened, read or written (read-only, full, a folder, another
    program's database, or a newer coalign's); the line names the file and the fix."""


class HistoryDamaged(HistoryError):
    """history.sqlite3 is not a readable database (corrupt, truncated, random bytes): it can
    be moved aside and a fresh history started."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class FileIssue:
    """A problem in a user's file, said in one line: 'file:line: what, and how to fix it'."""

    path: Path
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}: {self.message}"
