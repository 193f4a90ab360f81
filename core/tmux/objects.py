"""Configuring tmux through libtmux's object API: the server and the options of sessions and panes.

What orc does once per action (naming an adopted pane, tagging a team's session, remembering
where the demo lives) reads best as typed objects: `Server`, `Session`, `Pane`, `set_option`.
Two things stay elsewhere on purpose:

- the hot path (refresh, capture, delivery checks) goes through the batched client
  (core/tmux/client.py), because every libtmux call forks tmux once and a refresh must be one
  fork for the whole room;
- programs start from an exact argv in core/tmux/spawn.py (`respawn-pane -- argv...`): libtmux's
  `new_window(window_shell=...)` takes one string that tmux hands to a shell.

Each call blocks for a tmux fork or two, so async callers run these with `asyncio.to_thread`.
libtmux's errors come back as TmuxError: one line for the CLI, never a traceback.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from libtmux import Pane, Server, Session
from libtmux.constants import OptionScope
from libtmux.exc import LibTmuxException

from orc.core.errors import TmuxError
from orc.core.tmux.client import TmuxServerAddress

T = TypeVar("T")
_OBJECT_ERRORS = (LibTmuxException, ValueError)


def server_of(address: TmuxServerAddress) -> Server:
    """The libtmux Server for an address (-S path, -L name, or the default server)."""
    if address.socket_path:
        return Server(socket_path=address.socket_path)
    return Server(socket_name=address.socket_name)


def _tmux(what: str, call: Callable[[], T]) -> T:
    try:
        return call()
    except _OBJECT_ERRORS as exc:
        raise TmuxError(f"tmux: {what}: {exc}") from None


def _apply(obj: Pane | Session | Server, options: Mapping[str, str], **scope: object) -> None:
    """Set each option; an empty value unsets it, so a cleared field leaves no stale value."""
    for name, value in options.items():
        if value:
            obj.set_option(name, value, **scope)  # type: ignore[arg-type]
        else:
            obj.unset_option(name, ignore_errors=True, **scope)  # type: ignore[arg-type]


def set_pane_options(address: TmuxServerAddress, pane_id: str, options: Mapping[str, str]) -> None:
    """Pane user options (`set-option -p`), e.g. the `@orc-*` identity of an adopted pane."""

    def run() -> None:
        pane = Pane.from_pane_id(server=server_of(address), pane_id=pane_id)
        _apply(pane, options, scope=OptionScope.Pane)

    _tmux(f"set options on pane {pane_id}", run)


def set_session_options(
    address: TmuxServerAddress, session_name: str, options: Mapping[str, str]
) -> None:
    """Options of the session named exactly `session_name` (never a prefix match)."""

    def run() -> None:
        server = server_of(address)
        session = next((s for s in server.sessions if s.session_name == session_name), None)
        if session is None:
            raise TmuxError(f"tmux: no session named {session_name!r}")
        _apply(session, options, scope=OptionScope.Session)

    _tmux(f"set options on session {session_name!r}", run)


def set_global_options(address: TmuxServerAddress, options: Mapping[str, str]) -> None:
    """Global session options (`set-option -g`): facts about the whole server."""
    _tmux(
        "set global options",
        lambda: _apply(server_of(address), options, global_=True, scope=OptionScope.Session),
    )


def global_option(address: TmuxServerAddress, name: str) -> str:
    """A global option's value; '' when it is unset or no server runs."""
    server = server_of(address)
    try:
        if not server.is_alive():
            return ""
        value = server.show_option(
            name, global_=True, scope=OptionScope.Session, ignore_errors=True
        )
    except _OBJECT_ERRORS:
        return ""
    return "" if value is None else str(value)
