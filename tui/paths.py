"""Where coalign keeps its files: platformdirs, or everything under $COALIGN_HOME."""

from __future__ import annotations

import errno
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from tui.errors import DataDirError

HOME_ENV = "COALIGN_HOME"
DIARY_ENV = "COALIGN_DIARY_DIR"  # the diary folder, e.g. your folder in a study's git clone
APP_NAME = "coalign"


@dataclass(frozen=True)
class Paths:
    """The folders and files of one coalign installation."""

    config_dir: Path
    data_dir: Path
    diary_override: Path | None = None  # $COALIGN_DIARY_DIR, which wins over config.toml

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def database(self) -> Path:
        return self.data_dir / "history.sqlite3"

    @property
    def repl_history(self) -> Path:
        return self.data_dir / "repl_history"

    @property
    def diary_dir(self) -> Path:
        """$COALIGN_DIARY_DIR, else config.toml's diary_dir (relative to the config's
        folder), else data/diary."""
        if self.diary_override is not None:
            return self.diary_override
        from tui.config import load_config  # config imports the action registry: lazily

        configured = load_config(self.config_file)[0].diary_dir
        if configured:
            return self.config_dir / Path(configured).expanduser()
        return self.data_dir / "diary"

    @property
    def machine_id_file(self) -> Path:
        """A random id of this installation, naming its usage files (never the hostname)."""
        return self.data_dir / "machine-id"

    @property
    def participant_seen_file(self) -> Path:
        """What config.toml last carried into participant files (application/participant)."""
        return self.data_dir / "participant-config.toml"

    @property
    def library_database(self) -> Path:
        """The researcher's library: documents and passages in SQLite FTS5 (issue 16)."""
        return self.data_dir / "library.sqlite3"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "coalign.log"

    @property
    def user_models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def kv_cache_dir(self) -> Path:
        """Saved KV caches of conversations, for instant resume (size-capped, LRU)."""
        return self.data_dir / "kv-cache"

    def ensure_data_dir(self, writable: bool = False) -> Path:
        """Create the data dir if needed, or raise DataDirError. With writable (commands
        that save), also prove a file can be written there: a probe of its own, unique
        to this process and removed even when writing it fails, so that parallel starts
        never trip over each other's. Reading commands skip the probe: a read-only or
        full data dir can still be read."""
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            if writable:
                with tempfile.NamedTemporaryFile(dir=self.data_dir, prefix=".write-test-") as probe:
                    probe.write(b"ok")
                    probe.flush()
        except OSError as exc:
            reason = exc.strerror or exc.__class__.__name__
            fix = (f"free space on {self.data_dir}" if exc.errno == errno.ENOSPC
                   else "fix its permissions")
            raise DataDirError(
                f"cannot write to data dir {self.data_dir}: {reason}; "
                f"set {HOME_ENV} to a writable folder or {fix}"
            ) from None
        return self.data_dir


def default_paths() -> Paths:
    """$COALIGN_HOME/{config,data} when set, else the platform's user dirs."""
    diary = os.environ.get(DIARY_ENV)
    override = Path(diary).expanduser().absolute() if diary else None
    home = os.environ.get(HOME_ENV)
    if home:
        root = Path(home).expanduser()
        return Paths(config_dir=root, data_dir=root / "data", diary_override=override)
    return Paths(
        config_dir=Path(platformdirs.user_config_dir(APP_NAME)),
        data_dir=Path(platformdirs.user_data_dir(APP_NAME)),
        diary_override=override,
    )
