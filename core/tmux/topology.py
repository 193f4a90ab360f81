"""The whole tmux server's sessions, windows and panes, read with ONE `list-panes -a` call.

Pane options are anyone's to set (`tmux set-option -p @orc-name $'a\\n%9...'`, a hook note), and
tmux prints them raw: newlines, separators and all. So each record starts with a random token
chosen for each call, which no value can contain, and each field with a random mark: a value
cannot start a record or change another pane's fields, whatever it holds.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from orc.core.tmux.client import TmuxClient

# (attribute, format) in output order; @orc-* options carry identity
# (docs/ARCHITECTURE.md, Identity).
FIELDS: tuple[tuple[str, str], ...] = (
    ("session_id", "#{session_id}"),
    ("session_name", "#{session_name}"),
    ("window_id", "#{window_id}"),
    ("window_index", "#{window_index}"),
    ("window_name", "#{window_name}"),
    ("pane_id", "#{pane_id}"),
    ("pane_index", "#{pane_index}"),
    ("pane_pid", "#{pane_pid}"),
    ("current_command", "#{pane_current_command}"),
    ("current_path", "#{pane_current_path}"),
    ("dead", "#{pane_dead}"),
    ("dead_status", "#{pane_dead_status}"),
    ("pane_active", "#{pane_active}"),
    ("window_active", "#{window_active}"),
    ("width", "#{pane_width}"),
    ("height", "#{pane_height}"),
    ("cursor_x", "#{cursor_x}"),
    ("cursor_y", "#{cursor_y}"),
    ("history_size", "#{history_size}"),
    ("window_activity", "#{window_activity}"),
    ("bell", "#{window_bell_flag}"),
    ("orc_name", "#{@orc-name}"),
    ("orc_role", "#{@orc-role}"),
    ("orc_parent", "#{@orc-parent}"),
    ("orc_team", "#{@orc-team}"),
    ("orc_kind", "#{@orc-kind}"),
    # Checkpoint settings: @orc-repo per pane, the others usually set on the team's session
    # (a pane format finds a user option on the pane, its window, its session or globally).
    ("orc_repo", "#{@orc-repo}"),
    ("orc_checkpoint_every", "#{@orc-checkpoint-every}"),
    ("orc_checkpoint_mode", "#{@orc-checkpoint-mode}"),
    # The agent's own last report (`orc hook`, core/agents/hook_events.py): read here for free.
    ("hook_state", "#{@orc-hook-state}"),
    ("hook_event", "#{@orc-hook-event}"),
    ("hook_at", "#{@orc-hook-at}"),
    ("hook_note", "#{@orc-hook-note}"),
    # Set while the agent is stopped on purpose (`orc stop`, core/teams/lifecycle.py).
    ("orc_stopped", "#{@orc-stopped}"),
    # Copy mode (a person scrolling back): keys would drive it, so nothing is typed then.
    ("in_mode", "#{pane_in_mode}"),
)


# orc's own control-mode sessions (core/tmux/control.py): a silent `sleep`, never an agent.
HIDDEN_PREFIX = "_orc-ctl"


def new_token() -> str:
    """A per-call record mark: 64 random bits, unknown to anything that sets a pane option."""
    return f"orc{secrets.token_hex(8)}"


# Fields are marked per process, records per call: a value that held the field mark could only
# break its own record, so this one may be short and stable, and a record's text stays the same
# from one call to the next while the pane does (parse_record caches on it).
_FIELD = f"\x1f{secrets.token_hex(2)}"


# A pane's foreground command and folder cost tmux two /proc reads per pane, a third of a
# 1,000-pane topology: a refresh may take them from an earlier read (parse_light_topology).
SLOW_FIELDS = frozenset({"current_command", "current_path"})


def topology_format(token: str, slow: bool = True) -> str:
    """One record per pane: `<token>\\x1e`, then each field after a field mark (`slow`: all
    fields; else the SLOW_FIELDS are left empty)."""
    return f"{token}\x1e" + "".join(
        f"{_FIELD}{fmt if slow or name not in SLOW_FIELDS else ''}" for name, fmt in FIELDS
    )


def topology_command(token: str, slow: bool = True) -> list[str]:
    return ["list-panes", "-a", "-F", topology_format(token, slow)]


@dataclass(frozen=True, slots=True)
class Pane:
    session_id: str
    session_name: str
    window_id: str
    window_index: int
    window_name: str
    pane_id: str
    pane_index: int
    pane_pid: int
    current_command: str
    current_path: str
    dead: bool
    dead_status: str
    pane_active: bool
    window_active: bool
    width: int
    height: int
    cursor_x: int
    cursor_y: int
    history_size: int
    window_activity: int
    bell: bool
    orc_name: str
    orc_role: str
    orc_parent: str
    orc_team: str
    orc_kind: str
    orc_repo: str
    orc_checkpoint_every: str
    orc_checkpoint_mode: str
    hook_state: str = ""
    hook_event: str = ""
    hook_at: str = ""
    hook_note: str = ""
    orc_stopped: str = ""
    in_mode: bool = False

    @property
    def target(self) -> str:
        """Human-readable `session:window.pane` address."""
        return f"{self.session_name}:{self.window_index}.{self.pane_index}"

    @property
    def managed(self) -> bool:
        return bool(self.orc_name)

    @property
    def change_signature(self) -> tuple[int, int, int, int, int, bool]:
        """What cheaply betrays new output without capturing the pane."""
        return (
            self.window_activity,
            self.history_size,
            self.cursor_x,
            self.cursor_y,
            self.width * 10000 + self.height,
            self.dead,
        )


_INT = {
    "window_index",
    "pane_index",
    "pane_pid",
    "width",
    "height",
    "cursor_x",
    "cursor_y",
    "history_size",
    "window_activity",
}
_BOOL = {"dead", "pane_active", "window_active", "bell", "in_mode"}


# ASCII digits only, and not too many: `str.isdigit` also takes '²' and '٣', which `int` refuses
# or reads, and a hostile host's tmux (core/hosts/remote_tmux.py) may print anything there.
_NUMBER = re.compile(r"-?[0-9]{1,15}")


def _number(raw: str) -> int:
    return int(raw) if _NUMBER.fullmatch(raw) else 0


_CONVERT = tuple(
    _number if name in _INT else (lambda raw: raw == "1") if name in _BOOL else None
    for name, _ in FIELDS
)
_parsed: dict[str, Pane] = {}  # record text -> its Pane: most panes print the same each refresh
_merged: dict[tuple[str, str, str], Pane] = {}  # (record, command, path) -> Pane, for `since`


def parse_record(record: str) -> Pane | None:
    """One pane's record (what follows its record mark); None if it is not whole."""
    known = _parsed.get(record)
    if known is not None:
        return known
    empty, *parts = record.split(_FIELD)
    if empty or len(parts) != len(FIELDS):
        return None
    parts[-1] = parts[-1].removesuffix("\n")
    values: list[Any] = [
        raw if c is None else c(raw) for c, raw in zip(_CONVERT, parts, strict=True)
    ]
    pane = Pane(*values)
    _parsed[record] = pane
    return pane


