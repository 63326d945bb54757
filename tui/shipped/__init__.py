"""Data shipped with coalign: the value profiles and the models registry template.

The repository keeps them at its root (profiles/, models/). pyproject.toml maps those folders
to the data packages tui.shipped.profiles and tui.shipped.models, so a built wheel carries
them inside this package. A source checkout or an editable install has no such folders here,
so the repository's own ones are used.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

_REPO_ROOT = Path(__file__).resolve().parents[2]


def shipped_dir(name: str) -> Path:
    """The shipped folder NAME ("profiles" or "models") as a real directory path."""
    packaged = files(__name__) / name
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged.resolve()
    return _REPO_ROOT / name
