"""REFI-QDA export (.qdpx): a zip of project.qde (QDA-XML 1.0) and sources/<guid>.txt.

Participants are Cases, the diary fields are Variables, values at risk and marks are
Codes, each entry's transcript is a TextSource whose misaligned response is a
PlainTextSelection coded with the entry's values and marks. GUIDs are uuid5 of stable
names, so re-exporting the same entries gives the same GUIDs. The XML is written as
text (not through ElementTree) so 10,000 entries export in about a second.
"""

from __future__ import annotations

import hashlib
import re
import uuid
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from typing import BinaryIO, Callable, Iterable

from tui.alignment.diary.entry import DiaryEntry, now_iso

NS = "urn:QDA-XML:project:1.0"
_ROOT = uuid.UUID("6f0c2d1e-7a4b-5c3d-9e8f-0a1b2c3d4e5f").bytes
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                          "\r": "&#13;", "\n": "&#10;", "\t": "&#9;"})
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
VARIABLES = (("Initial Prompting", "initial_prompting", "Text"),
             ("Intuitive Intervention", "intuitive_intervention", "Text"),
             ("Final Outcome", "final_outcome", "Text"),
             ("Outcome Note", "outcome_note", "Text"),
             ("Interventions", "interventions", "Text"),
             ("Profile", "profile", "Text"),
             ("Model", "model", "Text"),
             ("Created", "created_at", "DateTime"))
MARK_CODES = ("valid", "invalid", "understood", "misunderstood")


def guid(*parts: str) -> str:
    """A stable GUID (uuid5 under coalign's namespace) for a named thing in the project."""
    digest = bytearray(hashlib.sha1(_ROOT + "/".join(parts).encode("utf-8")).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    x = digest.hex()
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


shared_guid = lru_cache(maxsize=4096)(guid)


def _clean(text: str) -> str:
    return _XML_ILLEGAL.sub("", text)


def _attr(text: str) -> str:
    return '"' + _clean(text).translate(_ESCAPES) + '"'


def _text(text: str) -> str:
    return _clean(text).translate(_TEXT_ESCAPES)


def _when(text: str) -> str:
    """An ISO time as xsd:dateTime in UTC (entries may carry a date or an offset)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Document:
    """An entry's text for the TextSource and the span of the misaligned response."""

    text: str
    start: int
    end: int


def document(entry: DiaryEntry) -> Document:
    """The transcript as 'User:/Assistant:' paragraphs; the span is the last answer."""
    turns = entry.transcript or [{"role": "user", "content": entry.initial_prompting},
                                 {"role": "assistant", "content": entry.misaligned_response}]
    parts, length, start, end = [], 0, 0, 0
    for turn in turns:
        label = {"user": "User", "assistant": "Assistant"}.get(turn["role"], "System")
        content = _clean(turn["content"])
        head = f"{label}:\n"
        if turn["role"] == "assistant":
            start = length + len(head)
            end = start + len(content)
        parts += [head, content, "\n\n"]
        length += len(head) + len(content) + 2
    return Document("".join(parts), start, end)


def _entry_value(entry: DiaryEntry, field_name: str) -> str:
    if field_name == "interventions":
        return ", ".join(e["kind"] for e in entry.interventions)
    if field_name == "profile":
        return entry.profile_name
    if field_name == "created_at":
        return _when(entry.created_at)
    return str(getattr(entry, field_name))


def _codebook(entries: list[DiaryEntry]) -> str:
    values = sorted({v for e in entries for v in e.values_at_risk})
    inner = "".join(f'<Code guid="{shared_guid("code", "value", v)}" name={_attr(v)} '
                    'isCodable="true"/>' for v in values)
    marks = "".join(f'<Code guid="{shared_guid("code", "mark", m)}" name="{m}" '
                    'isCodable="true"/>' for m in MARK_CODES)
    return (f'<CodeBook><Codes><Code guid="{guid("code", "values")}" name="Values at risk" '
            f'isCodable="false">{inner}</Code><Code guid="{guid("code", "marks")}" '
            f'name="Marks" isCodable="false">{marks}</Code></Codes></CodeBook>')


def _variables() -> str:
    return "<Variables>" + "".join(
        f'<Variable guid="{shared_guid("variable", name)}" name="{name}" '
        f'typeOfVariable="{kind}"/>' for name, _field, kind in VARIABLES) + "</Variables>"


def _source(entry: DiaryEntry, doc: Document, source_guid: str, user: str) -> str:
    codes = [shared_guid("code", "value", v) for v in entry.values_at_risk]
    codes += [shared_guid("code", "mark", str(m[k])) for m in entry.marks
              for k in ("validity", "understanding") if m.get(k) in MARK_CODES]
    codings = "".join(f'<Coding guid="{guid("coding", entry.id, code)}" creatingUser="{user}">'
                      f'<CodeRef targetGUID="{code}"/></Coding>' for code in dict.fromkeys(codes))
    values = []
    for name, field_name, kind in VARIABLES:
        value = _entry_value(entry, field_name)
        if value:
            tag = "DateTimeValue" if kind == "DateTime" else "TextValue"
            ref = shared_guid("variable", name)
            values.append(f'<VariableValue><VariableRef targetGUID="{ref}"/>'
                          f'<{tag}>{_text(value)}</{tag}></VariableValue>')
    return (f'<TextSource guid="{source_guid}" name={_attr(entry.id)} '
            f'plainTextPath="internal://{source_guid}.txt" creatingUser="{user}" '
            f'creationDateTime="{_when(entry.created_at)}">'
            f'<PlainTextSelection guid="{guid("selection", entry.id)}" name="Misaligned response" '
            f'startPosition="{doc.start}" endPosition="{doc.end}" creatingUser="{user}">'
            f'{codings}</PlainTextSelection>{"".join(values)}</TextSource>')


def write_qdpx(entries: Iterable[DiaryEntry], handle: BinaryIO,
               tick: Callable[[], None] = lambda: None) -> int:
    """Write the .qdpx zip to a binary handle; returns how many entries it holds."""
    items = list(entries)
    user = guid("user", "coalign")
    sources: list[str] = []
    refs: dict[str, list[str]] = {}
    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for entry in items:
            doc = document(entry)
            source_guid = guid("source", entry.id)
            sources.append(_source(entry, doc, source_guid, user))
            zf.writestr(f"sources/{source_guid}.txt", doc.text.encode("utf-8"),
                        compress_type=zipfile.ZIP_STORED)  # small files: speed over size
            refs.setdefault(entry.pseudonym, []).append(source_guid)
            tick()
        cases = "".join(
            f'<Case guid="{guid("case", pseudonym)}" name={_attr(pseudonym)}>'
            + "".join(f'<SourceRef targetGUID="{g}"/>' for g in source_guids) + "</Case>"
            for pseudonym, source_guids in sorted(refs.items()))
        project = "".join([
            '<?xml version="1.0" encoding="utf-8"?>\n',
            f'<Project xmlns="{NS}" name="coalign Misalignment Diary" origin="coalign" '
            f'creatingUserGUID="{user}" creationDateTime="{now_iso()}">',
            f'<Users><User guid="{user}" name="coalign"/></Users>',
            _codebook(items), _variables(),
            f"<Cases>{cases}</Cases>" if items else "",
            f'<Sources>{"".join(sources)}</Sources>' if items else "",
            "</Project>\n"])
        zf.writestr("project.qde", project.encode("utf-8"))
    return len(items)
