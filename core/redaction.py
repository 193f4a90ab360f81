"""Secrets out of text that leaves the room (snapshots): provider keys, tokens, passwords, keys.

A table of precise shapes rather than an entropy scanner (detect-secrets and the like): entropy
rules flag git SHAs, UUIDs and hashes that fill an agent's screen, and a scanner reports lines,
whereas a snapshot needs the secret itself replaced in place, fast (100 panes x 2,000 lines in
well under a second: each rule runs only when a cheap literal hint of it is present).
A replacement names what was there, e.g. `[REDACTED:github-token]`, so a reader knows why.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: re.Pattern[str]
    hints: tuple[str, ...]  # lower-case literals, one of which must occur for the rule to apply
    keep: str = ""  # name of a group kept verbatim in front of the replacement (e.g. `password=`)


def _rule(name: str, regex: str, hints: tuple[str, ...], keep: str = "", flags: int = 0) -> Rule:
    return Rule(name, re.compile(regex, flags), hints, keep)


# Order matters: specific provider shapes first, generic assignments last, so a
# `OPENAI_API_KEY=sk-...` is counted once, as an OpenAI key.
RULES: tuple[Rule, ...] = (
    _rule(
        "private-key",
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
        r"(?:.*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|.*\Z)",
        ("-----begin",),
        flags=re.DOTALL,
    ),
    _rule("anthropic-key", r"\bsk-ant-[A-Za-z0-9_-]{20,}", ("sk-ant-",)),
    _rule("openai-key", r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}", ("sk-",)),
    _rule("stripe-key", r"\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}", ("k_live_", "k_test_")),
    _rule(
        "github-token",
        r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    ),
    _rule("gitlab-token", r"\bglpat-[A-Za-z0-9_-]{20,}", ("glpat-",)),
    _rule(
        "aws-access-key",
        r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b",
        ("akia", "asia", "abia", "acca"),
    ),
    _rule("slack-token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}", ("xox",)),
    _rule(
        "slack-webhook",
        r"https://hooks\.slack\.com/services/[A-Za-z0-9/_-]{20,}",
        ("hooks.slack.com",),
    ),
    _rule("google-api-key", r"\bAIza[0-9A-Za-z_-]{35}", ("aiza",)),
    _rule("google-oauth-token", r"\bya29\.[0-9A-Za-z_-]{20,}", ("ya29.",)),
    _rule("huggingface-token", r"\bhf_[A-Za-z0-9]{30,}", ("hf_",)),
    _rule("npm-token", r"\bnpm_[A-Za-z0-9]{36}\b", ("npm_",)),
    _rule("jwt", r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}", ("eyj",)),
    _rule(
        "bearer-token",
        r"(?P<keep>\b(?:[Bb]earer|BEARER|[Aa]uthorization:\s*(?:Basic|Token))\s+)"
        r"[A-Za-z0-9._~+/=-]{16,}",
        ("bearer", "authorization"),
        keep="keep",
    ),
    _rule(
        "url-password",
        r"(?P<keep>\b[a-z][a-z0-9+.-]*://[^\s:/@\[\]]+:)[^\s@/\[\]]{3,}(?=@)",
        ("://",),
        keep="keep",
    ),
    _rule(
        "password-assignment",
        # key (an identifier naming a secret), `=` or `:`, then a value: quoted, or a run of
        # non-space characters. `max_tokens=4096` and `password reset` are left alone.
        r"(?P<keep>(?<![\w.-])[\w.-]*(?:passw(?:or)?d|passphrase|pwd|secret|api[_-]?key|"
        r"access[_-]?key|auth[_-]?token|access[_-]?token|refresh[_-]?token|private[_-]?key|"
        r"client[_-]?secret|token(?!s|iz)|credentials?)[\w-]*[\"']?\s*(?:=|:)\s*)"
        r"(?!\[REDACTED)(?:\"[^\"\n]{3,}\"|'[^'\n]{3,}'|[^\s\"',;]{3,})",
        ("pass", "pwd", "secret", "key", "token", "credential"),
        keep="keep",
        flags=re.IGNORECASE,
    ),
)


MULTILINE = RULES[0]  # private-key blocks span lines; every other shape lies within one line
LINE_RULES = RULES[1:]
HINTS = tuple(sorted({h for rule in LINE_RULES for h in rule.hints}))


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

    def __call__(self, text: str) -> str:
        if not self.enabled or not text:
            return text
        lowered = _lower(text)
        if "-----begin" in lowered:
            text = self._apply((MULTILINE,), text, lowered)
            lowered = _lower(text)
        spans: set[tuple[int, int]] = set()
        for hint in HINTS:
            at = lowered.find(hint)
            while at >= 0:
                start = lowered.rfind("\n", 0, at) + 1
                end = lowered.find("\n", at)
                end = len(lowered) if end < 0 else end
                spans.add((start, end))
                at = lowered.find(hint, end)
        if not spans:
            return text
        out: list[str] = []
        pos = 0
        for start, end in sorted(spans):
            out.append(text[pos:start])
            out.append(self._apply(LINE_RULES, text[start:end], lowered[start:end]))
            pos = end
        out.append(text[pos:])
        return "".join(out)

    def _apply(self, rules: tuple[Rule, ...], text: str, lowered: str) -> str:
        for rule in rules:
            if not any(h in lowered for h in rule.hints):
                continue
            text, n = rule.pattern.subn(self._replacer(rule), text)
            if n:
                self.counts[rule.name] += n
                lowered = _lower(text)
        return text

    def _replacer(self, rule: Rule) -> Callable[[re.Match[str]], str]:
        marker = f"[REDACTED:{rule.name}]"

        def replace(match: re.Match[str]) -> str:
            kept = match.group(rule.keep) if rule.keep else ""
            self.seen.add(match.group(0)[len(kept) :])
            return kept + marker

        return replace


_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def _lower(text: str) -> str:
    """Lower case with the same length (str.lower may lengthen some letters, e.g. 'İ'), so
    positions found in it are positions in `text`."""
    lowered = text.lower()
    return lowered if len(lowered) == len(text) else text.translate(_ASCII_LOWER)


_TOKEN = re.compile(r"[^\s\[\]]{8,}")


def redact(text: str) -> tuple[str, int]:
    """One text: the redacted text and how many secrets were replaced."""
    redactor = Redactor()
    return redactor(text), redactor.total
