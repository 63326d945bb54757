"""`coalign models pull NAME|REPO [FILE]`: download through huggingface_hub, with a
progress bar on stderr, the checksum checked, and the model registered."""

from __future__ import annotations

import argparse
import time

from tui.application.models import hub_address, pull, pull_target, size_text
from tui.cli.flags import overrides
from tui.config import load_config
from tui.output.terminal import Terminal, err, out
from tui.paths import default_paths

REDRAW_SECONDS = 0.2
BAR_WIDTH = 24
CLEAR_LINE = "\r\x1b[2K"


class ProgressBar:
    """One line redrawn in place on a terminal; elsewhere a line at each quarter."""

    def __init__(self, terminal: Terminal = err) -> None:
        self.terminal = terminal
        self.started = time.monotonic()
        self.first: int | None = None  # bytes on disk at the first report (the rate's start)
        self.drawn = 0.0
        self.quarter = 0
        self.done = 0

    def __call__(self, done: int, total: int | None) -> None:
        now = time.monotonic()
        if self.first is None:
            self.first, self.started = done, now
        self.done = done
        fraction = done / total if total else 0.0
        if not self.terminal.isatty():
            if total and int(fraction * 4) > self.quarter:
                self.quarter = int(fraction * 4)
                self.terminal.line(f"  {self.quarter * 25}% ({size_text(done)} of "
                                   f"{size_text(total)})")
            return
        if now - self.drawn < REDRAW_SECONDS and done != total:
            return
        self.drawn = now
        filled = int(fraction * BAR_WIDTH)
        rate = (done - (self.first or 0)) / max(now - self.started, 1e-3)
        of = f" of {size_text(total)}" if total else ""
        self.terminal.control(CLEAR_LINE)
        self.terminal.write(f"  {fraction:4.0%} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] "
                            f"{size_text(done)}{of}  {size_text(rate)}/s")

    def close(self) -> None:
        if self.drawn:
            self.terminal.control(CLEAR_LINE)


def cmd_pull(args: argparse.Namespace) -> int:
    paths = default_paths()
    config, _issues = load_config(paths.config_file)
    config = config.with_overrides(**{k: v for k, v in overrides(args).items() if k != "model"})
    target = repo, file, entry = pull_target(args.name, args.file)
    about = f" ({entry.size_mb:,} MB, {entry.licence})" if entry is not None else ""
    err.line(f"pulling {repo} {file}{about} from {hub_address()}")
    bar = ProgressBar()
    try:
        result = pull(target, paths, config, progress=bar)
    except KeyboardInterrupt:
        bar.close()
        err.line(f"interrupted at {size_text(bar.done)}: what is downloaded is kept; the "
                 "same command resumes")
        return 130
    finally:
        bar.close()
    pulled = result.pulled
    if pulled.resumed_from:
        err.line(f"resumed after {size_text(pulled.resumed_from)} downloaded before")
    checked = f"sha256 {pulled.sha256[:16]}… checked" if pulled.sha256 else "no checksum given"
    fetched = (f"downloaded {size_text(pulled.downloaded)}" if pulled.downloaded
               else "already in the Hugging Face cache")
    out.line(f"{fetched}; {checked}: {pulled.path}")
    out.line(f"registered as {result.name} in {result.registry}")
    if result.in_use:
        out.line("coalign uses it now (`coalign models` lists the others)")
    else:
        out.line(f"use it with `coalign --model {result.name}`, `/model {result.name}` in a "
                 f"chat, or `model = \"{result.name}\"` in config.toml")
    return 0
