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
APP_NAME = "coalign"


@dataclass(frozen=True)
class Paths:
    """The folders and files of one coalign installation."""

    config_dir: Path
    data_dir: Path

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
        return self.data_dir / "diary"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "coalign.log"

    @property
    def user_models_dir(self) -> Path:
        return self.data_dir / "models"

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
    home = os.environ.get(HOME_ENV)
    if home:
        root = Path(home).expanduser()
        return Paths(config_dir=root, data_dir=root / "data")
    return Paths(
        config_dir=Path(platformdirs.user_config_dir(APP_NAME)),
        data_dir=Path(platformdirs.user_data_dir(APP_NAME)),
    )
