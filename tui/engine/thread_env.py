"""How llama.cpp's OpenMP threads wait at barriers: coalign's default, the user's own wins.

libgomp reads these variables once, when llama.cpp's CPU backend loads it (llama.py calls
apply_defaults before it imports llama_cpp). Three behaviours were measured on 2 cores
(README: Speed): spinning without bound (libgomp's default spin count of 300,000, or
OMP_WAIT_POLICY=ACTIVE) is fastest on an idle machine but collapses to 1-8 tokens/s when
any other process holds a core; sleeping at once (OMP_WAIT_POLICY=PASSIVE) stays fast
under load but costs a third to a half of the speed when idle; bounded spinning
(GOMP_SPINCOUNT, used only while OMP_WAIT_POLICY is unset) spins briefly, then sleeps.
`coalign bench --native PATH [--contention]` compares them in one run.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping

# Any of these in the user's environment means they chose: coalign then sets nothing.
USER_KEYS = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")
# Bounded spinning: 1,000,000 busy iterations (~30 ms on this 2-core VM) before a waiting
# thread sleeps. Between two tokens llama.cpp's worker waits while the engine samples
# (0.5-0.7 ms); with 30,000 (~0.9 ms) it still slept about twice a token (475 sleeps in a
# 256-token answer, against 3 with 1,000,000), and waking a sleeping vCPU is slow. In six
# pairs of fresh processes the headless TUI gave 64-85 tokens/s with 1,000,000 against
# 52-75 with 30,000 (as much or more in every pair); with another program keeping a core
# 10 % or 25 % busy, 63-77 / 57-65 against 41-78 / 40-49 for the engine. 1,000 made the
# threads sleep at most barriers (31-68 tokens/s). A busy core no longer calls for short
# spins: the engine then runs fewer threads (thread_count.py), and a thread left waiting
# still sleeps in the end (after an answer, ~30 ms of spinning is all it costs).
DEFAULTS: dict[str, str] = {"GOMP_SPINCOUNT": "1000000"}


_APPLIED_HERE: dict[str, str] = {}  # what apply_defaults set in this process's environment


def apply_defaults(environ: MutableMapping[str, str] | None = None) -> dict[str, str]:
    """Set coalign's defaults where the user set none of USER_KEYS; what was set."""
    environ = os.environ if environ is None else environ
    if any(key in environ for key in USER_KEYS):
        return {}
    environ.update(DEFAULTS)
    if environ is os.environ:
        _APPLIED_HERE.update(DEFAULTS)
    return dict(DEFAULTS)


def describe_here() -> str:
    """describe() for this process: the user's setting, coalign's default, or libgomp's."""
    if not _APPLIED_HERE and not any(key in os.environ for key in USER_KEYS):
        return describe(DEFAULTS, DEFAULTS)  # llama.py, when it loads, will set these
    return describe(os.environ, _APPLIED_HERE)


def llama_default_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """environ without any wait setting: llama.cpp's and libgomp's own default."""
    return {key: value for key, value in environ.items() if key not in USER_KEYS}


def describe(environ: Mapping[str, str], applied: Mapping[str, str]) -> str:
    """'GOMP_SPINCOUNT=1000000 (coalign's default)', 'OMP_WAIT_POLICY=ACTIVE (yours)', …"""
    chosen = [f"{key}={environ[key]}" for key in USER_KEYS if key in environ]
    if not chosen:
        return "libgomp's default (spin, then sleep)"
    return " ".join(chosen) + (" (coalign's default)" if applied else " (yours)")
