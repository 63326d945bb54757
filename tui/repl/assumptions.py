"""The REPL's /assumptions: the panel's sections as text, and the model's account on demand."""

from __future__ import annotations

from tui.alignment.conversation import Message
from tui.alignment.text import strip_control
from tui.application import assumptions as assumptions_report
from tui.application import disclosure
from tui.output.stream import write_streamed
from tui.repl.core import ReplCore


def ask_account(repl: ReplCore, answer: Message) -> None:
    """Stream the model's account of answer (Ctrl-C stops it) and cache it if it finished."""
    repl.dim("asking the model how it produced this answer (Ctrl-C stops)…")
    repl.wait_for_model()
    generation = disclosure.start(repl.service, answer)
    write_streamed(generation, repl.out)
    repl.say()
    entry = disclosure.save(repl.service, answer, generation)
    if entry.get("stopped"):
        repl.say("[stopped: not kept]")


def show(repl: ReplCore, arg: str) -> None:
    """Print every section for the chosen answer (the last one by default)."""
    answers, index, ask = assumptions_report.select(repl.service, arg)
    answer = answers[index]
    if ask:
        ask_account(repl, answer)
    report = assumptions_report.build(repl.service, answer, repl.service.bibliographies)
    repl.dim(f"assumptions behind message #{answer.id} (/assumptions ask: the model's account)")
    for section in report.sections:
        repl.say()
        repl.say(section.title)
        repl.dim(section.provenance)
        for line in section.lines:
            repl.say(strip_control(line))
