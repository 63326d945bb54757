"""The llama.cpp engine: the only module that imports llama_cpp.

One owner thread holds the Llama (two threads sharing it crash llama.cpp). Tokens stream
back through a Generation; its stop flag is checked per token, and an abort callback
interrupts a long prompt evaluation. The KV cache is kept between turns, so a new turn
evaluates only the tokens that are not already cached (counted in GenerationStats).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
import os
import random
import time
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar, cast

# llama.cpp's OpenMP threads spin at barriers by default. When anything else holds a core
# (another program, the UI thread) generation collapses: 1-8 tokens/s instead of ~50 were
# measured on 2 cores. Sleeping waiters cost ~25 % on an idle machine and stay fast under
# load. libgomp reads this when llama_cpp loads it; a user's own setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import llama_cpp  # noqa: E402

from tui.alignment.text import strip_control
from tui.engine import chat_format, control_vectors
from tui.engine.base import (
    ControlVectorUse,
    EngineInfo,
    Generation,
    SamplingSettings,
    monotonic,
)
from tui.engine.context_window import checked_messages, display_name, fit
from tui.engine.faults import generation_error, load_error
from tui.engine.gguf_file import check_model_file
from tui.engine.owner import OwnerThread
from tui.engine.token_probe import TokenProbe, joint
from tui.errors import CoalignError, ModelError

log = logging.getLogger("coalign.llama")
_GGML_LEVELS = {1: logging.DEBUG, 2: logging.INFO, 3: logging.WARNING, 4: logging.ERROR}  # ggml.h
_last_level = [logging.DEBUG]
T = TypeVar("T")
PROGRESS_FROM_TOKENS = 256  # a prompt this long reports its evaluation as it goes


@llama_cpp.llama_log_callback
def _log_to_logging(level: int, text: bytes, _user_data: ctypes.c_void_p) -> None:
    """Route llama.cpp's C-side log lines to Python logging instead of the terminal."""
    if level != 5:  # 5 continues the previous line
        _last_level[0] = _GGML_LEVELS.get(level, logging.DEBUG)
    log.log(_last_level[0], "%s", text.decode("utf-8", "replace").rstrip())


def _install_log_callback() -> None:
    llama_cpp.llama_log_set(_log_to_logging, ctypes.c_void_p(0))


def _print_to_logging(*values: object, **_options: object) -> None:
    """Stands in for print() inside llama_cpp's modules, whose verbose prints go to stderr."""
    log.debug("%s", " ".join(str(value) for value in values))


def _route_library_prints() -> None:
    # A module-level name shadows the builtin for that module only: no global stream swap,
    # which another thread (a REPL prompt, the TUI) would otherwise write into.
    for module in (llama_cpp.llama, llama_cpp.llama_chat_format):
        module.print = _print_to_logging  # type: ignore[attr-defined]


_install_log_callback()
_route_library_prints()
_Formatter = llama_cpp.llama_chat_format.Jinja2ChatFormatter


