"""Panes as tmux would describe them, for classifying fixture screens without a live pane.

A fixture screen carries only what was on screen; what tmux knows besides (the running program,
whether the pane is dead) follows from the fixture's name: `exited-dead-*` is a dead pane,
`exited-shell-*` a shell where the agent was, a shell's `working-*` runs `sleep`; a `.cursor`
file next to a screen ("X Y") says where the cursor was.
"""

from __future__ import annotations

from pathlib import Path

from orc.core.tmux.topology import Pane

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "screens"
PROGRAM = {"claude": "claude", "codex": "codex", "gemini": "node", "aider": "aider"}


def make_pane(
    kind: str,
    *,
    pane_id: str = "%1",
    name: str = "eng-1",
    command: str | None = None,
    dead: bool = False,
    height: int = 0,
    bell: bool = False,
    cursor_y: int = 0,
    hook: tuple[str, str, str, str] = ("", "", "", ""),
) -> Pane:
    if command is None:
        command = "bash" if kind == "shell" else PROGRAM.get(kind, "python3")
    return Pane(
        session_id="$1",
        session_name="team",
        window_id="@1",
        window_index=1,
        window_name=name,
        pane_id=pane_id,
        pane_index=0,
        pane_pid=0,  # no process: the kind comes from the names alone
        current_command=command,
        current_path="/tmp",
        dead=dead,
        dead_status="3" if dead else "",
        pane_active=True,
        window_active=True,
        width=100,
        height=height,
        cursor_x=0,
        cursor_y=cursor_y,
        history_size=0,
        window_activity=0,
        bell=bell,
        orc_name=name,
        orc_role="engineer",
        orc_parent="",
        orc_team="team",
        orc_kind=kind,
        orc_repo="",
        orc_checkpoint_every="",
        orc_checkpoint_mode="",
        hook_state=hook[0],
        hook_event=hook[1],
        hook_at=hook[2],
        hook_note=hook[3],
    )


def fixture_pane(path: Path) -> Pane:
    kind = path.parent.name
    stem = path.stem
    if stem.startswith("exited-dead"):
        return make_pane(kind, dead=True)
    if stem.startswith("exited-shell"):
        return make_pane(kind, command="bash")
    if kind == "shell" and stem.startswith("working"):
        return make_pane(kind, command="sleep")
    cursor = path.with_suffix(".cursor")
    if cursor.exists():  # where the cursor was, for screens whose meaning depends on it
        return make_pane(kind, cursor_y=int(cursor.read_text(encoding="utf-8").split()[1]))
    return make_pane(kind)


def fixture_files() -> list[Path]:
    return sorted(FIXTURES.glob("*/*.txt"))
