"""Assemble a ChatService from paths, config, flags and the chosen model."""

from __future__ import annotations

import atexit
import logging
from dataclasses import dataclass, field

from tui.alignment.profiles.library import ProfileEntry, ProfileLibrary
from tui.alignment.store import Store, open_store
from tui.application import resume
from tui.application.diary import DiaryRecorder
from tui.application.participant import ParticipantKeeper
from tui.application.profiles import open_library
from tui.application.service import ChatService
from tui.application.usage import machine_id
from tui.config import DEFAULT_SYSTEM_PROMPT, Config, EngineOverrides, load_config
from tui.engine.base import Engine, SamplingSettings, UnavailableEngine
from tui.engine.model_files import ModelChoice, resolve_model
from tui.errors import CoalignError, RemoteError
from tui.paths import Paths, default_paths


@dataclass
class Startup:
    """Everything an interface needs to start, plus notices to show the user."""

    paths: Paths
    config: Config
    service: ChatService
    model: ModelChoice | None
    diary: DiaryRecorder
    notices: list[str] = field(default_factory=list)


def configure_logging(paths: Paths) -> None:
    """Send coalign's and llama.cpp's log lines to a file, never to the terminal."""
    handler = logging.FileHandler(paths.log_file, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)


def open_engine(
    config: Config, model_flag: str | None, paths: Paths
) -> tuple[Engine, ModelChoice | None]:
    """The engine config asks for: a local GGUF file (and which), or an OpenAI-compatible
    server (--backend openai, where --model names the server's model)."""
    if config.backend == "openai":
        from tui.engine.remote import RemoteEngine

        if not config.base_url:
            raise RemoteError("--backend openai needs the server's address: pass --base-url "
                              "URL or set base_url in config.toml")
        return RemoteEngine(
            config.base_url, model=model_flag or config.remote_model,
            api_key_env=config.api_key_env, connect_timeout=config.connect_timeout,
            request_timeout=config.request_timeout,
        ), None
    from tui.application.models import search_dirs

    choice = resolve_model(model_flag, config.model, paths.user_models_dir, search_dirs(config))
    from tui.engine.llama import LlamaEngine  # imports llama_cpp: only when a model is used

    return LlamaEngine(
        choice.path, n_ctx=config.context, n_threads=config.threads,
        adaptive_threads=config.adaptive_threads,
        n_gpu_layers=config.gpu_layers, seed=config.seed,
        chat_format=config.chat_format or choice.chat_format, warnings=choice.warnings,
        state_dir=paths.kv_cache_dir,  # saved KV caches: resumed sessions start at once
    ), choice


def open_history(paths: Paths, notices: list[str], reading: bool = False) -> Store:
    """The history, for a command that saves (reading False: its data dir must be
    writable, or DataDirError) or one that only reads (`history`, `usage`: a read-only or
    full data dir or file is opened read-only). A damaged file is moved aside and a fresh
    one started, said in notices; a read-only, foreign or newer one raises HistoryError."""
    paths.ensure_data_dir(writable=not reading)
    store, moved = open_store(paths.database, read_only=None if reading else False)
    if moved is not None:
        notices.append(str(moved))
    return store


def _starting_profile(
    library: ProfileLibrary, name: str | None, notices: list[str]
) -> ProfileEntry:
    """The profile named in config, or the neutral one (with a notice when it can't be used)."""
    if name:
        try:
            entry = library.get(name)
        except KeyError:
            notices.append(f"config: no profile called '{name}'; using neutral "
                           "(`coalign profile list` shows them)")
        else:
            if entry.ok:
                return entry
            notices.append(f"profile {name} is broken ({entry.error}); using neutral")
    return library.default()


def start(overrides: EngineOverrides | None = None, paths: Paths | None = None,
          keep_state_at_quit: bool = True) -> Startup:
    """Load config, open history, pick the model and start loading it in the background.

    Raises DataDirError or HistoryError (one line each) when history cannot be stored; a
    damaged history moved aside and model problems become notices (and an engine that
    reports them), so interfaces can show them and keep running. keep_state_at_quit saves
    the conversation's KV cache at exit, for an instant resume.
    """
    paths = paths or default_paths()
    overrides = EngineOverrides(**(overrides or {}))
    model_flag = overrides.pop("model", None)
    config, issues = load_config(paths.config_file)
    config = config.with_overrides(**overrides)
    notices = [str(issue) for issue in issues]
    store = open_history(paths, notices)
    configure_logging(paths)
    choice: ModelChoice | None = None
    engine: Engine
    try:
        engine, choice = open_engine(config, model_flag, paths)
    except CoalignError as exc:
        notices.append(str(exc))  # no model at all: how to pull one (model_files.NO_MODEL)
        engine = UnavailableEngine(exc)
    from tui.application.model_switch import ModelSwitcher
    from tui.application.models import fit_warning

    if choice is not None and (too_big := fit_warning(choice.path, config.context)):
        notices.append(too_big)  # said before the model loads, which it still tries
    engine.start_loading()
    settings = SamplingSettings(config.temperature, config.max_tokens, config.seed)
    profiles = open_library(paths)
    service = ChatService(store, engine, settings, DEFAULT_SYSTEM_PROMPT, profiles)
    if keep_state_at_quit:  # not for one-shot `coalign ask`: a large model's cache is big
        atexit.register(resume.on_quit, service)  # quitting saves the session's KV cache
    service.set_profile(_starting_profile(profiles, config.profile, notices))
    service.bibliographies = config.bibliographies
    service.models = ModelSwitcher(service, config, paths)  # /model NAME
    service.grounder.path = paths.library_database
    keeper = ParticipantKeeper(paths.diary_dir, config.pseudonym, config.consent,
                               paths.participant_seen_file)
    diary = DiaryRecorder(service, keeper.store(), config.pseudonym, config.consent, keeper,
                          machine_id(paths))
    return Startup(paths, config, service, choice, diary, notices)
