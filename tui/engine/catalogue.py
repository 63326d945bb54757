"""The curated catalogue (models/catalogue.toml): models `coalign models pull NAME` knows."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from tui.shipped import shipped_dir

CATALOGUE_FILE = shipped_dir("models") / "catalogue.toml"


@dataclass(frozen=True)
class CatalogueEntry:
    """One model of the catalogue: where it lives on Hugging Face and what it suits."""

    name: str
    repo: str
    file: str
    size_mb: int
    parameters: str
    licence: str
    memory: str
    good_for: str

    @property
    def description(self) -> str:
        return f"{self.repo} {self.file} ({self.licence})"


@lru_cache(maxsize=4)
def _read(path: Path) -> tuple[CatalogueEntry, ...]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    entries = []
    for name, raw in (data.get("catalogue") or {}).items():
        entries.append(CatalogueEntry(
            name, str(raw["repo"]), str(raw["file"]), int(raw.get("size_mb", 0)),
            str(raw.get("parameters", "")), str(raw.get("licence", "")),
            str(raw.get("memory", "")), str(raw.get("good_for", ""))))
    return tuple(entries)


def catalogue(path: Path = CATALOGUE_FILE) -> tuple[CatalogueEntry, ...]:
    """Every entry, in the file's order (the file ships with coalign and is tested)."""
    return _read(path)


def find(name: str, path: Path = CATALOGUE_FILE) -> CatalogueEntry | None:
    """The entry called name (case does not matter), or None."""
    wanted = name.strip().lower()
    return next((entry for entry in catalogue(path) if entry.name.lower() == wanted), None)
