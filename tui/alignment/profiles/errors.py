"""ProfileError: one line naming the file, line, key and the fix."""

from __future__ import annotations

from tui.errors import CoalignError

KeyPath = tuple[str | int, ...]


def key_name(path: KeyPath) -> str:
    """('tradeoffs', 0, 'between') -> 'tradeoffs[1].between' (array items counted from 1)."""
    out = ""
    for part in path:
        out += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


class ProfileError(CoalignError):
    """A profile that cannot be used: 'FILE:LINE: key 'K' … ; FIX'."""

    def __init__(self, detail: str, file: str | None = None, line: int | None = None) -> None:
        self.detail, self.file, self.line = detail, file, line
        where = f"{file}:{line}: " if file and line else (f"{file}: " if file else "")
        super().__init__(where + detail)
