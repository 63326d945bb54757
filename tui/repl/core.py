"""What every REPL command uses: writing lines, and streaming an answer that Ctrl-C stops."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Mapping
from typing import TextIO

from tui.alignment.conversation import Status
from tui.application.diary import DiaryRecorder
from tui.application.service import ChatService
from tui.application.sources import answer_lines
from tui.application.turn import Turn
from tui.output.lines import stats_line
from tui.output.terminal import Terminal

SIGNAL_CHECK_SECONDS = 0.2
_END = object()


def _pump(turn: Turn, pieces: queue.SimpleQueue[object], finished: threading.Event) -> None:
    """Iterate the Turn to its end (worker thread), handing each piece to the printer."""
    try:
        for piece in turn:
            pieces.put(piece)
    except Exception as exc:  # reported by the printer as one line
        pieces.put(exc)
    finally:
        finished.set()
        pieces.put(_END)


class ReplCore:
    """The REPL's output and streaming; the commands build on it."""

    service: ChatService
    diary: DiaryRecorder | None
    out: TextIO
    keymap: Mapping[str, str]
    turn: Turn | None  # the answer streaming now, if any
    next_default: str  # text to put back in the prompt (after /rewind)

    def interrupt(self) -> bool:
        """Stop the answer being streamed, as Ctrl-C does; False when none is."""
        turn = self.turn
        if turn is not None:
            turn.stop()
        return turn is not None

    @property
    def terminal(self) -> Terminal:
        """self.out behind the one output layer: every string it writes is sanitised."""
        return Terminal(self.out)

    def say(self, text: str = "") -> None:
        self.terminal.line(text)

    def error(self, exc: BaseException | str) -> None:
        self.terminal.error(exc)

    def dim(self, text: str) -> None:
        self.terminal.dim(text)

    def highlight(self, pieces: Iterable[tuple[str, bool]]) -> None:
        """One line with the flagged pieces highlighted (on a terminal) or «marked»."""
        self.terminal.highlight(pieces)

    warnings_shown = False

    def wait_for_model(self) -> None:
        """Wait for the model (saying so while it loads); its warnings are said once."""
        engine = self.service.engine
        if engine.info is None and engine.load_error is None:
            self.say("loading model…")
        info = engine.wait_loaded()
        if not self.warnings_shown:
            self.warnings_shown = True
            for warning in info.warnings:
                self.terminal.error(warning, prefix="warning")

    def _tty(self) -> bool:
        return self.terminal.isatty()

    def _stream(self, turn: Turn) -> None:
        """Print the answer piece by piece; Ctrl-C stops it, and it is always drained."""
        pieces: queue.SimpleQueue[object] = queue.SimpleQueue()
        finished = threading.Event()
        self.turn = turn
        threading.Thread(target=_pump, args=(turn, pieces, finished), daemon=True,
                         name="repl-turn").start()
        try:
            while True:
                try:
                    self._print_pieces(pieces)
                    break
                except KeyboardInterrupt:
                    self.interrupt()
                    if finished.is_set() and pieces.empty():
                        break
        finally:
            self.turn = None
        self._report(turn)

    def _print_pieces(self, pieces: queue.SimpleQueue[object]) -> None:
        reading: tuple[int, int] | None = None
        while True:
            try:  # a timeout, because a SIGINT landing just before a blocking get is unseen
                item = pieces.get(timeout=SIGNAL_CHECK_SECONDS)
            except queue.Empty:
                turn = self.turn
                progress = turn.generation.prompt_progress if turn is not None else None
                if progress is not None and progress != reading:  # a long history, read
                    reading = progress
                    self.dim(f"reading the conversation: {progress[0]:,} of "
                             f"{progress[1]:,} tokens…")
                continue
            if item is _END:
                return
            if isinstance(item, BaseException):
                self.error(item)
            else:
                self.terminal.write(str(item))

    def _report(self, turn: Turn) -> None:
        """End the answer's line, then say how it ended and what it cost."""
        if turn.text and not turn.text.endswith("\n"):
            self.say()
        if turn.status is Status.STOPPED:
            self.say("[stopped]")
        elif turn.generation.error is not None:
            if turn.text:
                self.say("[interrupted: the partial answer above is kept]")
            self.error(turn.generation.error)
        for line in answer_lines(turn.answer):  # the sources it was given, and cited
            self.dim(line)
        info = self.service.engine.info
        self.dim(stats_line(turn.generation.stats, info.n_ctx if info else 0))
