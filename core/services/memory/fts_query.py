"""What a person types into memory search, made into an FTS5 query.

FTS5 syntax is kept (AND, OR, NOT, NEAR, "phrases", prefix*, parentheses), but a bare word that
FTS5 would reject only for its punctuation (`eng-2`, `login.py`, `14:05`, `user@host`) is quoted
as a phrase, since that is surely what was meant. A query still malformed after that (an
unclosed quote, a dangling AND) is reported as bad input by the caller.
"""

from __future__ import annotations

import re

from orc.core.errors import BadInput

_OPERATORS = {"AND", "OR", "NOT"}
_BAREWORD = re.compile(r"^[\w\x80-\U0010ffff]+\*?$")
_TOKEN = re.compile(r'"[^"]*"?|[^\s"]+')


def fts_query(text: str) -> str:
    text = text.strip()
    if not text:
        raise BadInput("empty search query")
    out: list[str] = []
    for token in _TOKEN.findall(text):
        if token.startswith('"') or token in _OPERATORS or token.startswith("NEAR("):
            out.append(token)
            continue
        lead = re.match(r"^[(^+]*", token).group(0)  # type: ignore[union-attr]
        trail = re.search(r"\)*$", token).group(0)  # type: ignore[union-attr]
        core = token[len(lead) : len(token) - len(trail)]
        if core and not _BAREWORD.fullmatch(core) and core not in _OPERATORS:
            core = '"' + core.replace('"', "") + '"'
        out.append(lead + core + trail)
    return " ".join(out)
