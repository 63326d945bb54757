"""Read a profile file safely: size cap, TOML syntax, then every key checked."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from tui.alignment.profiles.errors import ProfileError
from tui.alignment.profiles.schema import Profile
from tui.alignment.profiles.validate import Reader, build_profile

MAX_BYTES = 256 * 1024
_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)")


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1024:.0f} KiB"


def _too_big(file: str, size: int) -> ProfileError:
    return ProfileError(f"is {_size(size)}, profiles are capped at 256 KiB; "
                        "keep only the profile's own settings in it", file)


def parse_profile(text: str, path: Path | str) -> Profile:
    """Check and build the profile in text, read from path (its stem is the name)."""
    path = Path(path)
    file = str(path)
    size = len(text.encode("utf-8"))
    if size > MAX_BYTES:
        raise _too_big(file, size)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = _AT.search(message)
        line = int(match.group(1)) if match else max(1, len(text.splitlines()))
        reason = _AT.sub(f" at column {match.group(2)}" if match else "", message)
        reason = reason.replace(" (at end of document)", " at the end of the file")
        raise ProfileError(f"not valid TOML: {reason[:1].lower() + reason[1:]}; "
                           "fix the syntax (see profiles/README.md)", file, line) from None
    return build_profile(data, path.stem, Reader(file, text, path.parent))


def load_profile(path: Path | str) -> Profile:
    """Read and check a profile file, or raise ProfileError (one line: file, line, key, fix)."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise _too_big(str(path), size)
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ProfileError(f"cannot be read ({exc.strerror or type(exc).__name__}); "
                           "check the path and its permissions", str(path)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProfileError(f"is not UTF-8 text (byte {exc.start}); save it as UTF-8",
                           str(path)) from None
    return parse_profile(text, path)
