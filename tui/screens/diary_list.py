"""The diary screen: list and filter entries, open one to edit (Enter), delete (Del twice)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Label

from tui.alignment.diary.entry import DiaryEntry, DiaryError
from tui.alignment.diary.store import DiaryStore, parse_filter
from tui.alignment.text import strip_control
from tui.screens.diary import DiaryScreen

FILTER_HINT = "filter: outcome:partly value:reliability profile:NAME since:2026-11-01 until:…"


class DiaryListScreen(ModalScreen[None]):
    """Every entry in the diary folder, newest first, with its outcome and values."""

    DEFAULT_CSS = """
    DiaryListScreen { align: center middle; }
    DiaryListScreen > Vertical {
        width: 95%; height: 85%; border: thick $primary; background: $surface; padding: 0 1;
    }
    DiaryListScreen DataTable { height: 1fr; }
    DiaryListScreen #problems { color: $warning; }
    """
    BINDINGS = [Binding("escape", "close", "Close"), Binding("delete", "delete", "Delete")]

    def __init__(self, store: DiaryStore, where: str = "") -> None:
        super().__init__()
        self.store = store
        self.where = where
        self._armed_delete = ""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Misalignment Diary: Enter opens and edits, Del twice deletes, Esc closes")
            yield Input(self.where, placeholder=FILTER_HINT, id="filter")
            yield DataTable(cursor_type="row", zebra_stripes=True)
            yield Label(id="problems")

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns("date", "outcome", "values", "misaligned response")
        self.refresh_rows()

    def refresh_rows(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        problems = self.query_one("#problems", Label)
        try:
            where = parse_filter(self.query_one("#filter", Input).value)
        except DiaryError as exc:
            problems.update(Text(str(exc)))
            return
        entries = sorted(self.store.list(where), key=lambda e: e.id, reverse=True)
        for entry in entries:
            snippet = strip_control(entry.misaligned_response).replace("\n", " ")[:70]
            table.add_row(entry.created_at[:16].replace("T", " "), entry.final_outcome or "-",
                          " ".join(f"#{v}" for v in entry.values_at_risk) or "-",
                          Text(snippet), key=entry.id)
        broken = len(self.store.problems)
        skipped = f"; {broken} broken file(s) skipped" if broken else ""
        problems.update(Text(f"{len(entries)} entries{skipped}"))

    def on_input_changed(self, event: Input.Changed) -> None:
        self.refresh_rows()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        entry = self.store.get(str(event.row_key.value))
        self.app.push_screen(DiaryScreen(entry), self._save)

    def _save(self, entry: DiaryEntry | None) -> None:
        if entry is not None:
            self.store.update(entry)
            self.refresh_rows()

    def action_delete(self) -> None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return
        entry_id = str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        if self._armed_delete != entry_id:
            self._armed_delete = entry_id
            self.notify(f"Press Del again to delete diary entry {entry_id}.", markup=False)
            return
        self.store.delete(entry_id)
        self._armed_delete = ""
        self.notify(f"Deleted diary entry {entry_id}.", markup=False)
        self.refresh_rows()

    def action_close(self) -> None:
        self.dismiss(None)
