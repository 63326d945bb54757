"""Untrusted text never drives the terminal: every `coalign` command and every REPL slash
command, run over a home full of hostile profiles, diary entries, history and a hostile
model, writes no escape, control or bidi character; Rich markup shows literally.

The commands come from the parser (`coalign --help`) and the slash commands from the
action registry, so a new one fails here until it is given a run below.
"""

from __future__ import annotations

import argparse
import io
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from prompt_toolkit import PromptSession
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from tests.security.hostile import (
    HOSTILE,
    HOSTILE_NAME,
    MARKUP,
    Planted,
    assert_inert,
    hostile_engine,
    plant,
    run_in_thread,
)
from tui.actions import ACTIONS
from tui.alignment.export import FORMATS
from tui.application.startup import start
from tui.main import build_parser, main
from tui.repl.loop import Repl

# Not run here: `bench` measures the real model; `tui` is the full-screen Textual app, whose
# text goes through Rich Text objects (tests/tui checks it).
SKIPPED = {"bench", "tui"}


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def parser_commands() -> set[str]:
    """Every command of `coalign --help`, with its actions ('profile list', 'ask')."""
    found = set()
    for name, sub in _subcommands(build_parser()).items():
        actions = _subcommands(sub)
        found |= {f"{name} {action}" for action in actions} if actions else {name}
    return found


@dataclass(frozen=True)
class Run:
    command: str  # as parser_commands() names it
    argv: Callable[[Planted, Path], list[str]]
    shows: bool = True  # the output must show planted text (its Rich markup, literally)
    fake_model: bool = False  # the hostile model stands in for the engine
    env: tuple[tuple[str, str], ...] = ()  # variables set while it runs ($EDITOR, say)


ARG = HOSTILE.replace("\x00", "")  # what a command line can hold: anything but NUL


CHAT_KEYS = "/open\r/help\rhello\r/copy\r/profile list\r/diaries\r/quit\r"


# `diary edit`'s editor: writes an outcome of hostile text, which the check refuses (quoted).
EDITOR = (f"{sys.executable} -c " + shlex.quote(
    "import sys, tomllib, tomli_w; path = sys.argv[1]; data = tomllib.load(open(path, 'rb'))"
    f"; data['final_outcome'] = {ARG!r}; open(path, 'w').write(tomli_w.dumps(data))"))


NO_HUB = (("HF_ENDPOINT", "http://127.0.0.1:9"),)  # `models pull` reaches nothing


def _lab(name: str) -> Callable[[Planted, Path], list[str]]:
    return lambda p, _t: ["profile", "validate", str(p.lab / name)]


