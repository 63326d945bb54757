"""Answers grounded in the researcher's own library (issue 16).

Before an answer, the passages that best match the prompt (BM25) are taken from the
libraries the profile names, among the documents its filters keep (years, languages,
disciplines, regions), and placed in the system prompt with short ids [1], [2]; the model
is told to cite them by number. Every passage given, its score and what each filter kept
out are recorded on the answer (`grounding` in its meta), so the panel and the line under
the answer show exactly what the model was given and which of it the answer cites.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.alignment.profiles.schema import DEFAULT_PASSAGES, Profile
from tui.alignment.text import strip_control
from tui.errors import ActionRefused, CoalignError

if TYPE_CHECKING:
    from tui.alignment.assumptions.bibliography import BibEntry
    from tui.alignment.library.index import LibraryIndex
    from tui.alignment.library.search import SearchResult
    from tui.application.service import ChatService

PASSAGE_CHARS = 700  # of a passage's text at most in the prompt (about 150 words)
INTRO = "Sources from the researchers' own library, found for this question:"
CITE_RULE = ("Where one of these sources supports what you say, cite it by its number in "
             "square brackets, such as [1] or [2], right after the claim. Cite only these "
             "numbers and never invent a source. If they do not answer the question, say so.")


@dataclass(frozen=True)
class Choice:
    """Whether the next answer is grounded, why, and with how many passages from where."""

    on: bool
    why: str  # 'profile group2-plurality', '/ground on for this session', 'off by default'
    passages: int
    libraries: tuple[str, ...]  # () is every library


class Grounder:
    """The library a session grounds answers in, and the session's /ground override."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path  # the library file (None: no library in this set-up)
        self.override: bool | None = None  # /ground on|off; None: the profile decides
        self._index: LibraryIndex | None = None

    def choice(self, profile: Profile | None) -> Choice:
        settings = profile.grounding if profile is not None else None
        passages = (settings.passages if settings and settings.passages else DEFAULT_PASSAGES)
        libraries = tuple(settings.libraries) if settings else ()
        if self.override is not None:
            return Choice(self.override, f"/ground {'on' if self.override else 'off'} for this "
                          "session", passages, libraries)
        if settings is not None and settings.enabled is not None:
            name = profile.name if profile is not None else "?"
            return Choice(settings.enabled, f"profile {name}: [grounding] enabled = "
                          f"{'true' if settings.enabled else 'false'}", passages, libraries)
        return Choice(False, "off by default", passages, libraries)

    def index(self) -> LibraryIndex | None:
        """The library, opened on first use; None while there is no library file."""
        if self._index is None and self.path is not None and self.path.is_file():
            from tui.alignment.library.index import LibraryIndex

            self._index = LibraryIndex(self.path, create=False)
        return self._index

    def size(self, libraries: tuple[str, ...] = ()) -> int:
        """How many documents the named libraries hold (0 without a library)."""
        index = self.index()
        return len(index.documents(libraries)) if index is not None else 0

    def ground(self, prompt: str, profile: Profile | None,
               system_prompt: str) -> tuple[str, dict[str, object]]:
        """The system prompt with the passages for prompt, and the record to store on the
        answer ({} when grounding is off). A library that cannot be read is noted in the
        record and the answer goes on without it."""
        choice = self.choice(profile)
        if not choice.on:
            return system_prompt, {}
        record: dict[str, Any] = {"on": True, "why": choice.why,
                                  "libraries": list(choice.libraries), "passages": []}
        try:
            result = self._search(prompt, profile, choice)
        except CoalignError as exc:
            record["note"] = f"{exc}; answered without the library"
            return system_prompt, {"grounding": record}
        if result is None:
            record["note"] = "no library yet: add files with `coalign library add PATH…`"
            return system_prompt, {"grounding": record}
        record.update(_record(result))
        if not result.hits:
            record["note"] = _nothing_found(result)
            return system_prompt, {"grounding": record}
        return f"{system_prompt}\n\n{sources_block(record['passages'])}", {"grounding": record}

    def _search(self, prompt: str, profile: Profile | None, choice: Choice) -> SearchResult | None:
        index = self.index()
        if index is None:
            return None
        from tui.alignment.library.search import search

        return search(index, prompt, choice.passages, choice.libraries,
                      profile.filters if profile is not None else None)

    def citation_entries(self) -> list[BibEntry]:
        """The library's works as entries the citation check looks in, beside the .bib files."""
        try:
            index = self.index()
            documents = index.documents() if index is not None else []
        except CoalignError:
            return []
        from tui.alignment.assumptions.bibliography import BibEntry

        return [BibEntry(d.meta.key or f"library #{d.id}", Path(d.path), d.meta.line,
                         tuple(d.meta.authors), d.meta.year, d.meta.title, d.meta.doi)
                for d in documents if d.meta.title and (d.meta.authors or d.meta.doi)]


