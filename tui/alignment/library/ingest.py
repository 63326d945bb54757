"""Adding files to the library: folders walked, unchanged files skipped by their SHA-256,
each file read and stored in one transaction, a file that cannot be read reported and
skipped (the others go on)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tui.alignment.library.bib import BIB_SUFFIXES, read_bib
from tui.alignment.library.index import LibraryIndex
from tui.alignment.library.language import language_code
from tui.alignment.library.model import ReadDocument
from tui.alignment.library.readers import NOTE_SUFFIXES, PDF_SUFFIXES, ReadError, read_file

SUFFIXES = (*PDF_SUFFIXES, *NOTE_SUFFIXES, *BIB_SUFFIXES)
Progress = Callable[[int, int, Path], None]  # (files done, files in all, the file now)


@dataclass(frozen=True)
class Tags:
    """What `library add` is told about every file it adds (--discipline, --region, …)."""

    disciplines: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    language: str = ""


@dataclass
class AddReport:
    """What adding (or re-indexing) did, file by file."""

    added: list[tuple[Path, int, int]] = field(default_factory=list)  # file, documents, passages
    unchanged: list[tuple[Path, str]] = field(default_factory=list)  # file, why it was skipped
    problems: list[str] = field(default_factory=list)  # one line each: file, what, the fix
    missing: list[str] = field(default_factory=list)  # added before, gone from disk now

    @property
    def documents(self) -> int:
        return sum(documents for _path, documents, _passages in self.added)

    @property
    def passages(self) -> int:
        return sum(passages for _path, _documents, passages in self.added)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def collect(paths: Iterable[Path], problems: list[str]) -> list[Path]:
    """The files to add: each file named, and every supported file under each folder named
    (hidden ones left out), each once, in order."""
    found: dict[Path, None] = {}
    for path in paths:
        path = path.expanduser()
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                hidden = any(part.startswith(".") for part in child.relative_to(path).parts)
                if child.is_file() and not hidden and child.suffix.lower() in SUFFIXES:
                    found.setdefault(child.resolve(), None)
        elif path.is_file():
            found.setdefault(path.resolve(), None)
        else:
            problems.append(f"{path}: no such file or folder; skipped")
    bibs_first = sorted(found, key=lambda path: path.suffix.lower() not in BIB_SUFFIXES)
    return bibs_first  # a PDF a .bib entry names is read as part of that entry


def _tagged(document: ReadDocument, tags: Tags) -> ReadDocument:
    meta = document.meta
    meta.disciplines = list(dict.fromkeys([*meta.disciplines, *tags.disciplines]))
    meta.keywords = list(dict.fromkeys([*meta.keywords, *tags.keywords]))
    if tags.regions:
        meta.regions, meta.regions_from = list(tags.regions), "given"
    if tags.language:
        meta.language, meta.language_from = language_code(tags.language), "given"
    return document


def _stored_tags(given: dict[str, object]) -> Tags:
    """The tags `library add` was given for a file, as stored with it."""
    def words(key: str) -> tuple[str, ...]:
        value = given.get(key)
        return tuple(str(item) for item in value) if isinstance(value, list) else ()

    return Tags(words("disciplines"), words("regions"), words("keywords"),
                str(given.get("language") or ""))


def _unchanged(index: LibraryIndex, library: str, path: Path, sha: str) -> str | None:
    """Why path need not be read again ('' or None: it must be)."""
    key = str(path)
    owner = index.owner_of(library, key)
    if owner is not None and owner != key:
        return f"attached to an entry of {owner}, already in the library"
    if index.file_hash(library, key) == sha:
        owned = index.owned_files(library, key)
        for other, known in owned.items():
            try:
                if other != key and sha256_of(Path(other)) != known:
                    return None  # a PDF that a .bib entry names has changed
            except OSError:
                return None
        return "unchanged since it was added"
    if (twin := index.same_content(library, sha, key)) is not None:
        return f"the same content as {twin}, already in the library"
    return None


def add_file(index: LibraryIndex, library: str, path: Path, tags: Tags,
             report: AddReport, force: bool = False) -> None:
    """Read one file and store its documents; skipped when unchanged (unless force)."""
    try:
        sha = sha256_of(path)
    except OSError as exc:
        report.problems.append(f"{path}: cannot be read ({exc.strerror or exc}); skipped")
        return
    why = None if force else _unchanged(index, library, path, sha)
    if why:
        report.unchanged.append((path, why))
        return
    hashes = {str(path): sha}
    try:
        if path.suffix.lower() in BIB_SUFFIXES:
            documents, issues = read_bib(path)
            report.problems += [str(issue) for issue in issues]
            for document in documents:
                for pdf in document.files:
                    hashes[str(pdf)] = sha256_of(pdf)
        else:
            documents = [read_file(path)]
    except ReadError as exc:
        report.problems.append(str(exc))
        return
    except OSError as exc:
        report.problems.append(f"{path}: cannot be read ({exc.strerror or exc}); skipped")
        return
    documents = [_tagged(document, tags) for document in documents]
    index.replace(library, str(path), documents, hashes, asdict(tags))
    report.added.append((path, len(documents), sum(len(d.passages) for d in documents)))


def add_paths(index: LibraryIndex, paths: Iterable[Path], library: str, tags: Tags = Tags(),
              progress: Progress | None = None) -> AddReport:
    """Add files and folders to a library; returns what was added, skipped and why."""
    report = AddReport()
    files = collect(paths, report.problems)
    for number, path in enumerate(files):
        if progress is not None:
            progress(number, len(files), path)
        add_file(index, library, path, tags, report)
    if progress is not None and files:
        progress(len(files), len(files), files[-1])
    return report


def reindex(index: LibraryIndex, library: str | None = None, force: bool = False,
            progress: Progress | None = None) -> AddReport:
    """Read again every file added whose content changed (all of them with force), say
    which are gone from disk (kept until `library remove`), and rebuild the FTS index."""
    report = AddReport()
    added = index.added_paths(library)
    for number, (name, raw) in enumerate(added):
        path = Path(raw)
        if progress is not None:
            progress(number, len(added), path)
        if not path.is_file():
            report.missing.append(raw)
            continue
        add_file(index, name, path, _stored_tags(index.file_tags(name, raw)), report,
                 force=force)
    if progress is not None and added:
        progress(len(added), len(added), Path(added[-1][1]))
    index.rebuild()
    return report
