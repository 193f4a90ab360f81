"""The package as a user gets it: a wheel built from this checkout, installed with pip into a fresh
venv outside the repository, then used there with nothing of the checkout on the import path.

The checkout's own tests import `orc.core` and `orc.tui` from the working tree, so a data file
missing from the wheel (the themes once were) passes them all; only these tests see it. Select them
with `./run test -m package`; the wheel is built once per session.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.package

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Installed:
    venv: Path
    home: Path  # cwd and HOME/XDG dirs for every command: nothing of the checkout around

    def bin(self, name: str) -> str:
        return str(self.venv / "bin" / name)

    def env(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("ORC_", "TMUX", "PYTHON", "VIRTUAL_ENV"))
        }
        env.update(
            HOME=str(self.home),
            XDG_DATA_HOME=str(self.home / "data"),
            XDG_CONFIG_HOME=str(self.home / "config"),
            LANG="C.UTF-8",
            LC_ALL="C.UTF-8",
            TERM="xterm-256color",
            PATH=os.pathsep.join([str(self.venv / "bin"), os.environ.get("PATH", os.defpath)]),
        )
        return env

    def run(self, *argv: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(argv),
            cwd=self.home,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def _pip(python: str, *args: str, cwd: Path) -> None:
    result = subprocess.run(
        [python, "-m", "pip", "--disable-pip-version-check", "-q", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, f"pip {' '.join(args)} failed:\n{result.stderr[-3000:]}"


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """`pip wheel` the checkout (no new build tool needed), then `pip install` the wheel into a new
    venv in a temp dir, resolving its dependencies as pipx or `uv tool install` would."""
    base = tmp_path_factory.mktemp("package")
    assert ROOT not in base.parents, "the install must live outside the repository"
    wheels = base / "wheels"
    _pip(sys.executable, "wheel", "--no-deps", "-w", str(wheels), str(ROOT), cwd=base)
    (wheel,) = wheels.glob("orc-*.whl")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    _pip(str(venv / "bin" / "python"), "install", str(wheel), cwd=base)
    home = base / "home"
    home.mkdir()
    # Every command runs here, in a folder that holds packages of its own named like orc's folders
    # (an agent's repository often has a `core/`): orc must never import them.
    for name in ("core", "tui", "orc"):
        (home / name).mkdir()
        shadow = f'raise ImportError("the project\'s own {name}")\n'
        (home / name / "__init__.py").write_text(shadow)
    return Installed(venv, home)


def test_the_wheel_installs_one_top_level_package(installed: Installed) -> None:
    (wheel,) = (installed.venv.parent / "wheels").glob("orc-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        tops = {name.split("/")[0] for name in archive.namelist()}
    assert tops == {"orc", "orc-0.1.0.dist-info"}


@pytest.fixture
def socket() -> Iterator[str]:
    name = f"orc-pkg-{uuid.uuid4().hex[:8]}"
    yield name
    subprocess.run(["tmux", "-L", name, "kill-server"], capture_output=True, check=False)


def _tmux(installed: Installed, socket: str, *args: str) -> str:
    result = installed.run("tmux", "-L", socket, *args, timeout=30)
    assert result.returncode == 0, f"tmux {args}: {result.stderr}"
    return result.stdout


def _wait_for(what: str, check, timeout: float = 30.0) -> str:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        ok, last = check()
        if ok:
            return last
        time.sleep(0.1)
    raise AssertionError(f"{what} did not happen in {timeout}s; last seen:\n{last}")


def test_installed_package_runs_from_the_venv_alone(installed: Installed) -> None:
    version = installed.run(installed.bin("orc"), "--version")
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == "orc 0.1.0"
    where = installed.run(
        installed.bin("python"),
        "-P",  # the folder's own `orc` would come first otherwise, as for any `python -c`
        "-c",
        "import orc.core, orc.tui.themes as t; print(orc.core.__file__); "
        "print(sorted(th.name for th in t.load_themes(t.SHIPPED_DIR)[0]))",
    )
    assert where.returncode == 0, where.stderr
    module, themes = where.stdout.splitlines()
    assert Path(module).is_relative_to(installed.venv), "imported from the checkout, not the wheel"
    assert themes == "['orc-16', 'orc-dark', 'orc-light']"


def data_files_of_the_checkout() -> set[str]:
    """Every file the code may read at run time: all but Python sources under core/ and tui/,
    and the themes, which the wheel carries as tui/theme_files/."""
    found = {
        str(path.relative_to(ROOT))
        for package in ("core", "tui")
        for path in (ROOT / package).rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc")
    }
    return found | {f"tui/theme_files/{path.name}" for path in (ROOT / "themes").glob("*.toml")}


def test_every_data_file_is_in_the_installed_package(installed: Installed) -> None:
    site = installed.run(
        installed.bin("python"),
        "-P",  # the folder's own `orc` would come first otherwise, as for any `python -c`
        "-c",
        "import orc.core, pathlib; print(pathlib.Path(orc.core.__file__).parent.parent)",
    ).stdout.strip()
    missing = sorted(
        name for name in data_files_of_the_checkout() if not (Path(site) / name).is_file()
    )
    assert missing == [], f"not in the wheel: {missing}"


def test_status_and_control_room_on_a_private_server(installed: Installed, socket: str) -> None:
    db = str(installed.home / "room.sqlite")
    orc = [installed.bin("orc"), "-L", socket, "--db", db]
    agent = [installed.bin("python"), "-P", "-m", "orc.core.agents.fake_agent", "--name", "alpha"]
    _tmux(installed, socket, "new-session", "-d", "-s", "team", "-x", "120", "-y", "40", *agent)
    _wait_for(
        "the fake agent's prompt",
        lambda: _screen(installed, socket, "team:0"),
    )
    adopted = installed.run(*orc, "adopt", "team:0", "--name", "alpha", "--role", "engineer")
    assert adopted.returncode == 0, adopted.stderr
    status = installed.run(*orc, "status")
    assert status.returncode == 0, status.stderr
    assert "alpha" in status.stdout and "engineer" in status.stdout

    # The exit code, as the parent of the control room sees it. tmux's #{pane_dead_status} can
    # stay empty for many seconds on a busy machine (the exited process waits as a zombie until
    # the server reaps it), so a small parent records it instead.
    exit_file = installed.home / "room.exit"
    record_exit = (
        "import pathlib, subprocess, sys; "
        "pathlib.Path(sys.argv[1]).write_text(str(subprocess.call(sys.argv[2:])))"
    )
    wrapped = [installed.bin("python"), "-c", record_exit, str(exit_file), *orc]
    pane = _tmux(
        installed, socket, "new-window", "-d", "-P", "-F", "#{pane_id}", "-n", "room", *wrapped
    ).strip()
    _wait_for("the control room showing alpha", lambda: _screen(installed, socket, pane, "alpha"))
    _wait_for("its footer", lambda: _screen(installed, socket, pane, "q Quit"))
    _tmux(installed, socket, "send-keys", "-t", pane, "q")
    _wait_for(
        "the control room to quit on q",
        lambda: (exit_file.is_file() and exit_file.stat().st_size > 0, ""),
    )
    assert exit_file.read_text() == "0", "the control room's exit code after q"


def _screen(installed: Installed, socket: str, target: str, needle: str = "fake agent"):  # type: ignore[no-untyped-def]
    text = _tmux(installed, socket, "capture-pane", "-p", "-t", target)
    return needle in text, text


def test_demo_comes_up_and_goes_down(installed: Installed, socket: str) -> None:
    env_orc = [installed.bin("orc"), "demo", "--socket", socket]
    up = installed.run(*env_orc, "--no-ui", timeout=180)
    assert up.returncode == 0, up.stdout + up.stderr
    assert f"open the control room with `orc -L {socket}`" in up.stdout
    down = installed.run(*env_orc, "--down")
    assert down.returncode == 0, down.stderr
    assert down.stdout.startswith("removed ")
    after = installed.run("tmux", "-L", socket, "list-sessions")
    assert "shop" not in after.stdout
