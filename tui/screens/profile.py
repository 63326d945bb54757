"""The profile modal: value sliders, filters, a live preview of what the model is told."""

from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from tui.alignment.profiles.compose import compose
from tui.alignment.profiles.edit import apply_setting
from tui.alignment.profiles.errors import ProfileError
from tui.alignment.profiles.library import ProfileEntry, ProfileLibrary
from tui.alignment.profiles.schema import Filters, Goal, Profile, humanise
from tui.application.profiles import entry_line, lab_notice
from tui.widgets.slider import Slider

GOAL_FIELDS = (("researchers", "Researchers", "as … researchers: such as oral historians"),
               ("aim", "Aim", "to …: such as find sources beyond the usual archives"),
               ("characterised_by", "Interactions", "by interactions that …: such as say how "
                "sure they are"))
FILTER_FIELDS = (("years", "Years (FROM-TO)", "such as 1990-2026"),
                 ("languages", "Languages", "such as English, German"),
                 ("disciplines", "Disciplines", "such as history, sociology"),
                 ("regions", "Regions", "such as Europe, West Africa"))


def filter_text(filters: Filters, key: str) -> str:
    """A filter as the user types it: '1990-2026' or 'a, b'."""
    if key == "years":
        return f"{filters.years[0]}-{filters.years[1]}" if filters.years else ""
    return ", ".join(getattr(filters, key))


def preview_text(profile: Profile) -> Text:
    """The composed system prompt and sampling, literally."""
    composition = compose(profile)
    return Text(f"{composition.system_prompt}\n\nsampling: {composition.sampling_line()}")


