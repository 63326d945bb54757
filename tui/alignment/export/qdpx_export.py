"""REFI-QDA export (.qdpx): a zip of project.qde (QDA-XML 1.0) and sources/<guid>.txt.

Participants are Cases (one per pseudonym) and also a `Participant` variable on every
TextSource, for tools that ignore Case/SourceRef (QualCoder). The diary fields are
Variables; each entry's transcript is a TextSource whose misaligned response is a
PlainTextSelection coded with the entry's values and marks (an entry with neither gets
no selection). Codes are grouped under "Values at risk" and "Marks"; code names are
unique in the project: values that differ only in case, spacing or Unicode form are
one code named by their most common spelling (the first seen on a tie), and mark codes
are named "mark: valid" etc. so a value called `valid` stays apart. Line endings are
`\n` in the sources and in the offsets, which count code points (characters).
GUIDs are uuid5 of stable names, so re-exporting the same entries gives the same GUIDs.
The XML is written as text (not through ElementTree) so 10,000 entries export fast, and
entries stream: each source goes into the zip as it comes, and project.qde, whose
codebook needs every entry's values, is written last from the sources' XML.
"""

from __future__ import annotations

import hashlib
import re
import time
import unicodedata
import uuid
import zipfile
from collections import Counter
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, BinaryIO, Callable, Iterable, NamedTuple, Sequence

from tui.alignment.diary.entry import DiaryEntry, now_iso
from tui.alignment.export.spool import Spool

NS = "urn:QDA-XML:project:1.0"
_ROOT = uuid.UUID("6f0c2d1e-7a4b-5c3d-9e8f-0a1b2c3d4e5f").bytes
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# The same characters one by one, for str.__contains__ (memchr, far faster than the regex).
_ILLEGAL_CHARS = tuple(chr(c) for c in range(32) if chr(c) not in "\t\n\r") + ("\ufffe",
                                                                                "\uffff")
