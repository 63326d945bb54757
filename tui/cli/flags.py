"""The model and engine flags every chatting command takes, and the overrides they make."""

from __future__ import annotations

import argparse

from tui.config import _ENV_NAME, EngineOverrides

ENGINE_FLAGS = ("model", "gpu_layers", "threads", "context", "seed", "temperature", "max_tokens",
                "backend", "base_url", "api_key_env", "request_timeout", "chat_format")


def env_name(value: str) -> str:
    """--api-key-env's value: a variable's name; never echoed, as it may be the key itself."""
    if not _ENV_NAME.fullmatch(value):
        raise argparse.ArgumentTypeError(
            "that looks like a key, not a variable name: pass the NAME of the environment "
            "variable that holds the key (e.g. OPENAI_API_KEY), never the key itself")
    return value


def engine_options() -> argparse.ArgumentParser:
    """Flags shared by every command that talks to a model (usable before or after it)."""
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("model and engine")
    group.add_argument("--model", default=argparse.SUPPRESS,
                       help="GGUF file, or a name from models/models.toml (with --backend "
                       "openai: the server's model name)")
    group.add_argument("--gpu-layers", type=int, default=argparse.SUPPRESS,
                       help="layers to offload to the GPU (-1: all; default 0)")
    group.add_argument("--threads", type=int, default=argparse.SUPPRESS)
    group.add_argument("--context", type=int, default=argparse.SUPPRESS, help="n_ctx in tokens")
    group.add_argument("--seed", type=int, default=argparse.SUPPRESS)
    group.add_argument("--temperature", type=float, default=argparse.SUPPRESS)
    group.add_argument("--max-tokens", type=int, default=argparse.SUPPRESS)
    group.add_argument("--chat-format", default=argparse.SUPPRESS, metavar="NAME",
                       help="llama-cpp-python chat format (e.g. chatml) for a GGUF without a "
                       "working chat template")
    remote = parent.add_argument_group("remote engine (an OpenAI-compatible server)")
    remote.add_argument("--backend", choices=("local", "openai"), default=argparse.SUPPRESS,
                        help="local: a GGUF file here (default); openai: a server")
    remote.add_argument("--base-url", default=argparse.SUPPRESS, metavar="URL",
                        help="the server's address, e.g. http://127.0.0.1:8000")
    remote.add_argument("--api-key-env", type=env_name, default=argparse.SUPPRESS, metavar="NAME",
                        help="the environment variable holding the server's API key")
    remote.add_argument("--request-timeout", type=float, default=argparse.SUPPRESS,
                        metavar="SECONDS", help="how long the server may stay silent")
    return parent


def overrides(args: argparse.Namespace) -> EngineOverrides:
    """The engine flags given on the command line, by config key."""
    given = EngineOverrides()
    for name in ENGINE_FLAGS:
        if hasattr(args, name):
            given[name] = getattr(args, name)  # type: ignore[literal-required]
    return given