class ProfileScreen(ModalScreen[ProfileEntry | None]):
    """Edit the current profile; Ctrl+S saves your copy, Esc cancels, a listed profile switches."""

    DEFAULT_CSS = """
    ProfileScreen { align: center middle; }
    ProfileScreen > Vertical {
        width: 96%; height: 94%; border: thick $primary; background: $surface; padding: 0 1;
    }
    ProfileScreen #title { text-style: bold; }
    ProfileScreen #origin, ProfileScreen #base, ProfileScreen .meaning, ProfileScreen #keys {
        color: $text-muted;
    }
    ProfileScreen #lab-notice { color: $warning; }
    ProfileScreen #goal { margin: 1 0 0 0; }
    ProfileScreen .filter { height: 1; margin-bottom: 1; }
    ProfileScreen .filter Label { width: 16; }
    ProfileScreen .filter Input { width: 1fr; }
    ProfileScreen #body { height: 1fr; }
    ProfileScreen #editor { width: 1fr; padding-right: 1; }
    ProfileScreen #side { width: 1fr; }
    ProfileScreen .heading { text-style: bold; margin-top: 1; }
    ProfileScreen .meaning { margin: 0 0 1 2; }
    ProfileScreen #preview-box { height: 2fr; border: round $panel-lighten-2; }
    ProfileScreen #others { height: 1fr; }
    ProfileScreen #problem { color: $error; }
    """
    BINDINGS = [Binding("ctrl+s", "save", "Save", priority=True),
                Binding("escape", "cancel", "Cancel")]

    def __init__(self, library: ProfileLibrary, current: ProfileEntry) -> None:
        super().__init__()
        self.library, self.entry = library, current
        self.draft: Profile | None = current.profile
        self.problems: dict[str, str] = {}
        self.others = [e for e in library.entries() if e.path != current.path]

    def compose(self) -> ComposeResult:
        profile = self.draft
        title = f"Profile {self.entry.name}"
        if profile is not None and profile.title:
            title += f": {profile.title}"
        with Vertical():
            yield Static(Text(title), id="title")
            yield Static(Text(self.entry.origin), id="origin")
            if self.entry.base is not None:
                yield Static(Text(f"your copy of {self.entry.base.label}"), id="base")
            if notice := lab_notice(self.library, self.entry):  # the lab moved on since
                yield Static(Text(notice), id="lab-notice")
            goal = profile.goal.sentence if profile else f"broken: {self.entry.error}"
            yield Static(Text(goal or "(no alignment goal set)"), id="goal")
            with Horizontal(id="body"):
                with VerticalScroll(id="editor"):
                    yield from self._editor(profile)
                with Vertical(id="side"):
                    yield Label(Text("What the model is told"), classes="heading")
                    with VerticalScroll(id="preview-box"):
                        yield Static(preview_text(profile) if profile else Text(""), id="preview")
                    yield Label(Text("Switch to another profile (Enter)"), classes="heading")
                    yield OptionList(*(self._option(i, e) for i, e in enumerate(self.others)),
                                     id="others")
            yield Static(id="problem")
            yield Static(Text("Ctrl+S save your copy · Esc cancel · ←/→ move a slider · "
                              "Tab next field"), id="keys")

    def _editor(self, profile: Profile | None) -> ComposeResult:
        if profile is None:
            yield Static(Text("This profile is broken and cannot be edited; fix its file or "
                              "switch to another one."))
            return
        yield Label(Text("Values (0 leaves one out)"), classes="heading")
        ordered = sorted(profile.values.items(), key=lambda item: (-item[1].weight, item[0]))
        for name, value in ordered:
            yield Slider(value.weight, humanise(name), id=f"value-{name}")
            yield Static(Text(value.meaning), classes="meaning")
        if not ordered:
            yield Static(Text("No values yet: add one below."), classes="meaning",
                         id="no-values")
        with Horizontal(classes="filter", id="new-value-row"):
            yield Label(Text("Add a value"))
            yield Input(placeholder="its name, then Enter (such as reflexivity)",
                        id="new-value", compact=True)
        yield Label(Text("Alignment goal: we want an LLM that lets us, …"), classes="heading")
        for key, label, example in GOAL_FIELDS:
            with Horizontal(classes="filter"):
                yield Label(Text(label))
                yield Input(getattr(profile.goal, key), placeholder=example, id=f"goal-{key}",
                            compact=True)
        yield Label(Text("Filters (comma-separated)"), classes="heading")
        for key, label, example in FILTER_FIELDS:
            with Horizontal(classes="filter"):
                yield Label(Text(label))
                yield Input(filter_text(profile.filters, key), placeholder=example,
                            id=f"filter-{key}", compact=True)

    def on_mount(self) -> None:
        first = self.query(Slider).first() if self.query(Slider) else None
        (first or self.query_one("#others", OptionList)).focus()

    def _option(self, index: int, entry: ProfileEntry) -> Option:
        style = "" if entry.ok else "red"
        return Option(Text(entry_line(entry).lstrip("* "), style=style), id=str(index),
                      disabled=not entry.ok)

    def _apply(self, key: str, setting: str) -> None:
        """Apply one edit to the draft; a bad one is shown and blocks saving until fixed."""
        if self.draft is None:
            return
        try:
            self.draft = apply_setting(self.draft, setting)
            self.problems.pop(key, None)
        except ProfileError as exc:
            self.problems[key] = str(exc)
        self._show()

    def _show(self) -> None:
        """The first problem, what the model is told, and the goal sentence, as they are."""
        self.query_one("#problem", Static).update(Text(next(iter(self.problems.values()), "")))
        if self.draft is not None:
            self.query_one("#preview", Static).update(preview_text(self.draft))
            goal = self.draft.goal.sentence or "(no alignment goal set)"
            self.query_one("#goal", Static).update(Text(goal))

    def on_slider_changed(self, event: Slider.Changed) -> None:
        event.stop()
        name = (event.slider.id or "").removeprefix("value-")
        self._apply(f"values.{name}", f"values.{name}.weight={event.value}")

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        field = event.input.id or ""
        if field.startswith("filter-"):
            key = f"filters.{field.removeprefix('filter-')}"
            self._apply(key, f"{key}={event.value}")
        elif field.startswith("goal-"):
            self._apply_goal()

    def _apply_goal(self) -> None:
        """The goal's three blanks go in together: all filled, or all left empty."""
        if self.draft is None:
            return
        blanks = {key: self.query_one(f"#goal-{key}", Input).value.strip()
                  for key, _label, _example in GOAL_FIELDS}
        if not any(blanks.values()):
            self.draft = replace(self.draft, goal=Goal())
            self.problems.pop("goal", None)
        elif not all(blanks.values()):
            self.problems["goal"] = ("the goal has three blanks: fill them all (as … "
                                     "researchers, to …, by interactions …) or none")
        else:
            self.draft = replace(self.draft, goal=Goal(**blanks))
            self._apply("goal", f"goal.aim={blanks['aim']}")  # checks the whole profile
            return
        self._show()

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        """A new value: named in the 'Add a value' field, at weight 0.5 to start."""
        if event.input.id != "new-value" or self.draft is None:
            return
        event.stop()
        name = "_".join(event.value.strip().lower().replace("-", " ").split())
        if not name or name in self.draft.values:
            self.notify(f"{name or 'a value'} needs a new name", severity="warning",
                        markup=False)
            return
        self._apply(f"values.{name}", f"values.{name}.weight=0.5")
        if f"values.{name}" in self.problems:
            return
        row = self.query_one("#new-value-row")
        slider = Slider(0.5, humanise(name), id=f"value-{name}")
        await self.query_one("#editor", VerticalScroll).mount(slider, before=row)
        for hint in self.query("#no-values"):
            await hint.remove()
        event.input.value = ""
        slider.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.others[int(event.option_id or 0)])

    def action_save(self) -> None:
        if self.draft is None or self.problems:
            self.notify(next(iter(self.problems.values()), "nothing to save"),
                        severity="error", markup=False)
            return
        try:
            self.library.save(self.draft, self.entry.name)
            saved = self.library.get(self.entry.name)
        except (ProfileError, OSError, KeyError) as exc:
            self.notify(f"not saved: {exc}", severity="error", markup=False)
            return
        self.dismiss(saved)

    def action_cancel(self) -> None:
        self.dismiss(None)
