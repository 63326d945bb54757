"""An OpenAI-compatible server as the engine: llama.cpp's servers, vLLM, Ollama.

Standard-library HTTP only. One owner thread sends the requests one at a time, as the
local engine runs one answer at a time, and streams POST /v1/chat/completions
(server-sent events) into a Generation. Stop shuts the socket, so a stop lands at once
even while the server is still reading the prompt. Rewind and retry need nothing here:
the service sends the whole branch as history each time.

What the server is told: the messages, temperature, top_p, max_tokens, seed, and where
supported logprobs (token probabilities), stream_options.include_usage (token counts) and
llama.cpp's repeat_penalty. A server that rejects those extras (400/422) is asked again
without them, for the rest of the session. A JSON Schema goes out in llama.cpp's form,
response_format = {"type": "json_object", "schema": ...} (llama_cpp.server accepts only
that; llama.cpp's C++ server accepts it too; vLLM and Ollama may treat it as plain JSON
mode). Everything the server sends back is untrusted: error texts are stripped of control
characters and cut short, answers go to views that strip them.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from tui.config import base_url_problem
from tui.engine.base import EngineInfo, Generation, SamplingSettings, monotonic
from tui.engine.openai_stream import StreamReader, clean, server_message
from tui.engine.owner import OwnerThread
from tui.errors import RemoteError

log = logging.getLogger("coalign.remote")
START_HINT = "start one with `python -m llama_cpp.server --model FILE.gguf`"
MAX_BODY = 1 << 20  # bytes read from a non-streamed answer (model list, error)


class RemoteStatusError(RemoteError):
    """The server answered with an HTTP error status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def api_root(base_url: str) -> str:
    """The /v1 root under a server's address: http://h:8000 and http://h:8000/v1/ both work."""
    if (problem := base_url_problem(base_url)) is not None:
        raise RemoteError(f"--base-url {problem}")
    root = base_url.rstrip("/")
    return root if root.endswith("/v1") else root + "/v1"


def _display_name(model_id: str) -> str:
    """llama_cpp.server names its model by file path; show the file's stem."""
    name = PurePosixPath(model_id).name if "/" in model_id else model_id
    return clean(name.removesuffix(".gguf"), 80) or "remote model"


def _unexpected(base_url: str, exc: Exception) -> RemoteError:
    log.error("talking to %s failed", base_url, exc_info=exc)
    return RemoteError(f"talking to {base_url} failed ({type(exc).__name__}: "
                       f"{clean(str(exc), 120)}); see coalign.log")


