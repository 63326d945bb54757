"""The conversation store: tree, persistence, crash recovery, full-text search."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from tui.alignment.conversation import Role, Status, chat_messages
from tui.alignment.store import Store


def test_messages_form_a_tree_and_path_follows_parents(store: Store) -> None:
    session = store.create_session("tree")
    q = store.add_message(session.id, None, Role.USER, "question")
    a1 = store.add_message(session.id, q.id, Role.ASSISTANT, "first answer")
    a2 = store.add_message(session.id, q.id, Role.ASSISTANT, "second answer")
    follow = store.add_message(session.id, a1.id, Role.USER, "follow-up")

    path = [m.content for m in store.path_to(follow.id)]
    assert path == ["question", "first answer", "follow-up"]
    assert [m.id for m in store.children(q.id, session.id)] == [a1.id, a2.id]
    assert store.session(session.id).head_id == follow.id


def test_history_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    first = Store(path)
    session = first.create_session("kept")
    first.add_message(session.id, None, Role.USER, "remember me")
    first.close()

    again = Store(path)
    latest = again.latest_session()
    assert latest is not None and latest.title == "kept"
    assert [m.content for m in again.path_to(latest.head_id)] == ["remember me"]
    assert again._read("PRAGMA journal_mode")[0][0] == "wal"


def test_metadata_updates_merge(store: Store) -> None:
    session = store.create_session()
    message = store.add_message(session.id, None, Role.ASSISTANT, "", meta={"a": 1})
    store.update_message(message.id, content="text", status=Status.STOPPED, meta={"b": 2})
    saved = store.message(message.id)
    assert (saved.content, saved.status, saved.meta) == ("text", Status.STOPPED, {"a": 1, "b": 2})


def test_full_text_search_finds_words_and_follows_edits(store: Store) -> None:
    session = store.create_session()
    message = store.add_message(session.id, None, Role.USER, "Kant and the categorical imperative")
    store.add_message(session.id, message.id, Role.ASSISTANT, "unrelated text")
    assert [m.id for m, _ in store.search("categorical")] == [message.id]
    assert "[Kant]" in store.search("kant")[0][1]
    store.update_message(message.id, content="Hume on causation")
    assert store.search("categorical") == []
    assert [m.id for m, _ in store.search("causation")] == [message.id]
    assert store.search('quote " and ) syntax') == []  # FTS syntax is escaped, not an error


def test_answer_left_streaming_by_a_dead_process_is_marked_interrupted(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    store = Store(path)
    session = store.create_session()
    q = store.add_message(session.id, None, Role.USER, "q")
    partial = store.add_message(session.id, q.id, Role.ASSISTANT, "half an ans",
                                Status.STREAMING, meta={"pid": int(dead.stdout)})
    alive = store.add_message(session.id, q.id, Role.ASSISTANT, "still going",
                              Status.STREAMING, meta={"pid": os.getppid()})
    store.close()

    reopened = Store(path)
    assert reopened.message(partial.id).status is Status.INTERRUPTED
    assert reopened.message(partial.id).content == "half an ans"
    assert reopened.message(alive.id).status is Status.STREAMING


def test_sessions_lists_only_used_sessions_newest_first(store: Store) -> None:
    empty = store.create_session("empty")
    old = store.create_session("old")
    store.add_message(old.id, None, Role.USER, "x")
    new = store.create_session("new")
    store.add_message(new.id, None, Role.USER, "y")
    assert [s.title for s in store.sessions()] == ["new", "old"]
    assert empty.id not in [s.id for s in store.sessions()]


def test_chat_messages_skip_empty_answers_and_put_system_first(store: Store) -> None:
    session = store.create_session()
    q = store.add_message(session.id, None, Role.USER, "q")
    a = store.add_message(session.id, q.id, Role.ASSISTANT, "", Status.INTERRUPTED)
    assert chat_messages("sys", store.path_to(a.id)) == [
        {"role": "system", "content": "sys"}, {"role": "user", "content": "q"},
    ]


def test_schema_version_is_recorded(tmp_path: Path) -> None:
    Store(tmp_path / "v.sqlite3").close()
    with sqlite3.connect(tmp_path / "v.sqlite3") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 1
