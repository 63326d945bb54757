"""`coalign bench --library` on a tiny library: every figure present and sane (no timing is
asserted: the 50 ms goal is the bench's own verdict)."""

from __future__ import annotations

from pathlib import Path

from tui.bench.library import english_notes, index_and_query, table
from tui.main import build_parser


def test_the_flag_parses() -> None:
    assert build_parser().parse_args(["bench", "--library"]).library is True
    assert build_parser().parse_args(["bench"]).library is False


def test_a_small_run_reports_every_library_figure(tmp_path: Path) -> None:
    result = index_and_query(tmp_path, documents=12, passages=5)
    assert (result["library_documents"], result["library_passages"]) == (12, 60)
    for key in ("library_index_s", "library_mb", "library_query_p50_ms",
                "library_query_p95_ms", "library_query_filtered_p50_ms",
                "library_query_filtered_p95_ms"):
        assert result[key] > 0, key
    assert result["library_query_p50_ms"] <= result["library_query_p95_ms"]
    lines = table(result)
    assert lines[-1].endswith("a query of 50,000 passages < 50 ms (p95, with and without "
                              "filters)")
    assert lines[-1].startswith(("  ok  ", "  MISS"))


def test_the_prose_library_is_plain_english(tmp_path: Path) -> None:
    english_notes(tmp_path, documents=2)
    text = (tmp_path / "prose-00.md").read_text()
    assert text.count("\n\n") == 4 and " was recorded near the " in text