RUNS = [
    Run("ask", lambda p, _t: ["ask", "hello"], fake_model=True),
    Run("ask", lambda p, _t: ["ask", "--no-save", "--override", "hello"], fake_model=True),
    Run("ask", lambda p, _t: ["ask", "--model", f"/nowhere/{HOSTILE_NAME}.gguf", "hi"],
        shows=True),  # config and model warnings
    Run("chat", lambda p, _t: ["chat"], fake_model=True),
    Run("models list", lambda p, _t: ["models"]),
    Run("models list", lambda p, _t: ["models", "list", "--model",
                                      f"/nowhere/{HOSTILE_NAME}.gguf"]),
    Run("models show", lambda p, _t: ["models", "show", f"loose {HOSTILE_NAME}"],
        shows=False),  # the planted file is no real GGUF: its name, cleaned, in the error
    Run("models show", lambda p, _t: ["models", "show", ARG]),
    Run("models pull", lambda p, _t: ["models", "pull", ARG], env=NO_HUB),
    Run("models pull", lambda p, _t: ["models", "pull", "qwen2.5-1.5b"], shows=False,
        env=NO_HUB),  # cannot reach it: one line
    Run("usage", lambda p, _t: ["usage"]),
    Run("usage", lambda p, _t: ["usage", "--from", str(p.participant), str(p.paths.diary_dir),
                                str(p.home.parent / HOSTILE_NAME)]),
    Run("doctor", lambda p, _t: ["doctor"]),
    Run("doctor", lambda p, _t: ["doctor", "--backend", "openai", "--base-url",
                                 "http://127.0.0.1:9", "--api-key-env", "LAB_KEY"]),
    Run("profile list", lambda p, _t: ["profile", "list"]),
    Run("profile show", lambda p, _t: ["profile", "show"], shows=False),  # neutral
    Run("profile show", lambda p, _t: ["profile", "show", "rich"]),
    Run("profile show", lambda p, _t: ["profile", "show", p.hostile_profile],
        shows=False),  # a name that is no file name: refused
    Run("profile show", lambda p, _t: ["profile", "show", "osc-top"]),
    Run("profile show", lambda p, _t: ["profile", "show", ARG]),
    Run("profile validate", _lab("osc-top.toml")),
    Run("profile validate", _lab("osc-key.toml")),
    Run("profile validate", _lab("osc-goal.toml")),
    Run("profile validate", _lab("hostile-values.toml"), shows=False),  # refused, not echoed
    Run("profile validate", _lab(f"{HOSTILE_NAME}-broken.toml"), shows=False),
    Run("profile validate", _lab(f"{HOSTILE_NAME}.toml"), shows=False),
    Run("profile diff", lambda p, _t: ["profile", "diff", "rich", "neutral"]),
    Run("profile diff", lambda p, _t: ["profile", "diff", "osc-top", p.hostile_profile]),
    Run("profile diff", lambda p, _t: ["profile", "diff", ARG, "neutral"]),
    Run("profile new", lambda p, _t: ["profile", "new", ARG]),
    Run("profile new", lambda p, _t: ["profile", "new", HOSTILE_NAME], shows=False),
    Run("profile add-source", lambda p, _t: ["profile", "add-source", str(p.lab)], shows=False),
    Run("profile add-source", lambda p, _t: ["profile", "add-source", f"/nowhere/{ARG}"]),
    Run("profile reset", lambda p, _t: ["profile", "reset", ARG]),
    Run("profile reset", lambda p, _t: ["profile", "reset", "rich"], shows=False),  # none
    Run("profile contribute", lambda p, _t: ["profile", "contribute", ARG, "--to", str(p.lab)]),
    Run("profile contribute", lambda p, _t: ["profile", "contribute", "rich", "--to",
                                             f"/nowhere/{ARG}"], shows=False),
    Run("prompt list", lambda p, _t: ["prompt", "list"]),
    Run("prompt list", lambda p, _t: ["prompt", "list", "--profile", ARG]),
    Run("prompt show", lambda p, _t: ["prompt", "show", f"lit {MARKUP}", f"topic={ARG}"]),
    Run("prompt show", lambda p, _t: ["prompt", "show", f"rich:lit {MARKUP}", ARG]),
    Run("prompt show", lambda p, _t: ["prompt", "show", ARG], shows=False),  # its 1st word
    Run("diary list", lambda p, _t: ["diary", "list"]),
    Run("diary list", lambda p, _t: ["diary", "list", "--value", ARG]),
    Run("diary show", lambda p, _t: ["diary", "show", p.entry_id]),
    Run("diary show", lambda p, _t: ["diary", "show", ARG]),
    Run("diary add", lambda p, _t: ["diary", "add", "--misaligned-response", ARG, "--value",
                                    ARG, "--note", ARG, "--model", ARG], shows=False),
    Run("diary import", lambda p, _t: ["diary", "import", str(p.csv_file)]),
    *[Run("diary export", lambda p, t, f=f: [
        "diary", "export", "--format", f, "--pseudonymise", "--from", str(p.participant),
        "--from", str(p.paths.diary_dir), "-o", str(t / f"{HOSTILE_NAME}.{f}")], shows=False)
      for f in FORMATS],
    Run("diary consent", lambda p, _t: ["diary", "consent"], shows=False),  # own: no markup
    Run("diary consent", lambda p, _t: ["diary", "consent", "withdraw", "--keep-entries"],
        shows=False),
    Run("diary list", lambda p, _t: ["diary", "list", "--from", str(p.participant),
                                     "--from", str(p.paths.diary_dir)]),
    Run("diary edit", lambda p, _t: ["diary", "edit", p.entry_id], shows=False,
        env=(("VISUAL", ""), ("EDITOR", "true"))),  # no change
    Run("diary edit", lambda p, _t: ["diary", "edit", p.entry_id],
        env=(("VISUAL", ""), ("EDITOR", EDITOR))),  # refused, and the draft kept
    Run("diary edit", lambda p, _t: ["diary", "edit", ARG]),
    Run("diary add", lambda p, _t: ["diary", "add", "--session", str(p.session_id),
                                    "--message", str(p.answer_id)], shows=False),
    Run("study summary", lambda p, _t: ["study", "summary", "--from", str(p.participant),
                                        "--from", str(p.paths.diary_dir)]),
    Run("study summary", lambda p, _t: ["study", "summary", "--json", "--from",
                                        str(p.participant), "--from", str(p.paths.diary_dir)]),
    Run("library add", lambda p, _t: ["library", "add", str(p.library)], shows=False),
    Run("library add", lambda p, _t: ["library", "add", ARG, "--discipline", ARG]),
    Run("library list", lambda p, _t: ["library", "list"]),
    Run("library show", lambda p, _t: ["library", "show", "1"]),
    Run("library show", lambda p, _t: ["library", "show", ARG]),
    Run("library search", lambda p, _t: ["library", "search", "innocent", "archive"]),
    Run("library search", lambda p, _t: ["library", "search", ARG, "--profile", ARG]),
    Run("library reindex", lambda p, _t: ["library", "reindex", "--all"], shows=False),
    Run("library remove", lambda p, _t: ["library", "remove", ARG]),
    Run("history list", lambda p, _t: ["history", "list"]),
    Run("history search", lambda p, _t: ["history", "search", "innocent"]),
    Run("history search", lambda p, _t: ["history", "search", ARG], shows=False),
]