_LINE_ENDINGS = re.compile("\r\n?")
_UTC = re.compile("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}
# Participant is a source variable only: on a Case too, QualCoder would make it a case
# attribute and drop it from the files.
VARIABLES = (("Participant", "pseudonym", "Text"),
             ("Initial Prompting", "initial_prompting", "Text"),
             ("Intuitive Intervention", "intuitive_intervention", "Text"),
             ("Final Outcome", "final_outcome", "Text"),
             ("Outcome Note", "outcome_note", "Text"),
             ("Interventions", "interventions", "Text"),
             ("Profile", "profile", "Text"),
             ("Model", "model", "Text"),
             ("Created", "created_at", "DateTime"))
MARK_CODES = ("valid", "invalid", "understood", "misunderstood")
MARK_NAMES = {mark: f"mark: {mark}" for mark in MARK_CODES}
VALUES_GROUP, MARKS_GROUP = "Values at risk", "Marks"


_UNDER_ROOT = hashlib.sha1(_ROOT)  # copied for each GUID: the namespace hashed once


def guid(*parts: str) -> str:
    """A stable GUID (uuid5 under coalign's namespace) for a named thing in the project:
    the SHA-1's first 16 bytes with the version (5) and variant (RFC 4122) bits set."""
    return _guid_of(_UNDER_ROOT.copy(), "/".join(parts))


def _guid_of(digest: Any, name: str) -> str:
    """The GUID of a SHA-1 that has taken in what comes before name."""
    digest.update(name.encode("utf-8"))
    x = digest.hexdigest()
    return f"{x[:8]}-{x[8:12]}-5{x[13:16]}-{_VARIANT[x[16]]}{x[17:20]}-{x[20:32]}"


shared_guid = lru_cache(maxsize=4096)(guid)


def _clean(text: str) -> str:
    return _XML_ILLEGAL.sub("", text)


def _illegal(text: str) -> bool:
    """Whether text holds a character that XML 1.0 forbids (what _clean removes)."""
    return any(map(text.__contains__, _ILLEGAL_CHARS))


def lines(text: str) -> str:
    """Text with every line ending (CRLF, lone CR) as LF."""
    return _LINE_ENDINGS.sub("\n", text) if "\r" in text else text


@lru_cache(maxsize=4096)
def value_key(name: str) -> str:
    """What identifies a value at risk in the codebook: case, spacing and Unicode form folded."""
    return unicodedata.normalize("NFC", " ".join(_clean(name).split())).casefold()


Spellings = dict[str, Counter[str]]  # a value's key -> how often each spelling was seen


@lru_cache(maxsize=4096)
def _spelling(value: str) -> str:
    return " ".join(_clean(value).split())


def count_spellings(values: Sequence[str], spellings: Spellings) -> None:
    """Add an entry's values at risk to spellings."""
    for value in values:
        spelling = _spelling(value)
        if spelling:
            key = value_key(spelling)
            counts = spellings.get(key)
            if counts is None:
                counts = spellings[key] = Counter()
            counts[spelling] += 1


def value_names(entries: Iterable[DiaryEntry]) -> dict[str, str]:
    """Each value's key -> its code name: the most common spelling, unique in the project."""
    spellings: Spellings = {}
    for entry in entries:
        count_spellings(entry.values_at_risk, spellings)
    return _names(spellings)


def _names(spellings: Spellings) -> dict[str, str]:
    taken = {value_key(name) for name in MARK_NAMES.values()}
    names = {}
    for key, counts in sorted(spellings.items()):
        name = counts.most_common(1)[0][0]  # equal counts keep the first-seen order
        while value_key(name) in taken:
            name += " (value)"
        taken.add(value_key(name))
        names[key] = name
    return names


def _attr(text: str) -> str:
    """text as a quoted attribute value (XML-illegal characters are removed from the
    whole document at the end: escaping neither makes nor hides one)."""
    return ('"' + text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("\r", "&#13;").replace("\n", "&#10;")
            .replace("\t", "&#9;") + '"')


def _text(text: str) -> str:
    """text as element content (chained replaces run in C, and only where needed)."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("\r", "&#13;"))


def _when(text: str) -> str:
    """An ISO time as xsd:dateTime in UTC (entries may carry a date or an offset)."""
    if _UTC.fullmatch(text):  # as coalign stores times: already the form wanted
        datetime.fromisoformat(text[:-1])  # still a real time, or ValueError as below
        return text
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Document(NamedTuple):
    """An entry's text for the TextSource and the span of the misaligned response."""

    text: str
    start: int
    end: int


_HEADS = {"user": "User:\n", "assistant": "Assistant:\n"}


def document(entry: DiaryEntry, clean: bool = True) -> Document:
    """The transcript as 'User:/Assistant:' paragraphs; the span is the last answer.
    clean=False leaves out removing XML-illegal characters (for text known to have none)."""
    turns = entry.transcript or [{"role": "user", "content": entry.initial_prompting},
                                 {"role": "assistant", "content": entry.misaligned_response}]
    parts: list[str] = []
    length = start = end = 0
    for turn in turns:
        content = lines(turn["content"])
        if clean:
            content = _clean(content)
        role = turn["role"]
        head = _HEADS.get(role, "System:\n")
        if role == "assistant":
            start = length + len(head)
            end = start + len(content)
        parts += (head, content, "\n\n")
        length += len(head) + len(content) + 2
    return Document("".join(parts), start, end)


def _values_xml(entry: DiaryEntry, created: str) -> str:
    """The VariableValues of a source, in VARIABLES order, those without a value left out."""
    values: list[str] = []
    for field_name, head, tail in _VALUE_XML:
        value = _entry_value(entry, field_name, created)
        if value:
            values += (head, _text(value), tail)
    return "".join(values)


def _entry_value(entry: DiaryEntry, field_name: str, created: str) -> str:
    if field_name == "interventions":
        return ", ".join([event["kind"] for event in entry.interventions])
    if field_name == "profile":
        return entry.profile_name
    if field_name == "created_at":
        return created
    value = getattr(entry, field_name)
    return lines(value if type(value) is str else str(value))


def _codebook(names: dict[str, str]) -> str:
    inner = "".join(f'<Code guid="{shared_guid("code", "value", key)}" name={_attr(name)} '
                    'isCodable="true"/>' for key, name in names.items())
    marks = "".join(f'<Code guid="{shared_guid("code", "mark", m)}" name="{MARK_NAMES[m]}" '
                    'isCodable="true"/>' for m in MARK_CODES)
    return (f'<CodeBook><Codes><Code guid="{guid("code", "values")}" name="{VALUES_GROUP}" '
            f'isCodable="false">{inner}</Code><Code guid="{guid("code", "marks")}" '
            f'name="{MARKS_GROUP}" isCodable="false">{marks}</Code></Codes></CodeBook>')


def _variables() -> str:
    return "<Variables>" + "".join(
        f'<Variable guid="{shared_guid("variable", name)}" name="{name}" '
        f'typeOfVariable="{kind}"/>' for name, _field, kind in VARIABLES) + "</Variables>"


# Each variable's field, and the XML before and after its value on a source.
_VALUE_XML = tuple(
    (field_name, f'<VariableValue><VariableRef targetGUID="{guid("variable", name)}"/><{tag}>',
     f"</{tag}></VariableValue>")
    for name, field_name, kind in VARIABLES
    for tag in ("DateTimeValue" if kind == "DateTime" else "TextValue",))
_MARK_GUIDS = {mark: guid("code", "mark", mark) for mark in MARK_CODES}
_MARK_KEYS = ("validity", "understanding")


def _source(entry: DiaryEntry, doc: Document, source_guid: str, user: str) -> str:
    codes = [shared_guid("code", "value", key) for key in map(value_key, entry.values_at_risk)
             if key]
    for mark in entry.marks:
        codes += [_MARK_GUIDS[mark[k]] for k in _MARK_KEYS if mark.get(k) in MARK_CODES]
    selection = ""  # no code, no selection: a tool would make it a note
    if codes:
        coding = _UNDER_ROOT.copy()  # guid("coding", entry.id, code), the id hashed once
        coding.update(f"coding/{entry.id}/".encode("utf-8"))
        codings = "".join([f'<Coding guid="{_guid_of(coding.copy(), code)}" creatingUser='
                           f'"{user}"><CodeRef targetGUID="{code}"/></Coding>'
                           for code in dict.fromkeys(codes)])
        selection = (f'<PlainTextSelection guid="{guid("selection", entry.id)}" '
                     f'name="Misaligned response" startPosition="{doc.start}" '
                     f'endPosition="{doc.end}" creatingUser="{user}">{codings}'
                     "</PlainTextSelection>")
    created = _when(entry.created_at)
    return (f'<TextSource guid="{source_guid}" name={_attr(entry.id)} '
            f'plainTextPath="internal://{source_guid}.txt" creatingUser="{user}" '
            f'creationDateTime="{created}">{selection}{_values_xml(entry, created)}'
            "</TextSource>")


def write_qdpx(entries: Iterable[DiaryEntry], handle: BinaryIO,
               tick: Callable[[], None] = lambda: None) -> int:
    """Write the .qdpx zip to a binary handle; returns how many entries it holds.
    Entries stream: only their sources' XML (as UTF-8) and their values' spellings are
    kept, and project.qde is written from them last, piece by piece."""
    user = guid("user", "coalign")
    sources: list[bytes] = []
    refs: dict[str, list[str]] = {}
    spellings: Spellings = {}
    stamp = time.localtime()[:6]
    with Spool(handle) as spool, zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED,
                                                 compresslevel=1) as zf:
        for entry in entries:
            doc = document(entry, clean=False)
            source_guid = guid("source", entry.id)
            source = _source(entry, doc, source_guid, user)
            if _illegal(doc.text + source):  # rare (one look for both texts)
                if _illegal(doc.text):  # the offsets must count the characters kept
                    doc = document(entry)
                    source = _source(entry, doc, source_guid, user)
                source = _clean(source)
            sources.append(source.encode("utf-8"))
            member = zipfile.ZipInfo(f"sources/{source_guid}.txt", stamp)
            member.external_attr = 0o600 << 16  # as writestr gives it
            zf.writestr(member, doc.text.encode("utf-8"),
                        compress_type=zipfile.ZIP_STORED)  # small files: speed over size
            spool.commit()
            refs.setdefault(entry.pseudonym, []).append(source_guid)
            count_spellings(entry.values_at_risk, spellings)
            tick()
        cases = "".join(
            f'<Case guid="{guid("case", pseudonym)}" name={_attr(pseudonym)}>'
            + "".join(f'<SourceRef targetGUID="{g}"/>' for g in source_guids) + "</Case>"
            for pseudonym, source_guids in sorted(refs.items()))
        head = "".join([
            '<?xml version="1.0" encoding="utf-8"?>\n',
            f'<Project xmlns="{NS}" name="coalign Misalignment Diary" origin="coalign" '
            f'creatingUserGUID="{user}" creationDateTime="{now_iso()}">',
            f'<Users><User guid="{user}" name="coalign"/></Users>',
            _codebook(_names(spellings)), _variables(),
            f"<Cases>{cases}</Cases><Sources>" if sources else ""])
        with zf.open("project.qde", "w") as project:
            project.write((_clean(head) if _illegal(head) else head).encode("utf-8"))
            for start in range(0, len(sources), 256):  # a piece of about 1 MB at a time
                project.write(b"".join(sources[start:start + 256]))
            project.write(b"</Sources></Project>\n" if sources else b"</Project>\n")
    return len(sources)
