"""What a local model is sent: checked chat messages, fitted into its context window."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tui.alignment.text import strip_control

RESERVED_TOKENS = 16  # room for the chat template's markers around the answer
ROLES = ("system", "user", "assistant")


def checked_messages(messages: list[dict[str, str]]) -> list[dict[str, str]]:
    """Role/content dicts with nothing else in them; an unknown role is a ValueError."""
    for message in messages:
        if message["role"] not in ROLES:
            raise ValueError(f"unknown chat role {message['role']!r}")
    return [{"role": m["role"], "content": m["content"]} for m in messages]


def fit(messages: list[dict[str, str]], cost: Callable[[dict[str, str]], int], n_ctx: int,
        max_tokens: int) -> tuple[list[dict[str, str]], int]:
    """Drop the oldest exchanges until the prompt and the answer fit in n_ctx; the answer's
    token limit that is left (at least 1: a prompt too long alone fails in llama.cpp)."""
    messages = list(messages)
    costs = [cost(m) for m in messages]
    system = 1 if messages and messages[0]["role"] == "system" else 0
    budget = n_ctx - RESERVED_TOKENS
    while sum(costs) + min(max_tokens, budget // 2) > budget and len(messages) > system + 1:
        del messages[system], costs[system]
    return messages, max(1, min(max_tokens, budget - sum(costs)))


def display_name(path: Path, quant: str) -> str:
    """The file's name without .gguf and the quantisation suffix: what users recognise."""
    stem = path.name.removesuffix(".gguf")
    if quant and stem.lower().endswith(quant.lower()):
        stem = stem[: -len(quant)].rstrip(".-_ ")
    return strip_control(stem) or "model"
