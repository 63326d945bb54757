"""Fixtures and a writer process for the diary tests."""

from __future__ import annotations

import sys
from pathlib import Path

from tui.alignment.diary import DiaryEntry

PLANTED = ("ada.lovelace@example.org", "+44 20 7946 0958", "/home/adalove/notes/thesis.txt",
           "/Users/adalove/Desktop", "https://uni.example.edu/~adalove/cv.html",
           "C:\\Users\\adalove\\Documents", "Ada Lovelace", "0171 555 0199")


def sample_entry(**changes: object) -> DiaryEntry:
    """An entry with every field set, including awkward text (commas, quotes, newlines)."""
    data: dict[str, object] = dict(
        misaligned_response='It said "trust me", then\ninvented a source, with commas.',
        initial_prompting="Summarise the paper, for my literature review",
        intuitive_intervention="Marked it invalid; then asked again",
        final_outcome="partly", outcome_note="Second answer was closer.\nStill vague.",
        values_at_risk=["reliability", "honesty"],
        interventions=[{"kind": "mark", "at": "2026-11-27T10:00:00Z", "detail": "invalid"}],
        marks=[{"validity": "invalid", "understanding": "misunderstood",
                "reason": "made up, a citation"}],
        profile={"name": "lab", "source": "git", "commit": "abc123"}, model="qwen2.5-0.5b",
        session_id="4", message_ids=[7, 8],
        transcript=[{"role": "user", "content": "Summarise the paper"},
                    {"role": "assistant", "content": "It said \"trust me\"…"}],
        pseudonym="P01", consent=True)
    data.update(changes)
    return DiaryEntry(**data)  # type: ignore[arg-type]


def writer_main(folder: str, count: int) -> None:
    """Save `count` entries, printing each id once it is safely stored."""
    from tui.alignment.diary import DiaryStore
    store = DiaryStore(Path(folder))
    for n in range(count):
        entry = store.add(sample_entry(misaligned_response=f"answer {n} " + "x" * 20000))
        print(entry.id, flush=True)


if __name__ == "__main__":
    writer_main(sys.argv[1], int(sys.argv[2]))
