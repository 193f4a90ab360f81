"""`TARGET@HOST`: a target on another machine (`NAME@HOST`, `%N@HOST`, `session:win.pane@HOST`).

Host names follow the agent-name rule (core/hosts/host_config.py `NAME`), which has no '@', so
the LAST '@' separates the host; `@local` (or no '@') is this machine.
"""

from __future__ import annotations

from orc.core.errors import BadInput
from orc.core.hosts.host_config import LOCAL, NAME


def split_target(target: str) -> tuple[str, str]:
    """(the target as its host knows it, the host's name; "" for this machine)."""
    target = target.strip()
    head, sep, host = target.rpartition("@")
    if not sep:
        return target, ""
    if not head:
        raise BadInput(f"target {target!r}: nothing before '@{host}'")
    if not NAME.fullmatch(host):
        raise BadInput(f"target {target!r}: {host!r} is not a host name")
    return head, "" if host == LOCAL else host


def qualify(target: str, host: str) -> str:
    """`target@host`, or `target` itself on this machine."""
    return f"{target}@{host}" if host and host != LOCAL else target