@dataclass(frozen=True)
class Topology:
    panes: tuple[Pane, ...]
    _index: dict[str, Pane] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {pane.pane_id: pane for pane in self.panes})

    def __iter__(self) -> Iterator[Pane]:
        return iter(self.panes)

    def __len__(self) -> int:
        return len(self.panes)

    def by_id(self, pane_id: str) -> Pane | None:
        return self._index.get(pane_id)

    def managed(self) -> list[Pane]:
        return [p for p in self.panes if p.managed]


async def read_topology(client: TmuxClient) -> Topology:
    """One tmux round trip; an absent server is an empty topology, not an error."""
    token = new_token()
    result = await client.run_chain([topology_command(token)], check=False, read_only=True)
    if result.returncode != 0:
        return Topology(())
    return parse_topology(result.stdout, token)


def parse_topology(text: str, token: str) -> Topology:
    """The panes in `list-panes` output made with `topology_format(token)`.

    Text before the first record is ignored; a pane id seen twice keeps its first record (tmux
    prints each pane once, so a second one could only be forged).
    """
    topo = _parse(text, token, None)
    assert topo is not None  # only a `since` can leave a pane unknown
    return topo


def parse_light_topology(text: str, token: str, since: Topology) -> Topology | None:
    """Output made with `topology_format(token, slow=False)`, its SLOW_FIELDS taken from `since`.

    None if a pane is not in `since` as the same process (new, respawned, died): read it all.
    """
    return _parse(text, token, since)


def _parse(text: str, token: str, since: Topology | None) -> Topology | None:
    records = text.split(f"{token}\x1e")[1:]
    panes: dict[str, Pane] = {}
    for record in records:
        pane = parse_record(record)
        if pane is None or pane.pane_id in panes or pane.session_name.startswith(HIDDEN_PREFIX):
            continue
        if since is not None:
            before = since.by_id(pane.pane_id)
            if before is None or (before.pane_pid, before.dead) != (pane.pane_pid, pane.dead):
                return None
            key = (record, before.current_command, before.current_path)
            merged = _merged.get(key)
            if merged is None:
                merged = _merged[key] = replace(
                    pane, current_command=before.current_command, current_path=before.current_path
                )
            pane = merged
        panes[pane.pane_id] = pane
    if len(_parsed) + len(_merged) > 8 * len(panes) + 512:
        _parsed.clear()  # records of panes that changed since: start again from the next call
        _merged.clear()
    return Topology(tuple(panes.values()))
