"""A lab sharing profiles and prompts through git, as a lab really uses them (issue 15).

A lead commits a profile with a prompt library to a repository; two members clone it and
add it as a source, each in their own COALIGN_HOME. Member 1 uses a shared prompt from the
REPL, member 2 from the TUI: both uses are recorded. Member 1 edits the profile locally,
the lead moves on, member 1 is warned, contributes the change (a one-line `git diff` on a
new branch, pushed) and resets. Member 2 leaves an edit uncommitted in the clone while a
session runs: the next prompt follows the file and is recorded as modified, with its hash.
The fake engine stands in for the model; everything else is the real commands.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from prompt_toolkit.output import DummyOutput

from tests.fixtures.fakes import FakeEngine
from tests.fixtures.lab import PROFILE, PROFILE_TEXT, git, lead_changes, make_lab
from tests.fixtures.pilot import wait_until
from tui.alignment.conversation import Role
from tui.application.startup import Startup, start
from tui.main import main
from tui.paths import Paths
from tui.repl.loop import Repl


class Member:
    """One lab member: a home, a clone of the lab's repository, and the coalign commands."""

    def __init__(self, home: Path, clone: Path, monkeypatch: pytest.MonkeyPatch,
                 capsys: pytest.CaptureFixture[str]) -> None:
        self.home, self.clone = home, clone
        self.monkeypatch, self.capsys = monkeypatch, capsys
        self.paths = Paths(home, home / "data")
        home.mkdir(parents=True)
        self.paths.config_file.write_text(f'profile = "{PROFILE}"\npseudonym = "P01"\n')

    def coalign(self, *argv: str) -> tuple[int, str, str]:
        """`coalign ARGV` in this member's home; (exit status, stdout, stderr)."""
        self.monkeypatch.setenv("COALIGN_HOME", str(self.home))
        self.capsys.readouterr()
        code = main(list(argv))
        out, err = self.capsys.readouterr()
        return code, out, err

    def start(self) -> Startup:
        """What `coalign chat` and `coalign` assemble, over the fake engine."""
        self.monkeypatch.setenv("COALIGN_HOME", str(self.home))
        self.monkeypatch.setattr("tui.application.startup.open_engine",
                                 lambda *_args: (FakeEngine(), None))
        return start(paths=self.paths)

    def repl(self, startup: Startup) -> tuple[Repl, io.StringIO]:
        out = io.StringIO()
        repl = Repl(startup.service, self.paths.repl_history, output=DummyOutput(), out=out,
                    diary=startup.diary)
        startup.service.engine.start_loading()
        return repl, out


def user_messages(startup: Startup) -> list:
    return [m for m in startup.service.transcript() if m.role is Role.USER]


@pytest.fixture
def lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> tuple[dict[str, Path], Member, Member]:
    clones = make_lab(tmp_path)
    members = tuple(Member(tmp_path / f"{name}-home", clones[name], monkeypatch, capsys)
                    for name in ("m1", "m2"))
    for member in members:
        code, out, _ = member.coalign("profile", "add-source", str(member.clone))
        assert (code, out) == (0, f"added {member.clone.resolve()}: 1 profiles (0 broken)\n")
    return clones, members[0], members[1]


