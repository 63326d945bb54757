"""Switching models without leaving: the new model loads in the background while the old
one still answers; then the service answers with the new one. The conversation stays; each
answer records its model as every answer does, and the switch is an event in the history."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tui.application import resume, startup
from tui.application.models import ModelRow, fit_warning, listing
from tui.application.service import ChatService
from tui.config import Config
from tui.engine.base import Engine, EngineInfo
from tui.engine.model_files import ModelChoice
from tui.errors import ActionRefused
from tui.paths import Paths

Opener = Callable[[Config, str | None, Paths], tuple[Engine, ModelChoice | None]]


@dataclass
class PendingSwitch:
    """A model being loaded to take over from the one in use."""

    name: str
    engine: Engine
    choice: ModelChoice | None
    warning: str | None  # e.g. it will not fit in the memory free


class ModelSwitcher:
    """Opens another model for a service, as start-up opened the first one."""

    def __init__(self, service: ChatService, config: Config, paths: Paths,
                 opener: Opener | None = None) -> None:
        self.service = service
        self.config = config
        self.paths = paths
        self.opener = opener  # None: start-up's open_engine, looked up at each switch

    def choices(self) -> list[ModelRow]:
        """The models `/model NAME` takes (registered, then found on the machine), the one
        answering now marked."""
        info = self.service.engine.info
        now = Path(info.path).resolve() if info is not None and info.path else None
        rows = listing(self.paths, self.config).rows
        return [ModelRow(r.name, r.path, r.source, r.size,
                         now is not None and r.path.resolve() == now, r.registered)
                for r in rows if r.size is not None]

    def begin(self, name: str) -> PendingSwitch:
        """Find the model called name and start loading it; ActionRefused or the engine's
        error (one line) when it can't be found or opened."""
        name = name.strip()
        if not name:
            raise ActionRefused("/model needs a name: /model alone lists them")
        engine, choice = (self.opener or startup.open_engine)(self.config, name, self.paths)
        warning = fit_warning(choice.path, self.config.context) if choice is not None else None
        engine.start_loading()
        return PendingSwitch(name, engine, choice, warning)

    def finish(self, pending: PendingSwitch, timeout: float | None = None) -> EngineInfo:
        """Wait for the new model, then answer with it and close the old one. A model that
        fails to load is closed and its error raised: the old one goes on answering."""
        try:
            info = pending.engine.wait_loaded(timeout)
        except Exception:
            pending.engine.close()
            raise
        old = self.service.engine
        before = old.info.label if old.info is not None else "no model"
        resume.leaving(self.service)  # the old model's cache of this conversation, kept
        self.service.engine = pending.engine
        old.close()  # after the save: both run in order on the old engine's thread
        self.service.store.add_event(self.service.session_id, "model",
                                     f"{before} -> {info.label}")
        return info

    def switch(self, name: str) -> tuple[EngineInfo, str | None]:
        """begin and finish in one (the REPL, which waits); the warning, if any."""
        pending = self.begin(name)
        return self.finish(pending), pending.warning
