"""[keymap] in config.toml: each entry checked on its own, with its line; quit keeps a key."""

from __future__ import annotations

from pathlib import Path

from tui.config import Config, check_keymap, load_config


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_one_bad_entry_is_one_line_and_the_rest_of_the_table_is_kept(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml",
                 'threads = 2\n[keymap]\nretry = 5\nbogus = "f5"\nstop = "ctrl+x"\n'
                 'mark = "ctlr+m"\nhelp = "a"\n')
    config, issues = load_config(path)
    assert config.keymap == {"stop": "ctrl+x"}
    assert [str(issue) for issue in issues] == [
        f"{path}:3: 'keymap.retry' has the wrong type (int): expected a key in quotes, e.g. "
        '"ctrl+r"; keeping its default key (ctrl+r)',
        f"{path}:4: 'keymap.bogus': no action is called 'bogus' (actions: send, help, stop, "
        "mark, assumptions, confidence, retry, rewind, previous-answer, next-answer, branches, "
        "fork, diary, diary-list, pause, resume, guide, override-limits, profile, ground, "
        "model, prompt, new-session, open-session, copy-answer, quit); remove the line",
        f"{path}:6: 'keymap.mark' = \"ctlr+m\": 'ctlr' is not a modifier (ctrl, alt, shift, "
        "meta, super, hyper); keeping its default key (f2)",
        f"{path}:7: 'keymap.help' = \"a\": 'a' is needed for typing in the prompt: add ctrl+ or "
        "alt+, or use F1-F24; keeping its default key (f1)",
    ]


def test_remapping_onto_quits_key_is_refused_so_something_still_quits(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", '[keymap]\nstop = "ctrl+q"\n')
    config, issues = load_config(path)
    assert config.keymap == {}
    assert [str(issue) for issue in issues] == [
        f"{path}:2: 'keymap.stop' = \"ctrl+q\" is already the key of quit (nothing would quit); "
        "keeping its default key (escape)"]


def test_two_actions_on_one_key_and_textuals_own_keys_are_conflicts() -> None:
    usable, problems = check_keymap({"stop": "f12", "mark": "f12", "quit": "escape",
                                     "confidence": "ctrl+p", "help": "ctrl+r"})
    assert usable == {"stop": "f12", "quit": "escape"}  # escape is free once stop has moved
    assert sorted(problems) == [
        ("confidence", "'keymap.confidence' = \"ctrl+p\" is already the key of the command "
                       "palette; keeping its default key (ctrl+g)"),
        ("help", "'keymap.help' = \"ctrl+r\" is already the key of retry; keeping its default "
                 "key (f1)"),
        ("mark", "'keymap.mark' = \"f12\" is already the key of stop; keeping its default key "
                 "(f2)"),
    ]


def test_swaps_several_keys_and_textual_names_are_accepted() -> None:
    keymap = {"quit": "ctrl+x", "stop": "ctrl+q", "help": "f1, shift+f1",
              "fork": "ctrl+question_mark", "mark": "alt+slash"}
    usable, problems = check_keymap(keymap)
    assert problems == []
    assert usable == {**keymap, "help": "f1,shift+f1"}


def test_key_syntax_problems_name_the_fix() -> None:
    cases = {"ctrl+?": "Textual calls this key ctrl+question_mark",
             "ctrl+R": "Textual names letter keys in lower case (ctrl+r; add shift+)",
             "ctrl+": "'ctrl+' ends in '+' (the + key is called plus)",
             "": "no key is given", "ctrl+ctrl+x": "'ctrl+ctrl+x' names a modifier twice",
             "ctrl+nokey": "'nokey' is not a key name Textual knows",
             "home": "'home' is needed for typing in the prompt"}
    for key, problem in cases.items():
        usable, problems = check_keymap({"retry": key})
        assert usable == {} and len(problems) == 1 and problem in problems[0][1], key


def test_the_tui_drops_bad_entries_with_notices_and_ctrl_q_still_quits(
    tmp_path: Path,
) -> None:
    import asyncio

    from tests.fixtures.pilot import make_service
    from tui.screens.app import CoalignApp

    app = CoalignApp(make_service(tmp_path), Config(keymap={"stop": "ctrl+q", "nope": "f5"}),
                     [])
    assert app.keymap == {}
    assert any("already the key of quit" in notice for notice in app.notices)
    assert any("'keymap.nope'" in notice for notice in app.notices)

    async def quit_with_ctrl_q() -> bool:
        async with app.run_test() as pilot:
            await pilot.pause()
            await pilot.press("ctrl+q")
            await pilot.pause()
            return app.is_running

    assert asyncio.run(quit_with_ctrl_q()) is False
