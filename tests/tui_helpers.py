"""Helpers for Textual tests: wait on a condition (never sleep), read a Static's text."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.pilot import Pilot
from textual.widgets import Static


async def wait_until(pilot: Pilot, predicate: Callable[[], object], timeout: float = 10) -> None:
    """Let the app run until predicate() holds; fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {predicate}")
        await pilot.pause()


def plain(widget: Static) -> str:
    return widget.visual.plain
