"""Secrets out of text that leaves the room: provider keys, tokens, passwords, keys.

Applied to everything that leaves the database: snapshots (`orc snapshot`, the UI's export key),
the notify command's evidence and `orc memory search` output (agents read it into their context).

The rules are data, in core/services/redaction_rules.toml (name, regex, literal hints, the part
kept),
tested against the corpus in tests/fixtures/redaction/corpus.toml. A table of precise shapes and
positions rather than an entropy scanner (detect-secrets and the like): entropy alone flags the git
SHAs, UUIDs and hashes that fill an agent's screen, so entropy is only a condition on a value in a
key-like position (`min_entropy`). A scanner reports lines, whereas a snapshot needs the secret
itself replaced in place, fast (100 panes x 2,000 lines in well under a second: each line rule
runs only where a cheap literal hint of it occurs). A replacement names what was there, e.g.
`[REDACTED:github-token]`, so a reader knows why.
"""

from __future__ import annotations

import functools
import math
import re
import string
import tomllib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

RULES_FILE = "redaction_rules.toml"
SHORTEST_RUN = 32  # the smallest `min_word` a rule may have (one scan of a text serves them all)
_FLAGS = {"ignorecase": re.IGNORECASE, "dotall": re.DOTALL}
FIELDS = frozenset(
    (
        "name",
        "pattern",
        "hints",
        "case_hints",
        "requires",
        "keep",
        "flags",
        "scope",
        "min_entropy",
        "starts",
        "min_word",
    )
)


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: re.Pattern[str]
    hints: tuple[str, ...]  # lower-case literals, one of which must occur for the rule to apply
    keep: str = ""  # name of a group kept verbatim in front of the replacement (e.g. `password=`)
    scope: str = "line"  # line: on hinted lines only; text: the whole text first; last: ...last
    case_hints: tuple[str, ...] = ()  # literals matched case-sensitively, like hints
    min_entropy: float = 0.0  # bits per character the replaced part must reach
    starts: str = ""  # name-part | name-suffix: where in a name the match may start
    requires: tuple[str, ...] = ()  # literals of which one must also occur (e.g. `=` or `:`)
    min_word: int = 0  # runs only around lines holding a run of base64 characters this long


def entropy(text: str) -> float:
    """Shannon entropy in bits per character: ~2-3 for words, 4+ for random base64."""
    if not text:
        return 0.0
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in Counter(text).values())


def load_rules(text: str) -> tuple[Rule, ...]:
    """Rules from TOML (see core/services/redaction_rules.toml); ValueError names a malformed
    rule."""
    rules: list[Rule] = []
    for raw in tomllib.loads(text).get("rule", []):
        rules.append(_rule(raw))
    return tuple(rules)


def _rule(raw: dict[str, Any]) -> Rule:
    name = str(raw.get("name", "?"))
    unknown = set(raw) - FIELDS
    if unknown:
        raise ValueError(f"redaction rule {name}: unknown field {sorted(unknown)[0]}")
    flags = 0
    for flag in raw.get("flags", []):
        flags |= _FLAGS[flag]
    scope = raw.get("scope", "line")
    hints = tuple(h.lower() for h in raw.get("hints", []))
    case_hints = tuple(raw.get("case_hints", []))
    if scope == "last" and (hints or case_hints or not raw.get("min_word")):
        raise ValueError(f"redaction rule {name}: a last rule has min_word and no hints")
    if scope not in ("line", "text", "last") or (scope == "line" and not hints and not case_hints):
        raise ValueError(
            f"redaction rule {name}: a line rule needs hints; scope is line, text or last"
        )
    pattern = re.compile(raw["pattern"], flags)
    keep = raw.get("keep", "")
    if keep and keep not in pattern.groupindex:
        raise ValueError(f"redaction rule {name}: no group named {keep!r}")
    min_word = int(raw.get("min_word", 0))
    if min_word and min_word < SHORTEST_RUN:
        raise ValueError(f"redaction rule {name}: min_word is at least {SHORTEST_RUN}")
    entropy_floor = float(raw.get("min_entropy", 0.0))
    starts = raw.get("starts", "")
    if starts not in ("", "name-part", "name-suffix"):
        raise ValueError(f"redaction rule {name}: starts is name-part or name-suffix")
    return Rule(
        name,
        pattern,
        hints,
        keep,
        scope,
        case_hints=case_hints,
        min_entropy=entropy_floor,
        starts=starts,
        requires=tuple(raw.get("requires", [])),
        min_word=min_word,
    )


