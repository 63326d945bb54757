"""Server-sent events (text/event-stream), as OpenAI-compatible servers stream answers.

Only what chat streaming needs: `data:` fields (several lines of one event are joined
with newlines), comments (`: ping`) skipped, a blank line ends an event. llama.cpp's own
server reports a failure mid-stream as a non-standard `error:` field; it comes back as an
event of kind "error". The text is untrusted: it is parsed as JSON by the caller, never
evaluated.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Event:
    kind: str  # "data" or "error"
    text: str


def events(lines: Iterable[bytes]) -> Iterator[Event]:
    """The events in a stream of raw lines (each with or without its line ending).

    An event cut off by the end of the stream is still returned: a dropped connection
    then shows up as a truncated JSON text or a missing [DONE], which the caller reports.
    """
    kind, data = "data", list[str]()
    for raw in lines:
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        if not line:
            if data:
                yield Event(kind, "\n".join(data))
            kind, data = "data", []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            data.append(value)
        elif name == "error":
            kind = "error"
            data.append(value)
        elif name == "event" and value == "error":
            kind = "error"
    if data:
        yield Event(kind, "\n".join(data))