class _TolerantFormatter(_Formatter):
    """A GGUF template that does not compile must not stop the load: Llama compiles every
    template in the file even when told to use another format (--chat-format)."""

    broken: Exception | None = None

    def __init__(self, template: str, *args: Any, **kwargs: Any) -> None:
        try:
            super().__init__(template, *args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - jinja2's errors, kept for the caller
            self.template, self.broken = template, exc

    def __call__(self, **kwargs: Any) -> Any:
        if self.broken is not None:
            raise ValueError(f"the chat template is broken ({self.broken})")
        return super().__call__(**kwargs)


def _template_problem(template: str | None) -> str | None:
    """Why a GGUF's chat template does not compile (None: it does, or there is none)."""
    broken = _TolerantFormatter(template, "", "").broken if template else None
    return None if broken is None else (strip_control(str(broken)).splitlines() or ["?"])[0]


llama_cpp.llama_chat_format.Jinja2ChatFormatter = _TolerantFormatter  # type: ignore[misc]


class _AbortFlag:
    """A stop flag llama.cpp reads without Python: libc's strlen over a two-byte buffer.

    ggml's CPU backend calls the abort callback once per graph node (hundreds of times per
    token) from a worker thread. A Python callback must take the GIL each time and waits
    behind whatever the UI thread is doing: generation fell from ~50 to ~1 token/s here
    with a busy main thread. strlen(buffer) returns 0 while the buffer is "\\0\\0" and 1 once
    it is "x\\0", which is exactly the callback's bool, with no Python involved.
    Where libc can't be found, a Python callback stands in.
    """

    def __init__(self) -> None:
        self._buffer = ctypes.create_string_buffer(2)
        self.data = ctypes.cast(self._buffer, ctypes.c_void_p)
        try:
            strlen = ctypes.CDLL(ctypes.util.find_library("c") or None).strlen
            self.callback = ctypes.cast(strlen, llama_cpp.ggml_abort_callback)
        except (OSError, AttributeError):
            self.callback = llama_cpp.ggml_abort_callback(lambda _data: self.is_set())

    def set(self) -> None:
        self._buffer[0] = b"x"

    def clear(self) -> None:
        self._buffer[0] = b"\0"

    def is_set(self) -> bool:
        return self._buffer[0] != b"\0"


def _llama_messages(
    messages: list[dict[str, str]],
) -> list[llama_cpp.ChatCompletionRequestMessage]:
    """Role/content dicts as llama_cpp's per-role message types (a Role is one of three)."""
    return cast(list[llama_cpp.ChatCompletionRequestMessage], checked_messages(messages))


_ANY_CHAR = 'char ::= [^"\\\\]'
_TEXT_CHAR = 'char ::= [^"\\\\\\x7F\\x00-\\x1F]'


@functools.lru_cache(maxsize=16)
def _grammar(json_schema: str | None) -> llama_cpp.LlamaGrammar | None:
    """A grammar that constrains the answer to a JSON Schema (None: free text).

    llama-cpp-python's converter lets raw control characters (newlines) into strings, which
    JSON forbids; llama.cpp's own converter excludes them, and so does this one.
    """
    if json_schema is None:
        return None
    gbnf = llama_cpp.llama_grammar.json_schema_to_gbnf(json_schema)
    return llama_cpp.LlamaGrammar.from_string(gbnf.replace(_ANY_CHAR, _TEXT_CHAR),
                                              verbose=False)


def gpu_offload_supported() -> bool:
    return bool(llama_cpp.llama_supports_gpu_offload())


def llama_cpp_version() -> str:
    return str(getattr(llama_cpp, "__version__", "unknown"))


def system_info() -> str:
    return llama_cpp.llama_print_system_info().decode("utf-8", "replace").strip()


class LlamaEngine:
    """A GGUF model loaded once per process and driven from its owner thread."""

    def __init__(
        self,
        model_path: Path,
        *,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        n_gpu_layers: int = 0,
        seed: int | None = None,
        flash_attn: bool = False,
        chat_format: str | None = None,
        warnings: Sequence[str] = (),
    ) -> None:
        self.model_path = Path(model_path)
        self.chat_format = chat_format  # None: the GGUF's own template
        self.warnings = list(warnings)  # given (a skipped models.toml) and found while loading
        self.flash_attn = flash_attn
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.n_gpu_layers = n_gpu_layers
        self.seed = seed if seed is not None else random.randrange(2**31)
        self.info: EngineInfo | None = None
        self.load_seconds = 0.0
        self._llm: llama_cpp.Llama | None = None
        self._counter: TokenProbe | None = None
        self._processors: llama_cpp.LogitsProcessorList | None = None
        self._owner = OwnerThread("coalign-llama")
        self._loaded: Future[EngineInfo] | None = None
        self._abort = _AbortFlag()  # the running generation's stop flag, seen by C
        self._current: Generation | None = None
        self._steering: tuple[ControlVectorUse, ...] = ()

    # loading ------------------------------------------------------------------

    def start_loading(self, on_progress: Callable[[float], None] | None = None) -> None:
        if self._loaded is None:
            self._loaded = self._owner.submit(self._load)
            if on_progress:
                self._loaded.add_done_callback(lambda _f: on_progress(1.0))

    def wait_loaded(self, timeout: float | None = None) -> EngineInfo:
        self.start_loading()
        assert self._loaded is not None
        return self._loaded.result(timeout)

    @property
    def load_error(self) -> Exception | None:
        if self._loaded is None or not self._loaded.done():
            return None
        return self._load_failure()

    def _load_failure(self) -> Exception | None:
        """What the finished load raised; SystemExit and the like were no load failure."""
        assert self._loaded is not None
        error = self._loaded.exception()
        if error is None or isinstance(error, Exception):
            return error
        raise error

    def _load(self) -> EngineInfo:
        try:
            check_model_file(self.model_path)
        except ModelError as exc:  # a name from a models.toml that was skipped, perhaps
            raise ModelError("; ".join([str(exc), *self.warnings])) from None
        registry = llama_cpp.llama_chat_format.LlamaChatCompletionHandlerRegistry()
        known = getattr(registry, "_chat_handlers", None) or {self.chat_format: None}
        if self.chat_format is not None and self.chat_format not in known:
            raise chat_format.unknown_format(self.chat_format, list(known))
        started = monotonic()
        try:
            # verbose=False would redirect the whole process's stdout/stderr (blanking a TUI),
            # so load verbosely with llama.cpp's C logs and the library's prints in logging.
            llm = llama_cpp.Llama(
                model_path=str(self.model_path),
                n_ctx=self.n_ctx,
                n_threads=self.n_threads,
                n_gpu_layers=self.n_gpu_layers,
                seed=self.seed,
                # Flash attention caps a long prompt's memory (271 MB instead of 361 for 3,700
                # tokens) but made each turn's first token 2.5x slower on CPU here (0.45 s
                # instead of 0.17 at turn 20, measured with `coalign bench`), so it is opt-in.
                flash_attn=self.flash_attn,
                chat_format=self.chat_format,
                verbose=True,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            log.error("load failed: %s", exc)
            raise load_error(self.model_path, self.n_ctx, exc) from None
        template = llm.metadata.get("tokenizer.chat_template")
        try:
            self.warnings += chat_format.template_warnings(
                self.model_path, template, _template_problem(template), self.chat_format)
        except ModelError:
            llm.close()
            raise
        for warning in self.warnings:
            log.warning("%s", warning)
        _install_log_callback()
        llm.verbose = False  # no per-call Python prints from here on
        llama_cpp.llama_set_abort_callback(llm.ctx, self._abort.callback, self._abort.data)
        self._llm = llm
        self._counter = TokenProbe(llm)
        self._processors = llama_cpp.LogitsProcessorList([self._counter.observe])
        self.load_seconds = monotonic() - started
        self.info = self._describe(llm)
        log.info("loaded %s in %.2f s", self.model_path, self.load_seconds)
        return self.info

    def _describe(self, llm: llama_cpp.Llama) -> EngineInfo:
        buffer = ctypes.create_string_buffer(256)
        llama_cpp.llama_model_desc(llm.model, buffer, len(buffer))
        description = buffer.value.decode("utf-8", "replace")
        metadata = {k: strip_control(str(v))[:500] for k, v in llm.metadata.items()
                    if k != "tokenizer.chat_template"}
        quant = description.rsplit(" ", 1)[-1] if description else ""
        name = display_name(self.model_path, quant)
        return EngineInfo(
            name=name, path=str(self.model_path), quantization=quant,
            size_bytes=self.model_path.stat().st_size, n_ctx=llm.n_ctx(),
            n_params=int(llama_cpp.llama_model_n_params(llm.model)),
            metadata={"description": description, **metadata}, warnings=list(self.warnings),
        )

    # generation -------------------------------------------------------------------

    def generate(self, messages: list[dict[str, str]], settings: SamplingSettings) -> Generation:
        self.start_loading()
        generation = Generation()
        self._owner.submit(lambda: self._generate(generation, messages, settings))
        return generation

    def _generate(
        self, generation: Generation, messages: list[dict[str, str]], settings: SamplingSettings
    ) -> None:
        if (failure := self._load_failure()) is not None:
            generation.finish(failure)
            return
        llm, counter, stats = self._llm, self._counter, generation.stats
        assert llm is not None and counter is not None
        self._abort.clear()
        self._current = generation
        def abort_if_current() -> None:
            if self._current is generation:
                self._abort.set()
        generation.on_stop(abort_if_current)
        messages, max_tokens = self._fit_context(llm, messages, settings.max_tokens)
        try:
            self._steer(llm, settings.control_vectors)
        except CoalignError as exc:
            generation.finish(exc)
            return
        evaluated_before, sampled_before = counter.evaluated, counter.sampled
        counter.probs.clear()

        def reading(done: int, of: int) -> None:  # only prompts long enough to wait for
            generation.prompt_progress = (done, of) if of >= PROGRESS_FROM_TOKENS else None

        counter.on_progress = reading
        generation.probs_available = True
        assigned = 0
        started, cpu_started = monotonic(), time.process_time()
        first_token_at = 0.0
        stream: Generator[llama_cpp.CreateChatCompletionStreamResponse, None, None] | None = None
        error: Exception | None = None
        try:
            response = llm.create_chat_completion(
                messages=_llama_messages(messages), stream=True,
                temperature=settings.temperature, max_tokens=max_tokens, seed=settings.seed,
                top_p=settings.top_p, repeat_penalty=settings.repeat_penalty,
                logits_processor=self._processors, grammar=_grammar(settings.json_schema),
            )
            assert isinstance(response, Generator)  # stream=True: a generator of chunks
            stream = response
            for chunk in stream:
                if generation.stop_event.is_set():
                    break
                choice = chunk["choices"][0]
                piece = choice["delta"].get("content")
                if isinstance(piece, str) and piece:
                    if not first_token_at:
                        first_token_at = monotonic()
                        generation.prompt_progress = None
                        stats.prompt_tokens = llm.n_tokens
                        stats.prompt_evaluated = counter.evaluated - evaluated_before
                    generation.push(piece, joint(counter.probs[assigned:]))
                    assigned = len(counter.probs)
                if finish_reason := choice.get("finish_reason"):
                    stats.finish_reason = finish_reason
        except RuntimeError as exc:
            if not generation.stop_event.is_set():  # an abort we asked for is not an error
                error = exc
        except Exception as exc:  # noqa: BLE001 - e.g. the prompt overflows, the template fails
            error = generation_error(exc, self.model_path)
        finally:
            if stream is not None:
                stream.close()  # release the generator here, on the owner thread
            self._current = None
            self._abort.clear()
        ended = monotonic()
        if generation.stop_event.is_set():
            stats.finish_reason = "cancelled"
        elif error is not None:
            stats.finish_reason = "error"
        if not first_token_at:
            stats.prompt_tokens = llm.n_tokens
            stats.prompt_evaluated = counter.evaluated - evaluated_before
            first_token_at = ended
        stats.generated_tokens = counter.sampled - sampled_before
        stats.prompt_seconds = first_token_at - started
        stats.generation_seconds = ended - first_token_at
        stats.context_used = llm.n_tokens
        stats.cpu_seconds = time.process_time() - cpu_started
        generation.finish(error)

    def _steer(self, llm: llama_cpp.Llama, uses: tuple[ControlVectorUse, ...]) -> None:
        """Apply the control vectors asked for (no-op when unchanged); strength 0 is none."""
        if uses == self._steering:
            return
        n_embd = int(llama_cpp.llama_model_n_embd(llm.model))
        n_layer = int(llama_cpp.llama_model_n_layer(llm.model))
        buffer = control_vectors.combined(uses, n_embd, n_layer)
        if buffer is None:
            llama_cpp.llama_set_adapter_cvec(llm.ctx, None, 0, n_embd, -1, -1)
        else:
            pointer = buffer.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
            if llama_cpp.llama_set_adapter_cvec(llm.ctx, pointer, buffer.size, n_embd, 1,
                                                n_layer) != 0:
                raise ModelError("llama.cpp refused the control vectors for this model")
        llm.reset()  # the KV cache was computed under the previous steering
        self._steering = uses

    def _fit_context(
        self, llm: llama_cpp.Llama, messages: list[dict[str, str]], max_tokens: int
    ) -> tuple[list[dict[str, str]], int]:
        """Drop the oldest exchanges until the prompt and the answer fit in n_ctx."""
        def cost(message: dict[str, str]) -> int:
            return len(llm.tokenize(message["content"].encode("utf-8"), add_bos=False)) + 8

        return fit(messages, cost, llm.n_ctx(), max_tokens)

    # tools for tests and the benchmark -----------------------------------------

    def run_on_owner(self, job: Callable[[llama_cpp.Llama], T]) -> T:
        """Run job(llm) on the owner thread and return its result."""
        self.wait_loaded()
        def run() -> T:
            assert self._llm is not None
            return job(self._llm)
        return self._owner.submit(run).result()

    def close(self) -> None:
        def release() -> None:
            if self._llm is not None:
                self._llm.close()
                self._llm = None
        self._owner.submit(release)
        self._owner.shutdown()