_NAME_CHARS = frozenset(string.ascii_letters + string.digits + "_.-")
_SEPARATORS = frozenset("_.-")
_CAMEL_BEFORE = frozenset(string.ascii_lowercase + string.digits)


def starts_ok(starts: str, text: str, at: int) -> bool:
    """Does a match at `at` start a part of a name (see `starts` in
    core/services/redaction_rules.toml)?"""
    before = text[at - 1] if at > 0 else ""
    if before and before in _SEPARATORS:
        return True
    if before and before in _CAMEL_BEFORE and text[at].isupper():
        return True
    return starts == "name-part" and (not before or before not in _NAME_CHARS)


RULES: tuple[Rule, ...] = load_rules(
    (resources.files("orc.core.services") / RULES_FILE).read_text(encoding="utf-8")
)
TEXT_RULES = tuple(r for r in RULES if r.scope == "text")  # before the line rules, in order
LAST_RULES = tuple(r for r in RULES if r.scope == "last")  # after them: shapes without a name
LINE_RULES = tuple(r for r in RULES if r.scope == "line")


def _by_hint(attribute: str) -> dict[str, tuple[int, ...]]:
    """hint -> positions in LINE_RULES of the rules it hints at."""
    found: dict[str, list[int]] = {}
    for i, rule in enumerate(LINE_RULES):
        for hint in getattr(rule, attribute):
            found.setdefault(hint, []).append(i)
    return {hint: tuple(indices) for hint, indices in sorted(found.items())}


HINT_RULES = _by_hint("hints")
CASE_HINT_RULES = _by_hint("case_hints")


@dataclass
class Redactor:
    """Redacts many texts and counts what it replaced, by rule name.

    Speed: the rules' regexes run only on the lines where one of their hints occurs, found with
    str.find (C speed); most of a screen never meets a regex.
    """

    enabled: bool = True
    counts: Counter[str] = field(default_factory=Counter)
    seen: set[str] = field(default_factory=set)  # the secret values replaced so far

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def fragments(self, text: str) -> str:
        """Also replace pieces (8+ characters) of secrets already seen: a screen wrapped by tmux
        can show the tail of a key on its own row, with nothing left that looks like a key."""
        if not self.enabled or not self.seen or not text:
            return text

        def piece(match: re.Match[str]) -> str:
            if any(match.group(0) in secret for secret in self.seen):
                self.counts["fragment"] += 1
                return "[REDACTED:fragment]"
            return match.group(0)

        return _TOKEN.sub(piece, text)

    def excerpt(self, text: str, source: str) -> str:
        """Redact `text`, an excerpt of `source` (a search hit's snippet): the whole source is
        read first, so a secret the excerpt cut (its start, which the rules know it by, left
        outside) is known, and its pieces in the excerpt are replaced as fragments. Only what
        the excerpt holds is counted."""
        if not self.enabled:
            return text
        if source and source != text:
            Redactor(seen=self.seen)(source)  # learns the source's secrets into self.seen
        return self.fragments(self(text))

    def __call__(self, text: str) -> str:
        if not self.enabled or not text:
            return text
        lowered = _lower(text)
        if TEXT_RULES:
            redacted = self._apply(TEXT_RULES, text, lowered)
            if redacted is not text:
                text, lowered = redacted, _lower(redacted)
        # line span -> the rules (by position) whose hints occur on it: a line that only
        # mentions "auth" meets only the assignment rule, not all of them
        spans: dict[tuple[int, int], set[int]] = {}
        for hints, haystack in ((HINT_RULES, lowered), (CASE_HINT_RULES, text)):
            for hint, indices in hints.items():
                at = haystack.find(hint)
                while at >= 0:
                    start = haystack.rfind("\n", 0, at) + 1
                    end = haystack.find("\n", at)
                    end = len(haystack) if end < 0 else end
                    spans.setdefault((start, end), set()).update(indices)
                    at = haystack.find(hint, end)
        if not spans:
            return self._last(text)
        out: list[str] = []
        pos = 0
        for (start, end), found in sorted(spans.items()):
            out.append(text[pos:start])
            rules = tuple(LINE_RULES[i] for i in sorted(found))
            out.append(self._apply(rules, text[start:end], lowered[start:end]))
            pos = end
        out.append(text[pos:])
        return self._last("".join(out))

    def _last(self, text: str) -> str:
        """The catch-all rules, once every named shape has been replaced (and so counted by its
        own name, not as a long token)."""
        return self._apply(LAST_RULES, text, text) if LAST_RULES else text  # no hints to look up

    def _apply(self, rules: tuple[Rule, ...], text: str, lowered: str) -> str:
        for rule in rules:
            hinted = rule.hints or rule.case_hints  # a text rule without hints always runs
            if hinted and not (
                any(h in lowered for h in rule.hints) or any(h in text for h in rule.case_hints)
            ):
                continue
            if rule.requires and not any(r in text for r in rule.requires):
                continue
            before = self.counts[rule.name]
            if rule.min_word:
                new = _near_long_words(rule, text, self._replacer(rule))
            else:
                new = rule.pattern.sub(self._replacer(rule), text)
            if self.counts[rule.name] != before:
                text = new
                lowered = _lower(text)
        return text

    def _replacer(self, rule: Rule) -> Callable[[re.Match[str]], str]:
        marker = f"[REDACTED:{rule.name}]"

        def replace(match: re.Match[str]) -> str:
            kept = match.group(rule.keep) if rule.keep else ""
            secret = match.group(0)[len(kept) :]
            if rule.starts and not starts_ok(rule.starts, match.string, match.start()):
                return match.group(0)
            if rule.min_entropy and entropy(secret) < rule.min_entropy:
                return match.group(0)
            self.seen.add(secret)
            self.counts[rule.name] += 1
            return kept + marker

        return replace


