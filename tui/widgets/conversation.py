"""Chat widgets: one message (user or answer) and the status line."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import LoadingIndicator, Markdown, Static, TextArea
from textual.worker import get_current_worker

from tui.actions import action
from tui.alignment.conversation import Status
from tui.alignment.text import strip_control
from tui.engine.base import Engine, EngineInfo, GenerationStats
from tui.widgets.highlight import highlighted
from tui.widgets.stream import StreamView

WAITING = "waiting for the model…"
THINKING = "thinking…"


class MessageView(Vertical):
    """One message of the conversation; see UserMessage and AnswerView."""

    DEFAULT_CSS = """
    MessageView { height: auto; padding: 0 1; margin: 0 0 1 0; }
    MessageView .role { color: $text-muted; text-style: bold; }
    UserMessage { border-left: thick $primary; background: $boost; }
    AnswerView { border-left: thick $secondary; }
    AnswerView Markdown { margin: 0; padding: 0; }
    AnswerView .pending { color: $text-muted; text-style: italic; }
    AnswerView .badge { color: $warning; }
    AnswerView .badge.-error { color: $error; }
    AnswerView .note { color: $text-muted; }
    AnswerView .sources { color: $text-muted; }
    """

    role = ""

    def __init__(self, text: str) -> None:
        super().__init__(classes=f"-{self.role}")
        self.text = strip_control(text)


class UserMessage(MessageView):
    """The user's prompt, shown literally (never as markup)."""

    role = "user"

    def compose(self) -> ComposeResult:
        yield Static(Text("you", style="bold"), classes="role")
        yield Static(Text(self.text), classes="body")


class AnswerView(MessageView):
    """The model's answer: streamed as literal text (a cheap StreamView), then shown whole
    as Markdown once it ends (one parse, not one per update)."""

    role = "assistant"

    @dataclass
    class Piece(Message, bubble=False):
        """A piece of text arrived from the generation thread."""

        text: str

    @dataclass
    class Ended(Message):
        """The answer ended; bubbles up so the screen can update its status."""

        text: str
        status: Status
        stats: GenerationStats | None = None
        error: str = ""

    def __init__(self, text: str = "", status: Status = Status.COMPLETE,
                 error: str = "", pending: str = "", note: str = "", notice: str = "",
                 sources: list[str] | None = None) -> None:
        super().__init__(text)
        self.status = status
        self.error = error
        self.pending = pending
        self.note = note
        self.sources = sources or []  # the library passages it was given (issue 16)
        self.notice = notice  # why it ended short, beyond its status (the token limit)
        # Kept, not queried: a DOM query per streamed piece costs more than the update.
        self._pending = Static(Text(self.pending), classes="pending")
        self._stream = StreamView() if status is Status.STREAMING else None

    def compose(self) -> ComposeResult:
        yield Static(Text("coalign", style="bold"), classes="role")
        yield self._pending
        yield Markdown(self.text, open_links=False)
        yield Static(classes="confidence")
        if self._stream is not None:
            yield self._stream
        yield Static(classes="badge")
        yield Static(classes="sources")
        yield Static(classes="note")

    def on_mount(self) -> None:
        self.query_one(".confidence").display = False
        self.query_one(".pending").display = bool(self.pending)
        self._show_badge()
        self.set_sources(self.sources)
        self.set_note(self.note)

    def set_sources(self, lines: list[str]) -> None:
        """The sources under a grounded answer: each one given, and whether it was cited."""
        self.sources = [strip_control(line) for line in lines]
        label = self.query_one(".sources", Static)
        label.update(Text("\n".join(self.sources)))
        label.display = bool(self.sources)

    def set_pending(self, text: str) -> None:
        """Change what is shown until the first piece arrives (e.g. progress reading)."""
        if self._pending.display and text != self.pending:
            self.pending = text
            self._pending.update(Text(text))

    def set_note(self, note: str) -> None:
        """The line under the answer: its number among retries, its mark (literal text)."""
        self.note = strip_control(note)
        label = self.query_one(".note", Static)
        label.update(Text(self.note))
        label.display = bool(self.note)

    def show_confidence(self, spans: list[tuple[int, int]] | None) -> None:
        """Show the answer as literal text with the given stretches highlighted, or (None)
        as Markdown again."""
        view, markdown = self.query_one(".confidence", Static), self.query_one(Markdown)
        if spans is not None:
            view.update(highlighted(self.text, spans))
        view.display, markdown.display = spans is not None, spans is None

    @property
    def confidence_shown(self) -> bool:
        return bool(self.query_one(".confidence", Static).display)

    @property
    def badge(self) -> str:
        """The one-line note under an answer that did not complete, or was cut short
        ('' if none)."""
        if self.status in (Status.COMPLETE, Status.STREAMING) and not self.error:
            return f"■ {self.notice}" if self.notice else ""
        note = f"■ {self.status.value}"
        if self.error:
            return f"{note}: {self.error}"
        return f"{note} {self.notice}" if self.notice else note

    def set_notice(self, notice: str) -> None:
        """Say why the answer ended short (see badge); '' for none."""
        self.notice = notice
        self._show_badge()

    def _show_badge(self) -> None:
        badge = self.query_one(".badge", Static)
        badge.update(Text(self.badge))
        badge.set_class(bool(self.error), "-error")
        badge.display = bool(self.badge)

    async def on_answer_view_piece(self, message: Piece) -> None:
        if self._stream is None:  # the answer already ended
            return
        self._pending.display = False
        piece = strip_control(message.text)
        self.text += piece
        await self._stream.append(piece)

    async def on_answer_view_ended(self, message: Ended) -> None:
        self.text = strip_control(message.text)
        self.status, self.error = message.status, message.error
        with self.app.batch_update():  # one frame: the streamed text becomes the Markdown
            self._pending.display = False
            await self.query_one(Markdown).update(self.text)
            if self._stream is not None:
                await self._stream.remove()
                self._stream = None
            self._show_badge()


