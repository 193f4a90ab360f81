"""Whatever goes wrong with another host is that host's error: one line naming it.

A host may be unreachable, slow, or answer anything at all (core/hosts/remote_answers.py): an
exception raised while asking it (an OrcError, or any other from a parser that met something it
did not expect) must neither print a traceback nor end the loop that follows the host
(core/room/facade.py `_follow_host`); the room shows the line and asks again next time.
"""

from __future__ import annotations

from orc.core.errors import OrcError

MAX_LINE = 300


def host_error(host: str, exc: BaseException) -> str:
    """`exc`, raised while asking `host`, as one line that names the host."""
    if isinstance(exc, TimeoutError) and not str(exc):
        text = "no answer in time"
    elif isinstance(exc, OrcError):
        text = str(exc)
    else:  # not one of orc's own: a bug here, or an answer nothing expected
        text = f"unexpected answer ({type(exc).__name__}: {exc})"
    line = " ".join(text.split()) or type(exc).__name__
    if not line.startswith(f"host {host}"):
        line = f"host {host}: {line}"
    return line if len(line) <= MAX_LINE else line[: MAX_LINE - 1] + "…"
