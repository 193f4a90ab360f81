"""A question that Aider asks while orc might be typing, on the real Aider (issue 19).

Claude Code and Gemini CLI hold their dialog until orc's hook returns, and orc's hook waits for
the send in progress (tests/realagents/test_midsend_real.py, test_midsend_gemini_real.py). Aider
offers one thing run before a question, its `--notifications-command` (aider/io.py
`ring_bell`), and these tests pin down why orc does not use it (docs/agents/aider.md):

- Aider asks only after a model reply (or a person's command), never while its input line is
  up, and orc types into Aider only at its input line: a reply released 0-1.2 s before
  `orc send` is refused each time, nothing typed, the question never answered.
- orc's own send must leave no key behind that a later question would read: no second Enter
  (core/agents/kinds/kind.py `enter_again`).
- The command runs for the first question after a model reply only (or for the input line when
  the reply asks nothing), not for the questions after it nor those of `/run`.
- While it runs Aider does not read its terminal, and a key typed then answers the question
  once it is printed: a hook that held the question until orc's send ended would hand orc's
  keys to the question, the opposite of what it does for Claude and Gemini.
"""

from __future__ import annotations

import asyncio
import shlex
import threading
from pathlib import Path

import pytest

from orc.core import Room
from orc.core.tmux.client import TmuxClient
from tests.realagents import aider
from tests.realagents.bed import AgentPane
from tests.realagents.mockapi import Held, MockAPI, Reply, ToolCall

pytestmark = pytest.mark.timeout(900)

# Seconds after the reply is released that `orc send` begins: the question (printed ~0.2 s after
# the release on this machine) comes before, during and after the send's first look.
# A sample of the window, not the whole sweep (that is the bench's, bench/RESULTS.md): CI time.
MOMENTS = tuple(i * 0.2 for i in range(7))


async def test_a_question_released_mid_send_never_gets_orcs_keys(
    client: TmuxClient, room: Room, agent_home: Path, workdir: Path
) -> None:
    with MockAPI(aider.ChatCompletions(), default=Reply("Noted.")) as mock:
        pane = await aider.start(client, agent_home, workdir, mock, name="eng")
        for n, moment in enumerate(MOMENTS):
            marker = workdir / f"approved-{n}.txt"
            gate = threading.Event()
            mock.script(Held(gate, ToolCall("shell", {"command": f"touch {marker.name}"})))
            await aider.submit(pane, f"start round {n}")
            await pane.wait_for("Waiting for", timeout=30)  # the request is held

            text = f"note {n}: the question lands {moment:.2f}s into this send"
            gate.set()
            await asyncio.sleep(moment)
            result = await room.send("eng", text)
            # Working (the spinner, the reply streaming) or asking: never an input line to type at.
            assert result.status == "failed" and "not delivered" in (result.reason or ""), result

            screen = await pane.wait_for(
                lambda s: aider.asking(s) and "Run shell command?" in aider.last_line(s),
                timeout=30,
            )
            await pane.settle(quiet=1.0)
            assert not marker.exists(), f"round {n}: the send answered the question ({result})"
            assert text not in screen
            await aider.answer(pane, "n")
            await pane.wait_for(aider.at_input, timeout=30)
        assert not any("note " in sent for sent in mock.texts_sent())


async def test_a_send_whose_reply_asks_is_delivered_and_the_question_left_alone(
    client: TmuxClient, room: Room, agent_home: Path, workdir: Path
) -> None:
    """Aider's echo of a submitted message looks like its input line holding the text until
    the spinner shows (the first request of a session takes over a second to get there): orc
    used to press Enter again then, that Enter waited in the terminal, and the question the
    reply asked took it as Yes and ran the command (the first round, every time)."""
    with MockAPI(aider.ChatCompletions(), default=Reply("Noted.")) as mock:
        pane = await aider.start(client, agent_home, workdir, mock, name="eng")
        await pane.settle(quiet=1.0)  # as a deployed agent is, its start-up drawn
        for n in range(4):
            marker = workdir / f"sent-{n}.txt"
            mock.script(Reply(aider.shell_text(f"touch {marker.name}")))
            text = f"note {n}: orc sends, the reply asks"
            result = await room.send("eng", text)
            assert result.status == "delivered", result
            await pane.wait_for(
                lambda s: aider.asking(s) and "Run shell command?" in aider.last_line(s),
                timeout=30,
            )
            await pane.settle(quiet=1.5)
            assert not marker.exists(), f"round {n}: orc's keys answered the question"
            assert any(text in sent for sent in mock.texts_sent())
            await aider.answer(pane, "n")
            await pane.wait_for(aider.at_input, timeout=30)


