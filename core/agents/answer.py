"""Answering an agent's prompt (`orc answer AGENT CHOICE`, the inbox's 1-9 / y / n keys).

Delivery never types into a dialog (core/agents/delivery.py): a letter or an Enter there picks an
option, in Codex even "don't ask again". Answering is therefore its own, explicit action: it
acts only on a pane that shows a prompt, sends the keys the agent's pack names for the choice
(`[answer]` in core/agents/patterns/<kind>.toml), and counts as done only once the prompt is gone.
"""

from __future__ import annotations

import asyncio
import re

from orc.core.agents.agent_kind import kind_of
from orc.core.agents.delivery import screen_and_cursor, type_text
from orc.core.agents.pattern_packs import Pack
from orc.core.agents.process_kind import kind_of_pane
from orc.core.agents.status import match_screen
from orc.core.errors import BadInput
from orc.core.tmux.client import TmuxClient
from orc.core.tmux.topology import Pane

_CHOICE = re.compile(r"^(?:[1-9]|y|yes|n|no)$", re.IGNORECASE)
SETTLE = 3.0  # seconds for the prompt to go away after the keys


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
    client: TmuxClient, pane: Pane, pack: Pack, choice: str, *, force: bool = False
) -> tuple[str, str | None, str]:
    """Give the pane's prompt `choice`; (status, reason, the question that was answered)."""
    if not choice.strip():
        raise BadInput("no choice given: a number, y, n, or text for a question")
    keys, text = answer_keys(pack, choice)
    screen, cursor = await screen_and_cursor(client, pane.pane_id)
    if cursor is None:
        return "failed", "pane disappeared", ""
    verdict = match_screen(pack, screen, pane.height)
    if verdict.state != "waiting" and not force:
        return "failed", f"not answered: no prompt on screen ({verdict.line!r})", ""
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
            return "failed", "pane disappeared", verdict.line
        now = match_screen(pack, after, pane.height)
        if after != screen and (now.state != "waiting" or now.line != verdict.line):
            return "delivered", None, verdict.line
    return "failed", f"the prompt is still on screen: {verdict.line!r}", verdict.line
