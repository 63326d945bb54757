"""The layer rules of README "Architecture", checked on the source of every module.

Every module of tui/ belongs to one layer by its package; a layer may import only the
layers listed for it; no front end imports another; only the engine touches llama_cpp;
module-level imports have no cycles.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "tui"

# Package (or module) -> layer. The longest matching prefix wins.
LAYER_OF = {
    "tui": "shared",  # tui/__init__.py, actions, config, paths, errors
    "tui.shipped": "shared",  # package data: the shipped profiles and the models template
    "tui.alignment": "domain",
    "tui.engine": "engine",
    "tui.application": "application",
    "tui.output": "output",
    "tui.widgets": "tui-widgets",
    "tui.screens": "tui-screens",
    "tui.repl": "repl",
    "tui.cli": "cli",
    "tui.main": "entry",
    "tui.__main__": "entry",
    "tui.bench": "bench",
}
SHARED_MODULES = {"tui", "tui.actions", "tui.config", "tui.paths", "tui.errors"}
BELOW_FRONT_ENDS = ("shared", "domain", "engine", "application", "output")
# Layer -> the layers it may import (itself included).
MAY_IMPORT = {
    "shared": ("shared",),
    "domain": ("shared", "domain"),
    "engine": ("shared", "domain", "engine"),
    "application": ("shared", "domain", "engine", "application"),
    "output": ("shared", "domain", "engine", "application", "output"),
    "tui-widgets": (*BELOW_FRONT_ENDS, "tui-widgets"),
    "tui-screens": (*BELOW_FRONT_ENDS, "tui-widgets", "tui-screens"),
    "repl": (*BELOW_FRONT_ENDS, "repl"),
    "cli": (*BELOW_FRONT_ENDS, "cli"),
    "entry": (*BELOW_FRONT_ENDS, "tui-screens", "repl", "cli", "bench", "entry"),
    "bench": (*BELOW_FRONT_ENDS, "tui-widgets", "tui-screens", "bench"),
}
FRONT_ENDS = ("tui-widgets", "tui-screens", "repl", "cli")
# Front ends reach engines only through the application (startup); these engine modules
# hold plain types and the model-file resolver, which they may use.
ENGINE_MODULES_FOR_FRONT_ENDS = ("tui.engine.base", "tui.engine.model_files")
THIRD_PARTY_BANNED = {
    "domain": ("textual", "rich", "prompt_toolkit", "llama_cpp"),
    "engine": ("textual", "rich", "prompt_toolkit"),
    "application": ("textual", "rich", "prompt_toolkit", "llama_cpp"),
    "output": ("textual", "rich", "prompt_toolkit", "llama_cpp"),
    "shared": ("textual", "rich", "prompt_toolkit", "llama_cpp"),
    "repl": ("textual", "llama_cpp"),
    "cli": ("textual", "prompt_toolkit", "llama_cpp"),
    "tui-widgets": ("prompt_toolkit", "llama_cpp"),
    "tui-screens": ("prompt_toolkit", "llama_cpp"),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> list[tuple[str, Path]]:
    return [(module_name(path), path) for path in sorted(PACKAGE.rglob("*.py"))]


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def layer(name: str) -> str | None:
    """The layer a tui module belongs to (None: in none)."""
    if name.count(".") == 1 and name not in SHARED_MODULES and name not in LAYER_OF:
        return None  # a new module at the top of tui/ must be given a layer on purpose
    matches = [prefix for prefix in LAYER_OF if within(name, prefix)]
    return LAYER_OF[max(matches, key=len)] if matches else None


def imports(path: Path, top_level_only: bool = False) -> set[str]:
    """Absolute module names imported anywhere in the file (or only at module level,
    outside `if TYPE_CHECKING:`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = (_module_level(tree.body) if top_level_only else ast.walk(tree))
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def _module_level(body: list[ast.stmt]) -> list[ast.stmt]:
    found: list[ast.stmt] = []
    for node in body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        if isinstance(node, (ast.If, ast.Try)):
            found += _module_level(node.body)
        else:
            found.append(node)
    return found


def known(names: set[str]) -> set[str]:
    """The names that are tui modules (not `from tui.x import some_function`)."""
    every = {name for name, _path in modules()}
    return {name for name in names if name in every}


MODULES = modules()


@pytest.mark.parametrize(("name", "path"), MODULES, ids=[name for name, _p in MODULES])
def test_every_module_is_in_a_layer_and_imports_only_what_its_layer_may(
        name: str, path: Path) -> None:
    own = layer(name)
    assert own is not None, f"{name} is in no layer: put it in a package listed in LAYER_OF"
    bad = []
    for imported in sorted(known(imports(path))):
        theirs = layer(imported)
        if theirs not in MAY_IMPORT[own]:
            bad.append(f"{imported} ({theirs})")
        elif (own in FRONT_ENDS and theirs == "engine"
              and not any(within(imported, ok) for ok in ENGINE_MODULES_FOR_FRONT_ENDS)):
            bad.append(f"{imported} (engine: front ends get engines from tui.application)")
    assert not bad, (f"{name} ({own}) imports {', '.join(bad)}; {own} may import only "
                     f"{', '.join(MAY_IMPORT[own])}")


@pytest.mark.parametrize(("name", "path"), MODULES, ids=[name for name, _p in MODULES])
def test_layers_keep_to_their_libraries(name: str, path: Path) -> None:
    banned = THIRD_PARTY_BANNED.get(layer(name) or "", ())
    bad = sorted(i for i in imports(path) for b in banned if within(i, b))
    assert not bad, f"{name} ({layer(name)}) imports {bad}"


def test_no_front_end_imports_another() -> None:
    crossings = []
    for name, path in MODULES:
        own = layer(name)
        if own not in FRONT_ENDS:
            continue
        for imported in known(imports(path)):
            theirs = layer(imported)
            tui_pair = {own, theirs} <= {"tui-widgets", "tui-screens"}
            if theirs in FRONT_ENDS and theirs != own and not tui_pair:
                crossings.append(f"{name} ({own}) -> {imported} ({theirs})")
    assert not crossings, crossings


def test_widgets_do_not_import_screens() -> None:
    bad = [(name, i) for name, path in MODULES if layer(name) == "tui-widgets"
           for i in known(imports(path)) if layer(i) == "tui-screens"]
    assert not bad, bad


def test_only_the_engine_imports_llama_cpp() -> None:
    importers = [name for name, path in MODULES
                 if any(within(i, "llama_cpp") for i in imports(path))]
    assert importers == ["tui.engine.llama"]


def test_module_level_imports_have_no_cycles() -> None:
    graph = {name: known(imports(path, top_level_only=True)) - {name} for name, path in MODULES}
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for child in sorted(graph.get(node, ())):
            if state.get(child) == 1:
                return path[path.index(child):] + [child]
            if child not in state and (cycle := visit(child)):
                return cycle
        state[node] = 2
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            pytest.fail("import cycle: " + " -> ".join(cycle))


def test_modules_stay_small() -> None:
    long = [(name, n) for name, path in MODULES
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > 450]
    assert not long, f"split these by responsibility: {long}"