class _RemoteGeneration(Generation):
    """A Generation whose stop() also shuts the connection it is streaming from."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._connection: http.client.HTTPConnection | None = None

    def attach(self, connection: http.client.HTTPConnection | None) -> None:
        with self._lock:
            self._connection = connection
        if connection is not None and self.stopped:
            _shut(connection)

    def stop(self) -> None:
        super().stop()
        with self._lock:
            if self._connection is not None:
                _shut(self._connection)


def _shut(connection: http.client.HTTPConnection) -> None:
    """Wake a thread blocked reading the connection (any thread may call this)."""
    sock = connection.sock
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class RemoteEngine:
    """Chat through an OpenAI-compatible HTTP server."""

    def __init__(
        self,
        base_url: str,
        *,
        model: str | None = None,
        api_key_env: str | None = None,
        connect_timeout: float = 10.0,
        request_timeout: float = 120.0,
    ) -> None:
        self.base_url = base_url
        self.root = api_root(base_url)
        parts = urlsplit(self.root)
        self._https = parts.scheme == "https"
        self._host = parts.hostname or ""
        self._port = parts.port
        self._prefix = parts.path.rstrip("/")
        self.model = model
        self.api_key_env = api_key_env
        self.connect_timeout = connect_timeout
        self.request_timeout = request_timeout
        self.info: EngineInfo | None = None
        self._model_id = model  # as the server spells it (info.name is for display)
        self._error: Exception | None = None
        self._extras = True  # send the optional fields until the server refuses them
        self._owner = OwnerThread("coalign-remote")
        self._loaded: Future[None] | None = None

    # HTTP -------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.api_key_env and (key := os.environ.get(self.api_key_env, "").strip()):
            if any(c.isspace() or not c.isprintable() for c in key):
                raise RemoteError(f"${self.api_key_env} holds spaces or control characters: "
                                  "put only the API key in it")
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def _open(self, method: str, path: str, body: dict[str, Any] | None = None,
              stop: _RemoteGeneration | None = None) -> tuple[http.client.HTTPConnection,
                                                               http.client.HTTPResponse]:
        """Send a request; returns the connection and a 2xx response, or raises RemoteError."""
        url = self.root + path
        kind = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        connection = kind(self._host, self._port, timeout=self.connect_timeout)
        try:
            try:
                connection.connect()
            except ConnectionRefusedError:
                raise RemoteError(f"connection refused at {self.base_url}: is the server "
                                  f"running? ({START_HINT})") from None
            except TimeoutError:
                raise RemoteError(f"no connection to {self.base_url} within "
                                  f"{self.connect_timeout:g} s: check the address and that the "
                                  "server is up (connect_timeout in config)") from None
            except OSError as exc:
                raise RemoteError(f"cannot reach {self.base_url} ({clean(str(exc), 120)}): "
                                  "check --base-url") from None
            assert connection.sock is not None
            connection.sock.settimeout(self.request_timeout)
            if stop is not None:
                stop.attach(connection)
            payload = json.dumps(body).encode("utf-8") if body is not None else None
            try:
                connection.request(method, self._prefix + path, payload, self._headers())
                response = connection.getresponse()
            except TimeoutError:
                raise RemoteError(f"the server at {self.base_url} sent no answer within "
                                  f"{self.request_timeout:g} s: it may be busy or stuck "
                                  "(request_timeout in config)") from None
            except (OSError, http.client.HTTPException) as exc:
                if stop is not None and stop.stopped:
                    raise
                raise RemoteError(f"the server at {self.base_url} closed the connection "
                                  f"before answering ({clean(str(exc), 120) or 'no reason'})"
                                  ) from None
            if response.status >= 300:
                raise self._status_error(response, url)
            return connection, response
        except BaseException:
            connection.close()
            raise

    def _status_error(self, response: http.client.HTTPResponse, url: str) -> RemoteStatusError:
        try:
            detail = server_message(response.read(MAX_BODY))
        except (OSError, http.client.HTTPException):
            detail = ""
        status = response.status
        said = f"the server at {url} answered {status} {clean(response.reason, 60)}".rstrip()
        said += f" ({detail})" if detail else ""
        if status in (401, 403):
            if not self.api_key_env:
                fix = "it wants an API key: pass --api-key-env NAME, the variable holding it"
            elif not os.environ.get(self.api_key_env):
                fix = f"set the key in ${self.api_key_env} (it is empty or unset)"
            else:
                fix = f"set the key in ${self.api_key_env} (the one there was refused)"
            return RemoteStatusError(f"{said}: {fix}", status)
        if status == 404:
            return RemoteStatusError(f"{said}: check --base-url (the server's root, e.g. "
                                     "http://127.0.0.1:8000) and --model", status)
        return RemoteStatusError(said, status)

    def _get_json(self, path: str) -> Any:
        connection, response = self._open("GET", path)
        try:
            raw = response.read(MAX_BODY)
        except TimeoutError:
            raise RemoteError(f"the server at {self.base_url} stalled while answering {path} "
                              f"(request_timeout {self.request_timeout:g} s)") from None
        except (OSError, http.client.HTTPException) as exc:
            raise RemoteError(f"the server at {self.base_url} broke off its answer to {path} "
                              f"({clean(str(exc), 120)})") from None
        finally:
            connection.close()
        try:
            return json.loads(raw)
        except ValueError:
            raise RemoteError(f"{self.root}{path} did not answer JSON: is {self.base_url} an "
                              "OpenAI-compatible server? check --base-url") from None

    # loading: check the server ------------------------------------------------------

    def start_loading(self, on_progress: Callable[[float], None] | None = None) -> None:
        if self._loaded is None:
            self._loaded = self._owner.submit(self._check)
            if on_progress:
                self._loaded.add_done_callback(lambda _f: on_progress(1.0))

    def wait_loaded(self, timeout: float | None = None) -> EngineInfo:
        self.start_loading()
        assert self._loaded is not None
        self._loaded.exception(timeout)  # waits; its own error is kept in self._error
        if self.info is None:
            raise self._error or RemoteError(f"no answer from {self.base_url}")
        return self.info

    @property
    def load_error(self) -> Exception | None:
        if self._loaded is None or not self._loaded.done():
            return None
        return self._error

    def _check(self) -> None:
        """GET /v1/models: the server answers, and which model it will use."""
        try:
            if self.api_key_env and not os.environ.get(self.api_key_env):
                raise RemoteError(f"${self.api_key_env} is empty or unset: export the server's "
                                  "API key in it (coalign never stores the key)")
            self.info = self._describe(self._get_json("/models"))
            self._error = None
        except Exception as exc:  # noqa: BLE001 - every failure becomes the load error
            log.warning("server check failed: %s", exc)
            self._error = exc if isinstance(exc, RemoteError) else _unexpected(self.base_url, exc)
            self.info = None

    def _describe(self, listing: Any) -> EngineInfo:
        entries = listing.get("data") if isinstance(listing, dict) else None
        if not isinstance(entries, list):
            raise RemoteError(f"{self.root}/models is not an OpenAI model list: check "
                              "--base-url")
        offered = [e for e in entries if isinstance(e, dict) and isinstance(e.get("id"), str)]
        ids = [e["id"] for e in offered]
        model = self.model or (ids[0] if ids else None)
        if model is None:
            raise RemoteError(f"the server at {self.base_url} offers no model: load one there, "
                              "or name it with --model")
        entry = next((e for e in offered if e["id"] == model), {})
        self._model_id = model
        n_ctx = entry.get("max_model_len")  # vLLM says it; others do not
        return EngineInfo(
            name=_display_name(model), path=self.root, quantization="remote",
            n_ctx=n_ctx if isinstance(n_ctx, int) and not isinstance(n_ctx, bool) else 0,
            metadata={"backend": "openai-compatible server", "base_url": self.root,
                      "model": clean(model, 500), "listed": "yes" if entry else "no",
                      "models offered": clean(", ".join(ids), 500)},
        )

    # generation ---------------------------------------------------------------------

    def generate(self, messages: list[dict[str, str]], settings: SamplingSettings) -> Generation:
        self.start_loading()
        generation = _RemoteGeneration()
        self._owner.submit(lambda: self._generate(generation, list(messages), settings))
        return generation

    def request_body(self, messages: list[dict[str, str]], settings: SamplingSettings,
                     extras: bool = True) -> dict[str, Any]:
        """What one answer asks the server for (extras: the fields not every server takes)."""
        body: dict[str, Any] = {
            "messages": messages, "stream": True, "temperature": settings.temperature,
            "top_p": settings.top_p, "max_tokens": settings.max_tokens,
        }
        if self._model_id:
            body["model"] = self._model_id
        if settings.seed is not None:
            body["seed"] = settings.seed
        if settings.json_schema:
            try:
                schema = json.loads(settings.json_schema)
            except ValueError as exc:
                raise RemoteError(f"the JSON schema is not valid JSON ({exc})") from None
            body["response_format"] = {"type": "json_object", "schema": schema}
        if extras:
            body.update(logprobs=True, top_logprobs=1, stream_options={"include_usage": True},
                        repeat_penalty=settings.repeat_penalty)
        return body

    def _generate(self, generation: _RemoteGeneration, messages: list[dict[str, str]],
                  settings: SamplingSettings) -> None:
        stats = generation.stats
        started, cpu_started = monotonic(), time.process_time()
        reader = StreamReader(generation, self.base_url, started)
        error: Exception | None = None
        try:
            if settings.control_vectors:
                raise RemoteError("control vectors need the local engine (--backend local): "
                                  "a server cannot apply them, so nothing was sent")
            if self.info is None:
                self._check()  # the server may have come up since
                if self.info is None:
                    raise self._error or RemoteError(f"no answer from {self.base_url}")
            connection, response = self._start_stream(messages, settings, generation)
            try:
                reader.read(response)
            finally:
                generation.attach(None)
                connection.close()
        except Exception as exc:  # noqa: BLE001 - the answer must finish, whatever happened
            if not generation.stopped:
                error = exc if isinstance(exc, RemoteError) else _unexpected(self.base_url, exc)
        ended = monotonic()
        if generation.stopped:
            stats.finish_reason = "cancelled"
        elif error is not None:
            stats.finish_reason = "error"
            log.warning("answer failed: %s", error)
        reader.finish_stats(ended)
        stats.cpu_seconds = time.process_time() - cpu_started  # ours only, not the server's
        generation.finish(error)

    def _start_stream(self, messages: list[dict[str, str]], settings: SamplingSettings,
                      generation: _RemoteGeneration
                      ) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        body = self.request_body(messages, settings, self._extras)
        try:
            return self._open("POST", "/chat/completions", body, generation)
        except RemoteStatusError as exc:
            if exc.status not in (400, 422) or not self._extras:
                raise
            log.info("server refused the request (%s); asking without the optional fields", exc)
        body = self.request_body(messages, settings, extras=False)
        opened = self._open("POST", "/chat/completions", body, generation)
        self._extras = False  # it was the extras: leave them out from now on
        return opened

    def close(self) -> None:
        self._owner.shutdown()
