"""Reading one streamed chat answer from an OpenAI-compatible server.

Each server-sent event holds a chat.completion.chunk: its delta's content is pushed to the
Generation with the piece's probability when the server sent logprobs; usage (OpenAI's
stream_options.include_usage) and llama.cpp's timings fill the counters. A stream that
breaks off, stalls past the read timeout, or reports an error part-way raises
StreamInterrupted after the pieces received so far were pushed.
"""

from __future__ import annotations

import http.client
import json
import math
import sys
from collections.abc import Iterator
from typing import Any

from tui.alignment.text import strip_control
from tui.engine.base import Generation, monotonic
from tui.engine.sse import events
from tui.errors import StreamInterrupted

MESSAGE_LIMIT = 300  # characters of a server's error text shown to the user
MAX_LINE = 1 << 20  # a longer line in the event stream is not a chat chunk


def clean(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """Untrusted server text as one short, printable line."""
    line = " ".join(strip_control(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def server_message(raw: bytes) -> str:
    """The error text in a server's answer body: OpenAI's error.message, FastAPI's detail,
    or the body itself."""
    text = raw.decode("utf-8", "replace")
    try:
        data: Any = json.loads(text)
    except ValueError:
        return clean(text)
    if isinstance(data, dict):
        found = data.get("error", data.get("detail", data.get("message", data)))
        if isinstance(found, dict):
            found = found.get("message", found)
        data = found
    return clean(data if isinstance(data, str) else json.dumps(data))


def probability(logprobs: object) -> float | None:
    """The probability of a streamed piece: exp of its tokens' summed logprobs (None when the
    server sent none, or nonsense)."""
    content = logprobs.get("content") if isinstance(logprobs, dict) else None
    if not isinstance(content, list) or not content:
        return None
    total = 0.0
    for item in content:
        value = item.get("logprob") if isinstance(item, dict) else None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        if not math.isfinite(value):
            return None
        total += value
    return math.exp(min(total, 0.0)) or sys.float_info.min


class StreamReader:
    """Turns one streamed answer's events into pieces and counters on a Generation."""

    def __init__(self, generation: Generation, base_url: str, started: float) -> None:
        self.generation = generation
        self.base_url = base_url
        self.started = started
        self.first_piece_at = 0.0
        self.tokens = 0  # counted from the stream, in case the server sends no usage
        self.usage: dict[str, Any] = {}
        self.timings: dict[str, Any] = {}

    def _lines(self, response: http.client.HTTPResponse) -> Iterator[bytes]:
        while line := response.readline(MAX_LINE):
            if len(line) >= MAX_LINE and not line.endswith(b"\n"):
                raise StreamInterrupted(f"the server at {self.base_url} sent a line over "
                                        f"{MAX_LINE} bytes: not a chat stream")
            yield line

    def read(self, response: http.client.HTTPResponse) -> None:
        """Push every piece; return at [DONE], raise StreamInterrupted if it breaks off."""
        generation, finished = self.generation, False
        try:
            for event in events(self._lines(response)):
                if generation.stopped:
                    return
                if event.kind == "error":
                    raise StreamInterrupted(f"the server at {self.base_url} failed mid-answer: "
                                            f"{server_message(event.text.encode())}")
                if event.text.strip() == "[DONE]":
                    return
                finished = self._take(event.text) or finished
        except TimeoutError:
            if generation.stopped:
                return
            raise StreamInterrupted(f"the server at {self.base_url} went silent mid-answer "
                                    "(request_timeout reached)" + self._kept()) from None
        except (OSError, http.client.HTTPException) as exc:
            if generation.stopped:
                return
            raise StreamInterrupted(f"the connection to {self.base_url} broke mid-answer "
                                    f"({clean(str(exc), 120) or type(exc).__name__})"
                                    + self._kept()) from None
        if not finished and not generation.stopped:  # a finish_reason without [DONE] is fine
            raise StreamInterrupted(f"the server at {self.base_url} ended the stream before "
                                    "the answer was done" + self._kept())

    def _kept(self) -> str:
        """How a broken stream ends its message: what of the answer is kept."""
        return ("; the partial answer is kept" if self.first_piece_at
                else "; nothing of the answer had arrived")

    def _take(self, text: str) -> bool:
        """Handle one chunk; True when it carried a finish_reason."""
        try:
            chunk = json.loads(text)
        except ValueError:
            raise StreamInterrupted(f"the server at {self.base_url} sent a broken chunk "
                                    f"({clean(text, 80)})" + self._kept()) from None
        if not isinstance(chunk, dict):
            return False
        if "error" in chunk:
            raise StreamInterrupted(f"the server at {self.base_url} failed mid-answer: "
                                    f"{server_message(text.encode())}")
        if isinstance(chunk.get("usage"), dict):
            self.usage = chunk["usage"]
        if isinstance(chunk.get("timings"), dict):  # llama.cpp's C++ server
            self.timings = chunk["timings"]
        finished = False
        for choice in chunk.get("choices") or []:
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta")
            piece = delta.get("content") if isinstance(delta, dict) else None
            if isinstance(piece, str) and piece:
                self._push(piece, choice.get("logprobs"))
            if reason := choice.get("finish_reason"):
                self.generation.stats.finish_reason = clean(str(reason), 20)
                finished = True
        return finished

    def _push(self, piece: str, logprobs: object) -> None:
        if not self.first_piece_at:
            self.first_piece_at = monotonic()
        prob = probability(logprobs)
        if prob is not None:
            self.generation.probs_available = True
        content = logprobs.get("content") if isinstance(logprobs, dict) else None
        self.tokens += len(content) if isinstance(content, list) and content else 1
        self.generation.push(piece, prob)

    def finish_stats(self, ended: float) -> None:
        stats = self.generation.stats
        first = self.first_piece_at or ended
        stats.prompt_seconds = first - self.started
        stats.generation_seconds = ended - first

        def count(source: dict[str, Any], key: str) -> int | None:
            value = source.get(key)
            return value if isinstance(value, int) and not isinstance(value, bool) else None

        stats.generated_tokens = count(self.usage, "completion_tokens") or self.tokens
        prompt = count(self.usage, "prompt_tokens")
        evaluated = count(self.timings, "prompt_n")
        cached = count(self.timings, "cache_n") or 0
        if prompt is None and evaluated is not None:
            prompt = evaluated + cached
        stats.prompt_tokens = prompt or 0
        stats.prompt_evaluated = evaluated if evaluated is not None else stats.prompt_tokens
        stats.context_used = stats.prompt_tokens + stats.generated_tokens if prompt else 0