_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def _lower(text: str) -> str:
    """Lower case with the same length (str.lower may lengthen some letters, e.g. 'İ'), so
    positions found in it are positions in `text`."""
    lowered = text.lower()
    return lowered if len(lowered) == len(text) else text.translate(_ASCII_LOWER)


_TOKEN = re.compile(r"[^\s\[\]…]{8,}")  # `…`: where a search snippet cut the text


def _near_long_words(rule: Rule, text: str, replace: Callable[[re.Match[str]], str]) -> str:
    """`rule` applied only to the lines around a line holding a run of `rule.min_word`+ base64
    characters: the line before (a key's context) and two after (a wrapped token's next row, a
    key's short last line and its END line).

    Rules for shapes with no literal to hint at (a key body, a token's tail) would otherwise
    run a regex at every position of every screen. The runs are found on the UTF-8 bytes with
    every other byte made a space (bytes.translate and split run at C speed), so a screen with
    no such run costs about a millisecond per 100 KB, and one with some, a regex over a few
    lines.
    """
    lines_at = _long_run_lines(text, rule.min_word)
    if not lines_at:
        return text
    lines = text.split("\n")
    blocks: list[list[int]] = []  # [first line, last line], neighbours merged
    for i in lines_at:
        first, last = max(i - 1, 0), min(i + 2, len(lines) - 1)
        if blocks and first <= blocks[-1][1] + 1:
            blocks[-1][1] = max(blocks[-1][1], last)
        else:
            blocks.append([first, last])
    out: list[str] = []
    done = 0  # lines already in `out`
    for first, last in blocks:
        out.extend(lines[done:first])
        out.append(rule.pattern.sub(replace, "\n".join(lines[first : last + 1])))
        done = last + 1
    out.extend(lines[done:])
    return "\n".join(out)


_BASE64 = frozenset((string.ascii_letters + string.digits + "+/=_.-\n").encode())
_RUN_BYTES = bytes(b if b in _BASE64 else 0x20 for b in range(256))


def _long_run_lines(text: str, length: int) -> list[int]:
    """Indices of the lines holding a run of `length`+ base64/base64url characters."""
    return [row for row, longest in _runs_by_line(text).items() if longest >= length]


@functools.lru_cache(maxsize=4)
def _runs_by_line(text: str) -> dict[int, int]:
    """line index -> its longest run of base64 characters, for the lines with one of at least
    SHORTEST_RUN. Cached: the rules with `min_word` run one after another on the same text."""
    data = text.encode("utf-8", "surrogatepass").translate(_RUN_BYTES)
    long = {word for word in data.split() if len(word) >= SHORTEST_RUN}
    if not long:
        return {}
    found: list[tuple[int, int]] = []
    for word in long:
        at = data.find(word)
        while at >= 0:
            found.append((at, len(word)))
            at = data.find(word, at + len(word))
    rows: dict[int, int] = {}
    line, counted = 0, 0  # newlines before `counted`
    for at, size in sorted(found):
        line += data.count(b"\n", counted, at)
        counted = at
        rows[line] = max(rows.get(line, 0), size)
    return rows


def redact(text: str) -> tuple[str, int]:
    """One text: the redacted text and how many secrets were replaced."""
    redactor = Redactor()
    return redactor(text), redactor.total
