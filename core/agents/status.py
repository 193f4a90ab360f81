"""Agent state you can trust: every verdict names the rule or event that decided it and the
evidence (the matched line), so a wrong state can be explained and fixed.

Evidence is weighed in this order:
0. `orc stop` (pane option @orc-stopped, rule `orc:stopped`): the agent was ended on purpose and
   its pane shows orc's stopped screen, so nothing on it is the agent's.
1. death: the pane is dead, or a shell runs where an agent is expected (`tmux:*`). A hook cannot
   report its own process's death, so this one signal outranks even the agent's own events.
2. the agent's own hook events (`hook:*`, see core/agents/hook_events.py), carried in pane options.
   One exception keeps a stale hook from pinning the state: a working rule (a spinner) on a
   screen that changed after the event says `working`, as hooks set up only in part would not.
3. screen rules (`<kind>:<rule>`): the kind's pattern pack over regions of the plain screen;
   for a shell pane, tmux's current command says `working` unless a rule saw a question.
4. how long the screen has been still: a changing screen is `working` (for a pack with an
   `[input]` line, output arriving above it is `working` even under an idle prompt:
   `screen:streaming`); a still one that nothing
   recognises is `unknown` (a rung bell makes it `waiting`), never a guessed `idle`. A settled
   state (idle, waiting, error) survives a changing unrecognised screen for CHANGE_CONFIRM
   seconds (rule `debounce:change`): a capture can catch a TUI half-way through a redraw.

Going to `working`, `waiting` or `error` is immediate. Going to `idle` is debounced: the idle
prompt must stay unchanged for the pack's `idle_after` seconds, and until then the previous state
holds (rule `debounce:idle`). The screen rules' verdict is cached per screen text, so a refresh
where nothing changed costs a dictionary lookup per pane.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from orc.core.agents.agent_kind import guess_kind, is_shell
from orc.core.agents.input_line import transcript
from orc.core.agents.pattern_packs import Pack, Rule, load_packs
from orc.core.agents.process_kind import kind_of_pane, shell_in_front
from orc.core.agents.screen_text import line_at, region, strip_ansi, visible_lines
from orc.core.room_state import AgentStatus, Transition
from orc.core.tmux.topology import Pane

__all__ = ["STATES", "AgentStatus", "StatusDetector", "kind_of_pane", "match_screen"]

STATES = ("working", "idle", "waiting", "exited", "error", "unknown", "stopped")
CACHE_SIZE = 4096  # screen verdicts kept: several refreshes' worth for hundreds of panes
EVIDENCE_MAX = 200
CHANGE_CONFIRM = 0.5  # seconds an unrecognised, changing screen must last to unsettle a state
SETTLED = ("idle", "waiting", "error")
# Seconds after a hook event during which the screen cannot overrule it: Claude runs its Stop
# hook a moment before it redraws without the spinner.
HOOK_GRACE = 1.0


@dataclass(frozen=True, slots=True)
class ScreenVerdict:
    """What the pack's rules say about one screen, before time is taken into account."""

    state: str  # a rule's state, or "" when no rule matched
    rule: str
    line: str  # the matched line, or the last non-blank line when nothing matched
    # where the match starts among the visible lines (-1: no match). What is above it tells
    # one prompt from the next that asks the same question (core/agents/answer.py).
    at: int = -1


def _clip(text: str) -> str:
    return text if len(text) <= EVIDENCE_MAX else text[: EVIDENCE_MAX - 1] + "…"


def match_screen(pack: Pack, screen: str, height: int = 0) -> ScreenVerdict:
    """Apply a pack to one captured screen: the first matching rule, with its line."""
    lines = visible_lines(screen, height)
    texts: dict[tuple[str, bool], str] = {}
    for rule in pack.rules:
        text = texts.get((rule.region, rule.join))
        if text is None:
            parts = region(lines, rule.region)
            text = texts[(rule.region, rule.join)] = ("" if rule.join else "\n").join(parts)
        for found in rule.regex.finditer(text):
            if rule.unless_below is not None and _stale(rule, lines, text, found.start()):
                continue
            part = region(lines, rule.region)
            offset = 0 if rule.region.startswith("top:") else len(lines) - len(part)
            if rule.join:
                row = _joined_row(part, found.start())
                last = _joined_row(part, max(found.start(), found.end() - 1))
                line = " ".join(part[row : last + 1])
            else:
                row = text.count("\n", 0, found.start())
                line = line_at(text, found.start())
            return ScreenVerdict(rule.state, f"{pack.kind}:{rule.name}", _clip(line), offset + row)
    return ScreenVerdict("", "", _clip(lines[-1].strip()) if lines else "")


def _joined_row(parts: list[str], at: int) -> int:
    """The row of a joined region where position `at` lies. The evidence is the rows the match
    spans (a lookahead can require what follows, such as a spinner, without making it part of
    the evidence: a spinner's frame would make every look a new prompt)."""
    for i, part in enumerate(parts):
        if at < len(part):
            return i
        at -= len(part)
    return max(0, len(parts) - 1)


