"""The layering rules of DEVELOPERS.md, checked on the source: a lower layer never imports
a higher one, only the engine imports llama_cpp, and the domain core stays UI-free."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "tui"

# Each module prefix and the tui modules it must not import.
FORBIDDEN = {
    "tui.alignment": ("tui.engine", "tui.service", "tui.screens", "tui.app", "tui.repl",
                      "tui.cli", "tui.bootstrap", "tui.actions", "tui.profile_commands"),
    "tui.engine": ("tui.service", "tui.screens", "tui.app", "tui.repl", "tui.cli",
                   "tui.bootstrap"),
    "tui.service": ("tui.screens", "tui.app", "tui.repl", "tui.cli", "tui.bootstrap",
                    "tui.engine.llama"),
    "tui.screens": ("tui.repl", "tui.cli", "tui.bootstrap", "tui.engine.llama"),
    "tui.app": ("tui.repl", "tui.cli", "tui.bootstrap", "tui.engine.llama"),
    "tui.repl": ("tui.screens", "tui.app", "tui.cli", "tui.bootstrap", "tui.engine.llama"),
}
THIRD_PARTY_FORBIDDEN = {"tui.alignment": ("textual", "llama_cpp", "prompt_toolkit", "rich")}


def modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found.append((name, path))
    return found


def imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


@pytest.mark.parametrize(("name", "path"), modules(), ids=lambda v: str(v))
def test_no_module_imports_a_higher_layer(name: str, path: Path) -> None:
    for layer, banned in {**FORBIDDEN, **THIRD_PARTY_FORBIDDEN}.items():
        if within(name, layer):
            bad = sorted(i for i in imports(path) for b in banned if within(i, b))
            assert not bad, f"{name} ({layer}) imports {bad}"


def test_only_the_engine_imports_llama_cpp() -> None:
    importers = [name for name, path in modules()
                 if any(within(i, "llama_cpp") for i in imports(path))]
    assert importers == ["tui.engine.llama"]


def test_modules_stay_small() -> None:
    long = [(name, n) for name, path in modules()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > 450]
    assert not long, f"split these by responsibility: {long}"
