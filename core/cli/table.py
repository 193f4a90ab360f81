"""Plain-text tables for the CLI's human-readable output (`--json` gives the machine form)."""

from __future__ import annotations

from orc.core.terminal_text import visible


def render_table(rows: list[dict[str, str]], empty: str) -> str:
    """Columns from the first row's keys, upper-cased headers, padded to the widest cell."""
    if not rows:
        return empty
    # Escaped before measuring (the CLI's streams would escape them anyway, after the padding
    # was counted): a hostile name keeps its columns in line (core/terminal_text.py).
    rows = [{c: visible(v) for c, v in r.items()} for r in rows]
    columns = list(rows[0])
    widths = {c: max(len(c), *(len(r[c]) for r in rows)) for c in columns}
    lines = ["  ".join(c.upper().ljust(widths[c]) for c in columns).rstrip()]
    lines += ["  ".join(r[c].ljust(widths[c]) for c in columns).rstrip() for r in rows]
    return "\n".join(lines)
