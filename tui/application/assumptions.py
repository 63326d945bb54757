"""The assumptions panel's content for one answer, as plain lines shared by the TUI and REPL.

Seven sections (issue 4; Sources, issue 16), each with a provenance line saying where its
content comes from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tui.alignment.assumptions import (
    MAP_LEGEND,
    PROVENANCE,
    Analysis,
    Library,
    Status,
    analyse,
    broad_line,
    hedges,
    load_bibliographies,
    summarise,
    time_strip,
    world_map,
)
from tui.alignment.conversation import Message, Role
from tui.alignment.profiles.origin import provenance
from tui.alignment.profiles.schema import Profile
from tui.alignment.text import strip_control
from tui.application import disclosure, sources
from tui.application.service import ChatService
from tui.errors import ActionRefused

TOLD_PROVENANCE = ("Exact: recorded on the answer when it was generated (system prompt, "
                   "sampling, steering), with the profile's file and the model's GGUF metadata.")
ACCOUNT_PROVENANCE = ("The model's own claim, from a second generation constrained to a JSON "
                      "schema by a llama.cpp grammar. It is not a view into how the model "
                      "works: read it as testimony.")
UNAVAILABLE = ("Unavailable: the engine gave no token probabilities for this answer (a remote "
               "server without logprobs, or an answer made before coalign recorded them).")
METADATA_KEYS = ("general.architecture", "general.name", "general.basename", "general.size_label",
                 "general.finetune", "general.license", "general.languages",
                 "general.base_model.0.name", "general.file_type")


@dataclass
class Section:
    """One part of the panel: a title, where its content comes from, and its lines."""

    key: str
    title: str
    provenance: str
    lines: list[str] = field(default_factory=list)


@dataclass
class Report:
    """The whole panel for one answer, and the answer's low-confidence spans to highlight."""

    answer: Message
    sections: list[Section]
    analysis: Analysis
    low_spans: list[tuple[int, int]]


def _profile_for(service: ChatService, answer: Message) -> tuple[Profile | None, str]:
    """The profile the answer was made under (the current one if it cannot be found)."""
    recorded = answer.meta.get("profile") or {}
    name = recorded.get("name")
    entry = None
    if name and service.profiles is not None:
        try:
            entry = service.profiles.get(name)
        except KeyError:
            entry = None
    entry = entry or service.profile
    where = recorded.get("path") or (entry.path if entry else None)
    commit = provenance(recorded.get("commit"), recorded.get("modified") is True,
                        recorded.get("sha256")) or None
    label = f"{name or (entry.name if entry else 'none')} ({recorded.get('source', 'current')}: "
    label += f"{where}{' @ ' + commit if commit else ''})"
    return (entry.profile if entry else None), label


def _model_lines(service: ChatService, answer: Message) -> list[str]:
    info = service.engine.info
    lines = [f"Model: {answer.model or 'not recorded'}"]
    if info is None:
        return lines + ["(the engine has not loaded a model, so its file cannot be described)"]
    if answer.model and answer.model != info.label:
        lines.append(f"(the model loaded now is {info.label}; its details follow)")
    size = f"{info.size_bytes / 1e6:.0f} MB" if info.size_bytes else "size unknown"
    params = f"{info.n_params / 1e6:.0f}M parameters" if info.n_params else "parameters unknown"
    lines.append(f"File: {info.path} · {size} · {params} · quantisation "
                 f"{info.quantization or 'unknown'} · context {info.n_ctx or 'unknown'}")
    for key in METADATA_KEYS:
        if value := info.metadata.get(key):
            lines.append(f"  {key} = {strip_control(str(value))[:120]}")
    return lines


