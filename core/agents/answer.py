"""Answering an agent's prompt (`orc answer AGENT CHOICE`, the inbox's 1-9 / y / n keys).

Delivery never types into a dialog (core/agents/delivery.py): a letter or an Enter there picks an
option, in Codex even "don't ask again". Answering is therefore its own, explicit action: it
acts only on a pane that shows a prompt, sends the keys the agent's pack names for the choice
(`[answer]` in core/agents/patterns/<kind>.toml), and counts as done only once the prompt is gone.
"""

from __future__ import annotations

import asyncio
import functools
import operator
import re
from collections.abc import Callable

from orc.core.agents.agent_kind import kind_of
from orc.core.agents.delivery import screen_and_cursor, type_text
from orc.core.agents.pattern_packs import Pack
from orc.core.agents.process_kind import kind_of_pane
from orc.core.agents.screen_text import visible_lines
from orc.core.agents.status import ScreenVerdict, match_screen
from orc.core.errors import BadInput
from orc.core.tmux.client import TmuxClient
from orc.core.tmux.topology import Pane

_CHOICE = re.compile(r"^(?:[1-9]|y|yes|n|no)$", re.IGNORECASE)
_TICKS = re.compile(r"^[1-9](?:[\s,]+[1-9])*$")  # "2", "1,3", "1 3": options to tick
SETTLE = 3.0  # seconds for the prompt to go away after the keys
STEP = 1.5  # seconds for one key of a multi-select to show (a TUI drops keys sent together)
TICKS_REGION = 16  # the last visible lines where a question's checkboxes are looked for


def answer_keys(pack: Pack, choice: str) -> tuple[list[str], str | None]:
    """(tmux key names, literal text) that give `choice` to this kind of prompt."""
    spec = pack.answer
    word = choice.strip().lower()
    if not _CHOICE.fullmatch(word):
        return list(spec.submit or ["Enter"]), choice  # free text for a question
    if word in ("y", "yes"):
        return [*spec.yes, *spec.submit], None
    if word in ("n", "no"):
        return [*spec.no, *spec.submit], None
    if not spec.numbers:
        raise BadInput(f"a {pack.kind} prompt has no numbered options: answer y or n")
    return [word, *spec.submit], None


async def answer(
    client: TmuxClient,
    pane: Pane,
    pack: Pack,
    choice: str,
    *,
    force: bool = False,
    expect: Callable[[str], str | None] | None = None,
) -> tuple[str, str | None, str]:
    """Give the pane's prompt `choice`; (status, reason, the question that was answered).

    `expect` sees the screen the keys are judged on and may refuse it (a reason): a grouped or
    automatic answer checks that the prompt is still the one it decided about
    (core/services/policy/)."""
    if not choice.strip():
        raise BadInput("no choice given: a number, y, n, or text for a question")
    keys, text = answer_keys(pack, choice)
    screen, cursor = await screen_and_cursor(client, pane.pane_id)
    if cursor is None:
        return "failed", "pane disappeared", ""
    verdict = match_screen(pack, screen, pane.height)
    if verdict.state != "waiting" and not force:
        return "failed", f"not answered: no prompt on screen ({verdict.line!r})", ""
    refused = expect(screen) if expect is not None else None
    if refused is not None:
        return "failed", f"not answered: {refused}", verdict.line
    question = verdict.line
    if verdict.state == "waiting" and _has_ticks(pack, screen, pane.height):
        if not _TICKS.match(choice.strip()):
            raise BadInput("a question with checkboxes takes the options to tick: 2, or 1,3")
        screen, keys = await _tick(client, pane, pack, choice, screen)
        if not keys:
            return "failed", "the ticks did not show; nothing was submitted", question
        verdict, text = match_screen(pack, screen, pane.height), None  # the review's prompt
    if text is not None:
        await type_text(client, pane.pane_id, text, paste=kind_of(kind_of_pane(pane)).paste)
        await asyncio.sleep(0.2)  # agent TUIs drop an Enter that follows text too closely
    await client.run("send-keys", "-t", pane.pane_id, *keys)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SETTLE
    while loop.time() < deadline:
        await asyncio.sleep(0.1)
        after, cursor = await screen_and_cursor(client, pane.pane_id)
        if cursor is None:
            return "failed", "pane disappeared", question
        now = match_screen(pack, after, pane.height)
        if after != screen and prompt_gone(verdict, now, screen, after, pane.height):
            return "delivered", None, question
    return "failed", f"the prompt is still on screen: {verdict.line!r}", question


def _has_ticks(pack: Pack, screen: str, height: int) -> bool:
    """Whether the question at the bottom of the screen has checkboxes (a reply above it may
    show a checklist too: only the last lines count)."""
    ticks = pack.answer.ticks
    bottom = "\n".join(visible_lines(screen, height)[-TICKS_REGION:])
    return ticks is not None and re.search(ticks, bottom, re.MULTILINE) is not None


async def _tick(
    client: TmuxClient, pane: Pane, pack: Pack, choice: str, screen: str
) -> tuple[str, list[str]]:
    """Tick each option of a checkbox question, one key at a time (sent together, all but the
    first are lost), and open the review; (the review's screen, the keys that submit it). No
    keys when a step did not show or no review opened: nothing is submitted then."""
    for key in re.findall(r"[1-9]", choice):
        await client.run("send-keys", "-t", pane.pane_id, key)
        changed = await _changed(client, pane.pane_id, functools.partial(operator.ne, screen))
        if changed is None:
            return screen, []
        screen = changed
    if pack.answer.review:
        await client.run("send-keys", "-t", pane.pane_id, *pack.answer.review)

    def review_open(now: str) -> bool:
        shown = match_screen(pack, now, pane.height).state == "waiting"
        return shown and not _has_ticks(pack, now, pane.height)

    review = await _changed(client, pane.pane_id, review_open)
    if review is None:
        return screen, []
    return review, [*pack.answer.yes, *pack.answer.submit]


async def _changed(client: TmuxClient, pane_id: str, done: Callable[[str], bool]) -> str | None:
    """The screen once `done` holds for it (within STEP seconds), else None."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STEP
    while loop.time() < deadline:
        await asyncio.sleep(0.05)
        now, cursor = await screen_and_cursor(client, pane_id)
        if cursor is None:
            return None
        if done(now):
            return now
    return None


def prompt_gone(
    asked: ScreenVerdict, now: ScreenVerdict, before: str, after: str, height: int = 0
) -> bool:
    """Whether the prompt that was answered has gone, even when the next one asks the same
    question (Aider asks `Add file to the chat?` once per file): the same question counts as
    the same prompt only with the same lines above it (the answered one stays in the
    transcript with its answer, or the tool it approved printed its output)."""
    if now.state != "waiting" or now.line != asked.line:
        return True
    if asked.at < 0 or now.at < 0:
        return False
    above_then = visible_lines(before, height)[: asked.at]
    above_now = visible_lines(after, height)[: now.at]
    return above_then != above_now