def _record(result: SearchResult) -> dict[str, Any]:
    passages = []
    for number, hit in enumerate(result.hits, 1):
        meta = hit.document.meta
        passages.append({
            "n": number, "passage": hit.passage_id, "document": hit.document.id,
            "library": hit.document.library, "label": meta.label, "title": meta.title,
            "authors": list(meta.authors), "year": meta.year, "language": meta.language,
            "page": hit.page, "path": hit.document.path, "key": meta.key, "score": hit.score,
            "text": hit.text[:PASSAGE_CHARS]})
    filters = [{"filter": name, "rule": rule, "excluded": len(result.filtered.excluded[name]),
                "matched": result.matched_excluded.get(name, 0),
                "unknown": result.filtered.unknown[name]}
               for name, rule in result.filtered.rules.items()]
    return {"query": result.query, "documents": result.documents,
            "kept": len(result.filtered.allowed), "passages": passages, "filters": filters}


def _nothing_found(result: SearchResult) -> str:
    if not result.documents:
        return "the library is empty: add files with `coalign library add PATH…`"
    if not result.query:
        return "the prompt has no words to search the library for"
    if not result.filtered.allowed:
        return "the profile's filters keep none of the library's documents"
    return "no passage of the library matches the prompt"


def _where(passage: dict[str, Any]) -> str:
    title = f", “{passage['title']}”" if passage.get("title") and passage.get("authors") else ""
    page = f", p. {passage['page']}" if passage.get("page") else ""
    return strip_control(f"{passage.get('label', '?')}{title}{page}")


def sources_block(passages: list[dict[str, Any]]) -> str:
    """The paragraph added to the system prompt: each passage under its id, then the rule."""
    blocks = [INTRO]
    for passage in passages:
        text = " ".join(strip_control(passage["text"]).split())
        blocks.append(f"[{passage['n']}] {_where(passage)}:\n{text}")
    blocks.append(CITE_RULE)
    return "\n\n".join(blocks)


def ground_command(service: ChatService, arg: str) -> str:
    """`/ground on|off` (no argument: the other way round) for this session, recorded as
    an event; says what the next answers will be given."""
    grounder, profile = service.grounder, service.active_profile
    word = arg.strip().lower()
    if word not in ("", "on", "off"):
        raise ActionRefused(f"usage: /ground on|off, not /ground {arg.strip()}")
    on = not grounder.choice(profile).on if not word else word == "on"
    grounder.override = on
    service.store.add_event(service.session_id, "grounding", "on" if on else "off")
    if not on:
        return "Grounding off for this session: answers use no passages from your library."
    choice = grounder.choice(profile)
    where = ", ".join(choice.libraries) or "every library"
    try:
        count = grounder.size(choice.libraries)
    except CoalignError as exc:
        return f"Grounding on for this session, but {exc}"
    if not count:
        return ("Grounding on for this session, but the library is empty: add files with "
                "`coalign library add PATH…`.")
    return (f"Grounding on for this session: each answer gets up to {choice.passages} passages "
            f"from {where} ({count} documents), within your profile's filters, cited as [1], "
            "[2].")
