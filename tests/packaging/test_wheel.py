"""What a non-editable install (`pip install .`, `pipx install .`) gets: the wheel carries
every package under tui/, the shipped profiles with their control vectors, the models
registry template, and the `coalign` entry point; the code finds the shipped folders both
in the repository and in an installed wheel."""

from __future__ import annotations

import configparser
import importlib.util
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tui.application.profiles import SHIPPED_PROFILES_DIR
from tui.engine.model_files import REGISTRY_NAME, REPO_MODELS_DIR

ROOT = Path(__file__).resolve().parents[2]
REPO_PROFILES = ROOT / "profiles"
REPO_MODELS = ROOT / "models"
SKIP_DIRS = {".venv", ".git", "build", "dist", "tests", "__pycache__", ".pytest_cache",
             ".hypothesis", ".ruff_cache"}


def setuptools_builds_wheels() -> bool:
    """setuptools >= 70.1 has bdist_wheel built in; older ones need the `wheel` package."""
    if importlib.util.find_spec("setuptools") is None:
        return False
    if importlib.util.find_spec("wheel") is not None:
        return True
    from setuptools import __version__

    major, minor = (int(part) for part in __version__.split(".")[:2])
    return (major, minor) >= (70, 1)


def source_copy(target: Path) -> Path:
    """The repository as a build sees it, minus caches and big local-only files, so the
    build writes its build/ and *.egg-info there and not into the working tree."""

    def ignore(folder: str, names: list[str]) -> set[str]:
        here = Path(folder)
        skipped = {n for n in names if n in SKIP_DIRS or n.endswith(".egg-info")}
        if here.resolve() != (REPO_PROFILES / "vectors").resolve():
            skipped |= {n for n in names if n.endswith((".gguf", ".bin"))}
        return skipped

    shutil.copytree(ROOT, target, ignore=ignore)
    return target


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not setuptools_builds_wheels():
        pytest.skip("this interpreter's setuptools cannot build a wheel without build "
                    "isolation: it needs setuptools>=70.1 (or the `wheel` package)")
    base = tmp_path_factory.mktemp("wheel")
    src = source_copy(base / "src")
    out = base / "out"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", "-q", "-w", str(out), str(src)],
        capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    (built,) = out.glob("coalign-*.whl")
    return built


@pytest.fixture(scope="module")
def wheel_names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_wheel_ships_every_profile_and_its_control_vectors(wheel_names: set[str]) -> None:
    shipped = [p.relative_to(REPO_PROFILES) for p in REPO_PROFILES.glob("*.toml")]
    vectors = [p.relative_to(REPO_PROFILES) for p in REPO_PROFILES.glob("vectors/*.gguf")]
    assert shipped and vectors
    wanted = {f"tui/shipped/profiles/{rel.as_posix()}"
              for rel in [*shipped, *vectors, Path("README.md")]}
    assert wanted <= wheel_names, sorted(wanted - wheel_names)


def test_wheel_ships_the_models_registry_template(wheel_names: set[str]) -> None:
    assert {"tui/shipped/models/models.toml", "tui/shipped/models/catalogue.toml",
            "tui/shipped/models/README.md"} <= wheel_names


def test_wheel_has_every_package_under_tui(wheel_names: set[str]) -> None:
    """pyproject lists the packages by hand; a new package missing there fails here."""
    inits = {p.relative_to(ROOT).as_posix() for p in (ROOT / "tui").rglob("__init__.py")}
    assert inits <= wheel_names, f"add to [tool.setuptools] packages: {sorted(inits - wheel_names)}"
    csvs = {p.relative_to(ROOT).as_posix()
            for p in (ROOT / "tui/alignment/assumptions/data").glob("*.csv")}
    assert csvs <= wheel_names, sorted(csvs - wheel_names)


def test_wheel_entry_point_is_tui_main(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt")]
        points = configparser.ConfigParser()
        points.read_string(archive.read(name).decode())
    assert dict(points["console_scripts"]) == {"coalign": "tui.main:main"}


def test_installed_wheel_finds_its_own_shipped_folders(wheel: Path, tmp_path: Path) -> None:
    """Unpacked as pip installs it, the code reads profiles and models from the package."""
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    probe = ("from tui.application.profiles import SHIPPED_PROFILES_DIR as p;"
             "from tui.engine.model_files import REPO_MODELS_DIR as m;"
             "print(p); print(m)")
    env = {**os.environ,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    profiles, models = (Path(line) for line in done.stdout.split())
    assert profiles == (site / "tui/shipped/profiles").resolve()
    assert models == (site / "tui/shipped/models").resolve()
    assert sorted(p.name for p in profiles.glob("*.toml")) == sorted(
        p.name for p in REPO_PROFILES.glob("*.toml"))
    assert (models / REGISTRY_NAME).is_file()


def test_shipped_profiles_folder_has_the_repos_profiles() -> None:
    assert SHIPPED_PROFILES_DIR.is_dir()
    found = sorted(p.name for p in SHIPPED_PROFILES_DIR.glob("*.toml"))
    assert found and found == sorted(p.name for p in REPO_PROFILES.glob("*.toml"))
    assert sorted(p.name for p in SHIPPED_PROFILES_DIR.glob("vectors/*.gguf")) == sorted(
        p.name for p in REPO_PROFILES.glob("vectors/*.gguf"))


def test_models_registry_template_is_found() -> None:
    assert (REPO_MODELS_DIR / REGISTRY_NAME).is_file()
    assert (REPO_MODELS_DIR / REGISTRY_NAME).read_bytes() == (
        REPO_MODELS / REGISTRY_NAME).read_bytes()
