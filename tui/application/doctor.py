"""`coalign doctor`: what this installation has and where it keeps things, in one report."""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Iterator
from pathlib import Path

from tui import __version__
from tui.config import Config, EngineOverrides, load_config
from tui.engine import thread_env
from tui.engine.model_files import resolve_model
from tui.errors import CoalignError
from tui.paths import HOME_ENV, Paths


def _writable(path: Path) -> str:
    if not path.exists():
        return "missing (created on first use)"
    return "writable" if os.access(path, os.W_OK) else "NOT writable"


def _server_lines(config: Config, model_flag: str | None) -> Iterator[str]:
    """The remote backend: where, which model, and whether the server answers now."""
    from tui.engine.remote import RemoteEngine

    yield f"backend: openai (an OpenAI-compatible server at {config.base_url or 'NO base_url'})"
    key = f"${config.api_key_env}" if config.api_key_env else "none (no --api-key-env)"
    if config.api_key_env:
        key += " (set)" if os.environ.get(config.api_key_env) else " (EMPTY or unset)"
    yield f"API key from: {key}"
    if not config.base_url:
        yield "server: pass --base-url URL or set base_url in config.toml"
        return
    engine = None
    try:
        engine = RemoteEngine(config.base_url, model=model_flag or config.remote_model,
                              api_key_env=config.api_key_env,
                              connect_timeout=config.connect_timeout,
                              request_timeout=config.request_timeout)
        info = engine.wait_loaded(config.connect_timeout + config.request_timeout)
        yield (f"server: answers · model {info.metadata['model']} (listed: "
               f"{info.metadata['listed']}) · offers {info.metadata['models offered']}")
    except CoalignError as exc:
        yield f"server: {exc}"
    finally:
        if engine is not None:
            engine.close()


def report(paths: Paths, model_flag: str | None = None,
           overrides: EngineOverrides | None = None) -> Iterator[str]:
    """Lines describing the build, the model (or server), the config and the data dirs."""
    yield f"coalign {__version__} · Python {platform.python_version()} · {platform.platform()}"
    try:
        from tui.engine.llama import gpu_offload_supported, llama_cpp_version, system_info
    except ImportError as exc:  # llama-cpp-python missing or broken
        yield f"llama.cpp: cannot import llama_cpp ({exc}); run `make setup`"
    else:
        yield f"llama-cpp-python {llama_cpp_version()}"
        yield f"llama.cpp build: {system_info()}"
        offload = "yes" if gpu_offload_supported() else "no (CPU build; see README: CUDA/Metal)"
        yield f"GPU offload compiled in: {offload}"
    config, issues = load_config(paths.config_file)
    yield f"config: {paths.config_file} ({'present' if paths.config_file.exists() else 'absent'})"
    yield from (f"  problem: {issue}" for issue in issues)
    config = config.with_overrides(**(overrides or {}))
    if config.backend == "openai":
        yield from _server_lines(config, model_flag)
    else:
        yield from _model_lines(config, model_flag, paths)
    yield f"data dir: {paths.data_dir} ({_writable(paths.data_dir)})"
    yield f"history: {paths.database} ({_writable(paths.database)})"
    relocated = os.environ.get(HOME_ENV)
    yield f"{HOME_ENV}: {relocated}" if relocated else f"{HOME_ENV}: not set (platform dirs)"
    yield f"OpenMP waiting: {thread_env.describe_here()}"
    adapting = ("fewer while other programs keep cores busy" if config.adaptive_threads
                else "always (adaptive_threads = false)")
    yield f"llama.cpp threads: {config.threads}, {adapting}"
    yield f"executable: {sys.executable}"


def _model_lines(config: Config, model_flag: str | None, paths: Paths) -> Iterator[str]:
    try:
        choice = resolve_model(model_flag, config.model, paths.user_models_dir)
        size = f"{choice.path.stat().st_size / 1e6:.1f} MB" if choice.exists else "MISSING"
        yield f"model: {choice.name} · {choice.path} · {size} · from {choice.source}"
    except CoalignError as exc:
        yield f"model: none ({exc})"
