"""`coalign models pull` against a local server that speaks the Hugging Face download
protocol (HF_ENDPOINT points at it), serving the bundled GGUF: a full download, one cut
part-way that resumes next time, a wrong checksum, 401 (gated), 404, no server, a full
disk; then `coalign ask --model NAME` answers with the pulled file."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.gguf_files import tiny_gguf
from tests.fixtures.hf_server import FakeHub, closed_port_url, fake_hub, sha256_of
from tui.alignment.store import Store
from tui.engine.catalogue import find
from tui.engine.model_files import bundled_model, read_registry
from tui.main import main
from tui.paths import default_paths

REPO = "HuggingFaceTB/SmolLM2-135M-Instruct-GGUF"


@pytest.fixture
def bundled() -> Path:
    choice = bundled_model()
    assert choice is not None and choice.exists, "the bundled model is missing (make test)"
    return choice.path


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    """The fake Hub as HF_ENDPOINT, a Hugging Face cache of the test's own, no token."""
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE", "HF_HUB_CACHE"):
        monkeypatch.delenv(name, raising=False)
    with fake_hub() as server:
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        yield server


def blobs(repo: str = REPO) -> Path:
    return default_hf_cache() / f"models--{repo.replace('/', '--')}" / "blobs"


def default_hf_cache() -> Path:
    from tui.engine.hub import cache_dir

    return cache_dir()


def registry() -> dict[str, Path]:
    entries, _default = read_registry(default_paths().user_models_dir)
    return {entry.name: entry.path for entry in entries}