def told_section(service: ChatService, answer: Message) -> Section:
    """Section 1: exactly what the model was told for this answer."""
    _profile, profile_label = _profile_for(service, answer)
    lines = _model_lines(service, answer) + [f"Profile: {profile_label}"]
    told = answer.meta.get("told")
    if not told:
        lines.append("Not recorded for this answer (made before coalign recorded it).")
        return Section("told", "1 · What the model was told", TOLD_PROVENANCE, lines)
    settings = told["settings"]
    lines.append("Sampling: " + ", ".join(
        f"{key} {settings[key]}" for key in ("temperature", "max_tokens", "top_p",
                                            "repeat_penalty", "seed") if key in settings))
    vectors = settings.get("control_vectors") or []
    active = [v for v in vectors if v.get("strength")]
    lines.append("Control vectors: " + (", ".join(
        f"{Path(v['path']).name} at strength {v['strength']:g}" for v in active) or "none"))
    lines.append("System prompt, exactly:")
    lines.extend(f"  {line}" for line in told["system_prompt"].splitlines())
    after = told.get("after_conversation") or []
    if after:
        lines.append("After the conversation it was also sent, exactly:")
    for sent in after:
        lines.extend(_sent_lines(service, answer, sent))
    return Section("told", "1 · What the model was told", TOLD_PROVENANCE, lines)


def _sent_lines(service: ChatService, answer: Message, sent: dict[str, str]) -> list[str]:
    """One message sent after the conversation (a retry's feedback); the earlier answer it
    repeats is named, not copied, when it is word for word the stored one."""
    role, content = sent.get("role", "?"), strip_control(sent.get("content", ""))
    earlier = answer.meta.get("retry_of")
    if role == "assistant" and isinstance(earlier, int):
        try:
            if service.store.message(earlier).content == content:
                return [f"  assistant: its earlier answer (message #{earlier}), word for word"]
        except KeyError:
            pass
    who = "you" if role == "user" else role
    body = content.splitlines() or [""]
    return [f"  {who}: {body[0]}", *(f"    {line}" for line in body[1:])]


def _confidence_section(analysis: Analysis) -> Section:
    summary = analysis.confidence
    if summary is None:
        lines = [UNAVAILABLE]
    else:
        lines = [f"Across {summary.tokens} pieces I gave my words {summary.mean:.0%} probability "
                 f"on average; {summary.share_low:.0%} of them under 50 %."]
        lines += hedges(summary) or ["I was not unsure about any stretch of this answer."]
    return Section("confidence", "3 · Confidence", PROVENANCE["confidence"], lines)


def _grounding_section(analysis: Analysis, profile: Profile | None) -> Section:
    compass = analysis.compass
    lines = world_map(analysis.grounding, compass) + [MAP_LEGEND]
    if broad := broad_line(analysis.grounding):
        lines.append(broad)
    lines.append("Compass (your profile's regions): "
                 + (", ".join(compass.entries) if compass.entries else "none set"))
    outside = sorted({m.text for m, fit in compass.status if fit.value == "outside"})
    if outside:
        lines.append("Named outside the compass: " + ", ".join(outside))
    filters_years = profile.filters.years if profile else None
    mentions = [mention for mention, _fit in analysis.years.status]
    if mentions:
        lines.append("Years named: " + ", ".join(m.text for m in mentions))
        lines += list(time_strip(mentions, filters_years).lines)
    else:
        lines.append("No years named.")
    lines.append("Year filter: " + (f"{filters_years[0]}–{filters_years[1]}" if filters_years
                                    else "none set"))
    return Section("grounding", "4 · Grounding map",
                   f"{PROVENANCE['grounding']} {PROVENANCE['years']}", lines)


_VERDICT = {Status.FOUND: "found", Status.FOUND_WITH_DIFFERENCES: "found with differences",
            Status.NOT_FOUND: "NOT FOUND"}


def _citation_section(analysis: Analysis, bib_paths: list[str], issues: list[str]) -> Section:
    if analysis.citations is None:
        lines = ["No BibTeX libraries configured: add bibliographies = [\"~/refs.bib\"] to "
                 "config.toml to check citations (offline)."]
    elif not analysis.citations:
        lines = ["The answer cites no works that coalign can recognise."]
    else:
        lines = []
        for check in analysis.citations:
            lines.append(f"{_VERDICT[check.status]}: {check.citation.label}")
            if check.entry is not None:
                line = f":{check.entry.line}" if check.entry.line else ""
                lines.append(f"    your library: {check.entry.label} ({check.entry.source}"
                             f"{line})")
            lines += [f"    differs: {difference}" for difference in check.differences]
    lines += issues
    return Section("citations", "5 · Citations", PROVENANCE["citations"], lines)


