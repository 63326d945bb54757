"""The same action gives the same stored result from every front end.

Each registry action is run as its slash command through the TUI (Pilot), the REPL and,
where one exists, the CLI, each over its own store and the same fake engine, from the
same starting state; then what each store (and diary folder, and profile folder) holds is
compared, leaving out only timestamps, timings and process ids.
"""

from __future__ import annotations

import argparse
import io
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pytest
from prompt_toolkit.output import DummyOutput

from tests.fixtures.fakes import FakeEngine
from tests.fixtures.pilot import wait_until
from tui.actions import ACTIONS
from tui.alignment.diary.store import DiaryStore
from tui.alignment.store import Store
from tui.application.diary import DiaryRecorder
from tui.application.model_switch import ModelSwitcher
from tui.application.profiles import open_library
from tui.application.service import ChatService
from tui.application.startup import Startup
from tui.config import Config
from tui.engine.base import SamplingSettings
from tui.paths import Paths
from tui.repl.loop import Repl
from tui.screens.app import CoalignApp

Setup = Callable[[ChatService], None]


def ask(service: ChatService, prompt: str) -> None:
    service.send(prompt).wait()


def one_exchange(service: ChatService) -> None:
    ask(service, "what is a bridge?")


def marked(service: ChatService) -> None:
    one_exchange(service)
    service.mark_from_command("invalid made up sources #reliability")


def two_answers(service: ChatService) -> None:
    one_exchange(service)
    service.retry().wait()


def two_answers_on_the_first(service: ChatService) -> None:
    two_answers(service)
    service.switch_answer(-1)


def two_exchanges(service: ChatService) -> None:
    one_exchange(service)
    ask(service, "and a tunnel?")


def rewound_and_asked_again(service: ChatService) -> None:
    two_exchanges(service)
    service.rewind()
    ask(service, "and a ferry?")


def marked_then_rewound(service: ChatService) -> None:
    two_exchanges(service)
    service.mark_from_command("misunderstood it answered about roads #nuance")
    service.rewind()


def two_sessions(service: ChatService) -> None:
    one_exchange(service)
    service.new_session()
    ask(service, "a second conversation")


def paused(service: ChatService) -> None:
    one_exchange(service)
    service.pause(None, "need a break")


def with_a_library(service: ChatService) -> None:
    """The same files (one folder for every front end), each indexed in its own data dir."""
    from tests.fixtures.library import make_library
    from tui.alignment.library.index import LibraryIndex
    from tui.alignment.library.ingest import add_paths
    from tui.application.grounding import Grounder

    data = Path(service.store.path).parent
    files = make_library(data.parents[1] / "shared-library")
    path = data / "library.sqlite3"
    add_paths(LibraryIndex(path), [files["bib"].parent], "default")
    service.grounder = Grounder(path)
    one_exchange(service)


@dataclass(frozen=True)
class Case:
    """Slash lines to run after a setup; `cli` when the CLI has the same action."""

    action: str
    lines: tuple[str, ...]
    setup: Setup = one_exchange
    cli: tuple[str, ...] = ()
    fresh: bool = False  # start from an empty store (the setup is not run)


CASES = [
    Case("send", ("/send what is a bridge?",), fresh=True, cli=("ask", "what is a bridge?")),
    Case("help", ("/help",)),
    Case("stop", ("/stop",)),
    Case("mark", ("/mark invalid made up sources #reliability",)),
    Case("assumptions", ("/assumptions",)),
    Case("confidence", ("/confidence",)),
    Case("retry", ("/retry",), setup=marked),
    Case("rewind", ("/rewind",), setup=two_exchanges),
    Case("previous-answer", ("/prev",), setup=two_answers),
    Case("next-answer", ("/next",), setup=two_answers_on_the_first),
    Case("branches", ("/branches 4",), setup=rewound_and_asked_again),
    Case("fork", ("/fork",)),
    Case("diary", ("/diary partly went to the library instead",), setup=marked_then_rewound),
    Case("diary-list", ("/diaries",)),
    Case("pause", ("/pause 10 too tired to judge",)),
    Case("resume", ("/resume",), setup=paused),
    Case("guide", ("/guide",), setup=marked),
    Case("override-limits", ("/override",)),
    Case("profile", ("/profile group2-plurality", "/send which sources?")),
    Case("ground", ("/ground on", "/send how many cassette tapes are in the Lagos archive?"),
         setup=with_a_library),
    Case("model", ("/model second-model", "/send which model answers now?")),
    Case("prompt", ("/prompt ethics-check We interview nurses.", "/prompt short-answer")),
    Case("new-session", ("/new", "/send a fresh start")),
    Case("open-session", ("/open 1", "/send back to the first"), setup=two_sessions),
    Case("copy-answer", ("/copy",)),
    Case("quit", ("/quit",)),
]


def test_every_registry_action_has_a_case() -> None:
    assert sorted(case.action for case in CASES) == sorted(action.id for action in ACTIONS)


