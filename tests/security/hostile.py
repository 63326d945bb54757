"""Hostile text planted everywhere coalign reads it from, and the check on raw output.

The text carries what a shared profile, a participant's diary folder, the history or a
model could hold to take over a terminal: OSC 52 (the clipboard), OSC 0 (the window
title), OSC 8 (a hyperlink), CSI 2J (clear the screen), a DCS string, C1 controls, a lone
CR (overwrites what was shown), bidi overrides and isolates, NUL, BEL, and Rich markup
(which must show literally, never be interpreted).
"""

from __future__ import annotations

import base64
import csv
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import tomli_w

from tests.fixtures.fakes import FakeEngine
from tui.alignment.conversation import Role, Status
from tui.alignment.diary import DiaryEntry, DiaryStore
from tui.alignment.store import Store
from tui.engine.base import EngineInfo, Generation, SamplingSettings
from tui.output.terminal import DIM, HIGHLIGHT, RESET
from tui.paths import Paths

MARKUP = "[bold red]x[/]"  # must reach the output as these very characters
ATTACKS = (
    "\x1b]52;c;ZXZpbA==\x07"  # OSC 52: put "evil" on the clipboard
    "\x1b]0;TITLEHIJACK\x07"  # OSC 0: the window title
    "\x1b]8;;http://evil.example/\x1b\\link\x1b]8;;\x1b\\"  # OSC 8 hyperlink
    "\x1b[2J\x1b[H"  # clear the screen, cursor home
    "\x1bP1$qm\x1b\\"  # DCS (a terminal query)
    "\x9b2J\x9d0;C1TITLE\x9c\x85"  # C1 CSI, C1 OSC and ST, NEL
    "innocent\rEVIL"  # CR: EVIL overwrites what came before it
    "\u202egnp.exe\u202c \u2066isolated\u2069 \u200f\u061c\u202a\u202b\u202d\u200e"
    "\x00\x07\x08\x7f"
)
HOSTILE = f"{MARKUP} innocent {ATTACKS} end"  # "innocent" is the word history search finds
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
# A file name can hold anything but / and NUL.
HOSTILE_NAME = "evil\x1b[2J\x1b]0;T\x07\r\u202ename"
OSC52 = re.compile(r"\x1b\]52;c;([A-Za-z0-9+/]*=*)\x07")


def forbidden(text: str) -> list[str]:
    """The characters that must never reach a terminal from untrusted text."""
    return sorted({repr(ch) for ch in text
                   if (ch < " " and ch not in "\n\t") or "\x7f" <= ch <= "\x9f" or ch in BIDI})


def assert_inert(raw: bytes, what: str, tty: bool = False) -> str:
    """raw (bytes written) holds no escape, control or bidi character; on a terminal only
    coalign's own styles, and at most one OSC 52 whose payload is clean base64. Returns
    the text with those removed."""
    text = raw.decode("utf-8")  # undecodable output would be a failure too
    if tty:
        for style in (DIM, HIGHLIGHT, RESET):
            text = text.replace(style, "")
        copies = OSC52.findall(text)
        assert len(copies) <= 1, f"{what}: {len(copies)} OSC 52 sequences"
        for payload in copies:
            assert not forbidden(base64.b64decode(payload, validate=True).decode("utf-8"))
        text = OSC52.sub("", text)
    bad = forbidden(text)
    assert not bad, f"{what} wrote {bad}: {text[:2000]!r}"
    return text


class HostileEngine(FakeEngine):
    """A model whose name, metadata, warnings and every answer are hostile; each piece
    comes with a probability (some low), so /confidence highlights hostile stretches."""

    def __init__(self) -> None:
        super().__init__(HOSTILE)

    def start_loading(self, on_progress: object = None) -> None:
        self.info = EngineInfo(name=f"model {HOSTILE}", path=f"/models/{HOSTILE_NAME}.gguf",
                               quantization=ATTACKS, n_ctx=4096,
                               metadata={"general.name": HOSTILE},
                               warnings=[f"warning {HOSTILE}"])
        self._loaded.set()

    def _run(self, generation: Generation, settings: SamplingSettings) -> None:
        generation.probs_available = True
        words = self.reply.split(" ")
        for index, word in enumerate(words[: settings.max_tokens]):
            if generation.stop_event.is_set():
                generation.stats.finish_reason = "cancelled"
                break
            generation.push(word if index == 0 else " " + word, 0.05 if index % 2 else 0.99)
            generation.stats.generated_tokens += 1
        else:
            generation.stats.finish_reason = "stop"
        generation.finish()


