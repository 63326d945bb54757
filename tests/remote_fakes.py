"""FakeServer: a scripted stand-in for an OpenAI-compatible server, for error handling only.

The happy path is tested against the real llama_cpp.server (tests/test_remote_engine.py);
this fake exists to produce what a real server does rarely and not on demand: refusals,
5xx, a stream cut mid-answer, a server that goes silent. Each test scripts `chat` (and,
if it needs to, `models`); handlers that must hang wait on `release`, which close() sets.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Script = Callable[["FakeHandler", dict[str, Any]], None]


def chunk(content: str | None = None, finish: str | None = None, **extra: Any) -> dict[str, Any]:
    """One chat.completion.chunk as OpenAI streams it."""
    delta = {"content": content} if content is not None else {}
    return {"object": "chat.completion.chunk", "model": "fake-model",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}


class FakeHandler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib's name
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.server.fake.models(self, {})

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        fake = self.server.fake
        fake.requests.append((self.path, body, dict(self.headers)))
        fake.arrived.set()
        try:
            fake.chat(self, body)
        except OSError:  # the client went away (a stop): nothing to answer
            pass

    # helpers for scripts -------------------------------------------------------

    def json_answer(self, status: int, payload: Any) -> None:
        raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()  # no length: the stream ends when the connection closes

    def event(self, data: dict[str, Any] | str, field: str = "data") -> None:
        text = data if isinstance(data, str) else json.dumps(data)
        self.wfile.write(f"{field}: {text}\n\n".encode())
        self.wfile.flush()

    def stream(self, pieces: list[str], done: bool = True, **last: Any) -> None:
        self.start_stream()
        for piece in pieces:
            self.event(chunk(piece))
        if done:
            self.event(chunk(finish="stop", **last))
            self.event("[DONE]")

    def reset(self) -> None:
        """Close with a TCP reset, as a crashed server or a proxy does."""
        self.wfile.flush()
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeServer


def _list_models(handler: FakeHandler, _body: dict[str, Any]) -> None:
    handler.json_answer(200, {"object": "list", "data": [{"id": "fake-model"}]})


class FakeServer:
    """An HTTP server on 127.0.0.1 whose answers each test scripts."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, Any], dict[str, str]]] = []
        self.models: Script = _list_models
        self.chat: Script = lambda handler, body: handler.stream(["Hello", " there"])
        self.release = threading.Event()
        self.arrived = threading.Event()  # set as each POST has been read
        self._httpd = _Server(("127.0.0.1", 0), FakeHandler)
        self._httpd.fake = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,),
                                        daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def chat_bodies(self) -> list[dict[str, Any]]:
        return [body for path, body, _headers in self.requests if path.endswith("/completions")]

    def close(self) -> None:
        self.release.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)
