"""The CLI's one output boundary: everything written to stdout or stderr is `visible`.

Names, commands, screens, notes, diffs and remote hosts' answers all reach the CLI's output by
many paths (tables, `--why` evidence, snapshots, checkpoint logs, error lines); guarding the two
streams once, around the whole command (core/cli/__init__.py), covers every one of them, including
those added later. JSON stays exact: `visible` writes a character as its own JSON escape.
`orc memory screen --ansi` is the one output that keeps colours, via `write_sgr`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from orc.core.terminal_text import sgr_only, visible


class VisibleStream:
    """A text stream that shows control and format characters escaped, then writes them on.

    It has no `buffer`: click then writes to it as a text stream rather than around it.
    """

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def write(self, text: str | bytes) -> int:
        # click.echo hands bytes over as they are (shell completion's script): decoded, guarded
        shown = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        self.stream.write(visible(shown))
        return len(text)

    def write_sgr(self, text: str) -> None:
        """Colours kept (SGR), every other escape shown."""
        self.stream.write(sgr_only(text))

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:  # flush, isatty, encoding, errors, fileno...
        if name == "buffer":  # click would write bytes to it, around the guard
            raise AttributeError(name)
        return getattr(self.stream, name)


@contextmanager
def visible_streams() -> Iterator[None]:
    """sys.stdout and sys.stderr guarded for the duration (and restored: tests call main())."""
    saved = sys.stdout, sys.stderr
    sys.stdout = VisibleStream(saved[0])
    sys.stderr = VisibleStream(saved[1])
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def write_sgr(text: str) -> None:
    """Write `text` to stdout keeping only its SGR sequences (a coloured screen)."""
    out = sys.stdout
    if isinstance(out, VisibleStream):
        out.write_sgr(text)
    else:
        out.write(sgr_only(text))