class PromptInput(TextArea):
    """The prompt: grows with its text up to MAX_LINES lines (then it scrolls).

    Enter sends it (posts Submitted); Ctrl+J, or Shift+Enter where the terminal reports
    it (kitty's keyboard protocol: kitty, WezTerm, foot, Ghostty, iTerm2), starts a new
    line; a paste keeps every line. `value` is the text, as on an Input.
    """

    MAX_LINES = 8
    NEWLINE_KEYS = frozenset({"ctrl+j", "shift+enter"})
    DEFAULT_CSS = f"""
    PromptInput {{ height: auto; max-height: {MAX_LINES + 2}; }}
    """

    @dataclass
    class Submitted(Message):
        """Enter was pressed: send `value`."""

        prompt: PromptInput
        value: str

        @property
        def control(self) -> PromptInput:
            return self.prompt

    def __init__(self, placeholder: str = "", id: str | None = None) -> None:
        super().__init__(placeholder=placeholder, id=id, soft_wrap=True, tab_behavior="focus",
                         highlight_cursor_line=False)

    @property
    def value(self) -> str:
        return self.text

    @value.setter
    def value(self, text: str) -> None:
        """Replace the text and put the cursor at its end (ready to go on typing)."""
        self.load_text(text.replace("\r\n", "\n").replace("\r", "\n"))
        self.move_cursor(self.document.end)

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self.post_message(self.Submitted(self, self.text))
        elif event.key in self.NEWLINE_KEYS and not self.read_only:
            event.stop()
            event.prevent_default()
            self._replace_via_keyboard("\n", *self.selection)
        else:
            await super()._on_key(event)


class Welcome(Static):
    """The first screen of an empty conversation: the model, the profile and the three
    keys that matter; the conversation replaces it once it starts."""

    DEFAULT_CSS = """
    Welcome { padding: 1 2; margin: 1 0; border-left: thick $accent; color: $text-muted; }
    """

    def __init__(self, keymap: Mapping[str, str], model: str = "", profile: str = "") -> None:
        super().__init__()
        self.keys = {action_id: keymap.get(action_id, action(action_id).key)
                     for action_id in ("help", "mark")}
        self.model = model
        self.profile = profile

    def on_mount(self) -> None:
        self.refresh_text()

    def set_model(self, model: str) -> None:
        self.model = model
        self.refresh_text()

    def set_profile(self, profile: str) -> None:
        self.profile = profile
        self.refresh_text()

    @property
    def text(self) -> str:
        model = self.model or "the model (loading…)"
        profile = f" under the value profile {self.profile}" if self.profile else ""
        keys = [(self.keys["help"], "help: every action, its key and its /command"),
                ("ctrl+p", "the command palette: search every action by name"),
                (self.keys["mark"], "mark an answer: valid or invalid, understood or not")]
        width = max(len(key) for key, _what in keys) + 2
        return "\n".join([
            f"Welcome to coalign. You are talking to {model}{profile}.",
            "Type a question below: Enter sends it, ctrl+j starts a new line.", "",
            *(f"{key.ljust(width)}{what}" for key, what in keys)])

    def refresh_text(self) -> None:
        self.update(Text(self.text))


