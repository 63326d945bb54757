"""The Textual app: bindings, palette and keymap come from the action registry."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
from collections.abc import Callable, Coroutine, Iterable
from functools import partial
from pathlib import Path

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.theme import Theme

from tui.actions import ACTIONS
from tui.application.diary import DiaryRecorder
from tui.application.prompts import choices as prompt_choices
from tui.application.service import ChatService
from tui.config import Config
from tui.screens.chat import ChatScreen

_METHODS = {action.method for action in ACTIONS}


def _delegate(method: str) -> Callable[[CoalignApp], Coroutine[None, None, None]]:
    """An app action that runs the chat screen's action of the same name."""

    async def action(self: CoalignApp) -> None:
        await self.chat.run_action(method)

    action.__doc__ = f"Run the chat screen's `{method}` action."
    return action


class CoalignApp(App[int]):
    """coalign's TUI; all behaviour lives in ChatScreen and ChatService."""

    TITLE = "coalign"
    # Priority so a focused Input cannot swallow a (remapped) key; Enter stays the Input's.
    BINDINGS = [
        Binding(a.key, a.method, a.footer_label, show=a.footer, id=a.id, priority=a.id != "send",
                tooltip=a.help, key_display=a.key_display)
        for a in ACTIONS
    ]

    def __init__(self, service: ChatService, config: Config, notices: list[str],
                 diary: DiaryRecorder | None = None, config_file: Path | None = None) -> None:
        super().__init__()
        self.service = service
        self.config = config
        self.config_file = config_file  # where a theme chosen in the app is saved (None: not)
        self.notices = list(notices)
        self.keymap = self._checked_keymap(config.keymap)
        self.chat = ChatScreen(service, self.keymap, diary)
        self.set_keymap(self.keymap)

    def _checked_keymap(self, keymap: dict[str, str]) -> dict[str, str]:
        """The usable entries (load_config has already checked a file's, with lines); the
        rest become notices, and every refused entry keeps its default key, quit's too."""
        from tui.config import check_keymap

        usable, problems = check_keymap(keymap)
        self.notices += [f"keymap: {problem}" for _action_id, problem in problems]
        return usable

    def get_default_screen(self) -> Screen:
        return self.chat

    def on_mount(self) -> None:
        self._exit_on_hangup()
        if self.config.theme in self.available_themes:
            self.theme = self.config.theme
        else:
            self.notices.append(
                f"theme: unknown theme '{self.config.theme}'; using {self.theme}"
            )
        self._saved_theme = self.theme
        self.theme_changed_signal.subscribe(self, self._save_theme)
        for notice in self.notices:
            self.notify(notice, severity="warning", timeout=10, markup=False)

    def _save_theme(self, theme: Theme) -> None:
        """A theme chosen in the app (the palette's Theme) is kept for the next start."""
        if theme.name == self._saved_theme or self.config_file is None:
            return
        from tui.screens.settings import save_setting

        problem = save_setting(self.config_file, "theme", theme.name)
        if problem is not None:
            self.notify(f"Theme {theme.name} not saved: {problem}", severity="warning",
                        markup=False)
            return
        self._saved_theme = theme.name
        self.notify(f"Theme {theme.name} saved in {self.config_file}.", markup=False)

    def on_ready(self) -> None:
        # Everything made so far (modules, the stylesheet, the first screen) lives as long as
        # the app: leave it out of the cyclic collector's full collections, which otherwise
        # walk it all and stall the UI for 40-60 ms every few seconds while answers stream.
        gc.freeze()

    def _exit_on_hangup(self) -> None:
        """Quit when the terminal goes away (ssh drop, tmux kill) instead of spinning on."""
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGHUP, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signum, self.action_quit_on_signal)

    def action_quit_on_signal(self) -> None:
        self.chat.stop_answer("quit")
        self.exit(0)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Registry keys belong to the chat screen; on a modal they fall through to it."""
        if action not in _METHODS:
            return True
        if self.screen is not self.chat:
            return action == "quit"
        if action == "stop" and not self.chat.busy:
            return None  # shown dimmed; Esc passes on
        return True

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for action in ACTIONS:
            run = partial(self.chat.run_action, action.method)
            key = self.keymap.get(action.id, action.key)
            yield SystemCommand(action.title, f"{action.help}  ({key} · {action.command})", run)
        for item in prompt_choices(self.service):  # each prompt of the library, by its name
            send = partial(self.chat.run_action, f"prompt({item.qualified!r})")
            about = item.prompt.description or item.prompt.text.splitlines()[0][:60]
            yield SystemCommand(f"Prompt: {item.name}", f"{about}  (profile {item.entry.name})",
                                send)


for _action in ACTIONS:  # action_send, action_stop, ...: one per registry action
    setattr(CoalignApp, f"action_{_action.method}", _delegate(_action.method))


def run_tui(service: ChatService, config: Config, notices: list[str],
            diary: DiaryRecorder | None = None) -> int:
    """Run the TUI until the user quits; returns the exit code."""
    from tui.paths import default_paths

    app = CoalignApp(service, config, notices, diary, default_paths().config_file)
    app.run()
    return app.return_code or 0
