"""The "needs you" page in a real Chromium against a real `orc serve` and fake agents."""

from __future__ import annotations

from pathlib import Path

from orc.core.tmux.client import TmuxClient
from orc.core.tmux.spawn import Identity, WindowSpec, spawn_window
from tests.conftest import ROOT, fake_agent_argv, recorded, wait_for_screen, wait_recorded
from tests.serve.browser import PHONE, browser, need_chromium
from tests.serve.conftest import Served

HOSTILE = '<img src=x onerror="window.pwned=1">'


async def open_page(chromium, served: Served):  # type: ignore[no-untyped-def]
    page = await chromium.new_page(viewport=PHONE)
    await page.goto(served.url + "/")
    await page.fill("#token", served.token)
    await page.click("#login button")
    await page.wait_for_selector("#live.on", timeout=30_000)
    return page


async def test_a_dialog_shows_on_the_page_and_one_tap_answers_it(
    served: Served, spawn_agent, client: TmuxClient, tmp_path: Path, room
) -> None:
    """How soon it shows is measured in bench/serve.py, not budgeted here: a busy machine must
    not fail the test."""
    need_chromium()
    record = tmp_path / "eng-1.jsonl"
    pane = await spawn_agent("eng-1", record=record)
    async with browser() as chromium:
        page = await open_page(chromium, served)
        assert await page.locator("li.item").count() == 0
        # The dialog appears in the pane: the page shows it, pushed, without a reload.
        await client.run("send-keys", "-t", pane, "-l", "--", "/approve")
        await client.run("send-keys", "-t", pane, "Enter")
        await wait_for_screen(client, pane, "Do you want to proceed?")
        item = page.locator("li.item", has_text="eng-1")
        await item.wait_for(timeout=30_000)
        assert "Do you want to proceed?" in await item.locator(".question").text_content()
        await item.locator("button[data-choice='1']").click()
        await wait_for_screen(client, pane, "✓ approved")
        await page.locator("li.item").first.wait_for(state="detached", timeout=30_000)
        # Exactly that answer reached the agent: one answer, "1", and nothing typed as a message.
        rows = await room.store.recent_messages(10)
        answers = [m for m in rows if m.kind == "answer"]
        assert [(m.text, m.status) for m in answers] == [("1", "delivered")]
        assert recorded(record) == ["/approve"]


async def test_a_message_from_the_page_arrives_byte_exact(
    served: Served, spawn_agent, tmp_path: Path
) -> None:
    need_chromium()
    record = tmp_path / "eng-2.jsonl"
    await spawn_agent("eng-2", record=record)
    text = "deploy 'v2' <b>now</b> & \"then\" $(whoami) ✓"
    async with browser() as chromium:
        page = await open_page(chromium, served)
        await page.select_option("#target", "eng-2")
        await page.fill("#text", text)
        await page.click("#send button")
        await page.wait_for_selector("#send-result.good", timeout=30_000)
        assert "delivered" in await page.text_content("#send-result")
    assert await wait_recorded(record, 1) == [text]


async def test_hostile_names_and_screens_never_run_script(
    served: Served, client: TmuxClient, tmp_path: Path
) -> None:
    need_chromium()
    spec = WindowSpec(
        session="team",
        window_name="hostile",
        argv=fake_agent_argv(HOSTILE),
        cwd=str(ROOT),
        env={"PYTHONPATH": str(ROOT)},
        width=120,
        height=40,
    )
    pane = await spawn_window(client, spec, Identity(HOSTILE, "engineer", "", "team", "fake"))
    await wait_for_screen(client, pane, "· fake agent")
    await client.run("send-keys", "-t", pane, "-l", "--", "/approve")
    await client.run("send-keys", "-t", pane, "Enter")
    async with browser() as chromium:
        page = await open_page(chromium, served)
        item = page.locator("li.item")
        await item.first.wait_for(timeout=10_000)
        assert await item.first.locator(".who").text_content() == HOSTILE
        assert await page.locator("img").count() == 0
        assert await page.evaluate("window.pwned === undefined")
        assert HOSTILE in await page.locator("#target").inner_text()


async def test_the_token_is_kept_in_the_page_storage(served: Served) -> None:
    need_chromium()
    async with browser() as chromium:
        context = await chromium.new_context(viewport=PHONE)
        page = await context.new_page()
        await page.goto(served.url + "/")
        await page.fill("#token", served.token)
        await page.click("#login button")
        await page.wait_for_selector("#live.on", timeout=30_000)
        again = await context.new_page()
        await again.goto(served.url + "/")
        await again.wait_for_selector("#live.on", timeout=30_000)
        assert await again.is_hidden("#login")
        # Kept in the page's storage only: no cookie, and never in the address bar.
        assert await context.cookies() == []
        assert served.token not in page.url and served.token not in again.url
        # A wrong token brings the form back instead of a broken page.
        await again.evaluate("localStorage.setItem('orc-token', 'wrong')")
        await again.reload()
        await again.wait_for_selector("#login:not([hidden])", timeout=30_000)
        assert "refused" in await again.text_content("#login-error")