class StatusLine(Horizontal):
    """Model, loading state or load error, speed and context use of the last answer."""

    DEFAULT_CSS = """
    StatusLine { height: 1; background: $panel; padding: 0 1; }
    StatusLine LoadingIndicator { width: 6; height: 1; min-height: 1; }
    StatusLine Static { width: 1fr; }
    StatusLine Static.-error { color: $error; text-style: bold; }
    """

    @dataclass
    class ModelReady(Message):
        """The model finished loading."""

        info: EngineInfo

    @dataclass
    class ModelFailed(Message):
        """The model could not be loaded; the app keeps running."""

        error: str

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine
        self.info: EngineInfo | None = None
        self.error = ""
        self.busy = False
        self.stats: GenerationStats | None = None
        self.profile = ""
        self.paused = ""  # "paused (9 more minute(s)) · f7 resumes", while a pause holds
        self._indicator = LoadingIndicator()
        self._frame_seconds = self._indicator.auto_refresh  # its own rate, while loading

    def compose(self) -> ComposeResult:
        yield self._indicator
        yield Static()

    def on_mount(self) -> None:
        self.refresh_text()
        self._wait_for_model()

    @work(thread=True, group="model-load")
    def _wait_for_model(self) -> None:
        worker = get_current_worker()
        while not worker.is_cancelled:
            try:
                info = self.engine.wait_loaded(timeout=0.2)
            except TimeoutError:
                continue
            except Exception as exc:  # any load failure is shown, never raised
                self.post_message(self.ModelFailed(str(exc) or type(exc).__name__))
                return
            self.post_message(self.ModelReady(info))
            return

    def on_status_line_model_ready(self, message: ModelReady) -> None:
        self.info = message.info
        self.refresh_text()

    def on_status_line_model_failed(self, message: ModelFailed) -> None:
        self.error = strip_control(message.error).splitlines()[0] if message.error else "error"
        self.refresh_text()

    def set_profile(self, name: str) -> None:
        self.profile = name
        self.refresh_text()

    def show_stats(self, stats: GenerationStats | None) -> None:
        """Show these figures (another session's, a rewound branch's), or none."""
        self.stats = stats
        self.refresh_text()

    def set_paused(self, text: str) -> None:
        self.paused = text
        self.refresh_text()

    def set_busy(self, busy: bool, stats: GenerationStats | None = None) -> None:
        """Mark an answer as being generated, or record the stats of the one that ended."""
        self.busy = busy
        self.stats = stats or self.stats
        self.refresh_text()

    @property
    def text(self) -> str:
        if self.error:
            return f"model failed to load: {self.error}"
        if self.info is None:
            return "loading model…"
        parts = [self.info.label]
        if self.profile:
            parts.append(f"profile {self.profile}")
        if self.paused:
            parts.append(self.paused)
        if self.busy:
            parts.append("answering…")
        elif self.stats is not None:
            if self.stats.tokens_per_second:
                parts.append(f"{self.stats.tokens_per_second:.1f} tokens/s")
            if self.info.n_ctx and self.stats.context_used:
                parts.append(f"{self.stats.context_used}/{self.info.n_ctx} tokens")
        return " · ".join(parts)

    def refresh_text(self) -> None:
        label = self.query_one(Static)
        label.update(Text(self.text))
        label.set_class(bool(self.error), "-error")
        # Animated only while the model loads: during an answer its ~15 frames/s would take
        # CPU from generation (the streaming text shows progress instead). Hidden is not
        # enough: its timer would still wake the UI thread 16 times a second, each wake-up
        # taking a core from one of llama.cpp's threads while an answer streams.
        loading = not self.error and self.info is None
        indicator = self._indicator
        indicator.display = loading
        if (indicator.auto_refresh is not None) != loading:
            indicator.auto_refresh = self._frame_seconds if loading else None
