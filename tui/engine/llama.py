"""The llama.cpp engine: the only module that imports llama_cpp.

One owner thread holds the Llama (two threads sharing it crash llama.cpp). An answer is
decoded and sampled there through llama.cpp's own sampler chains (native_decoder.py,
decode_loop.py); tokens stream back through a Generation, whose stop flag is checked per
token, and an abort callback interrupts a long prompt evaluation. The KV cache is kept
between turns, so a new turn evaluates only the tokens that are not already cached
(counted in GenerationStats); with a state folder, the cache of a conversation that is
left is saved (keep_state) and restored when a prompt starts with its tokens again.
"""

from __future__ import annotations

import ctypes
import functools
import logging
import random
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from tui.engine import thread_env

# How OpenMP threads wait (thread_env.py): libgomp reads it when llama_cpp loads it.
THREAD_DEFAULTS = thread_env.apply_defaults()

import llama_cpp  # noqa: E402

from tui.alignment.text import strip_control  # noqa: E402
from tui.engine import (  # noqa: E402
    chat_format,
    control_vectors,
    decode_loop,
    kv_state,
    library_log,
)
from tui.engine.abort_flag import AbortFlag  # noqa: E402
from tui.engine.base import (  # noqa: E402
    ControlVectorUse,
    EngineInfo,
    Generation,
    SamplingSettings,
    monotonic,
)
from tui.engine.chat_prompt import chat_prompt  # noqa: E402
from tui.engine.context_window import display_name, fit  # noqa: E402
from tui.engine.faults import generation_error, load_error  # noqa: E402
from tui.engine.gguf_file import check_model_file  # noqa: E402
from tui.engine.native_decoder import Candidates, NativeDecoder  # noqa: E402
from tui.engine.native_sampler import plan, seed_for  # noqa: E402
from tui.engine.owner import OwnerThread  # noqa: E402
from tui.engine.state_cache import StateCache  # noqa: E402
from tui.engine.thread_count import ThreadGovernor, yield_to_the_ui  # noqa: E402
from tui.engine.token_probe import TokenProbe  # noqa: E402
from tui.errors import CoalignError, ModelError  # noqa: E402

log = logging.getLogger("coalign.llama")
T = TypeVar("T")
PROGRESS_FROM_TOKENS = 256  # a prompt this long reports its evaluation as it goes