def hostile_engine(*_args: object) -> tuple[HostileEngine, None]:
    """Stands in for tui.application.startup.open_engine."""
    return HostileEngine(), None


@dataclass
class Planted:
    home: Path
    paths: Paths
    lab: Path  # a lab's folder of shared profiles
    participant: Path  # another participant's diary folder (for --from)
    csv_file: Path
    session_id: int
    answer_id: int
    entry_id: str
    hostile_profile: str  # the name of a valid profile whose file name is hostile
    library: Path | None = None  # the researcher's files, hostile, indexed in the home


def _profiles(lab: Path) -> str:
    lab.mkdir(parents=True)
    dump = tomli_w.dumps
    (lab / "osc-top.toml").write_text(dump({"schema": 1, HOSTILE: 1}))
    (lab / "osc-key.toml").write_text(dump({"schema": 1, "values": {HOSTILE: {"weight": 0.5}}}))
    (lab / "osc-goal.toml").write_text(dump({"schema": 1, "goal": {HOSTILE: "x"}}))
    (lab / "hostile-values.toml").write_text(dump({
        "schema": 1, "title": HOSTILE, "description": HOSTILE,
        "goal": {"researchers": HOSTILE, "aim": HOSTILE, "characterised_by": HOSTILE}}))
    rich = {"schema": 1, "title": f"{MARKUP} title", "description": f"{MARKUP} description",
            "goal": {"researchers": MARKUP, "aim": f"aim {MARKUP}",
                     "characterised_by": f"{MARKUP} care"},
            "values": {"care": {"weight": 0.7, "meaning": f"{MARKUP} meaning"}},
            "prompts": [{"name": f"lit {MARKUP}", "text": f"{MARKUP} text on {{topic}}",
                         "description": f"{MARKUP} description"}]}
    (lab / "rich.toml").write_text(dump(rich))
    (lab / f"{HOSTILE_NAME}.toml").write_text(dump(rich))
    (lab / f"{HOSTILE_NAME}-broken.toml").write_text("schema = 1\n[values\n")
    with open(os.path.join(os.fsencode(lab), b"undecodable \xff name.toml"), "wb") as raw:
        raw.write(b"schema = 1\n")  # a name that is no UTF-8: str has a lone surrogate
    return HOSTILE_NAME


def _history(paths: Paths) -> tuple[int, int]:
    store = Store(paths.database)
    try:
        session = store.create_session(HOSTILE)
        prompt = store.add_message(session.id, None, Role.USER, HOSTILE)
        stats = {"generated_tokens": 3, "tokens_per_second": 1.0, "context_used": 9}
        meta = {"stats": stats, "profile": {"name": HOSTILE, "origin": HOSTILE},
                "token_probs": [[HOSTILE, 0.1], [" ok", 0.9]],
                "mark": {"validity": "invalid", "reason": HOSTILE, "values_at_risk": [HOSTILE]}}
        answer = store.add_message(session.id, prompt.id, Role.ASSISTANT, HOSTILE,
                                   model=HOSTILE, meta=meta)
        store.add_message(session.id, prompt.id, Role.ASSISTANT, HOSTILE, Status.INTERRUPTED,
                          model=HOSTILE, meta={"stats": stats, "error": HOSTILE})
        other = store.create_session(f"second {HOSTILE}")
        store.add_message(other.id, None, Role.USER, f"second {HOSTILE}")
        store.set_head(session.id, answer.id)  # the hostile session is the latest
        return session.id, answer.id
    finally:
        store.close()


