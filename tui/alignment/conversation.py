"""Conversations as trees of messages: each message points at its parent."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"


class Status(StrEnum):
    """How a message came to its end."""

    COMPLETE = "complete"
    STREAMING = "streaming"  # being generated now; found after a crash it means interrupted
    STOPPED = "stopped"  # the user stopped it (Esc / Ctrl-C)
    INTERRUPTED = "interrupted"  # the process died or the engine failed mid-answer
    ERROR = "error"


@dataclass
class Message:
    """One node of the conversation tree."""

    id: int
    session_id: int
    parent_id: int | None
    role: Role
    content: str
    status: Status = Status.COMPLETE
    created_at: float = 0.0
    model: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class Session:
    """A conversation: its messages form a tree; head is the leaf being continued."""

    id: int
    title: str
    created_at: float
    updated_at: float
    head_id: int | None = None
    message_count: int = 0


def chat_messages(system_prompt: str | None, path: list[Message]) -> list[dict[str, str]]:
    """The OpenAI-style message list an engine needs for the branch ending at path[-1]."""
    messages = [{"role": "system", "content": system_prompt}] if system_prompt else []
    for message in path:
        if message.role is Role.ASSISTANT and not message.content:
            continue
        messages.append({"role": str(message.role), "content": message.content})
    return messages
