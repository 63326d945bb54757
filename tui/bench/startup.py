"""Benchmark of the real `coalign` command in a pseudo-terminal: what a user waits for.

A fresh interpreter runs the TUI in a 110x32 terminal. Start-up is the time from launching
it to the screen showing the prompt line (the user can type); the model is ready when the
status line names it. In the last start a question is typed and answered, and the
process's peak resident memory (VmHWM) is read before it is told to quit.
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

PROMPT_SHOWN = "sk a question, or type /help"  # the placeholder; its first letter is the cursor
ANSWERED = "tokens/s"  # the status line after an answer
QUESTION = "What is a bridge?"
_ESCAPE = re.compile(rb"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][0-9A-Za-z]|.)")


class _Terminal:
    """A child process on a pseudo-terminal, and everything it has written (escapes removed)."""

    def __init__(self, command: list[str], env: dict[str, str], size: tuple[int, int]) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
        self.started = time.perf_counter()
        self.process = subprocess.Popen(command, stdin=slave, stdout=slave, stderr=slave,
                                        env=env, start_new_session=True, close_fds=True)
        os.close(slave)
        self.screen = ""

    def wait_for(self, text: str, timeout: float) -> float:
        """Read output until text has appeared; the seconds since launch when it did."""
        deadline = time.perf_counter() + timeout
        raw = b""
        while text not in self.screen:
            left = deadline - time.perf_counter()
            if left <= 0 or self.process.poll() is not None:
                raise TimeoutError(f"coalign did not show {text!r} (exit {self.process.poll()})")
            ready, _, _ = select.select([self.master], [], [], min(left, 0.5))
            if ready:
                try:
                    raw += os.read(self.master, 65536)
                except OSError:  # the child closed the terminal
                    continue
                self.screen = _ESCAPE.sub(b"", raw).decode("utf-8", "replace")
        return time.perf_counter() - self.started

    def type(self, text: str) -> None:
        os.write(self.master, text.encode("utf-8"))

    def peak_rss_mb(self) -> float:
        """The child's peak resident set (Linux), in MB."""
        status = Path(f"/proc/{self.process.pid}/status").read_text(encoding="utf-8")
        kilobytes = int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1))  # type: ignore[union-attr]
        return kilobytes / 1024

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # the app quits cleanly on SIGTERM
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        os.close(self.master)


def _launch(model: Path, threads: int, max_tokens: int, env: dict[str, str],
            size: tuple[int, int]) -> _Terminal:
    command = [sys.executable, "-m", "tui", "--model", str(model), "--threads", str(threads),
               "--max-tokens", str(max_tokens)]
    return _Terminal(command, env, size)


def measure_app(model: Path, threads: int, max_tokens: int = 64, starts: int = 3,
                size: tuple[int, int] = (110, 32)) -> dict[str, float]:
    """startup_s and model_ready_s (medians of starts fresh processes) and peak_rss_mb of
    `coalign` (the TUI) after one answer.

    Bytecode is cached, as after an install: a first, unmeasured start writes it to a
    temporary folder (this VM sets PYTHONDONTWRITEBYTECODE, which would otherwise make
    every start compile coalign's modules again).
    """
    label = model.name.removesuffix(".gguf")[:10]
    with tempfile.TemporaryDirectory() as home:
        env = {key: value for key, value in os.environ.items()
               if key != "PYTHONDONTWRITEBYTECODE"}
        env.update(COALIGN_HOME=home, TERM="xterm-256color",
                   PYTHONPYCACHEPREFIX=str(Path(home) / "pycache"))
        startups, readies = [], []
        for run in range(starts + 1):
            terminal = _launch(model, threads, max_tokens, env, size)
            try:
                startup = terminal.wait_for(PROMPT_SHOWN, 60)
                ready = terminal.wait_for(label, 60)
                if run == starts:  # the last one answers a question too
                    terminal.type(QUESTION + "\r")
                    terminal.wait_for(ANSWERED, 120)
                    rss = terminal.peak_rss_mb()
            finally:
                terminal.close()
            if run:
                startups.append(startup)
                readies.append(ready)
        buffers = llama_buffers((Path(home) / "data" / "coalign.log").read_text("utf-8"))
    return {"startup_s": statistics.median(startups),
            "model_ready_s": statistics.median(readies), "peak_rss_mb": rss, **buffers}


def llama_buffers(log: str) -> dict[str, float]:
    """The KV cache and compute buffers llama.cpp reserved (MB), from its log lines: pages
    of the compute buffer become resident as long prompts are evaluated, so RSS can grow
    by up to llama_compute_mb after a short answer."""
    found: dict[str, float] = {}
    for key, pattern in (("llama_kv_mb", r"KV buffer size =\s+([\d.]+) MiB"),
                         ("llama_compute_mb", r"compute buffer size =\s+([\d.]+) MiB")):
        sizes = re.findall(pattern, log)
        if sizes:
            found[key] = float(sizes[-1]) * 1.048576
    return found
