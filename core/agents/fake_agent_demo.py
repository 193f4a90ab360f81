"""What a fake agent does in the demo (`--demo`): it behaves like a member of a real team.

It works (spinner and tool output), edits files in the demo repo so checkpoints have something to
save (and, in a worktree of its own, commits some of them, so the Diff view has a branch ahead of
its base to show), messages its parent and reports with the real `orc send`, schedules
check-ins with `orc schedule add`, and, with the `approvals` trait, now and then waits for a
person to approve. Every `orc` call is a subprocess from an argv list, from inside the agent's
own pane, exactly as a real agent would make it.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from orc.core.child_process import communicate

if TYPE_CHECKING:
    from orc.core.agents.fake_agent import FakeAgent

DEMO_MARKER = ".orc-demo"  # files are edited only in a repo that carries this marker
APPROVAL_PATIENCE = 120.0  # seconds an unanswered approval dialog waits before it gives up
ORC_TIMEOUT = 30.0


def orc_program() -> str:
    """The `orc` console script: on PATH (as an agent finds it) or next to this Python."""
    beside = Path(sys.executable).parent / "orc"
    return shutil.which("orc") or str(beside)


@dataclass
class Team:
    role: str = ""
    parent: str = ""
    reports: list[str] = field(default_factory=list)
    peers: list[str] = field(default_factory=list)


TASKS = [
    "fix the rounding of cart totals",
    "add pagination to GET /orders",
    "make checkout retry the payment call",
    "cover the discount rules with tests",
    "split the product page into components",
    "validate addresses before shipping",
    "cache the catalogue for 60s",
    "log slow requests with their route",
]
TOOLS = [
    ("Read", "src/shop/{area}.py", "Read {n} lines"),
    ("Bash", "pytest -q tests/test_{area}.py", "{n} passed in 0.{m}s"),
    ("Grep", '"def total" src/', "Found {m} matches"),
    ("Bash", "ruff check src/shop/{area}.py", "All checks passed!"),
]


class DemoBehaviour:
    def __init__(self, agent: FakeAgent, traits: set[str], pace: float = 1.0) -> None:
        self.agent = agent
        self.traits = traits
        self.pace = pace
        self.rng = random.Random(agent.name)
        self.orc = orc_program()
        self.repo = Path.cwd()
        self.team = Team()
        self.unavailable: set[str] = set()  # orc commands this installation does not have
        self.area = ("web", "api", "cart", "checkout")[sum(map(ord, agent.name)) % 4]
        self.task = self.rng.choice(TASKS)

    # -- the loop ---------------------------------------------------------------------------

    async def run(self) -> None:
        await asyncio.sleep(self.rng.uniform(1.0, 2.5) * self.pace)
        await self.learn_team()
        first = {
            "engineer": [self.edit, self.commit, self.edit, self.report]
            if self.isolated
            else [self.edit, self.report],
            "pm": [self.assign, self.schedule],
            "orchestrator": [self.schedule, self.direct],
        }.get(self.team.role, [self.work])
        for action in first:
            await self.act(action)
        while self.agent.running:
            await self.act(self.rng.choice(self.choices()))

    def choices(self) -> list[Callable[[], Awaitable[None]]]:
        role = self.team.role
        if role == "engineer":
            moves: list[Callable[[], Awaitable[None]]] = [
                self.work,
                self.work,
                self.edit,
                self.edit,
                self.report,
            ]
            if self.isolated:
                moves.append(self.commit)
            if "approvals" in self.traits:
                moves.append(self.ask_approval)
            return moves
        if role == "pm":
            return [self.work, self.assign, self.assign, self.report, self.schedule]
        if role == "orchestrator":
            return [self.work, self.direct, self.schedule, self.remember]
        return [self.work]

    async def act(self, action: Callable[[], Awaitable[None]]) -> None:
        while self.agent.dialog or self.agent.busy:
            await asyncio.sleep(0.5)
        await action()
        await asyncio.sleep(self.rng.uniform(6.0, 14.0) * self.pace)

    # -- actions -----------------------------------------------------------------------------

    async def learn_team(self) -> None:
        """Who am I in the team? Asked of `orc status`, as a real agent would."""
        for _ in range(10):
            ok, out = await self.orc_call(["status", "--json"], show=False)
            if ok:
                try:
                    rows = json.loads(out)
                except ValueError:
                    rows = []
                me = next((r for r in rows if r.get("name") == self.agent.name), None)
                if me is not None:
                    team = me.get("team", "")
                    self.team = Team(
                        role=me.get("role", ""),
                        parent=me.get("parent", ""),
                        reports=[r["name"] for r in rows if r.get("parent") == self.agent.name],
                        peers=[
                            r["name"]
                            for r in rows
                            if r.get("team") == team and r.get("name") not in ("", self.agent.name)
                        ],
                    )
                    return
            await asyncio.sleep(2.0)

    async def work(self) -> None:
        tool, arg, result = self.rng.choice(TOOLS)
        values = {"area": self.area, "n": self.rng.randint(12, 240), "m": self.rng.randint(1, 9)}
        self.agent.log.append(f"⏺ {tool}({arg.format(**values)})")
        self.agent.start_work(self.rng.uniform(2.0, 6.0) * self.pace, f"Working on: {self.task}")
        await asyncio.sleep(1.0)
        self.agent.log.append(f"  ⎿ {result.format(**values)}")

    async def edit(self) -> None:
        if not (self.repo / DEMO_MARKER).exists():
            await self.work()
            return
        relative = f"src/shop/{self.area}.py"
        path = self.repo / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        number = self.rng.randint(1, 9999)
        snippet = (
            f"\n\ndef step_{self.agent.name.replace('-', '_')}_{number}(value: float) -> float:\n"
            f'    """{self.task} (by {self.agent.name})."""\n'
            f"    return round(value * {self.rng.uniform(0.8, 1.2):.2f}, 2)\n"
        )
        with path.open("a", encoding="utf-8") as f:
            f.write(snippet)
        self.agent.log.append(f"⏺ Update({relative})")
        self.agent.log.append("  ⎿ Updated with 3 additions")
        self.agent.start_work(self.rng.uniform(1.5, 4.0) * self.pace, "Editing")

    @property
    def isolated(self) -> bool:
        """In a linked worktree of its own (`isolation = "worktree"`), whose `.git` is a file."""
        return (self.repo / ".git").is_file() and (self.repo / DEMO_MARKER).exists()

    async def commit(self) -> None:
        """Commit the edits on the agent's own branch, as an engineer hands work back."""
        if not self.isolated:
            await self.work()
            return
        message = f"{self.task} ({self.agent.name})"
        self.agent.log.append(f'⏺ Bash(git commit -am "{message}")')
        ok, out = await self.git("add", "-A")
        if ok:
            who = self.agent.name
            ok, out = await self.git(
                "-c", f"user.name={who}", "-c", f"user.email={who}@orc.invalid",
                "commit", "-q", "-m", message,
            )  # fmt: skip
        # git's output has several lines; the log is drawn line by line in raw mode, where a bare
        # newline would step the rest of the line down and across (a staircase): one line only.
        said = next((line.strip() for line in out.splitlines() if line.strip()), "")
        self.agent.log.append(f"  ⎿ {'committed' if ok else (said or 'nothing to commit')[:150]}")
        self.agent.start_work(self.rng.uniform(1.0, 2.0) * self.pace, "Committing")

    async def git(self, *args: str) -> tuple[bool, str]:
        try:
            proc = await asyncio.create_subprocess_exec(
                "git", *args, cwd=self.repo, stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip
            out, _ = await communicate(proc, timeout=ORC_TIMEOUT)
        except (OSError, TimeoutError) as exc:
            return False, str(exc)
        return proc.returncode == 0, out.decode("utf-8", "replace")

    async def report(self) -> None:
        if not self.team.parent:
            await self.work()
            return
        done = self.rng.choice(["done", "half done", "blocked on review", "in progress"])
        text = f"{self.agent.name}: {self.task}: {done}, {self.rng.randint(5, 40)} tests pass"
        await self.orc_call(["send", self.team.parent, text])

    async def assign(self) -> None:
        if not self.team.reports:
            await self.work()
            return
        who = self.rng.choice(self.team.reports)
        task = self.rng.choice(TASKS)
        await self.orc_call(
            ["send", who, f"{self.agent.name}: next task for you: {task}. Report when tests pass."]
        )

    async def direct(self) -> None:
        if not self.team.reports:
            await self.work()
            return
        who = self.rng.choice(self.team.reports)
        await self.orc_call(
            ["send", who, f"{self.agent.name}: status please, and what is blocking your team?"]
        )

    async def schedule(self) -> None:
        about = self.rng.choice(self.team.reports) if self.team.reports else "my own work"
        await self.orc_call(["schedule", "add", "2m", f"check on {about}"])

    async def remember(self) -> None:
        fact = f"decision: {self.rng.choice(TASKS)} comes before the release"
        await self.orc_call(["memory", "add", fact, "--tag", "decision"])

    async def ask_approval(self) -> None:
        self.agent.log.append("⏺ Bash(git push origin HEAD:feature/checkout)")
        self.agent.dialog = True
        waited = 0.0
        while self.agent.dialog and waited < APPROVAL_PATIENCE:
            await asyncio.sleep(0.5)
            waited += 0.5
        if self.agent.dialog:
            self.agent.dialog = False
            self.agent.log.append("  ⎿ no answer: skipped the push")

    # -- calling orc -------------------------------------------------------------------------

    async def orc_call(self, args: list[str], *, show: bool = True) -> tuple[bool, str]:
        command = args[0]
        if command in self.unavailable:
            return False, ""
        if show:
            shown = " ".join(a if " " not in a else f'"{a}"' for a in args)
            self.agent.log.append(f"⏺ Bash(orc {shown[:150]})")
        try:
            proc = await asyncio.create_subprocess_exec(
                self.orc,
                *args,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=os.environ.copy(),
            )
            out, err = await communicate(proc, timeout=ORC_TIMEOUT)
        except (OSError, TimeoutError) as exc:
            if show:
                self.agent.log.append(f"  ⎿ orc failed: {exc}")
            return False, ""
        text = out.decode("utf-8", "replace")
        error = err.decode("utf-8", "replace").strip()
        if "not built yet" in error or (proc.returncode == 2 and "No such command" in error):
            self.unavailable.add(command)
        if show:
            summary = (text.strip() or error or f"exit {proc.returncode}").splitlines()[-1]
            self.agent.log.append(f"  ⎿ {summary[:150]}")
        return proc.returncode == 0, text


def behaviour(traits: str) -> Callable[[FakeAgent], Awaitable[None]]:
    """The background task fake_agent runs with `--demo [TRAITS]` (comma-separated traits)."""
    wanted = {t.strip() for t in traits.split(",") if t.strip()}
    pace = float(os.environ.get("ORC_DEMO_PACE", "1") or 1)

    async def run(agent: FakeAgent) -> None:
        try:
            await DemoBehaviour(agent, wanted, pace).run()
        except Exception as exc:  # shown on the agent's screen: a demo agent must not crash
            agent.log.append(f"(demo behaviour stopped: {exc!r})")

    return run