async def test_a_lab_shares_profiles_and_prompts_through_git(lab) -> None:
    clones, m1, m2 = lab
    commit = git(clones["lead"], "rev-parse", "--short", "HEAD")
    source = f"lab: {m1.clone.resolve()}"

    # Member 1 uses the shared prompt from the REPL, a value given, the other asked for.
    startup = m1.start()
    repl, out = m1.repl(startup)
    repl.ask_value = lambda name: {"region": "West Africa"}[name]  # what the user types
    repl.execute("/prompt lit-gaps topic=oral history")
    (used,) = user_messages(startup)
    assert used.content == ("What gaps in the literature on oral history should I know about, "
                            "for West Africa?")
    assert used.meta["prompt"]["name"] == "lit-gaps"
    assert (used.meta["prompt"]["source"], used.meta["prompt"]["commit"]) == (source, commit)
    assert used.meta["prompt"]["arguments"] == {"topic": "oral history", "region": "West Africa"}
    assert "prompt lit-gaps from profile regional-history" in out.getvalue()

    # Member 2 uses it from the TUI: the picker asks for what the command left out.
    await _prompt_from_the_tui(m2)

    # Member 1 edits locally: a copy that knows its base.
    repl.execute("/profile set values.nuance.weight=0.9")
    code, listed, _ = m1.coalign("profile", "list")
    assert f"[yours, from lab: {m1.clone.resolve() / f'{PROFILE}.toml'} @ {commit}]" in listed
    assert "(shadowed by yours)" in listed

    # The lead moves on; member 1 pulls and is warned, by list, show and /profile.
    later = lead_changes(clones["lead"], "weight = 0.7", "weight = 0.8", "place matters more")
    git(m1.clone, "pull", "-q")
    code, listed, _ = m1.coalign("profile", "list")
    assert f"the file it was made from has changed since (now @ {later})" in listed
    code, shown, _ = m1.coalign("profile", "show", PROFILE)
    assert f"(made from @ {commit}, now @ {later})" in shown
    repl.execute(f"/profile {PROFILE}")
    assert f"`coalign profile reset {PROFILE}` takes that version" in out.getvalue()

    # Member 1 contributes the change: one changed line on a new branch, pushed for review.
    code, given, err = m1.coalign("profile", "contribute", PROFILE, "--to", str(m1.clone),
                                  "--branch", "nuance-up")
    assert (code, err) == (0, "") and "~ values.nuance.weight: 0.5 -> 0.9" in given
    diff = git(m1.clone, "diff", "main", "nuance-up")
    changed = [line for line in diff.splitlines()
               if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert changed == ["-weight = 0.5  # agreed at the November meeting",
                       "+weight = 0.9  # agreed at the November meeting"]
    git(m1.clone, "push", "-q", "-u", "origin", "nuance-up")
    assert git(clones["remote"], "branch", "--list", "nuance-up").strip() == "nuance-up"

    # Back on main, member 1 resets: the lab's version, with the lead's update, is used.
    git(m1.clone, "checkout", "-q", "main")
    code, reset, _ = m1.coalign("profile", "reset", PROFILE)
    assert code == 0 and f"profile {PROFILE} is now {source}" in reset
    code, shown, _ = m1.coalign("profile", "show", PROFILE)
    assert f"@ {later})" in shown.splitlines()[0] and "your copy" not in shown

    # The running REPL picks the reset up at the next prompt and records it.
    repl.execute("and the archives?")
    last = user_messages(startup)[-1]
    assert last.meta["profile"]["source"] == source and last.meta["profile"]["commit"] == later
    assert last.meta["profile_changed"]["from"]["source"] == "yours"
    assert f"profile {PROFILE} is now {source}" in out.getvalue()

    # Member 2 edits the clone without committing while a session runs.
    startup2 = m2.start()
    repl2, out2 = m2.repl(startup2)
    repl2.execute("before the edit")
    path = m2.clone / f"{PROFILE}.toml"
    path.write_text(PROFILE_TEXT.replace("weight = 0.5", "weight = 0.1"))
    repl2.execute("after the edit")
    before, after = user_messages(startup2)[-2:]
    recorded = after.meta["profile"]
    assert (recorded["commit"], recorded["modified"]) == (commit, True)
    assert recorded["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert before.meta["profile"]["modified"] is False
    assert after.meta["profile_changed"]["to"]["modified"] is True
    answer = startup2.service.last_answer()
    assert "- Nuance (low priority)" in answer.meta["told"]["system_prompt"]
    assert f"changed since it was read (lab: {path.resolve()} @ {commit}, modified)" in (
        out2.getvalue())


async def _prompt_from_the_tui(member: Member) -> None:
    from tui.screens.app import CoalignApp
    from tui.screens.prompts import PromptScreen

    startup = member.start()
    app = CoalignApp(startup.service, startup.config, [], startup.diary)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.screen is app.chat)
        app.chat.prompt.value = "/prompt lit-gaps region=Ghana"
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press(*"trade routes")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is app.chat and not app.chat.busy
                         and startup.service.last_answer() is not None)
    (used,) = user_messages(startup)
    assert used.content == ("What gaps in the literature on trade routes should I know "
                            "about, for Ghana?")
    assert used.meta["prompt"]["name"] == "lit-gaps"
    assert used.meta["prompt"]["arguments"] == {"region": "Ghana", "topic": "trade routes"}
    assert used.meta["prompt"]["source"] == f"lab: {member.clone.resolve()}"
