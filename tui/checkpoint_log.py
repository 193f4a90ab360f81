"""The checkpoint log: recent git checkpoints (time, repo, agent, message, diffstat); selecting one
loads its diff; restoring (or branching from) it asks first; `n` takes a new one.

Loading a diff, restoring and taking are requests (messages up); the app runs them against
`room.checkpoints` in a worker and calls `show_diff` / `show_error` back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from rich.syntax import Syntax
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.coordinate import Coordinate
from textual.message import Message
from textual.widgets import DataTable, Static

from orc.core.api import Checkpoint, visible
from orc.tui.dialogs import ConfirmScreen, Field, FormScreen


def diffstat(cp: Checkpoint) -> str:
    if not cp.files_changed:
        return cp.diffstat or ""
    return f"{cp.files_changed} files +{cp.insertions} -{cp.deletions}"


class CheckpointLog(Vertical, can_focus=True):
    """The checkpoints panel. Focusable itself (the list is hidden while empty, and a hidden
    widget drops focus); while the list shows, focus passes on to it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "restore", "Restore"),
        Binding("b", "branch", "Branch from"),
        Binding("n", "take", "Take checkpoint"),
    ]

    DEFAULT_CSS = """
    CheckpointLog {
        & > DataTable { height: 1fr; min-height: 3; }
        & > #checkpoint-diff { height: 2fr; border-top: solid $panel; }
        & > #checkpoint-empty { color: $foreground-muted; padding: 1 1; height: auto; }
        & > #checkpoint-error { color: $error; padding: 0 1; height: auto; }
    }
    """

    class DiffWanted(Message):
        def __init__(self, checkpoint_id: int, host: str = "") -> None:
            super().__init__()
            # `host`: where it was taken ("" = here); that host's orc diffs it there.
            self.checkpoint_id, self.host = checkpoint_id, host

    class RestoreRequested(Message):
        def __init__(self, checkpoint_id: int, branch: str | None, host: str = "") -> None:
            super().__init__()
            # `host`: where it was taken ("" = here); its id is that host's store's.
            self.checkpoint_id, self.branch, self.host = checkpoint_id, branch, host

    class TakeRequested(Message):
        """Take a checkpoint of the selected agent's folder now (the app knows the agent)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.checkpoints: list[Checkpoint] = []
        self._diff_for: str | None = None  # the key of the row whose diff is shown or asked
        self._host_of: dict[int, str] = {}  # id() of a listed checkpoint -> its host, if not here
        self._select_next: str | None = None  # the key of a row to select once it is listed

    def compose(self) -> ComposeResult:
        yield Static("", id="checkpoint-error")
        yield Static(
            "No checkpoints yet. orc commits the team's work to a hidden ref every "
            "checkpoint_every while the tree is dirty, and on `orc checkpoint`.",
            id="checkpoint-empty",
        )
        table: DataTable[str | Text] = DataTable(cursor_type="row")
        table.add_columns("time", "repo", "agent", "message", "diffstat")
        yield table
        with VerticalScroll(id="checkpoint-diff"):
            yield Static("", id="checkpoint-diff-text")

    # -- called by the app --------------------------------------------------------------------

    def update_checkpoints(
        self, checkpoints: Sequence[Checkpoint], *, hosts: Sequence[str] = ()
    ) -> None:
        """`hosts`: the host of each checkpoint when other hosts are selected ("local" = here);
        another host's show `REPO@HOST` (ids repeat between hosts' stores)."""
        on = [h if h and h != "local" else "" for h in (hosts or [""] * len(checkpoints))]
        wanted = [f"{c.id}@{h}" if h else str(c.id) for c, h in zip(checkpoints, on, strict=True)]
        if wanted == [self._key(c) for c in self.checkpoints]:
            return
        # The row acted on (or about to be listed) keeps the cursor: a re-read adds rows above
        # it (a restore takes a checkpoint first; the timer takes them), so its index moves.
        selected = self.selected()
        keep = self._select_next or (self._key(selected) if selected is not None else None)
        self._host_of = {id(c): h for c, h in zip(checkpoints, on, strict=True) if h}
        self.checkpoints = list(checkpoints)
        has_any = bool(self.checkpoints)
        table = self.query_one(DataTable)
        had_focus = table.has_focus or self.has_focus
        self.query_one("#checkpoint-empty").display = not has_any
        table.display = has_any
        self.query_one("#checkpoint-diff").display = has_any
        if had_focus:
            (table if has_any else self).focus()
        table.clear()
        for cp in self.checkpoints:
            table.add_row(
                datetime.fromtimestamp(cp.at).strftime("%m-%d %H:%M"),
                # What agents and hosts wrote: shown, never run as escapes or read as markup.
                Text(
                    visible(
                        Path(cp.repo).name + (f"@{self.host_of(cp)}" if self.host_of(cp) else "")
                    )
                ),
                Text(visible(cp.agent or "")),
                Text(visible((cp.message or cp.reason or "\n").splitlines()[0][:50])),
                diffstat(cp),
                key=self._key(cp),
            )
        if keep is not None and keep in wanted:
            if keep == self._select_next:
                self._select_next = None
            if wanted.index(keep) != table.cursor_row:
                table.move_cursor(row=wanted.index(keep), animate=False)

    def select_checkpoint(self, checkpoint_id: int, host: str = "") -> None:
        """Put the cursor on this checkpoint's row: now if listed, else once a re-read lists it
        (one just taken)."""
        key = f"{checkpoint_id}@{host}" if host and host != "local" else str(checkpoint_id)
        keys = [self._key(c) for c in self.checkpoints]
        if key in keys:
            self.query_one(DataTable).move_cursor(row=keys.index(key), animate=False)
        else:
            self._select_next = key

    def wants(self, checkpoint_id: int, host: str = "") -> bool:
        """Is this checkpoint's row the one selected? An answer for another row is stale (the
        cursor moved on while a host was asked): it is dropped."""
        selected = self.selected()
        key = f"{checkpoint_id}@{host}" if host and host != "local" else str(checkpoint_id)
        return selected is None or self._key(selected) == key

    def show_diff(self, checkpoint_id: int, diff: str, host: str = "") -> None:
        if not self.wants(checkpoint_id, host):
            return
        self._diff_for = f"{checkpoint_id}@{host}" if host else str(checkpoint_id)
        self.query_one("#checkpoint-diff-text", Static).update(
            Syntax(visible(diff) or "(no changes)", "diff", theme="ansi_dark", word_wrap=False)
        )

    def show_error(self, message: str) -> None:
        self.query_one("#checkpoint-error", Static).update(Text(visible(message)))

    def diff_failed(self, checkpoint_id: int, host: str, message: str) -> None:
        """The diff could not be had (a host down, its orc gone): say so where the diff goes,
        and forget the row, so selecting it again asks again."""
        if not self.wants(checkpoint_id, host):
            return
        self._diff_for = None
        self.query_one("#checkpoint-diff-text", Static).update(Text(visible(f"no diff: {message}")))

    def on_focus(self) -> None:
        table = self.query_one(DataTable)
        if table.display:
            table.focus()

    def selected(self) -> Checkpoint | None:
        table = self.query_one(DataTable)
        if not self.checkpoints or table.row_count == 0 or table.cursor_row < 0:
            return None
        key = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key.value
        return next((c for c in self.checkpoints if self._key(c) == key), None)

    def host_of(self, checkpoint: Checkpoint) -> str:
        """The host a listed checkpoint was taken on ("" = this machine)."""
        return self._host_of.get(id(checkpoint), "")

    def _key(self, checkpoint: Checkpoint) -> str:
        host = self.host_of(checkpoint)
        return f"{checkpoint.id}@{host}" if host else str(checkpoint.id)

    def _need_selected(self, cp: Checkpoint | None) -> Checkpoint | None:
        """The selected checkpoint; another host's is restored by that host's orc (the app
        routes RestoreRequested.host), as its id names a different checkpoint here."""
        if cp is None:
            self.show_error("select a checkpoint first")
            return None
        return cp

    def _on_host(self, cp: Checkpoint) -> str:
        return f" on {self.host_of(cp)}" if self.host_of(cp) else ""

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        cp = self.selected()
        if cp is None or self._key(cp) == self._diff_for:
            return
        host = self.host_of(cp)
        if host:  # asked of that host's orc: say so while it answers
            self._diff_for = self._key(cp)
            self.query_one("#checkpoint-diff-text", Static).update(
                Text(
                    visible(
                        f"checkpoint {cp.id} of {cp.repo} on {host}: asking {host} for its diff…"
                    )
                )
            )
        self.post_message(self.DiffWanted(cp.id, host))

    # -- actions ------------------------------------------------------------------------------

    def action_restore(self) -> None:
        cp = self._need_selected(self.selected())
        if cp is None:
            return

        # The host now, not when the answer comes: the log re-reads its rows every few seconds,
        # and `cp` is not one of the new rows; asked then, its host would read "" and the
        # checkpoint with the same id HERE would be restored.
        host = self.host_of(cp)

        def done(yes: bool | None) -> None:
            if yes:
                self.post_message(self.RestoreRequested(cp.id, None, host))

        self.app.push_screen(
            ConfirmScreen(
                f"Restore {Path(cp.repo).name}{self._on_host(cp)} to checkpoint "
                f"{cp.commit[:10]}?\n"
                "orc takes a checkpoint of the current state first.",
                "Restore",
                focus_yes=True,  # asked for by `r`; Enter does it (a checkpoint is taken first)
            ),
            done,
        )

    def action_branch(self) -> None:
        cp = self._need_selected(self.selected())
        if cp is None:
            return
        host = self.host_of(cp)  # now (see action_restore)

        def named(answer: dict[str, str] | None) -> None:
            if not answer or not answer["branch"].strip():
                return
            branch = answer["branch"].strip()

            def done(yes: bool | None) -> None:
                if yes:
                    self.post_message(self.RestoreRequested(cp.id, branch, host))

            self.app.push_screen(
                ConfirmScreen(
                    f"Create branch {branch!r}{f' on {host}' if host else ''} at checkpoint "
                    f"{cp.commit[:10]}?",
                    "Create",
                    focus_yes=True,  # asked for twice already (`b`, the name): Enter creates
                ),
                done,
            )

        self.app.push_screen(
            FormScreen(
                "Branch from checkpoint",
                [Field("branch", "New branch name", f"orc/restore-{cp.id}")],
            ),
            named,
        )

    def action_take(self) -> None:
        self.post_message(self.TakeRequested())