def _diary(paths: Paths, participant: Path) -> str:
    entry = DiaryEntry(misaligned_response=HOSTILE, initial_prompting=HOSTILE,
                       intuitive_intervention=HOSTILE, final_outcome="misaligned",
                       outcome_note=HOSTILE,
                       values_at_risk=[HOSTILE.replace("\x00", ""), f"v{ATTACKS}"],
                       model=HOSTILE, pseudonym="P01", consent=True)
    added = DiaryStore(paths.diary_dir).add(entry)
    (paths.diary_dir / f"{HOSTILE_NAME}.toml").write_text(
        tomli_w.dumps({"misaligned_response": "x", HOSTILE: 1}))
    (paths.diary_dir / "20261201T000000-abcdef.toml").write_text(tomli_w.dumps(
        {"id": "20261201T000000-abcdef", "misaligned_response": "x", HOSTILE: 1}))
    (participant / "usage").mkdir(parents=True)
    (participant / "participant.toml").write_text(tomli_w.dumps(  # a hostile pseudonym
        {"participant_id": "0123456789abcdef", "pseudonym": HOSTILE, "consent": True}))
    record = {"schema": 1, "pseudonym": HOSTILE, "day": HOSTILE,
              "profiles": {HOSTILE: {"requests": 1, "tokens": 5}}}
    (participant / "usage" / "2026-12-01.toml").write_text(tomli_w.dumps(record))
    (participant / "usage" / f"{HOSTILE_NAME}.toml").write_text("not = [toml")
    DiaryStore(participant).add(DiaryEntry(misaligned_response=HOSTILE, pseudonym=HOSTILE,
                                           values_at_risk=[HOSTILE], consent=True))
    return added.id


def _csv(path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Misaligned Response", "Final Outcome", "Values at risk", "Created at"])
        writer.writerow([HOSTILE, "misaligned", HOSTILE, ""])
        writer.writerow([HOSTILE, HOSTILE, HOSTILE, ""])
        writer.writerow([HOSTILE, "aligned", "", HOSTILE])


def _library(paths: Paths, folder: Path) -> Path:
    """Library files of hostile text (a note, a .bib, a PDF that is none), indexed."""
    from tui.alignment.library.index import LibraryIndex
    from tui.alignment.library.ingest import add_paths

    clean = HOSTILE.replace("\x00", "")
    folder.mkdir(parents=True)
    (folder / f"{HOSTILE_NAME}.md").write_text(
        f"---\ntitle: {MARKUP} {clean}\nkeywords: [{clean}]\n---\n{HOSTILE}\n\n"
        f"The innocent archive of {MARKUP} holds tapes.\n", encoding="utf-8")
    (folder / "refs.bib").write_text(
        f"@article{{k1, author = {{{clean}}}, title = {{{MARKUP} tapes}}, year = {{2001}},\n"
        f"  abstract = {{{clean} archive tapes}}, file = {{:{HOSTILE_NAME}.pdf:PDF}}}}\n",
        encoding="utf-8")
    (folder / f"{HOSTILE_NAME}.pdf").write_bytes(f"%PDF-1.4 {clean}".encode())
    index = LibraryIndex(paths.library_database)
    add_paths(index, [folder], "default")
    index.close()
    return folder


def plant(home: Path) -> Planted:
    """A COALIGN_HOME (home) full of hostile text, and the folders it names."""
    paths = Paths(home, home / "data")
    paths.data_dir.mkdir(parents=True)
    hostile_profile = _profiles(home.parent / "lab")
    (paths.config_file).write_text(tomli_w.dumps({"profile": hostile_profile, HOSTILE: 1}))
    (paths.config_dir / "profile-sources.toml").write_text(
        tomli_w.dumps({"sources": [str(home.parent / "lab")]}))
    models = paths.user_models_dir
    models.mkdir()
    (models / "models.toml").write_text(tomli_w.dumps(
        {"default": HOSTILE, "models": {HOSTILE: {"path": f"{HOSTILE_NAME}.gguf",
                                                  "description": HOSTILE},
                                        "broken": {"path": 5}}}))
    (models / f"loose {HOSTILE_NAME}.gguf").write_bytes(b"GGUF")
    session_id, answer_id = _history(paths)
    participant = home.parent / "participant"
    entry_id = _diary(paths, participant)
    csv_file = home.parent / f"import {HOSTILE_NAME}.csv"
    _csv(csv_file)
    library = _library(paths, home.parent / "library")
    return Planted(home, paths, home.parent / "lab", participant, csv_file, session_id,
                   answer_id, entry_id, hostile_profile, library)


def run_in_thread(target: object, timeout: float = 60) -> None:
    """Run target() in a thread; fail (not hang) when it does not end in time."""
    errors: list[BaseException] = []

    def body() -> None:
        try:
            target()  # type: ignore[operator]
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            errors.append(exc)

    worker = threading.Thread(target=body, daemon=True)
    worker.start()
    worker.join(timeout)
    assert not worker.is_alive(), "timed out"
    if errors:
        raise errors[0]