def _cursor_below_text(pane: Pane, screen: str) -> bool:
    """Whether the pane's cursor is on a row under the last one with text."""
    rows = screen.split("\n")
    if rows and rows[-1] == "":
        rows.pop()
    if pane.height > 0 and len(rows) > pane.height:
        rows = rows[-pane.height :]
    last = max((i for i, row in enumerate(rows) if strip_ansi(row).strip()), default=-1)
    return last >= 0 and pane.cursor_y > last


def _stale(rule: Rule, lines: list[str], text: str, at: int) -> bool:
    """Whether a line below the match (anywhere on the visible screen) shows a later turn."""
    assert rule.unless_below is not None
    size = text.count("\n") + 1
    offset = 0 if rule.region.startswith("top:") else len(lines) - size
    index = offset + text.count("\n", 0, at)
    return any(rule.unless_below.search(line) for line in lines[index + 1 :])


def hook_status(pane: Pane) -> AgentStatus | None:
    """The agent's own last report, from the pane options `orc hook` sets."""
    if not pane.hook_state or pane.hook_state not in STATES:
        return None
    try:
        at = float(pane.hook_at)
    except ValueError:
        at = 0.0
    return AgentStatus(
        pane.hook_state, f"hook:{pane.hook_event or pane.hook_state}", pane.hook_note, at
    )


def _named(shell: str, pane: Pane) -> str:
    """The shell, and the name it gave itself when that differs (`exec -a claude bash`)."""
    if shell == pane.current_command:
        return shell
    return f"{shell} (calling itself {pane.current_command!r})"


