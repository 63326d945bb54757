"""When a conversation's KV cache is saved: as the user leaves it, for another session or by
quitting, so that resuming it later evaluates only the new tokens (engine/kv_state.py)."""

from __future__ import annotations

import logging
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING

from tui.engine.kv_state import KeepsState

if TYPE_CHECKING:
    from tui.application.service import ChatService

log = logging.getLogger("coalign.resume")
QUIT_WAIT_SECONDS = 30.0  # a large model's cache takes a while to write


def leaving(service: ChatService) -> Future[Path | None] | None:
    """The current conversation is being left: have the engine save its KV cache (in the
    background, after any answer in progress); None when the engine keeps none."""
    engine = service.engine
    if service.session is None or not isinstance(engine, KeepsState):
        return None
    return engine.keep_state()


def on_quit(service: ChatService, timeout: float = QUIT_WAIT_SECONDS) -> Path | None:
    """Save the KV cache as the program ends and wait for it (None: nothing was saved).

    Start-up registers it with atexit, which runs it for every front end after it returns
    (a quit, Ctrl-D, SIGTERM or SIGHUP in the TUI), while the engine's thread still runs.
    """
    future = leaving(service)
    if future is None:
        return None
    try:
        return future.result(timeout)
    except Exception as exc:  # noqa: BLE001 - quitting goes on whatever the cache does
        log.warning("KV cache not saved at quit: %s", exc)
        return None

