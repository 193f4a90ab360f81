"""What a new user meets in the control room, against a real tmux server with fake agents: the
footer at 80x24, moving and filtering in the tree, orc's own daemon window, the Theme list, theme
files of their own, the theme and animations chosen from the terminal, the composer's wider
scopes and answering a prompt with y / n from the inbox."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets._footer import FooterKey

from orc.core import Room, TmuxServerAddress
from orc.core.tmux.spawn import WindowSpec, spawn_window
from orc.tui.app import OrcApp
from orc.tui.dialogs import ConfirmScreen
from orc.tui.inbox import InboxScreen
from tests.conftest import recorded, wait_recorded
from tests.tui_support import region_text, screen_text, wait_text, wait_until

SMALL = (80, 24)
SIZE = (110, 34)


@pytest.fixture(autouse=True)
def private_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A truecolor terminal, not over SSH, with an empty config folder of its own."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("ORC_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("COLORTERM", "truecolor")
    monkeypatch.delenv("SSH_CONNECTION", raising=False)
    monkeypatch.delenv("SSH_TTY", raising=False)
    return tmp_path / "config"


@pytest.fixture
def make_app(address: TmuxServerAddress, db_path: Path):  # type: ignore[no-untyped-def]
    def make() -> OrcApp:
        return OrcApp(Room(address, db_path), interval=0.1)

    return make


def footer_line(app: OrcApp) -> str:
    return screen_text(app).splitlines()[-1]


def assert_footer_whole(app: OrcApp) -> None:
    line = footer_line(app)
    keys, _, palette = line.partition("▏")
    assert palette.strip() == "^p palette", line
    shown = [k for k in app.query(FooterKey) if not k.has_class("-command-palette")]
    assert shown, line
    for key in shown:
        assert f"{key.key_display} {key.description}" in keys, f"{key.description!r} cut: {line}"


async def test_footer_at_80x24_shows_whole_keys_only(make_app, spawn_agent) -> None:
    await spawn_agent("lead", "orchestrator")
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await wait_text(pilot, "lead")
        await wait_until(pilot, lambda: "▏^p palette" in footer_line(app), "footer drawn")
        assert_footer_whole(app)
        assert footer_line(app).startswith("q Quit ? Help / Filter m Message")
        await pilot.press("m")  # the composer's own keys
        await wait_until(pilot, lambda: app.composer.has_focus_within, "composer focused")
        await pilot.pause(0.2)
        assert_footer_whole(app)
        await pilot.resize_terminal(110, 34)
        await wait_until(pilot, lambda: "▏^p palette" in footer_line(app), "footer relaid")
        assert_footer_whole(app)


async def test_g_and_G_move_the_cursor_to_the_first_and_last_rows(
    make_app, spawn_agent, client
) -> None:
    lead = await spawn_agent("lead", "orchestrator")
    await spawn_agent("eng-1", parent="lead")
    loose = await spawn_window(client, WindowSpec("scratch", "notes", ["sleep", "600"]))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_text(pilot, "0:notes")
        app.select_agent(lead)
        await pilot.press("G")
        tree = app.agent_tree
        await wait_until(pilot, lambda: tree.selected_pane_id == loose, "last row selected")
        assert app.agent_tree.cursor_line == app.agent_tree.last_line
        await pilot.press("g")
        await wait_until(pilot, lambda: app.agent_tree.cursor_line == 0, "first row")
        assert tree.cursor_node is not None and tree.cursor_node.data is not None
        assert app.agent_tree.cursor_node.data.name == "team"


async def test_filter_selects_the_first_match(make_app, spawn_agent) -> None:
    lead = await spawn_agent("lead", "orchestrator")
    await spawn_agent("alpha", parent="lead")
    beta = await spawn_agent("beta", parent="lead")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_text(pilot, "beta")
        app.select_agent(lead)
        await wait_until(pilot, lambda: app.agent_tree.selected_pane_id == lead, "lead selected")
        await pilot.press("slash", *"beta", "enter")
        await wait_until(pilot, lambda: app.agent_tree.selected_pane_id == beta, "beta selected")
        tree = region_text(app, "#tree")
        assert "lead" in tree and "alpha" not in tree, "the ancestor stays, the sibling goes"
        assert app.agent_tree.has_focus
        await wait_until(
            pilot, lambda: "fake agent beta ready" in screen_text(app), "beta previewed"
        )


async def test_the_daemon_window_is_orcs_own_not_unmanaged(make_app, spawn_agent, client) -> None:
    await spawn_agent("lead", "orchestrator")
    await spawn_window(client, WindowSpec("orc", "orc-daemon", ["sleep", "600"]))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_text(pilot, "daemon")
        tree = region_text(app, "#tree")
        assert "unmanaged" not in tree
        assert "orc-daemon" not in tree
        rows = [line.strip() for line in tree.splitlines() if line.strip()]
        assert rows[2:4] == ["▼ orc", "└ · daemon leader without a UI"], tree


async def test_theme_list_has_orcs_and_the_users_themes_only(
    make_app, spawn_agent, private_terminal: Path
) -> None:
    themes = private_terminal / "orc" / "themes"
    themes.mkdir(parents=True)
    (themes / "mine.toml").write_text('name = "mine"\nprimary = "#d75f00"\ndark = true\n')
    await spawn_agent("lead", "orchestrator")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_text(pilot, "lead")
        assert app.theme == "orc-dark", "a truecolor terminal gets the full-colour theme"
        app.search_themes()
        text = await wait_text(pilot, "orc-light")
        for name in ("mine", "orc-16", "orc-dark"):
            assert name in text
        for builtin in ("textual-dark", "nord", "gruvbox", "dracula"):
            assert builtin not in text, f"Textual's {builtin} is listed"
        await pilot.press(*"mine", "enter")
        await wait_until(pilot, lambda: app.theme == "mine", "the user's theme chosen")


async def test_a_16_colour_terminal_gets_orc_16_and_ssh_turns_animations_off(
    make_app, spawn_agent, monkeypatch: pytest.MonkeyPatch
) -> None:
    await spawn_agent("lead", "orchestrator")
    assert make_app().animation_level != "none"
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.delenv("COLORTERM")
    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.2 50000 10.0.0.1 22")
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await wait_text(pilot, "lead")
        assert app.theme == "orc-16"
        assert app.current_theme.ansi
        assert app.animation_level == "none"


async def cycle_to(pilot, app: OrcApp, label: str) -> None:  # type: ignore[no-untyped-def]
    for _ in range(8):
        if label in screen_text(app):
            return
        await pilot.press("ctrl+t")
        await pilot.pause(0.1)
    await wait_text(pilot, label, timeout=1.0)


async def test_composer_role_team_and_everyone_scopes(make_app, spawn_agent, tmp_path) -> None:
    names = ("lead", "eng-1", "eng-2", "ops-1")
    records = {n: tmp_path / f"{n}.jsonl" for n in names}
    await spawn_agent("lead", "orchestrator", record=records["lead"], work=0.2)
    eng1 = await spawn_agent("eng-1", parent="lead", record=records["eng-1"], work=0.2)
    await spawn_agent("eng-2", parent="lead", record=records["eng-2"], work=0.2)
    await spawn_agent("ops-1", session="ops", team="ops", record=records["ops-1"], work=0.2)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_text(pilot, "ops-1")
        app.select_agent(eng1)
        await pilot.press("m")
        await cycle_to(pilot, app, "(every engineer)")
        await pilot.press(*"role-call", "ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        await pilot.press("enter")  # Send has the focus
        await wait_text(pilot, "3 delivered")
        for name in ("eng-1", "eng-2", "ops-1"):
            assert await wait_recorded(records[name], 1) == ["role-call"]
        assert recorded(records["lead"]) == []

        await cycle_to(pilot, app, "(team team)")
        await pilot.press(*"team-call", "ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        await pilot.press("enter")  # Send has the focus
        await wait_text(pilot, "3 delivered")
        for name in ("lead", "eng-1", "eng-2"):
            assert (await wait_recorded(records[name], 2))[-1] == "team-call"
        assert recorded(records["ops-1"]) == ["role-call"]

        await cycle_to(pilot, app, "(every agent)")
        await pilot.press(*"all-call", "ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        await pilot.press("enter")  # Send has the focus
        await wait_text(pilot, "4 delivered")
        for name in names:
            assert recorded(records[name])[-1:] == ["all-call"] or (
                (await wait_recorded(records[name], len(recorded(records[name])) + 1))[-1]
                == "all-call"
            )


async def test_inbox_y_and_n_answer_the_prompt(make_app, spawn_agent, client) -> None:
    eng = await spawn_agent("eng-1", work=0.3)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_text(pilot, "eng-1")
        for key, outcome in (("y", "✓ approved"), ("n", "✓ denied")):
            assert (await app.room.send(eng, "/approve")).ok
            await pilot.press("i")
            await wait_until(pilot, lambda: isinstance(app.screen, InboxScreen), "inbox open")
            await wait_text(pilot, "Do you want to proceed?")
            await pilot.press(key)
            await wait_text(pilot, "Nobody needs you")
            screen = (await client.run("capture-pane", "-p", "-t", eng)).stdout
            assert outcome in screen, screen
            await pilot.press("escape")
            await wait_until(pilot, lambda: not isinstance(app.screen, InboxScreen), "closed")
            # the agent applies the answer, then is idle and can be asked again
            await wait_until(
                pilot,
                lambda: (
                    getattr(app.room.state.by_pane(eng), "status", None) is not None
                    and app.room.state.by_pane(eng).status.state == "idle"
                ),  # type: ignore[union-attr]
                "eng-1 idle again",
            )