@pytest.fixture
def planted(coalign_home: Path) -> Planted:
    return plant(coalign_home)


@pytest.fixture
def pipe_prompts(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """`coalign chat` reads its lines from a pipe (what a user types) instead of a tty."""
    with create_pipe_input() as pipe:
        def session(**kwargs: object) -> PromptSession[str]:
            return PromptSession(**{**kwargs, "input": pipe, "output": DummyOutput()})

        monkeypatch.setattr("tui.repl.loop.PromptSession", session)
        yield pipe


def test_every_command_over_hostile_text_writes_nothing_that_drives_the_terminal(
        planted: Planted, tmp_path: Path, pipe_prompts,  # type: ignore[no-untyped-def]
        monkeypatch: pytest.MonkeyPatch, capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    assert parser_commands() == {run.command for run in RUNS} | SKIPPED, (
        "give each new command a Run in RUNS (or a reason in SKIPPED)")
    failures = []
    for run in RUNS:  # in turn, over one home: what one run adds, the next ones show
        argv = run.argv(planted, tmp_path)
        if run.command == "chat":
            pipe_prompts.send_text(CHAT_KEYS)
        with monkeypatch.context() as patch:
            for name, value in run.env:
                patch.setenv(name, value)
            if run.fake_model:
                patch.setattr("tui.application.startup.open_engine", hostile_engine)
            try:
                run_in_thread(lambda: main(argv))
            except SystemExit:
                pass
        out, err = capfdbinary.readouterr()
        try:
            text = assert_inert(out, "stdout") + assert_inert(err, "stderr")
            assert "Traceback" not in text and "usage: coalign" not in text, text
            assert MARKUP in text or not run.shows, f"the planted text is not shown: {text}"
        except AssertionError as exc:
            failures.append(f"coalign {ascii(argv)[:160]}: {str(exc)[:400]}")
    assert not failures, f"{len(failures)} of {len(RUNS)} runs:\n" + "\n".join(failures)


def test_validate_quotes_a_hostile_key_and_names_its_line(
        planted: Planted, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profile", "validate", str(planted.lab / "osc-top.toml")]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"{planted.lab / 'osc-top.toml'}:2: key {HOSTILE!r} is unknown; ")


# the REPL -------------------------------------------------------------------------------

def slash_lines(planted: Planted) -> dict[str, list[str]]:
    """What the walk types for each slash command (typed text holds no controls: the
    hostile text comes from the planted home and the model)."""
    return {
        "send": ["/send hello", "/send"],
        "help": ["/help"],
        "stop": ["/stop"],
        "mark": [f"/mark invalid {MARKUP} reason #care", "/mark nonsense"],
        "assumptions": ["/assumptions", "/assumptions ask", f"/assumptions {planted.answer_id}"],
        "confidence": ["/confidence", "/confidence"],
        "retry": ["/retry", "/retry plain"],
        "prev": ["/prev"],
        "next": ["/next"],
        "rewind": ["/rewind", "again please"],
        "branches": ["/branches", f"/branches {planted.answer_id}"],
        "fork": ["/fork"],
        "diary": [f"/diary {MARKUP} note"],
        "diaries": ["/diaries", "/diaries outcome:misaligned"],
        "pause": ["/pause 5 coffee", "blocked prompt"],
        "resume": ["/resume"],
        "guide": ["/guide"],
        "override": ["/override"],
        "profile": ["/profile", "/profile list", "/profile show", "/profile osc-top",
                    "/profile hostile-values", "/profile rich", "/profile set title=x"],
        "model": ["/model", f"/model {MARKUP}"],  # the list holds the planted names
        "ground": ["/ground on", "innocent archive tapes", f"/ground {MARKUP}", "/ground"],
        "prompt": ["/prompt", f"/prompt lit {MARKUP} topic={MARKUP}", f"/prompt lit {MARKUP}",
                   "a topic asked for", "/prompt nothing-like-it"],
        "new": ["/new"],
        "open": ["/open", f"/open {planted.session_id}"],
        "copy": ["/copy"],
        "quit": ["/quit"],
    }


class TtyBytes(io.BytesIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("tty", [False, True], ids=["pipe", "tty"])
def test_every_slash_command_over_hostile_text_writes_nothing_that_drives_the_terminal(
        tty: bool, planted: Planted, monkeypatch: pytest.MonkeyPatch) -> None:
    assert set(slash_lines(planted)) == {action.slash for action in ACTIONS}, (
        "give each new slash command its lines in slash_lines()")
    monkeypatch.setattr("tui.application.startup.open_engine", hostile_engine)
    startup = start()
    lines = [line for typed in slash_lines(planted).values() for line in typed]
    lines.remove("/quit")
    raw = TtyBytes() if tty else io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="utf-8", write_through=True)
    with create_pipe_input() as pipe:
        pipe.send_text("".join(f"{line}\r" for line in [*lines, "/quit"]))
        repl = Repl(startup.service, planted.paths.repl_history, input=pipe,
                    output=DummyOutput(), out=out, diary=startup.diary)  # type: ignore[arg-type]
        run_in_thread(repl.run, timeout=120)
    text = assert_inert(raw.getvalue(), "the REPL", tty=tty)
    assert MARKUP in text and "Traceback" not in text
    assert "innocentEVIL" in text  # the CR is gone, the text on both sides of it kept
    if tty:
        assert "\x1b]52;c;" in raw.getvalue().decode()  # /copy did copy