library_log.install_log_callback(llama_cpp)
library_log.route_library_prints(llama_cpp)
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
        state_dir: Path | None = None,
        state_cap_bytes: int = kv_state.DEFAULT_CAP_BYTES,
        adaptive_threads: bool = True,
    ) -> None:
        self.model_path = Path(model_path)
        self.chat_format = chat_format  # None: the GGUF's own template
        self.warnings = list(warnings)  # given (a skipped models.toml) and found while loading
        self.flash_attn = flash_attn
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.adaptive_threads = adaptive_threads  # fewer while other programs hold cores
        self._governor: ThreadGovernor | None = None
        self.n_gpu_layers = n_gpu_layers
        self.seed = seed if seed is not None else random.randrange(2**31)
        self.info: EngineInfo | None = None
        self.load_seconds = 0.0
        # saved KV caches of conversations left (None: none are kept)
        self._states = (StateCache(llama_cpp, kv_state.StateStore(state_dir, state_cap_bytes))
                        if state_dir else None)
        self._llm: llama_cpp.Llama | None = None
        self._counter: TokenProbe | None = None
        self._candidates: Candidates | None = None
        self._seeds = random.Random(self.seed)  # one per answer that asks for none
        self._owner = OwnerThread("coalign-llama")
        self._closed = False
        self._loaded: Future[EngineInfo] | None = None
        # the running generation's stop flag, seen by C
        self._abort = AbortFlag(llama_cpp.ggml_abort_callback)
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
        yield_to_the_ui()  # on the owner thread, before llama.cpp starts its own threads
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
                model_path=str(self.model_path), n_ctx=self.n_ctx, n_threads=self.n_threads,
                n_gpu_layers=self.n_gpu_layers, seed=self.seed,
                # Flash attention caps a long prompt's memory (271 MB instead of 361 for 3,700
                # tokens) but made each turn's first token 2.5x slower on CPU here (0.45 s
                # instead of 0.17 at turn 20, measured with `coalign bench`), so it is opt-in.
                flash_attn=self.flash_attn, chat_format=self.chat_format, verbose=True,
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
        library_log.install_log_callback(llama_cpp)
        llm.verbose = False  # no per-call Python prints from here on
        llama_cpp.llama_set_abort_callback(llm.ctx, self._abort.callback, self._abort.data)
        self._llm = llm
        self._counter = TokenProbe(llm)
        self._candidates = Candidates(llama_cpp, llm.n_vocab())
        if self.adaptive_threads and self.n_gpu_layers == 0:
            self._governor = ThreadGovernor(
                llm.context_params.n_threads, llm.context_params.n_threads_batch,
                functools.partial(llama_cpp.llama_set_n_threads, llm.ctx))
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

    @property
    def threads_in_use(self) -> int | None:
        """Generation's threads now (fewer than n_threads while other programs hold cores)."""
        return self._governor.current if self._governor is not None else self.n_threads

    def restore_threads(self) -> None:
        """Generation's threads back to n_threads, before work the engine does not pace
        (the bench's raw loop); the next answer fits them to the free cores again."""
        if self._governor is not None:
            governor = self._governor
            self.run_on_owner(lambda _llm: governor.restore())

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
        assert llm is not None and counter is not None and self._candidates is not None
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

        def reading(done: int, of: int) -> None:  # only prompts long enough to wait for
            generation.prompt_progress = (done, of) if of >= PROGRESS_FROM_TOKENS else None

        counter.on_progress = reading
        generation.probs_available = True
        started, cpu_started, evaluated_before = monotonic(), time.process_time(), counter.evaluated
        outcome, rest = decode_loop.Outcome(), 0
        error: Exception | None = None
        decoder: NativeDecoder | None = None
        try:
            name = str(llm.chat_format)
            handler = (llm.chat_handler or llm._chat_handlers.get(name)
                       or llama_cpp.llama_chat_format.get_chat_completion_handler(name))
            prompt = chat_prompt(handler, llm, messages, _grammar(settings.json_schema))
            if len(prompt.tokens) >= llm.n_ctx():  # the wording faults.py recognises
                raise ValueError(f"Requested tokens ({len(prompt.tokens)}) exceed context "
                                 f"window of {llm.n_ctx()}")
            pending = self._reuse_prefix(llm, prompt.tokens)
            stats.prompt_tokens, rest = len(prompt.tokens), len(pending)
            decoder = NativeDecoder(llama_cpp, llm, self._candidates, plan(
                temperature=settings.temperature, top_p=settings.top_p,
                repeat_penalty=settings.repeat_penalty,
                seed=seed_for(settings.seed, self._seeds.randrange(2**32)),
                n_vocab=llm.n_vocab(), last_n=llm.last_n_tokens_size,
                grammar=prompt.grammar is not None), prompt.grammar, prompt.criteria,
                self._governor.pace if self._governor is not None else None)
            outcome = decode_loop.run(decoder, generation, pending,
                                      min(max_tokens, llm.n_ctx() - len(prompt.tokens)),
                                      prompt.stops)
        except RuntimeError as exc:
            if not generation.stop_event.is_set():  # an abort we asked for is not an error
                error = exc
        except Exception as exc:  # noqa: BLE001 - e.g. the prompt overflows, the template fails
            error = generation_error(exc, self.model_path)
        finally:
            if decoder is not None:
                decoder.close()
            llm._requires_eval = True  # llama-cpp-python's own loop must not trust the logits
            self._current = None
            self._abort.clear()
        outcome.record(stats, stopped=generation.stop_event.is_set(), failed=error is not None,
                       started=started, evaluated=min(counter.evaluated - evaluated_before, rest),
                       context_used=llm.n_tokens, cpu_seconds=time.process_time() - cpu_started)
        generation.finish(error)

    def _reuse_prefix(self, llm: llama_cpp.Llama, tokens: list[int]) -> list[int]:
        """Keep the KV cache's longest prefix of tokens (from memory, or a saved state when
        that holds more of it); the tokens left to evaluate, at least the last one (its
        logits are what the first answer token is sampled from)."""
        cached = kv_state.common_prefix(llm._input_ids, tokens)
        if self._states is not None and len(tokens) - cached > kv_state.MIN_TOKENS:
            cached = self._states.restore(llm, self._state_key(llm), tokens, cached)
        keep = min(cached, len(tokens) - 1)
        if keep < llm.n_tokens and not llm._ctx.kv_cache_seq_rm(-1, keep, -1):
            llm.reset()  # this model's cache cannot drop a suffix: start again
            keep = 0
        llm.n_tokens = keep
        return tokens[keep:]

    # saved KV caches -----------------------------------------------------------

    def _state_key(self, llm: llama_cpp.Llama) -> dict[str, object]:
        return kv_state.model_key(
            self.model_path, n_ctx=llm.n_ctx(), flash_attn=self.flash_attn,
            n_gpu_layers=self.n_gpu_layers, vectors=control_vectors.identity(self._steering),
            llama_cpp=llama_cpp_version(), format=kv_state.MAGIC.decode().strip())

    @property
    def state_store(self) -> kv_state.StateStore | None:
        """Where conversations' KV caches are saved (None: they are not)."""
        return self._states.store if self._states is not None else None

    def keep_state(self) -> Future[Path | None]:
        """Save the KV cache as it is (the conversation being left) on the owner thread,
        after any answer in progress; the future holds the file (None: nothing saved)."""
        if self._states is None or self._closed or self._loaded is None:
            done: Future[Path | None] = Future()
            done.set_result(None)
            return done
        return self._owner.submit(self._save_state)

    def _save_state(self) -> Path | None:
        if self._llm is None or self._states is None:
            return None
        return self._states.save(self._llm, self._state_key(self._llm))

    # steering and fitting ----------------------------------------------------------

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
        self._closed = True
        self._owner.submit(release)
        self._owner.shutdown()