def _bell(folder: Path) -> tuple[str, ...]:
    """A notifications command that notes each run and then waits for the test's `go` file
    (bounded at 60 s): a question it ran for is not printed until the test lets it go."""
    log, go = shlex.quote(str(folder / "bell.log")), shlex.quote(str(folder / "go"))
    command = (
        f"echo run >> {log}; i=0; while [ ! -e {go} ] && [ $i -lt 1200 ]; "
        f"do sleep 0.05; i=$((i+1)); done; rm -f {go}"
    )
    return ("--notifications", "--notifications-command", command)


def _runs(folder: Path) -> int:
    log = folder / "bell.log"
    return len(log.read_text().splitlines()) if log.exists() else 0


async def _ring(pane: AgentPane, folder: Path, count: int) -> str:
    """Wait for the notifications command's run number `count`; the screen while it runs."""
    await pane.wait_for(lambda s: _runs(folder) >= count, timeout=30)
    assert _runs(folder) == count
    return await pane.screen()


async def test_the_notifications_command_runs_before_the_first_question_only(
    client: TmuxClient, agent_home: Path, workdir: Path, tmp_path: Path
) -> None:
    bell = tmp_path / "bell"
    bell.mkdir()
    with MockAPI(aider.ChatCompletions(), default=Reply("Noted.")) as mock:
        pane = await aider.start(client, agent_home, workdir, mock, name="eng", extra=_bell(bell))
        # One reply, two questions: `Create new file?` (its edit), then `Run shell command?`.
        edit = aider.edit_text("new.txt", "", "hello\n")
        mock.script(Reply(edit + "\n" + aider.shell_text("touch ran.txt")))
        await aider.submit(pane, "make a file and run something")
        screen = await _ring(pane, bell, 1)
        assert "Create new file?" not in screen  # the command runs before the question
        (bell / "go").touch()
        await pane.wait_for(lambda s: "Create new file?" in aider.last_line(s), timeout=30)
        await aider.answer(pane, "y")
        # The second question of the same reply: no run (a run would hold it back until `go`).
        await pane.wait_for(lambda s: "Run shell command?" in aider.last_line(s), timeout=30)
        assert _runs(bell) == 1
        await aider.answer(pane, "n")
        await pane.wait_for(aider.at_input, timeout=30)

        # A reply that asks nothing: the command runs before the input line comes back.
        mock.script(Reply("Nothing to do."))
        await aider.submit(pane, "anything else?")
        screen = await _ring(pane, bell, 2)
        assert not aider.at_input(screen)
        (bell / "go").touch()
        await pane.wait_for(aider.at_input, timeout=30)

        # A person's `/run`: its question comes with no model reply before it, and no run.
        await aider.submit(pane, "/run echo orc-bed-output")
        await pane.wait_for(lambda s: "command output" in aider.last_line(s), timeout=30)
        assert _runs(bell) == 2
        await aider.answer(pane, "n")
        await pane.wait_for(aider.at_input, timeout=30)


async def test_a_key_typed_while_the_command_runs_answers_the_question(
    client: TmuxClient, agent_home: Path, workdir: Path, tmp_path: Path
) -> None:
    bell = tmp_path / "bell"
    bell.mkdir()
    with MockAPI(aider.ChatCompletions(), default=Reply("Noted.")) as mock:
        pane = await aider.start(client, agent_home, workdir, mock, name="eng", extra=_bell(bell))
        mock.script(Reply(aider.shell_text("touch typed-ahead.txt")))
        await aider.submit(pane, "what should I run?")
        screen = await _ring(pane, bell, 1)
        assert not aider.asking(screen)
        await pane.type("y")  # while no question is on screen and Aider reads nothing
        await pane.keys("Enter")
        await pane.wait_for(lambda s: aider.last_line(s) == "y", timeout=10)  # the tty's echo
        (bell / "go").touch()
        await pane.wait_for(lambda s: (workdir / "typed-ahead.txt").exists(), timeout=30)
        screen = await pane.wait_for(aider.at_input, timeout=30)
        assert "Run shell command? (Y)es/(N)o/(D)on't ask again [Yes]: y" in screen
