"""The CLI, the REPL and the entry point write to the terminal only through
tui.output.terminal, which sanitises every string: a new command cannot forget to."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "tui"
FRONT = sorted([*PACKAGE.glob("cli/*.py"), *PACKAGE.glob("repl/*.py"), PACKAGE / "main.py",
                *(path for path in PACKAGE.glob("output/*.py") if path.name != "terminal.py")])
STREAMS = ("sys.stdout", "sys.stderr", "sys.__stdout__", "sys.__stderr__", "self.out", "repl.out")


def raw_writes(path: Path) -> list[str]:
    """print() calls and .write() on a stream, by line."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id == "print":
            found.append(f"{path.name}:{node.lineno}: print()")
        elif (isinstance(func, ast.Attribute) and func.attr in ("write", "writelines")
              and ast.unparse(func.value) in STREAMS):
            found.append(f"{path.name}:{node.lineno}: {ast.unparse(func)}()")
    return found


def test_front_ends_write_only_through_the_terminal_layer() -> None:
    found = [write for path in FRONT for write in raw_writes(path)]
    assert not found, ("write through tui.output.terminal (out/err, or a Terminal over the "
                       f"stream) instead: {found}")