def one_line_error(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("coalign: ")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_a_catalogue_model_is_pulled_checked_registered_and_answers(
        hub: FakeHub, bundled: Path, capsys: pytest.CaptureFixture[str],
        model_path: Path) -> None:
    entry = find("qwen2.5-1.5b")
    assert entry is not None
    sha = hub.add(entry.repo, bundled, name=entry.file)  # the bundled bytes, as that file
    assert main(["models", "pull", "qwen2.5-1.5b"]) == 0
    out = capsys.readouterr().out
    pulled = registry()["qwen2.5-1.5b"]
    assert pulled.is_file() and sha256_of(pulled) == sha and pulled.name == entry.file
    assert pulled.is_relative_to(default_hf_cache())  # in huggingface_hub's own cache
    assert f"sha256 {sha[:16]}… checked" in out and "coalign uses it now" in out
    capsys.readouterr()
    assert main(["ask", "--model", "qwen2.5-1.5b", "--max-tokens", "8", "Say hello."]) == 0
    store = Store(default_paths().database)
    answer = store.message(store.latest_session().head_id)
    assert answer.content and answer.model and "Qwen2.5-1.5B-Instruct-Q4_K_M" in answer.model


def test_an_interrupted_pull_keeps_what_came_and_resumes_next_time(
        hub: FakeHub, bundled: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sha = hub.add(REPO, bundled)
    hub.cut_after = 45_000_000  # the connection drops there, then the CDN is down a while
    assert main(["models", "pull", REPO]) == 2  # REPO alone: its only GGUF
    line = one_line_error(capsys.readouterr().err)
    assert "kept and the same command resumes" in line
    (partial,) = blobs().glob("*.incomplete")
    kept = partial.stat().st_size
    assert 0 < kept <= 45_000_000 and REPO not in str(registry())
    hub.outage = False
    assert main(["models", "pull", REPO]) == 0
    assert hub.gets()[-1].headers.get("Range") == f"bytes={kept}-"  # not from the start
    assert "resumed after" in capsys.readouterr().err
    assert sha256_of(registry()["smollm2-135m-instruct.q4_1"]) == sha
    assert not list(blobs().glob("*.incomplete"))


def test_a_wrong_checksum_is_caught_and_nothing_is_kept(
        hub: FakeHub, bundled: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hub.add(REPO, bundled)
    hub.wrong_checksum = True
    assert main(["models", "pull", REPO, bundled.name]) == 2
    line = one_line_error(capsys.readouterr().err)
    assert "checksum mismatch" in line and "nothing registered" in line
    assert not list(blobs().iterdir()) and registry() == {}


def test_a_gated_model_says_how_to_get_access_and_the_token_opens_it(
        hub: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    repo = "google/gated-tiny-GGUF"
    hub.add(repo, tiny_gguf(tmp_path / "tiny.gguf"))
    hub.gated.add(repo)
    assert main(["models", "pull", repo, "tiny.gguf"]) == 2
    line = one_line_error(capsys.readouterr().err)
    assert "is gated (401)" in line and f"accept the licence at {hub.url}/{repo}" in line
    assert "export HF_TOKEN=" in line
    monkeypatch.setenv("HF_TOKEN", hub.token)  # huggingface_hub sends it
    assert main(["models", "pull", repo, "tiny.gguf"]) == 0
    assert "tiny" in registry()


def test_a_missing_file_or_repo_is_named_with_the_fix(
        hub: FakeHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hub.add("someone/tiny-GGUF", tiny_gguf(tmp_path / "tiny.gguf"))
    assert main(["models", "pull", "someone/tiny-GGUF", "other.gguf"]) == 2
    line = one_line_error(capsys.readouterr().err)
    assert "has no file other.gguf (404)" in line and "models pull someone/tiny-GGUF" in line
    assert main(["models", "pull", "nobody/nothing-GGUF", "x.gguf"]) == 2
    assert "no model repository nobody/nothing-GGUF" in one_line_error(capsys.readouterr().err)
    assert main(["models", "pull", "qwen9-huge"]) == 2
    assert "no model called 'qwen9-huge' in the catalogue" in one_line_error(
        capsys.readouterr().err)


def test_a_repo_with_several_ggufs_asks_which(
        hub: FakeHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("a-Q8_0.gguf", "b-Q5_K_M.gguf"):
        hub.add("someone/two-GGUF", tiny_gguf(tmp_path / name), name=name)
    assert main(["models", "pull", "someone/two-GGUF"]) == 2
    line = one_line_error(capsys.readouterr().err)
    assert "has 2 GGUF files (a-Q8_0.gguf, b-Q5_K_M.gguf): name one" in line


def test_no_server_is_one_line(hub: FakeHub, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    endpoint = closed_port_url()
    monkeypatch.setenv("HF_ENDPOINT", endpoint)
    assert main(["models", "pull", REPO, "x.gguf"]) == 2
    line = one_line_error(capsys.readouterr().err)
    assert f"cannot reach {endpoint}" in line and "HF_HUB_OFFLINE=1" in line


def test_a_full_disk_is_said_before_downloading(
        hub: FakeHub, bundled: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    hub.add(REPO, bundled)
    real = shutil.disk_usage
    monkeypatch.setattr("tui.engine.hub.shutil.disk_usage",
                        lambda path: real(path)._replace(free=1_000_000))
    assert main(["models", "pull", REPO, bundled.name]) == 2
    line = one_line_error(capsys.readouterr().err)
    assert "not enough disk space" in line and "needs 98.4 MB, 1.0 MB free" in line
    assert not hub.gets() and registry() == {}


def test_offline_a_cached_model_is_registered_without_the_network(
        hub: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    hub.add("someone/tiny-GGUF", tiny_gguf(tmp_path / "tiny.gguf"))
    assert main(["models", "pull", "someone/tiny-GGUF", "tiny.gguf"]) == 0
    monkeypatch.setenv("HF_ENDPOINT", closed_port_url())
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    capsys.readouterr()
    assert main(["models", "pull", "someone/tiny-GGUF", "tiny.gguf"]) == 0
    assert "already in the Hugging Face cache" in capsys.readouterr().out
    assert main(["models", "pull", "someone/tiny-GGUF", "other.gguf"]) == 2
    assert "HF_HUB_OFFLINE is set" in one_line_error(capsys.readouterr().err)
