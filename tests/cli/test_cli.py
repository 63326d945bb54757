"""The `coalign` command as a user runs it: real processes, real model, clear errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tui.alignment.conversation import Role, Status
from tui.alignment.store import Store
from tui.paths import default_paths


def coalign(*args: str, home: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COALIGN_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "tui", *args], capture_output=True, text=True,
                          env=env, timeout=timeout, stdin=subprocess.DEVNULL)


def test_ask_prints_an_answer_and_stores_it(coalign_home: Path, model_path: Path) -> None:
    result = coalign("ask", "--temperature", "0", "--max-tokens", "24", "--model", str(model_path),
                     "What", "is", "a", "hypothesis?", home=coalign_home)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() and result.stderr == ""
    store = Store(default_paths().database)
    path = store.path_to(store.latest_session().head_id)
    assert [(m.role, m.status) for m in path] == [(Role.USER, Status.COMPLETE),
                                                  (Role.ASSISTANT, Status.COMPLETE)]
    assert path[0].content == "What is a hypothesis?"
    assert path[1].content.strip() == result.stdout.strip()
    assert path[1].meta["stats"]["generated_tokens"] > 0

    found = coalign("history", "search", "hypothesis", home=coalign_home)
    assert found.returncode == 0 and "[hypothesis]" in found.stdout.lower()
    listed = coalign("history", "list", home=coalign_home)
    assert "What is a hypothesis?" in listed.stdout


def test_ask_with_a_missing_model_is_one_line(coalign_home: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nope.gguf"
    result = coalign("ask", "--model", str(missing), "hello", home=coalign_home)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert f"model file not found: {missing}" in result.stderr
    assert "Traceback" not in result.stderr


def test_unwritable_data_dir_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    for command in (["ask", "hi"], ["chat"], ["history", "list"], []):
        result = coalign(*command, home=blocker)
        assert result.returncode == 2, command
        assert result.stderr.startswith("coalign: cannot write to data dir"), result.stderr
        assert "COALIGN_HOME" in result.stderr and "Traceback" not in result.stderr


def test_bad_config_is_reported_and_defaults_are_used(coalign_home: Path, model_path: Path) -> None:
    coalign_home.mkdir(parents=True)
    (coalign_home / "config.toml").write_text('temperature = "hot"\nmax_tokens = 8\n')
    result = coalign("ask", "--model", str(model_path), "Hi", home=coalign_home)
    assert result.returncode == 0
    config_file = coalign_home / "config.toml"
    assert f"warning: {config_file}:1: 'temperature' has the wrong type (str)" in result.stderr
    store = Store(default_paths().database)
    answer = store.message(store.latest_session().head_id)
    assert 0 < answer.meta["stats"]["generated_tokens"] <= 8  # the good key still applied


def test_models_lists_the_bundled_model(coalign_home: Path, model_path: Path) -> None:
    result = coalign("models", home=coalign_home)
    assert result.returncode == 0
    assert "* smollm2-135m" in result.stdout and str(model_path) in result.stdout


@pytest.mark.parametrize("args", [["--help"], ["history", "--help"], ["--version"]])
def test_help_and_version(args: list[str], coalign_home: Path) -> None:
    result = coalign(*args, home=coalign_home)
    assert result.returncode == 0 and "coalign" in result.stdout


def test_doctor_reports_build_model_and_dirs(coalign_home: Path, model_path: Path) -> None:
    result = coalign("doctor", home=coalign_home)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "llama.cpp build: CPU" in out and "GPU offload compiled in:" in out
    assert f"model: smollm2-135m · {model_path}" in out
    assert f"data dir: {coalign_home / 'data'}" in out and f"COALIGN_HOME: {coalign_home}" in out
    assert "llama.cpp threads:" in out and "fewer while other programs keep cores busy" in out


def test_diary_add_list_and_export_through_the_command(coalign_home: Path, tmp_path: Path) -> None:
    coalign_home.mkdir(parents=True, exist_ok=True)
    (coalign_home / "config.toml").write_text('pseudonym = "P12"\nconsent = true\n')
    added = coalign("diary", "add", "--misaligned-response", "A source that does not exist",
                    "--outcome", "misaligned", "--value", "reliability", home=coalign_home)
    assert added.returncode == 0, added.stderr
    listed = coalign("diary", "list", home=coalign_home)
    assert "A source that does not exist" in listed.stdout
    out = tmp_path / "diary.csv"
    exported = coalign("diary", "export", "--format", "csv", "-o", str(out), home=coalign_home)
    assert exported.returncode == 0 and out.read_text(encoding="utf-8").count("P12") == 1
