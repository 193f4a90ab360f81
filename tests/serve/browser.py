"""Debian's chromium driven by Playwright (never Playwright's own browser download, which this
machine cannot reach: /work/shared/DESIGN.md, Facts about browsers). Tests that need it skip
when it is missing; `./run test` installs it."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("ORC_CHROMIUM", "/usr/bin/chromium"))
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}  # a phone's screen in CSS pixels


def need_chromium() -> None:
    pytest.importorskip("playwright")
    if not CHROMIUM.is_file():
        pytest.skip(f"no chromium at {CHROMIUM} (./run test installs Debian's chromium)")


@asynccontextmanager
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=FLAGS
        )
        try:
            yield chromium
        finally:
            await chromium.close()
