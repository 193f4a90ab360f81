"""Install the real agent programs the test bed runs, at the versions pinned beside this file.

`python -m tests.realagents.install` puts Claude Code, Codex and Gemini CLI (npm, from
tests/realagents/npm/package.json and its lock file) and Aider (its own venv, from
tests/realagents/aider-requirements.txt) under `.agents/` in the checkout (git ignores it), or
under `$ORC_AGENTS_DIR`. A stamp of the pinned files makes a second run a no-op, so `./run test`
calls it every time. An install that fails is reported and leaves the rest usable: the tests of
that agent are then skipped with the reason (or fail, where `ORC_REQUIRE_AGENTS=1`, as in CI).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
NPM_FILES = (HERE / "npm" / "package.json", HERE / "npm" / "package-lock.json")
AIDER_FILE = HERE / "aider-requirements.txt"


def agents_dir() -> Path:
    return Path(os.environ.get("ORC_AGENTS_DIR") or ROOT / ".agents")


def _stamp(files: tuple[Path, ...]) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _fresh(target: Path, files: tuple[Path, ...]) -> bool:
    stamp = target / ".orc-stamp"
    return stamp.is_file() and stamp.read_text().strip() == _stamp(files)


def _mark(target: Path, files: tuple[Path, ...]) -> None:
    (target / ".orc-stamp").write_text(_stamp(files) + "\n")


def install_npm(base: Path) -> str | None:
    """The three npm agents into base/npm; returns why not, or None."""
    target = base / "npm"
    if _fresh(target, NPM_FILES):
        return None
    npm = shutil.which("npm")
    if npm is None:
        return "npm is not installed (Node.js >= 20 is needed for Claude Code, Codex and Gemini)"
    target.mkdir(parents=True, exist_ok=True)
    for path in NPM_FILES:
        shutil.copyfile(path, target / path.name)
    done = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=target,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        return f"npm ci failed: {(done.stderr or done.stdout).strip().splitlines()[-1:]}"
    _mark(target, NPM_FILES)
    return None


def install_aider(base: Path) -> str | None:
    """Aider into its own venv (its pinned dependencies must not meet orc's)."""
    target = base / "aider"
    if _fresh(target, (AIDER_FILE,)):
        return None
    python = target / "bin" / "python"
    if not python.exists():
        made = subprocess.run(
            [sys.executable, "-m", "venv", str(target)], capture_output=True, text=True
        )
        if made.returncode != 0:
            return f"could not create a venv for aider: {made.stderr.strip()}"
    done = subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            "-r",
            str(AIDER_FILE),
        ],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        return f"pip install aider failed: {(done.stderr or done.stdout).strip().splitlines()[-1:]}"
    _mark(target, (AIDER_FILE,))
    return None


def main() -> int:
    base = agents_dir()
    base.mkdir(parents=True, exist_ok=True)
    problems = [p for p in (install_npm(base), install_aider(base)) if p]
    for problem in problems:
        print(f"real agents: {problem}", file=sys.stderr)
    # Not fatal: the tests that need a missing agent say so (and fail where it is required).
    return 0


if __name__ == "__main__":
    sys.exit(main())
