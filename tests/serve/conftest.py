"""A real `orc serve` for each test: the CLI started as a child process on a free port, over
the test's own tmux server and database, with a data folder of its own (so its own token)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from orc.core import TmuxServerAddress
from tests.conftest import ROOT

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def orc_argv(address: TmuxServerAddress, db_path: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "orc.core.cli", *address.argv(), "--db", str(db_path), *args]


@dataclass
class Served:
    url: str
    token: str
    process: subprocess.Popen[bytes]
    env: dict[str, str]
    log: Path

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/events"

    def client(self, **options: object) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers=self.headers, timeout=30, **options)  # type: ignore[arg-type]


def serve_env(tmp_path: Path) -> dict[str, str]:
    data = tmp_path / "serve-data"
    return {
        **os.environ,
        "XDG_DATA_HOME": str(data),
        "PYTHONPATH": str(ROOT),
    }


def start_server(
    address: TmuxServerAddress,
    db_path: Path,
    tmp_path: Path,
    *extra: str,
    env: dict[str, str] | None = None,
) -> Served:
    env = env or serve_env(tmp_path)
    token = subprocess.run(
        orc_argv(address, db_path, "serve", "--show-token"),
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    port = free_port()
    log = tmp_path / f"serve-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            orc_argv(address, db_path, "serve", "--port", str(port), *extra),
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
    served = Served(f"http://127.0.0.1:{port}", token, process, env, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"orc serve exited {process.returncode}: {log.read_text()}")
        try:
            if (
                httpx.get(served.url + "/api/status", headers=served.headers, timeout=5).status_code
                == 200
            ):
                return served
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    process.kill()
    raise AssertionError(f"orc serve never answered: {log.read_text()}")


def stop_server(served: Served) -> None:
    served.process.terminate()
    try:
        served.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        served.process.kill()
        served.process.wait(timeout=20)


@pytest.fixture
def served(address: TmuxServerAddress, db_path: Path, tmp_path: Path) -> Iterator[Served]:
    server = start_server(address, db_path, tmp_path)
    try:
        yield server
    finally:
        stop_server(server)
