"""Carry your changes to a profile into the lab's file, keeping its comments and layout
(tomlkit), so that a review's diff shows only the values you changed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import tomlkit
from tomlkit.items import AoT, Table

from tui.alignment.profiles.validate import show

_MISSING = object()


@dataclass
class Merge:
    """The lab file's new text, what changed in it, and keys the lab changed too."""

    text: str
    changes: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)


def _plain(item: Any) -> Any:
    return item.unwrap() if hasattr(item, "unwrap") else item


def _item(value: Any) -> Any:
    """A TOML item for value; text with line breaks as a multi-line string."""
    if isinstance(value, str) and "\n" in value:
        return tomlkit.string(value, multiline=True)
    return value


def _tables(old: Any, new: Any, node: Any) -> bool:
    return isinstance(new, dict) and isinstance(node, (Table, dict)) and not isinstance(
        node, AoT) and isinstance(old, dict)


def _table_lists(old: Any, new: Any, node: Any) -> bool:
    """Arrays of tables of one length in all three (a prompt's text edited in place)."""
    lists = all(isinstance(x, list) for x in (old, new))
    return lists and isinstance(node, (AoT, list)) and len(old) == len(new) == len(node) and all(
        isinstance(x, dict) for x in (*old, *new))


def _merge(node: Any, old: dict[str, Any], new: dict[str, Any], prefix: str,
           merge: Merge) -> None:
    for key, value in new.items():
        before = old.get(key, _MISSING)
        if before == value:
            continue  # not changed by you: the lab's version stays, whatever it is now
        path = f"{prefix}{key}"
        here: Any = node[key] if key in node else _MISSING
        if here is not _MISSING and _tables(before if before is not _MISSING else {},
                                            value, here):
            _merge(here, before if isinstance(before, dict) else {}, value, f"{path}.", merge)
            continue
        if here is not _MISSING and _table_lists(before, value, here):
            for index, (was, now) in enumerate(zip(before, value, strict=True)):
                _merge(here[index], was, now, f"{path}[{index + 1}].", merge)
            continue
        now = _plain(here) if here is not _MISSING else _MISSING
        if now is not _MISSING and now != before and now != value:
            merge.conflicts.append(f"{path} (the lab has {show(now, 60)}, yours "
                                   f"{show(value, 60)})")
        node[key] = _item(value)
        was = show(before, 80) if before is not _MISSING else None
        merge.changes.append(f"~ {path}: {was} -> {show(value, 80)}" if was is not None
                             else f"+ {path} = {show(value, 80)}")
    for key in old:
        if key not in new and key in node:
            del node[key]
            merge.changes.append(f"- {prefix}{key}")


def merge_changes(lab_text: str, base: dict[str, Any], yours: dict[str, Any]) -> Merge:
    """lab_text with what yours changes against base (both profile documents) applied."""
    document = tomlkit.parse(lab_text)
    merge = Merge("")
    _merge(document, base, yours, "", merge)
    merge.text = tomlkit.dumps(document)
    return merge
