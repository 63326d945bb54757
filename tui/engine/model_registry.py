"""Writing the user's model registry (data/models/models.toml): a pulled model gets a
[models.NAME] entry; tomlkit keeps the rest of the file, comments and all, as it was."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from tui.errors import ModelError

HEADER = """\
# Your model registry: coalign adds the models you pull (`coalign models pull NAME`).
# Edit freely: `default = "NAME"` picks the one coalign uses; `coalign models` lists them.
"""


def register(folder: Path, name: str, path: Path, description: str,
             extra: dict[str, str] | None = None) -> str:
    """Add (or update) the entry for path under name in folder/models.toml; returns the
    name used (name-2, … when name is taken by another file). ModelError, one line naming
    the file, when the registry can't be read or written."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    registry = folder / "models.toml"
    try:
        text = registry.read_text(encoding="utf-8-sig") if registry.exists() else HEADER
        document = tomlkit.parse(text)
    except (OSError, UnicodeDecodeError, TOMLKitError) as exc:
        raise ModelError(f"{registry}: cannot add the model to the registry ({exc}); fix or "
                         "remove that file and pull again (nothing is downloaded twice)") from None
    models = document.get("models")
    if models is None:
        models = tomlkit.table(is_super_table=True)
        document["models"] = models
    if not isinstance(models, dict):
        raise ModelError(f"{registry}: `models` must be a table of [models.NAME] entries; "
                         "fix it and pull again")
    chosen, number = name, 1
    while chosen in models and Path(str(models[chosen].get("path", ""))) != path:
        number += 1
        chosen = f"{name}-{number}"
    entry = tomlkit.table()
    entry["path"] = str(path)
    entry["description"] = description
    for key, value in (extra or {}).items():
        entry[key] = value
    models[chosen] = entry
    _write(registry, tomlkit.dumps(document))
    return chosen


def _write(target: Path, text: str) -> None:
    """Replace target with text in one step (a crash leaves the old file or the new one)."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".models-",
                                             suffix=".toml")
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, target)
    except OSError as exc:
        raise ModelError(f"{target}: cannot write the model registry ({exc.strerror}); check "
                         "the folder's permissions and free space") from None
