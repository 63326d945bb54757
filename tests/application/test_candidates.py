"""N candidate answers scored against the profile (§6.3), in the TUI and the REPL (fakes)."""

from __future__ import annotations

from pathlib import Path

from tests.fixtures.fakes import FakeEngine
from tests.fixtures.pilot import ask_and_wait, make_service, wait_until
from tests.fixtures.repl import run_repl
from tui.alignment.conversation import Role
from tui.alignment.profiles.library import ProfileEntry
from tui.alignment.profiles.schema import Filters, Profile, Sampling
from tui.application import candidates
from tui.application.service import ChatService
from tui.config import Config
from tui.screens.app import CoalignApp

REPLIES = ["Archives in Kenya matter most.", "Archives in France and Italy matter most.",
           "Archives in Brazil in 1750 matter most."]


class RotatingEngine(FakeEngine):
    """A fake engine that gives the next reply of a list each time it is asked."""

    def __init__(self) -> None:
        super().__init__(REPLIES[0])
        self.asked = 0

    def generate(self, messages, settings):
        self.reply = REPLIES[self.asked % len(REPLIES)]
        self.asked += 1
        return super().generate(messages, settings)


def with_candidates(service: ChatService, count: int = 3) -> ChatService:
    profile = Profile(name="lab", filters=Filters(years=(1900, 2026), regions=["Europe"]),
                      sampling=Sampling(candidates=count))
    service.set_profile(ProfileEntry("lab", None, "test", profile=profile))
    return service


def test_the_best_of_three_is_shown_and_the_others_keep_their_scores(tmp_path: Path) -> None:
    service = with_candidates(make_service(tmp_path, RotatingEngine()))
    code, text, _ = run_repl(service, "which archives?\r/quit\r", tmp_path)
    assert code == 0 and "candidate 3 of 3" in text
    assert "Best of 3 by your profile's score: 110 (others 90, 80)" in text
    best = service.last_answer()
    assert best.content == REPLIES[1]
    assert best.meta["candidate_score"]["rank"] == 1
    siblings = service.store.children(best.parent_id, best.session_id)
    assert [m.meta["candidate_score"]["score"] for m in siblings] == [90, 110, 80]
    assert "candidate 1 of 3, score 110" in service.answer_note(best)


def test_a_manual_retry_after_choosing_is_not_a_candidate(tmp_path: Path) -> None:
    service = with_candidates(make_service(tmp_path, RotatingEngine()))
    run_repl(service, "which archives?\r/retry plain\r/quit\r", tmp_path)
    answer = service.last_answer()
    assert len(service.store.children(answer.parent_id, answer.session_id)) == 4
    assert candidates.next_step(service) is None


def test_without_candidates_in_the_profile_one_answer_is_made(
        fake_service: ChatService, tmp_path: Path) -> None:
    run_repl(fake_service, "question\r/quit\r", tmp_path)
    answer = fake_service.last_answer()
    assert len(fake_service.store.children(answer.parent_id, answer.session_id)) == 1


async def test_the_tui_generates_the_candidates_and_opens_the_best(tmp_path: Path) -> None:
    service = with_candidates(make_service(tmp_path, RotatingEngine()))
    app = CoalignApp(service, Config(), [])
    async with app.run_test(size=(120, 40)) as pilot:
        await ask_and_wait(pilot, app, "which archives?")
        await wait_until(pilot, lambda: "candidate_score" in (service.last_answer().meta or {})
                         and not app.chat.busy)
        assert service.last_answer().content == REPLIES[1]
        users = [m for m in service.transcript() if m.role is Role.USER]
        assert len(users) == 1