def user_library(bib_paths: list[str] | tuple[str, ...],
                 service: ChatService | None = None) -> tuple[list[str], Library | None]:
    """The user's .bib files (~ expanded) and their entries, with the works of the
    library answers are grounded in (issue 16); None when there are none."""
    paths = [str(Path(p).expanduser()) for p in bib_paths]
    library = load_bibliographies(paths) if paths else None
    extra = service.grounder.citation_entries() if service is not None else []
    if extra:
        known = library or Library()
        library = Library(known.entries + extra, known.issues, known.files)
    return paths, library


def build(service: ChatService, answer: Message,
          bib_paths: list[str] | tuple[str, ...] = ()) -> Report:
    """Every section of the panel for answer, from what is recorded on it and the profile."""
    profile, _label = _profile_for(service, answer)
    paths, library = user_library(bib_paths, service)
    issues = [str(issue) for issue in library.issues] if library else []
    tokens = answer.meta.get("token_probs")
    analysis = analyse(answer.content, tokens or None, profile, library)
    risk_lines = analysis.risk.lines(12)
    if score := answer.meta.get("candidate_score"):
        risk_lines.append(f"Candidate score: {score['score']:g} ({score['explain']})")
    sections = [
        told_section(service, answer),
        Section("account", "2 · The model's own account", ACCOUNT_PROVENANCE,
                disclosure.lines(answer.meta.get("disclosure"))),
        _confidence_section(analysis),
        _grounding_section(analysis, profile),
        _citation_section(analysis, paths, issues),
        Section("risk", "6 · Coverage and risk", PROVENANCE["risk"], risk_lines),
        Section("sources", "7 · Sources", sources.PROVENANCE, sources.section_lines(answer)),
    ]
    spans = [(s.start, s.end) for s in analysis.confidence.spans] if analysis.confidence else []
    return Report(answer, sections, analysis, spans)


def least_sure(answer: Message) -> tuple[list[tuple[int, int]], list[str]]:
    """The answer's least sure stretches (start, end) and the first-person hedges naming
    them; ValueError when the answer carries no token probabilities."""
    tokens = answer.meta.get("token_probs")
    if not tokens:
        raise ActionRefused("no token probabilities for this answer (a remote server without "
                         "logprobs, or an older answer)")
    summary = summarise(tokens)
    return ([(span.start, span.end) for span in summary.spans],
            hedges(summary) or ["I was not unsure about any stretch of it."])


def select(service: ChatService, arg: str) -> tuple[list[Message], int, bool]:
    """The answers the panel can step through, which one to show, and whether to ask.

    arg: '' (the last answer), 'ask', a message id, or both ('ask 12').
    """
    words = arg.split()
    ask = "ask" in words
    ids = [word.lstrip("#") for word in words if word != "ask"]
    if any(not word.isdigit() for word in ids) or len(ids) > 1:
        raise ActionRefused("use /assumptions [ask] [MESSAGE_ID]")
    answers = [m for m in service.transcript() if m.role is Role.ASSISTANT and m.content]
    if ids:
        try:
            chosen = service.store.message(int(ids[0]))
        except KeyError:
            raise ActionRefused(f"no message #{ids[0]}; /branches lists them") from None
        if chosen.role is not Role.ASSISTANT:
            raise ActionRefused(f"message #{ids[0]} is a prompt; give an answer's id")
        ids_on_branch = [m.id for m in answers]
        if chosen.id in ids_on_branch:
            return answers, ids_on_branch.index(chosen.id), ask
        return [chosen], 0, ask
    if not answers:
        raise ActionRefused("the assumptions panel needs an answer: ask something first")
    return answers, len(answers) - 1, ask
