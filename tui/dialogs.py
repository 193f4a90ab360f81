"""Small modal screens: a yes/no confirmation and a form of a few labelled text fields.

They return their answer through `dismiss` (push_screen's callback), so callers stay simple.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static


class ConfirmScreen(ModalScreen[bool]):
    """Ask before something that cannot be undone from the control room. `focus_yes`: the
    action the person asked for by its own key is what Enter does (a send to several, a
    restore); else (a destructive choice reached in passing, from a menu) Enter says no. The
    box's lower border says which, and follows Tab."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical {
        width: 60; max-width: 95%; height: auto; padding: 1 2;
        border: thick $warning; background: $surface; border-subtitle-align: right;
    }
    ConfirmScreen Horizontal { height: auto; margin-top: 1; align-horizontal: right; }
    ConfirmScreen Button { margin-left: 2; }
    """

    def __init__(
        self, question: str, yes: str = "Yes", *, no: str = "No", focus_yes: bool = False
    ) -> None:
        super().__init__()
        self.question = question
        self.yes = yes
        self.no = no
        self.focus_yes = focus_yes

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question)
            with Horizontal():
                yield Button(f"{self.yes} (y)", id="yes", variant="warning")
                yield Button(f"{self.no} (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#yes" if self.focus_yes else "#no", Button).focus()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        answer = self.yes if event.widget.id == "yes" else self.no
        self.query_one(Vertical).border_subtitle = f"Enter: {answer}"

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    value: str = ""
    placeholder: str = ""
    # A default the first key should replace (a duration) is selected; a text to be edited (a
    # note) is not, or the first key would wipe it.
    select: bool = True


class FormScreen(ModalScreen[dict[str, str] | None]):
    """A few text fields; Enter in the last one (or Ctrl+S) submits, Escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "submit", "OK"),  # in turn behind the keys typed (tui/key_order.py)
    ]

    DEFAULT_CSS = """
    FormScreen { align: center middle; }
    FormScreen > Vertical {
        width: 70; max-width: 95%; height: auto; padding: 1 2;
        border: thick $primary; background: $surface;
    }
    FormScreen Label { margin-top: 1; color: $foreground-muted; }
    FormScreen #form-title { text-style: bold; margin-top: 0; color: $foreground; }
    """

    def __init__(self, title: str, fields: Sequence[Field]) -> None:
        super().__init__()
        self.form_title = title
        self.fields = list(fields)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.form_title, id="form-title")
            for field in self.fields:
                yield Label(field.label)
                yield Input(
                    field.value,
                    placeholder=field.placeholder,
                    id=f"field-{field.name}",
                    select_on_focus=field.select,
                )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        inputs = list(self.query(Input))
        if event.input is inputs[-1]:
            self.action_submit()
        else:
            inputs[inputs.index(event.input) + 1].focus()

    def action_submit(self) -> None:
        self.dismiss({f.name: self.query_one(f"#field-{f.name}", Input).value for f in self.fields})

    def action_cancel(self) -> None:
        self.dismiss(None)