class NamedFakeEngine(FakeEngine):
    """The fake engine under the name /model asked for (what answers record)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"An answer from {name}.")
        self.name = name

    def start_loading(self, on_progress: Callable[[float], None] | None = None) -> None:
        super().start_loading(on_progress)
        assert self.info is not None
        self.info.name = self.name


def named_model(_config: Config, name: str | None, _paths: Paths) -> tuple[FakeEngine, None]:
    """Stands in for start-up's open_engine when /model switches."""
    return NamedFakeEngine(name or "unnamed"), None


@dataclass
class World:
    """One front end's own store, engine, profiles and diary, made the same way."""

    root: Path
    service: ChatService = field(init=False)
    diary: DiaryRecorder = field(init=False)

    def __post_init__(self) -> None:
        paths = Paths(config_dir=self.root, data_dir=self.root / "data")
        paths.ensure_data_dir()
        engine = FakeEngine()
        engine.start_loading()
        self.service = ChatService(Store(paths.database), engine, SamplingSettings(max_tokens=64),
                                   "sys", open_library(paths))
        self.service.set_profile(self.service.profiles.default() if self.service.profiles
                                 else None)
        self.service.models = ModelSwitcher(self.service, Config(), paths, opener=named_model)
        self.diary = DiaryRecorder(self.service, DiaryStore(paths.diary_dir), "P07", True)
        self.paths = paths


DROPPED_META = {"pid", "stats", "marked_at"}


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if k not in DROPPED_META}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def stored(world: World) -> dict[str, Any]:
    """What the store, the diary folder and the profile folder hold, less times."""
    store = world.service.store
    sessions = sorted(store.sessions(), key=lambda s: s.id)
    messages = []
    for session in sessions:
        rows = store._read("SELECT id FROM messages WHERE session_id = ? ORDER BY id",
                           (session.id,))
        messages += [store.message(row["id"]) for row in rows]
    events = store._read("SELECT session_id, kind, detail FROM events ORDER BY id")
    state = {row["key"]: row["value"] for row in store._read("SELECT key, value FROM state")}
    if "pause" in state:
        state["pause"] = "set"  # its times differ by when each front end ran
    diary = [{k: v for k, v in asdict(entry).items()
              if k not in ("id", "created_at", "updated_at", "participant_id")}  # random
             for entry in world.diary.store.list()]
    for entry in diary:
        entry["interventions"] = [{k: v for k, v in e.items() if k != "at"}
                                  for e in entry.get("interventions", [])]
        entry["marks"] = _clean(entry.get("marks", []))
    profiles = sorted(p.name for p in (world.paths.data_dir / "profiles").glob("*.toml"))
    return {
        "sessions": [(s.id, s.title, s.head_id) for s in sessions],
        "messages": [(m.id, m.session_id, m.parent_id, m.role.value, m.content, m.status.value,
                      _clean(m.meta)) for m in messages],
        "events": [tuple(row) for row in events],
        "state": state,
        "diary": diary,
        "profiles": profiles,
    }


async def run_in_tui(world: World, lines: tuple[str, ...]) -> None:
    app = CoalignApp(world.service, Config(), [], world.diary)
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: app.screen is app.chat)
        for line in lines:
            while app.screen is not app.chat:  # a modal the last line opened
                app.pop_screen()
                await pilot.pause()
            prompt = app.chat.query_one("#prompt")
            prompt.value = line  # type: ignore[attr-defined]
            await pilot.press("enter")
            await pilot.pause()
            await wait_until(pilot, lambda: not app.chat.busy and not app.chat.workers)
            await pilot.pause()


def run_in_repl(world: World, lines: tuple[str, ...]) -> None:
    repl = Repl(world.service, world.root / "repl_history", output=DummyOutput(),
                out=io.StringIO(), diary=world.diary)
    world.service.resume_latest()  # as the REPL's start does
    for line in lines:
        repl.execute(line)


def run_in_cli(world: World, argv: tuple[str, ...]) -> None:
    from tui.cli.ask import cmd_ask
    from tui.main import build_parser

    args: argparse.Namespace = build_parser().parse_args(list(argv))
    startup = Startup(world.paths, Config(), world.service, None, world.diary)
    assert cmd_ask(args, startup) == 0


@pytest.mark.parametrize("case", CASES, ids=[case.action for case in CASES])
async def test_the_action_stores_the_same_from_every_front_end(
        case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    worlds = {name: World(tmp_path / name) for name in ("tui", "repl", "cli")}
    for world in worlds.values():
        if not case.fresh:
            case.setup(world.service)
            world.service.session = None  # each front end finds the session itself
    await run_in_tui(worlds["tui"], case.lines)
    run_in_repl(worlds["repl"], case.lines)
    results = {"tui": stored(worlds["tui"]), "repl": stored(worlds["repl"])}
    if case.cli:
        run_in_cli(worlds["cli"], case.cli)
        results["cli"] = stored(worlds["cli"])
    assert results["tui"] == results["repl"]
    if "cli" in results:
        assert results["cli"] == results["tui"]
    before = World(tmp_path / "before")
    if not case.fresh:
        case.setup(before.service)
    changes = {"help", "stop", "assumptions", "confidence", "diary-list", "guide",
               "copy-answer", "quit"}
    if case.action in changes:  # these show things and store nothing
        assert results["tui"] == stored(before)
    else:
        assert results["tui"] != stored(before), "the case does not exercise the action"
