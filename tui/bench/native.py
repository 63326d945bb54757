"""The native reference: llama.cpp's own `llama-bench`, and a competing CPU-bound process.

llama-bench (built from the llama.cpp that llama-cpp-python 0.3.36 vendors; README: Speed)
runs as a child process with OpenMP's own default waiting: coalign's wait settings and the
user's are removed from its environment, so that it is the same reference whichever policy
coalign is measured under. Its JSON output gives tokens/s for generation (tg) and prompt
processing (pp).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tui.engine.thread_env import llama_default_environment
from tui.errors import CoalignError

TIMEOUT_SECONDS = 600
# One core kept busy: what a compiler, a browser tab or a second model does to a laptop.
HOG = "import os\nos.sched_setaffinity(0, {0})\nwhile True:\n    pass\n"


def check_binary(path: Path) -> Path:
    """path, or a CoalignError saying how to get a llama-bench binary."""
    path = Path(path).expanduser()
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise CoalignError(f"--native {path}: not an executable llama-bench; build one as the "
                           "README says (Speed: native reference)")
    return path


def native_environment() -> dict[str, str]:
    """The environment llama-bench runs in: this one, without any OpenMP wait setting."""
    return llama_default_environment(os.environ)


def run_llama_bench(binary: Path, model: Path, threads: int, *, prompt: int = 0,
                    generate: int = 0, depth: int = 0, repetitions: int = 1) -> float:
    """Tokens/s of one llama-bench test: prompt processing (prompt > 0) or generation,
    after depth tokens already in the context (llama-bench's -d)."""
    # -fa 0: flash attention off, as the engine has it (llama-bench's default is auto)
    command = [str(binary), "-m", str(model), "-t", str(threads), "-p", str(prompt),
               "-n", str(generate), "-r", str(repetitions), "-fa", "0", "-o", "json"]
    if depth:
        command += ["-d", str(depth)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False,
                              timeout=TIMEOUT_SECONDS, env=native_environment())
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CoalignError(f"llama-bench did not run ({exc})") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise CoalignError(f"llama-bench failed (exit {done.returncode}): {last}")
    return parse_tokens_per_second(done.stdout)


def parse_tokens_per_second(output: str) -> float:
    """avg_ts of the one test in llama-bench's `-o json` output."""
    try:
        tests = json.loads(output)
        return float(tests[-1]["avg_ts"])
    except (ValueError, KeyError, IndexError, TypeError):
        raise CoalignError("llama-bench's output is not the JSON it writes with -o json") from None


@contextmanager
def contention(enabled: bool = True) -> Iterator[int | None]:
    """A CPU-bound process pinned to core 0 while the block runs (its pid; None: off)."""
    if not enabled:
        yield None
        return
    hog = subprocess.Popen([sys.executable, "-c", HOG], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield hog.pid
    finally:
        hog.kill()
        hog.wait()
