"""`--api-key-env` given the key itself by mistake: refused before anything runs, and the
key is never written anywhere (not to the terminal, not to coalign.log)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.main import build_parser, main

SECRET = "sk-live-0123456789abcdef!"
SERVER = ["--backend", "openai", "--base-url", "http://127.0.0.1:9"]  # nothing listens there


@pytest.mark.parametrize("argv", [
    ["--api-key-env", SECRET, *SERVER, "ask", "hello"],
    ["ask", *SERVER, "--api-key-env", SECRET, "hello"],
    ["doctor", *SERVER, f"--api-key-env={SECRET}"],
    ["models", "--api-key-env", "sk-abc123"],
], ids=["before the command", "ask", "doctor", "models"])
def test_a_key_given_as_the_variable_name_is_refused_and_never_written(
        argv: list[str], coalign_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    out, err = capsys.readouterr()
    secret = next(word.removeprefix("--api-key-env=") for word in argv
                  if word.startswith("sk-") or word.startswith("--api-key-env="))
    assert secret not in out + err
    last = err.strip().splitlines()[-1]
    assert last.startswith("coalign") and "looks like a key, not a variable name" in last
    log = coalign_home / "data" / "coalign.log"
    assert not log.exists() or secret not in log.read_text(encoding="utf-8")
    named = [word.replace(secret, "LAB_KEY_2") for word in argv]  # a variable's name is taken
    assert build_parser().parse_args(named).api_key_env == "LAB_KEY_2"
