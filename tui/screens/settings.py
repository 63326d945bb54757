"""Settings chosen in the app and kept in config.toml (the theme), its comments and layout
left as the user wrote them."""

from __future__ import annotations

from pathlib import Path

import tomlkit
from tomlkit.exceptions import TOMLKitError

from tui.alignment.files import write_atomic


def save_setting(config_file: Path, key: str, value: str) -> str | None:
    """Set a top-level key in config.toml (creating the file if needed), keeping every
    other line, comment and blank as it was; None, or why it was not saved."""
    target = config_file.resolve()  # a symlinked config (dotfiles) stays a symlink
    try:
        text = target.read_bytes().decode("utf-8-sig") if target.exists() else ""
        document = tomlkit.parse(text)
    except (OSError, UnicodeDecodeError) as exc:
        return f"cannot read {config_file}: {exc}"
    except TOMLKitError as exc:
        return f"{config_file} is not valid TOML ({exc}); fix it to save {key} there"
    if document.get(key) == value:
        return None
    document[key] = value
    try:
        write_atomic(target, tomlkit.dumps(document))
    except OSError as exc:
        return f"cannot write {config_file}: {exc.strerror or exc}"
    return None
