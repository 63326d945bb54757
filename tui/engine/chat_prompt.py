"""The prompt a chat handler of llama-cpp-python formats, taken before it would generate.

llama-cpp-python's chat handlers (a GGUF's Jinja template, or a named format such as
chatml) format the messages, tokenize them and call Llama.create_completion with the
tokens, the template's stop strings and stopping criteria. The engine decodes and samples
itself (decode_loop.py), so it hands the handler a stand-in Llama whose create_completion
records that request instead: every chat format keeps working, exactly as it formats.
No llama_cpp here: llama.py hands in the handler and the Llama.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tui.engine.context_window import checked_messages
from tui.errors import ModelError


@dataclass
class ChatPrompt:
    """What a chat handler would have sent to Llama.create_completion."""

    tokens: list[int]
    stops: list[str] = field(default_factory=list)
    criteria: Any = None  # a StoppingCriteriaList (the GGUF template's end-of-text token)
    grammar: Any = None


class _Captured(Exception):
    def __init__(self, request: dict[str, Any]) -> None:
        super().__init__("prompt captured")
        self.request = request


class _Recorder:
    """A Llama for a chat handler to format a prompt on: create_completion records it."""

    def __init__(self, llm: Any) -> None:
        self._llm = llm

    def __getattr__(self, name: str) -> Any:
        return getattr(self._llm, name)

    def create_completion(self, **request: Any) -> Any:
        raise _Captured(request)


def chat_prompt(handler: Callable[..., Any], llm: Any, messages: list[dict[str, str]],
                grammar: Any = None) -> ChatPrompt:
    """The prompt tokens, stop strings and grammar the handler formats for messages; the
    template's own errors propagate (faults.py says them)."""
    try:
        handler(llama=_Recorder(llm), messages=checked_messages(messages), stream=True,
                grammar=grammar)
    except _Captured as captured:
        request = captured.request
    else:
        raise ModelError(f"the chat format {llm.chat_format} formats no prompt")
    prompt = request["prompt"]
    tokens = (llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=True)
              if isinstance(prompt, str) else list(prompt))
    stop = request.get("stop") or []
    return ChatPrompt(tokens, [stop] if isinstance(stop, str) else list(stop),
                      request.get("stopping_criteria"), request.get("grammar"))
