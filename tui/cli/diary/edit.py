"""`coalign diary edit ID`: the entry in $VISUAL or $EDITOR (else vi) as TOML, saved when valid."""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from tui.alignment.diary import DiaryError, DiaryStore
from tui.application.diary_edit import editable_text, edited_entry
from tui.output.terminal import err, out
from tui.paths import Paths

FALLBACK_EDITOR = "vi"
DRAFTS = "diary-edits"  # in the data dir (never the diary folder, which git may share)


def add_parsers(actions: argparse._SubParsersAction
                ) -> dict[str, Callable[[argparse.Namespace, Paths], int]]:
    """Register edit; return its handler by name."""
    edit = actions.add_parser("edit", help="edit an entry in $VISUAL/$EDITOR as TOML "
                              "(checked before it is saved)")
    edit.add_argument("id")
    return {"edit": _edit}


def editor_command() -> list[str]:
    """$VISUAL, else $EDITOR, else vi, split as a shell would ('code --wait' works)."""
    chosen = os.environ.get("VISUAL") or os.environ.get("EDITOR") or FALLBACK_EDITOR
    try:
        words = shlex.split(chosen)
    except ValueError:
        words = []
    if not words:
        raise DiaryError(f"the editor {chosen!r} cannot be read as a command; set $EDITOR "
                         "to one, such as EDITOR=nano")
    return words


def _run_editor(command: list[str], path: Path) -> int:
    try:
        return subprocess.run([*command, str(path)], check=False).returncode
    except OSError as exc:
        raise DiaryError(f"cannot start the editor {command[0]!r} ({exc.strerror or exc}); "
                         "set $VISUAL or $EDITOR to one that is installed") from None


def _again() -> bool:
    """Ask whether to edit again; no answer (end of input) is no."""
    err.write("edit again? [Y/n] ")
    try:
        answer = sys.stdin.readline()
    except (OSError, ValueError):  # no input to read from (closed, or not there)
        answer = ""
    if not answer:
        err.line()
    return bool(answer) and answer.strip().lower() in ("", "y", "yes")


def _edit(args: argparse.Namespace, paths: Paths) -> int:
    store = DiaryStore(paths.diary_dir)
    original = store.get(args.id)
    path = store.path_to(original.id)
    on_disk = path.read_bytes()
    command = editor_command()
    drafts = paths.data_dir / DRAFTS
    drafts.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle, name = tempfile.mkstemp(prefix=f"{original.id}-", suffix=".toml", dir=drafts)
    draft, keep = Path(name), False
    with os.fdopen(handle, "w", encoding="utf-8") as opened:
        opened.write(editable_text(original))
    try:
        while True:
            status = _run_editor(command, draft)
            if status != 0:
                err.line(f"the editor exited with status {status}; {path} is unchanged")
                return 1
            try:
                changed = edited_entry(original, draft.read_text(encoding="utf-8"))
            except (DiaryError, UnicodeDecodeError) as exc:
                problem = str(exc).removeprefix(f"diary entry {original.id}: ")
                err.line(f"{path.name}: {problem}")
                if _again():
                    continue  # the editor opens the draft again, the edit kept
                keep = True
                err.line(f"abandoned: {path} is unchanged; your edit is in {draft}")
                return 1
            if changed is None:
                out.line(f"no change; {original.id} left as it was")
                return 0
            if path.read_bytes() != on_disk:
                keep = True
                raise DiaryError(f"{path} changed while you edited it (a git pull?); "
                                 f"nothing saved; your edit is in {draft}")
            store.update(changed)
            out.line(f"saved {original.id}")
            return 0
    finally:
        if not keep:
            draft.unlink(missing_ok=True)