class StatusDetector:
    """Keeps per-pane memory so states can be debounced across refreshes.

    `local`: the panes are this machine's, so their processes can be looked at in /proc
    (core/agents/process_kind.py); another host's pane ids and pids mean nothing here, and its
    panes are judged by what its tmux says (its own orc checks its own processes on a send)."""

    def __init__(self, packs: dict[str, Pack] | None = None, *, local: bool = True) -> None:
        self.packs = load_packs() if packs is None else packs
        self.local = local
        self._last: dict[str, AgentStatus] = {}
        # Keyed by the screen's hash, not its text: str caches its hash, so an unchanged screen
        # (the same object refresh after refresh) costs no rehashing, and no screens are kept.
        self._cache: dict[tuple[str, int, int], ScreenVerdict] = {}
        self._transitions: list[Transition] = []
        self._odd_since: dict[str, float] = {}  # pane -> when its screen stopped matching rules
        # pane -> (hash of the screen last looked at, its transcript, when the transcript changed)
        self._transcripts: dict[str, tuple[int, tuple[str, ...], float]] = {}

    def kind_of(self, pane: Pane) -> str:
        if self.local:
            return kind_of_pane(pane)
        return pane.orc_kind or guess_kind(pane.current_command)

    def shell_in_front(self, pane: Pane) -> str:
        """The shell in the pane's foreground, "" when none (whatever argv[0] it gave itself)."""
        if self.local:
            return shell_in_front(pane)
        return pane.current_command if is_shell(pane.current_command) else ""

    def pack_for(self, pane: Pane) -> Pack:
        kind = self.kind_of(pane)
        if kind != "shell" and self.shell_in_front(pane) and not pane.managed:
            kind = "shell"  # an unmanaged pane at a shell prompt is a shell, whatever it was
        return self.packs.get(kind) or self.packs["unknown"]

    def screen_verdict(self, pack: Pack, screen: str, height: int = 0) -> ScreenVerdict:
        key = (pack.kind, height, hash(screen))
        verdict = self._cache.get(key)
        if verdict is None:
            verdict = match_screen(pack, screen, height)
            if len(self._cache) >= CACHE_SIZE:
                del self._cache[next(iter(self._cache))]  # oldest first
            self._cache[key] = verdict
        return verdict

    def classify(
        self, pane: Pane, screen: str, changed_at: float, now: float | None = None
    ) -> AgentStatus:
        now = time.time() if now is None else now
        previous = self._last.get(pane.pane_id)
        status = self._decide(pane, screen, changed_at, now, previous)
        if previous is not None and previous.state == status.state:
            status = AgentStatus(status.state, status.rule, status.evidence, previous.since)
        else:
            status = AgentStatus(status.state, status.rule, status.evidence, now)
            if previous is not None:
                name = pane.orc_name or pane.target
                self._transitions.append(
                    Transition(pane.pane_id, name, pane.managed, previous.state, status)
                )
        self._last[pane.pane_id] = status
        return status

    def take_transitions(self) -> tuple[Transition, ...]:
        """State changes seen since the last call (the room puts them in each RoomState)."""
        out, self._transitions = tuple(self._transitions), []
        return out

    def forget(self, pane_id: str) -> None:
        self._last.pop(pane_id, None)
        self._odd_since.pop(pane_id, None)
        self._transcripts.pop(pane_id, None)

    def _transcript_changed_at(self, pane: Pane, pack: Pack, screen: str, now: float) -> float:
        """When the lines above the input line last changed (0 if never seen changing): a reply
        streaming in, as opposed to a person typing on the input line."""
        key = hash(screen)
        seen = self._transcripts.get(pane.pane_id)
        if seen is not None and seen[0] == key:
            return seen[2]
        lines = transcript(pack, screen, pane.height)
        previous = seen[2] if seen is not None else 0.0  # the first look is no change
        at = now if seen is not None and lines != seen[1] else previous
        self._transcripts[pane.pane_id] = (key, lines, at)
        return at

    def _decide(
        self,
        pane: Pane,
        screen: str,
        changed_at: float,
        now: float,
        previous: AgentStatus | None,
    ) -> AgentStatus:
        if pane.orc_stopped:
            # Stopped on purpose (core/teams/lifecycle.py): the pane shows orc's stopped screen.
            name = pane.orc_name or pane.pane_id
            return AgentStatus("stopped", "orc:stopped", f"`orc start {name}` resumes it")
        if pane.dead:
            return AgentStatus("exited", "tmux:pane_dead", f"exit status {pane.dead_status or '?'}")
        kind = self.kind_of(pane)
        shell = self.shell_in_front(pane)
        if pane.managed and kind != "shell" and shell:
            return AgentStatus(
                "exited",
                "tmux:shell",
                f"a {kind} agent is expected; the pane runs {_named(shell, pane)}",
            )
        hooked = hook_status(pane)
        pack = self.pack_for(pane)
        verdict = self.screen_verdict(pack, screen, pane.height)
        if verdict.state:
            self._odd_since.pop(pane.pane_id, None)
        if hooked is not None:
            later = changed_at > hooked.since + HOOK_GRACE
            if later and (
                (hooked.state != "working" and verdict.state == "working")
                or (hooked.state == "waiting" and verdict.state == "idle")
                or (hooked.state != "waiting" and verdict.state == "waiting")
            ):
                # The screen moved on after the event and the hooks did not say so: a spinner
                # drawn after a Stop (hooks set up only in part), an input box back after a
                # dialog was refused with Esc (Claude sends no event then), a dialog after a
                # turn-complete (Codex's only event). A stale hook must not pin the state.
                return AgentStatus(
                    verdict.state,
                    verdict.rule,
                    _clip(f"after hook {pane.hook_event}: {verdict.line}"),
                )
            return hooked
        if verdict.state in ("waiting", "error", "exited"):
            return AgentStatus(verdict.state, verdict.rule, verdict.line)
        if pack.kind == "shell" and not shell:
            # A password prompt (above) is still waiting; anything else running is work.
            return AgentStatus("working", "tmux:command", f"running {pane.current_command}")
        if verdict.state == "working":
            return AgentStatus(verdict.state, verdict.rule, verdict.line)
        watch_cursor = pack.input is not None and pack.input.cursor
        if verdict.state == "idle" and watch_cursor and _cursor_below_text(pane, screen):
            return AgentStatus(
                "working",
                "screen:submitted",
                _clip(f"the cursor left the input line: {verdict.line}"),
            )
        quiet = now - changed_at
        if pack.input is not None and verdict.state == "idle":
            streamed = now - self._transcript_changed_at(pane, pack, screen, now)
            if streamed < pack.idle_after:
                # Codex and Aider stream replies with no spinner: output arriving above the
                # input line is work, whatever the idle prompt below it says.
                return AgentStatus(
                    "working",
                    "screen:streaming",
                    _clip(f"output above the input line {streamed:.1f}s ago: {verdict.line}"),
                )
        if verdict.state == "idle":
            if quiet >= pack.idle_after or (previous is not None and previous.state == "idle"):
                return AgentStatus("idle", verdict.rule, verdict.line)
            waited = f"idle prompt still for {quiet:.1f}s of {pack.idle_after:g}s: {verdict.line}"
            if previous is None:
                return AgentStatus("unknown", "debounce:idle", waited)
            return AgentStatus(previous.state, "debounce:idle", waited)
        if quiet < pack.idle_after:
            odd = now - self._odd_since.setdefault(pane.pane_id, now)
            if previous is not None and previous.state in SETTLED and odd < CHANGE_CONFIRM:
                # One capture can catch a TUI half-way through redrawing: hold the state a
                # recognised screen gave until the unrecognised one lasts.
                return AgentStatus(
                    previous.state,
                    "debounce:change",
                    _clip(f"unrecognised screen for {odd:.1f}s: {verdict.line}"),
                )
            return AgentStatus(
                "working", "screen:changing", _clip(f"changed {quiet:.1f}s ago: {verdict.line}")
            )
        if pane.bell:
            return AgentStatus(
                "waiting", "tmux:bell", _clip(f"the window rang the bell: {verdict.line}")
            )
        return AgentStatus(
            "unknown", "screen:unrecognised", _clip(f"still for {quiet:.0f}s: {verdict.line}")
        )
