"""Study exports of the Misalignment Diary: CSV, JSONL, Markdown and REFI-QDA (.qdpx)."""

from tui.alignment.export.run import FORMATS, ExportReport, run_export

__all__ = ["FORMATS", "ExportReport", "run_export"]
