"""Starting programs in new tmux windows with an identity, from an argv list (never a shell string).

libtmux's `new_window(window_shell=...)` takes one string that tmux hands to a shell, so windows
that run agents are created here with tmux's argv form (`new-window -- prog arg...`) instead.
tmux execs two or more words directly, but hands a single word to `sh -c`, expands formats
(`#{...}`, `#(shell command)`) in a window name, session name and start directory, and ends a
command at a word ending in ';' (TmuxClient escapes that). So a one-word argv goes through
`EXEC_WRAPPER`, and names and directories are escaped: the program gets exactly its argv.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from orc.core.errors import TmuxError
from orc.core.tmux.client import TmuxClient

PLACEHOLDER = ("sleep", "2147483647")  # holds a new pane until its options are set

# Not a shell: `nice -n 0 -- WORD` changes nothing (same priority, same environment, unlike
# `env`, which would take a WORD containing '=' for a variable) and execs WORD as it is, so a
# one-word argv reaches tmux as several words and is never given to `sh -c`.
EXEC_WRAPPER = (shutil.which("nice") or "nice", "-n", "0", "--")


def exact_argv(argv: Sequence[str]) -> list[str]:
    """The words to give tmux after `--` so that the program runs with exactly `argv`."""
    words = list(argv)
    if not words:
        raise ValueError("an empty argv")
    return [*EXEC_WRAPPER, *words] if len(words) == 1 else words


def format_literal(text: str) -> str:
    """`text` in a place where tmux expands formats (`-n`, `-s`, `-c`), kept as it is."""
    return text.replace("#", "##")


@dataclass(frozen=True)
class Identity:
    """The `@orc-*` pane options that make a pane an agent (docs/ARCHITECTURE.md, Identity)."""

    name: str
    role: str = ""
    parent: str = ""
    team: str = ""
    kind: str = ""
    repo: str = ""  # the git repo this agent's checkpoints cover

    def options(self) -> dict[str, str]:
        return {
            "@orc-name": self.name,
            "@orc-role": self.role,
            "@orc-parent": self.parent,
            "@orc-team": self.team,
            "@orc-kind": self.kind,
            "@orc-repo": self.repo,
        }


@dataclass(frozen=True)
class WindowSpec:
    session: str
    window_name: str
    argv: Sequence[str]
    cwd: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    width: int = 200
    height: int = 50


async def session_exists(client: TmuxClient, session: str) -> bool:
    result = await client.run("has-session", "-t", f"={session}", check=False)
    return result.returncode == 0


async def spawn_window(
    client: TmuxClient, spec: WindowSpec, identity: Identity | None = None
) -> str:
    """Create the window (and the session if needed); return the new pane id."""
    [pane_id] = await spawn_windows(client, [(spec, identity)])
    return pane_id


async def spawn_windows(
    client: TmuxClient,
    windows: Sequence[tuple[WindowSpec, Identity | None]],
    created: list[str] | None = None,
) -> list[str]:
    """Create many windows (and their sessions) in two tmux round trips; return the pane ids.

    Each window starts on a placeholder, gets `remain-on-exit` and its identity, and only then
    is respawned with the real program: a program that exits at once still leaves a dead pane to
    show, never a window that vanished before its options were set. The ids of the panes made
    so far are appended to `created` as they are known, so a caller can undo a partial start.
    """
    if not windows:
        return []
    sessions = {spec.session for spec, _ in windows}
    missing = {name for name in sessions if not await session_exists(client, name)}
    makes: list[list[str]] = []
    for spec, _ in windows:
        where = ["-P", "-F", "#{pane_id}", "-n", format_literal(spec.window_name)]
        if spec.session in missing:
            missing.discard(spec.session)
            size = ["-x", str(spec.width), "-y", str(spec.height)]
            make = ["new-session", "-d", "-s", format_literal(spec.session), *size, *where]
        else:
            make = ["new-window", "-d", "-t", f"={spec.session}:", *where]
        makes.append([*make, "--", *PLACEHOLDER])
    result = await client.run_chain(makes, check=False)
    pane_ids = [line for line in result.stdout.splitlines() if line.startswith("%")]
    if created is not None:
        created.extend(pane_ids)
    if result.returncode != 0 or len(pane_ids) != len(windows):
        failed = windows[min(len(pane_ids), len(windows) - 1)][0].window_name
        reason = result.stderr.strip() or "tmux did not report the new pane"
        raise TmuxError(f"could not create the window {failed!r}: {reason}")
    starts: list[list[str]] = []
    for (spec, identity), pane_id in zip(windows, pane_ids, strict=True):
        starts.append(["set-option", "-w", "-t", pane_id, "remain-on-exit", "on"])
        if identity is not None:
            starts += set_identity_commands(pane_id, identity)
        respawn = ["respawn-pane", "-k", "-t", pane_id]
        if spec.cwd:
            respawn += ["-c", format_literal(spec.cwd)]
        for key, value in spec.env.items():
            respawn += ["-e", f"{key}={value}"]
        starts.append([*respawn, "--", *exact_argv(spec.argv)])
    await client.run_chain(starts)
    return pane_ids


def set_identity_commands(pane_id: str, identity: Identity) -> list[list[str]]:
    return [
        ["set-option", "-p", "-t", pane_id, key, value]
        for key, value in identity.options().items()
        if value
    ]


async def set_identity(client: TmuxClient, pane_id: str, identity: Identity) -> None:
    """Give an existing pane an identity: pane options only, nothing else changes."""
    await client.run_chain(set_identity_commands(pane_id, identity))
