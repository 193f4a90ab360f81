"""The control room driven through Textual's pilot against a real tmux server with fake agents."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from textual import events

from orc.core import Room, TmuxServerAddress
from orc.core.room_state import RoomState
from orc.core.store.settings import Settings
from orc.core.tmux.client import TmuxClient
from orc.core.tmux.spawn import WindowSpec, spawn_window
from orc.tui.app import THEME_SETTING, OrcApp
from orc.tui.help_screen import HelpScreen
from orc.tui.themes import SHIPPED_DIR, load_themes
from tests.checkpoint_repo import make_repo
from tests.conftest import recorded, wait_recorded
from tests.tui.test_tui_services import new_checkin
from tests.tui_support import locate, region_text, screen_text, wait_text, wait_until

SIZE = (110, 34)


def indent(text: str, row: int) -> int:
    """How deep a tree row is drawn: where its guide line starts."""
    line = text.splitlines()[row]
    return len(line) - len(line.lstrip())


@pytest.fixture
def make_app(address: TmuxServerAddress, db_path: Path):  # type: ignore[no-untyped-def]
    def make() -> OrcApp:
        return OrcApp(Room(address, db_path), interval=0.1)

    return make


async def test_tree_shows_hierarchy_and_follows_windows(make_app, spawn_agent, client) -> None:
    await spawn_agent("lead", "orchestrator")
    await spawn_agent("pm", "pm", parent="lead")
    eng1 = await spawn_agent("eng-1", parent="pm")
    loose = await spawn_window(client, WindowSpec("scratch", "notes", ["sleep", "600"]))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_text(pilot, "0:notes")
        text = region_text(app, "#left")
        rows = {w: locate(text, w) for w in ("team", "lead", "pm", "eng-1", "unmanaged")}
        assert rows["team"][0] < rows["lead"][0] < rows["pm"][0] < rows["eng-1"][0]
        depth = {w: indent(text, rows[w][0]) for w in ("lead", "pm", "eng-1")}
        assert depth["lead"] < depth["pm"] < depth["eng-1"], "nested by @orc-parent"
        assert rows["eng-1"][0] < rows["unmanaged"][0] < locate(text, "scratch")[0]

        # Keep the cursor on eng-1 and collapse the unmanaged session, then change the tree.
        app.select_agent(loose)
        await pilot.press("shift+left", "space")  # cursor to the session row, collapse it
        await wait_until(pilot, lambda: "0:notes" not in screen_text(app), "collapse")
        app.select_agent(eng1)
        await pilot.pause()
        eng2 = await spawn_agent("eng-2", parent="pm")
        # The new window may show for a moment as unmanaged (tmux creates it before orc names
        # it): wait for the agent row itself.
        await wait_until(pilot, lambda: " eng-2 engineer" in region_text(app, "#left"), "eng-2")
        text = region_text(app, "#left")
        row1, row2 = locate(text, "eng-1")[0], locate(text, "eng-2")[0]
        assert row2 == row1 + 1 and indent(text, row2) == indent(text, row1), "a sibling"
        assert "0:notes" not in text, "the collapsed session stayed collapsed"
        assert app.agent_tree.selected_pane_id == eng1, "the cursor stayed on eng-1"
        cursor = app.agent_tree.cursor_node
        assert cursor is not None and cursor.data.pane_id == eng1

        await client.run("kill-window", "-t", loose)
        await wait_until(pilot, lambda: "unmanaged" not in screen_text(app), "window gone")
        await client.run("kill-window", "-t", eng2)
        await wait_until(pilot, lambda: "eng-2" not in screen_text(app), "agent gone")
        assert app.agent_tree.selected_pane_id == eng1


async def test_selecting_an_agent_shows_its_pane_live(make_app, spawn_agent, client) -> None:
    await spawn_agent("lead", "orchestrator")
    pm = await spawn_agent("pm", "pm", parent="lead")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_text(pilot, "pm")
        await wait_until(pilot, lambda: "fake agent lead ready" in app.preview.text, "lead")
        await pilot.press("j")  # lead -> pm
        await wait_until(pilot, lambda: app.agent_tree.selected_pane_id == pm, "pm selected")
        await wait_until(pilot, lambda: "fake agent pm ready" in app.preview.text, "pm shown")
        # Typed into the real pane by someone else: the preview follows it.
        await client.run("send-keys", "-t", pm, "-l", "typed-elsewhere-42")
        await wait_text(pilot, "> typed-elsewhere-42")
        assert "pm · " in screen_text(app), "the preview tab names the agent"


async def test_composer_delivers_byte_exact_and_shows_result(
    make_app, spawn_agent, tmp_path: Path
) -> None:
    record = tmp_path / "eng-1.jsonl"
    await spawn_agent("lead", "orchestrator")
    eng1 = await spawn_agent("eng-1", parent="lead", record=record, work=0.2)
    app = make_app()
    typed = "run: pytest -k 'a;b' --x=\"#{pane_id}\" $HOME;\n  second line"
    pasted = " ✓ naïve 漢字\n-n Enter"
    text = typed + pasted
    async with app.run_test(size=SIZE) as pilot:
        await wait_text(pilot, "eng-1")
        app.select_agent(eng1)
        await pilot.press("m")
        for char in typed:
            await pilot.press("enter" if char == "\n" else char)
        app.post_message(events.Paste(pasted))  # as a terminal delivers a paste
        await pilot.pause()
        assert app.composer.input.text == text
        await pilot.press("ctrl+s")
        await wait_text(pilot, "✓ eng-1: delivered")
        assert await wait_recorded(record, 1) == [text]
        assert app.composer.input.text == "", "a delivered message leaves the composer"
        await pilot.press("up")
        assert app.composer.input.text == text, "Up on an empty composer recalls it"
        await pilot.press("down")
        assert app.composer.input.text == ""


async def test_refused_sends_show_the_reason(make_app, spawn_agent, client, tmp_path) -> None:
    marker = tmp_path / "ran"
    shell = await spawn_agent("eng-1", argv=["bash", "--norc", "--noprofile"])
    dead = await spawn_agent("eng-2", argv=["sleep", "0.2"])  # the pane stays, dead
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_text(pilot, "eng-2")
        app.select_agent(shell)
        await wait_text(pilot, "to eng-1")
        await pilot.press("m", *f"touch {marker}", "ctrl+s")
        text = await wait_text(pilot, "✗ eng-1: failed")
        assert "runs a shell" in text
        assert not marker.exists()
        assert app.composer.input.text == f"touch {marker}", "a refused message is kept"

        await wait_until(pilot, lambda: "✗ eng-2" in region_text(app, "#left"), "eng-2 dead")
        app.select_agent(dead)
        await wait_text(pilot, "to eng-2")
        await pilot.press("ctrl+s")
        text = await wait_text(pilot, "✗ eng-2: failed")
        assert f"pane {dead} is dead" in text

        # Pasted text with an escape sequence would end tmux's bracketed paste early: refused.
        app.composer.clear_text()
        app.post_message(events.Paste("hi\x1b[201~rm -rf ~"))
        await pilot.press("ctrl+s")
        text = await wait_text(pilot, "refused:")
        assert "control character ESC" in text


async def test_a_message_refused_for_a_draft_can_wait_for_it(
    make_app, spawn_agent, client, tmp_path
) -> None:
    """The composer says why it did not type (a person's draft), keeps the message, and Ctrl+L
    sends it once the draft is gone: exactly once, without the draft."""
    record = tmp_path / "eng-1.jsonl"
    pane = await spawn_agent("eng-1", record=record, work=0.2)
    await client.run("send-keys", "-t", pane, "-l", "--", "my own half")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_text(pilot, "eng-1")
        app.select_agent(pane)
        await wait_text(pilot, "to eng-1")
        await pilot.press("m", *"ship it", "ctrl+s")
        await wait_until(
            pilot,
            lambda: "Ctrl+L: send it when free" in " ".join(region_text(app, "#composer").split()),
            "the offer to wait",
        )
        said = " ".join(region_text(app, "#composer").split())
        assert "a draft is on the input line: 'my own half' (a person's, not orc's)" in said
        assert app.composer.input.text == "ship it"
        await pilot.press("ctrl+l")
        await wait_text(pilot, "waiting: goes to eng-1 once its prompt or draft is gone")
        assert recorded(record) == []
        await client.run("send-keys", "-t", pane, "C-c")  # the person drops the draft
        assert await wait_recorded(record, 1, timeout=20) == ["ship it"]


async def test_subtree_scope_reaches_the_subtree_only(make_app, spawn_agent, tmp_path) -> None:
    records = {n: tmp_path / f"{n}.jsonl" for n in ("lead", "pm", "eng-1")}
    await spawn_agent("lead", "orchestrator", record=records["lead"], work=0.2)
    pm = await spawn_agent("pm", "pm", parent="lead", record=records["pm"], work=0.2)
    await spawn_agent("eng-1", parent="pm", record=records["eng-1"], work=0.2)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_text(pilot, "eng-1")
        app.select_agent(pm)
        await pilot.press("m", "ctrl+t")
        await wait_text(pilot, "to 2: pm, eng-1  (pm and below)")
        await pilot.press(*"standup", "ctrl+s")
        await wait_text(pilot, "Send to 2: pm, eng-1?")
        await pilot.press("enter")
        await wait_text(pilot, "2 delivered")
        assert await wait_recorded(records["pm"], 1) == ["standup"]
        assert await wait_recorded(records["eng-1"], 1) == ["standup"]
        assert recorded(records["lead"]) == []


async def test_a_working_agent_is_marked_when_it_finishes_not_while_it_works(
    make_app, spawn_agent, client
) -> None:
    """The mark says "news since you looked": a working agent's ever-changing screen is not news,
    its finishing is (issue 21, noise)."""
    await spawn_agent("lead", "orchestrator")
    eng1 = await spawn_agent("eng-1", parent="lead", work=0.2)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_text(pilot, "eng-1")
        await client.run("send-keys", "-t", eng1, "-l", "/work 4")
        await client.run("send-keys", "-t", eng1, "Enter")
        tree = app.agent_tree
        await wait_until(pilot, lambda: tree.entry_for(eng1).state == "working", "working")
        for _ in range(5):  # every repaint while it works: no mark
            assert eng1 not in app.agent_tree.unread()
            await pilot.pause(0.3)
        await wait_until(pilot, lambda: eng1 in tree.unread(), "marked once done", timeout=30)
        assert app.agent_tree.entry_for(eng1).state != "working"


async def test_filter_unread_and_help(make_app, spawn_agent, client) -> None:
    await spawn_agent("lead", "orchestrator")
    await spawn_agent("qa", "qa", parent="lead")
    eng1 = await spawn_agent("eng-1", parent="lead")
    await spawn_window(client, WindowSpec("scratch", "notes", ["sleep", "600"]))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_text(pilot, "0:notes")
        # unread: eng-1's screen changes while lead is selected
        await client.run("send-keys", "-t", eng1, "-l", "news")
        await wait_until(pilot, lambda: "eng-1 engineer •" in screen_text(app), "unread mark")
        app.select_agent(eng1)
        await wait_until(pilot, lambda: "eng-1 engineer •" not in screen_text(app), "read")

        await pilot.press("slash", *"eng")
        await wait_until(pilot, lambda: "0:notes" not in screen_text(app), "filtered")
        text = screen_text(app)
        assert "eng-1" in text and "lead" in text, "matches keep their ancestors"
        assert "qa qa" not in text, "a sibling that does not match is hidden"
        await pilot.press("escape")
        await wait_text(pilot, "0:notes")

        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), "help screen")
        text = screen_text(app)
        for _ in range(60):  # the help scrolls with j: read every page on the way down
            await pilot.press("j")
            text += screen_text(app)
        for words in ("Send", "Filter", "Jump in", "Snooze", "Restore", "Command palette"):
            assert words in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_palette_finds_agents(make_app, spawn_agent) -> None:
    await spawn_agent("lead", "orchestrator")
    eng7 = await spawn_agent("eng-7", parent="lead")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_text(pilot, "eng-7")
        await pilot.press("ctrl+p", *"eng-7")
        await wait_text(pilot, "agent eng-7")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.agent_tree.selected_pane_id == eng7, "eng-7 selected")


async def test_timeline_and_checkpoints_panels(make_app, spawn_agent, tmp_path: Path) -> None:
    """`s` opens the check-ins, `n` adds one for the selected agent; `c` opens the checkpoints,
    which follow what is taken. Each step must show the real row, not an empty list."""
    await spawn_agent("lead", "orchestrator")
    repo = make_repo(tmp_path / "shop")
    (repo / "a.txt").write_text("one\ntwo\n", encoding="utf-8")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_text(pilot, "lead")
        await pilot.press("s")
        await wait_text(pilot, "No check-ins scheduled")
        await new_checkin(pilot, "30m", "check the build, please", "lead")
        await wait_text(pilot, "check the build, please")
        (added,) = await app.room.schedules.list()
        assert (added.target, added.note, added.state) == (
            "lead",
            "check the build, please",
            "pending",
        )
        await pilot.press("c")
        await wait_text(pilot, "No checkpoints yet")
        assert await app.room.checkpoints.take(str(repo), message="before the panel test")
        row = next(
            line
            for line in (await wait_text(pilot, "before the panel test")).splitlines()
            if "before the panel test" in line
        )
        assert "shop" in row and "1 file" in row, row


async def test_theme_choice_persists(
    address, db_path: Path, spawn_agent, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A colour terminal: on a 16-colour one the session uses orc-16 whatever is saved.
    monkeypatch.setenv("TERM", "xterm-256color")
    await spawn_agent("lead", "orchestrator")
    app = OrcApp(Room(address, db_path), interval=0.1)
    async with app.run_test(size=SIZE) as pilot:
        await wait_text(pilot, "lead")
        app.theme = "orc-light"
        settings = Settings(app.room.store)
        deadline = time.monotonic() + 10
        while await settings.get(THEME_SETTING) != "orc-light":
            assert time.monotonic() < deadline, "the theme was never saved"
            await pilot.pause(0.05)
    async with Room(address, db_path) as room:
        assert await Settings(room.store).get(THEME_SETTING) == "orc-light"
    again = OrcApp(Room(address, db_path), interval=0.1)
    async with again.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: again.theme == "orc-light", "theme restored")


def test_theme_files_load_and_users_can_add_their_own(tmp_path: Path) -> None:
    shipped, errors = load_themes(SHIPPED_DIR)
    assert errors == []
    names = {t.name for t in shipped}
    assert {"orc-dark", "orc-light", "orc-16"} <= names
    assert next(t for t in shipped if t.name == "orc-16").ansi, "16-colour theme uses ANSI"
    user = tmp_path / "themes"
    user.mkdir()
    (user / "mine.toml").write_text('name = "mine"\nprimary = "#ff0000"\n')
    (user / "broken.toml").write_text('name = "x"\nprimry = "#ff0000"\n')
    themes, errors = load_themes(SHIPPED_DIR, user)
    assert "mine" in {t.name for t in themes}
    assert len(errors) == 1 and "broken.toml" in errors[0] and "primary" in errors[0]


async def test_room_state_errors_do_not_stop_refresh(
    make_app, spawn_agent, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A display bug while applying a few states is reported once, and the UI keeps following
    tmux: an agent started afterwards still appears."""
    await spawn_agent("lead", "orchestrator")
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_text(pilot, "lead")
        real = app.agent_tree.update_state
        failed: list[int] = []

        def broken(state: RoomState) -> None:
            if len(failed) < 3:
                failed.append(state.generation)
                raise RuntimeError("tree exploded")
            real(state)

        monkeypatch.setattr(app.agent_tree, "update_state", broken)
        await wait_text(pilot, "tree exploded")  # the one notification
        await spawn_agent("eng-9", parent="lead")
        await wait_text(pilot, "eng-9")
        assert len(failed) == 3
        assert screen_text(app).count("tree exploded") == 1


async def test_no_server_shows_an_explanation(tmp_path: Path) -> None:
    address = TmuxServerAddress(socket_name=f"orc-none-{tmp_path.name}")
    assert not await TmuxClient(address).server_running()
    app = OrcApp(Room(address, tmp_path / "db.sqlite"), interval=0.1)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_text(pilot, "No panes on tmux server")


async def test_jump_inside_tmux_selects_the_pane(
    make_app, spawn_agent, client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inside tmux (same server) `a` selects the agent's window and pane, then switch-client."""
    await spawn_agent("lead", "orchestrator")
    eng = await spawn_agent("eng-1", parent="lead")
    socket = (await client.run("display-message", "-p", "#{socket_path}")).stdout.strip()
    monkeypatch.setenv("TMUX", f"{socket},1,0")

    async def active_window() -> str:
        result = await client.run("display-message", "-p", "-t", "=team:", "#{window_name}")
        return result.stdout.strip()

    assert await active_window() == "lead"
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_text(pilot, "eng-1")
        app.select_agent(eng)
        await wait_text(pilot, "to eng-1")
        app.agent_tree.focus()
        await pilot.press("a")
        for _ in range(50):
            if await active_window() == "eng-1":
                break
            await pilot.pause(0.05)
        assert await active_window() == "eng-1"
