"""N candidate answers per prompt (§6.3, post-hoc filters over candidates).

A profile with `[sampling] candidates = N` gets N answers to each new prompt, as siblings;
each is scored against the profile with the assumptions panel's signals, the best is shown,
and the others stay one Alt+←/→ away with their scores.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.alignment.conversation import Message, Status
from tui.application.service import ChatService
from tui.application.turn import Turn

if TYPE_CHECKING:
    from tui.alignment.assumptions import CandidateScore

GENERATE, CHOOSE = "generate", "choose"


def wanted(service: ChatService) -> int:
    """How many candidates the profile in force asks for (1: no candidates)."""
    entry = service.profile
    if entry is None or entry.profile is None:
        return 1
    return entry.profile.sampling.candidates or 1


def _siblings(service: ChatService, answer: Message | None = None) -> list[Message]:
    """Every answer to the prompt of answer (default: the last answer)."""
    answer = answer or service.last_answer()
    if answer is None:
        return []
    return service.store.children(answer.parent_id, answer.session_id)


def answers_so_far(service: ChatService) -> int:
    """How many answers the last prompt has."""
    return len(_siblings(service))


def next_step(service: ChatService) -> str | None:
    """After an answer ends: GENERATE another candidate, CHOOSE the best, or None."""
    count = wanted(service)
    if count < 2:
        return None
    answer = service.last_answer()
    siblings = _siblings(service, answer)
    if (answer is None or answer.status is not Status.COMPLETE
            or any("candidate_score" in m.meta for m in siblings)):
        return None
    if answer.id != siblings[0].id and "candidate" not in answer.meta:
        return None  # a retry the user asked for, not one of ours
    return GENERATE if len(siblings) < count else CHOOSE


def progress(service: ChatService) -> tuple[int, int]:
    """(number of the next candidate, how many the profile wants)."""
    return answers_so_far(service) + 1, wanted(service)


def generate_next(service: ChatService) -> Turn:
    """Start the next candidate: a retry, counted against the limits like any answer."""
    number, _of = progress(service)
    return service.retry(meta={"candidate": number})


def choose_best(service: ChatService) -> list[tuple[Message, CandidateScore]]:
    """Score every complete answer to the last prompt, record the scores, show the best."""
    # the analysis modules cost ~70 ms to import: only when candidates are scored
    from tui.alignment.assumptions import rank, score_candidate
    from tui.application.assumptions import user_library

    entry = service.profile
    profile = entry.profile if entry else None
    _paths, library = user_library(service.bibliographies)
    answers = [m for m in _siblings(service) if m.status is Status.COMPLETE and m.content]
    scores = [score_candidate(m.content, m.meta.get("token_probs") or None, profile, library, index)
              for index, m in enumerate(answers)]
    ranked = [(answers[score.index], score) for score in rank(scores)]
    for place, (message, score) in enumerate(ranked, start=1):
        record = {"score": score.score, "rank": place, "of": len(ranked),
                  "explain": "; ".join(line.strip() for line in score.explain()[1:-1])
                  or "no signal counted"}
        service.store.update_message(message.id, meta={"candidate_score": record})
    if ranked:
        service.open_branch(ranked[0][0].id)
    return ranked


def summary(ranked: list[tuple[Message, CandidateScore]],
            keys: str = "Alt+←/→ (or /prev, /next)", why: str = "F4") -> str:
    """'Best of 3 by your profile's score: 95 (others 85, 70); Alt+←/→ opens them…'."""
    if not ranked:
        return "No complete candidate to choose from."
    others = ", ".join(f"{score.score:g}" for _m, score in ranked[1:])
    return (f"Best of {len(ranked)} by your profile's score: {ranked[0][1].score:g}"
            + (f" (others {others})" if others else "")
            + f"; {keys} opens them, {why} shows why.")
