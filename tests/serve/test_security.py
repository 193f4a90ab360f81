"""The server's guards against a real `orc serve`: the token on every endpoint and the
WebSocket, Origin, body cap, a flood, where it may listen, and the token file's privacy."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import ssl
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets

from orc.core import TmuxServerAddress
from orc.core.serve.guards import BODY_MAX
from tests.conftest import wait_recorded
from tests.serve.conftest import (
    Served,
    free_port,
    orc_argv,
    serve_env,
    start_server,
    stop_server,
)


def every_route(served: Served) -> list[tuple[str, str]]:
    spec = httpx.get(served.url + "/openapi.json", headers=served.headers).json()
    routes = []
    for path, methods in spec["paths"].items():
        concrete = re.sub(r"\{[^}]+\}", "1", path)
        routes += [(method.upper(), concrete) for method in methods]
    return [*routes, ("GET", "/openapi.json")]


def test_no_token_or_a_wrong_token_is_401_everywhere(served: Served) -> None:
    routes = every_route(served)
    assert len(routes) >= 20
    for header in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": served.token}):
        for method, path in routes:
            response = httpx.request(method, served.url + path, headers=header, json={})
            assert response.status_code == 401, (method, path, header)
    # The page itself is public: it asks for the token.
    assert httpx.get(served.url + "/").status_code == 200


async def test_the_websocket_needs_the_token(served: Served) -> None:
    for protocols in (None, ["orc.bearer", "wrong"]):
        if protocols is None:
            async with websockets.connect(served.ws_url) as ws:
                await ws.send(json.dumps({"token": "wrong"}))
                with pytest.raises(websockets.ConnectionClosed) as closed:
                    await ws.recv()
                assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
        else:
            with pytest.raises(websockets.InvalidStatus) as refused:
                await websockets.connect(served.ws_url, subprotocols=protocols)  # type: ignore[arg-type]
            assert refused.value.response.status_code == 401
    # The right token: in the handshake, or as the first message.
    async with websockets.connect(
        served.ws_url,
        subprotocols=["orc.bearer", served.token],  # type: ignore[list-item]
    ) as ws:
        assert json.loads(await ws.recv())["event"] == "needs"
    async with websockets.connect(served.ws_url) as ws:
        await ws.send(json.dumps({"token": served.token}))
        assert json.loads(await ws.recv())["event"] == "needs"


async def test_the_token_in_a_url_or_a_cookie_is_refused(served: Served) -> None:
    """URLs are logged and cookies ride along with cross-site requests: neither carries it."""
    for params, cookies in (({"token": served.token}, {}), ({}, {"orc-token": served.token})):
        with httpx.Client(base_url=served.url, params=params, cookies=cookies) as http:
            assert http.get("/api/status").status_code == 401
            assert (
                http.get("/api/needs-you", params={"access_token": served.token}).status_code == 401
            )
    async with websockets.connect(
        f"{served.ws_url}?token={served.token}",
        additional_headers={"Cookie": f"orc-token={served.token}"},
    ) as ws:
        await ws.send(json.dumps({"hello": 1}))  # no token in the first message either
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


async def test_a_websocket_message_is_capped_as_a_body(served: Served) -> None:
    async with websockets.connect(
        served.ws_url,
        subprotocols=["orc.bearer", served.token],  # type: ignore[list-item]
        max_size=None,
    ) as ws:
        assert json.loads(await ws.recv())["event"] == "needs"
        await ws.send("a" * (BODY_MAX + 10))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            async with asyncio.timeout(60):  # not closed: TimeoutError, and the test fails
                while True:
                    await ws.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009  # too big
    assert httpx.get(served.url + "/api/status", headers=served.headers).status_code == 200


async def test_a_foreign_origin_is_refused(served: Served) -> None:
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(
            served.ws_url,
            subprotocols=["orc.bearer", served.token],  # type: ignore[list-item]
            origin="http://evil.example",  # type: ignore[arg-type]
        )
    assert refused.value.response.status_code == 403
    async with websockets.connect(
        served.ws_url,
        subprotocols=["orc.bearer", served.token],  # type: ignore[list-item]
        origin=served.url,  # type: ignore[arg-type]
    ) as ws:
        assert json.loads(await ws.recv())["event"] == "needs"


def test_an_oversized_body_is_413(served: Served) -> None:
    big = {"target": "x", "text": "a" * (BODY_MAX + 10)}
    with served.client() as http:
        assert http.post("/api/send", json=big).status_code == 413

        def chunks():  # no Content-Length: cut off while it streams in
            for _ in range(40):
                yield b"a" * 10_000

        chunked = http.post(
            "/api/send", content=chunks(), headers={"content-type": "application/json"}
        )
        assert chunked.status_code == 413


@pytest.fixture
def slow_limit(address: TmuxServerAddress, db_path: Path, tmp_path: Path) -> Iterator[Served]:
    """A server whose client may send 1 request a second after its burst of 200: a flood hits
    the limit however slowly a busy machine serves it."""
    server = start_server(
        address, db_path, tmp_path, env={**serve_env(tmp_path), "ORC_SERVE_RATE": "1"}
    )
    try:
        yield server
    finally:
        stop_server(server)


@pytest.mark.timeout(300)  # a slow flood or browser on a busy machine
async def test_a_flood_leaves_the_server_up_and_the_room_alone(
    slow_limit: Served, spawn_agent, tmp_path: Path
) -> None:
    served = slow_limit
    record = tmp_path / "eng-1.jsonl"
    await spawn_agent("eng-1", record=record)
    codes: list[int] = []
    async with httpx.AsyncClient(base_url=served.url, headers=served.headers, timeout=60) as http:

        async def one() -> None:
            codes.append((await http.get("/api/status")).status_code)

        started = time.monotonic()
        for _ in range(10):  # 1,000 requests, 100 at a time
            await asyncio.gather(*(one() for _ in range(100)))
        spent = time.monotonic() - started
        assert len(codes) == 1000 and set(codes) <= {200, 429}
        assert codes.count(429) > 0, "no request was limited"
        assert served.process.poll() is None
        # The limit refills: the same client is served again, and its messages arrive.
        deadline = time.monotonic() + 30
        while (await http.get("/api/status")).status_code != 200:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.2)
        while True:
            sent = await http.post("/api/send", json={"target": "eng-1", "text": "after the flood"})
            if sent.status_code != 429:
                break
            assert time.monotonic() < deadline
            await asyncio.sleep(0.5)
        assert sent.status_code == 200, sent.text
    assert await wait_recorded(record, 1) == ["after the flood"]
    print(f"flood: 1000 requests in {spent:.2f}s, {codes.count(429)} limited")


@pytest.mark.parametrize(
    "args",
    [
        ["--host", "0.0.0.0"],
        ["--host", "192.168.1.5", "--port", "9"],
        ["--host", "0.0.0.0", "--tls-cert", "/etc/hostname"],
    ],
)
def test_a_non_loopback_address_without_tls_is_refused(
    args: list[str], address: TmuxServerAddress, db_path: Path, tmp_path: Path
) -> None:
    done = subprocess.run(
        orc_argv(address, db_path, "serve", *args),
        env=serve_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("orc: ") and done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr


def test_the_token_file_is_private_and_stable(
    address: TmuxServerAddress, db_path: Path, tmp_path: Path
) -> None:
    env = serve_env(tmp_path)
    argv = orc_argv(address, db_path, "serve", "--show-token")
    first = subprocess.run(argv, env=env, capture_output=True, text=True, check=True).stdout
    second = subprocess.run(argv, env=env, capture_output=True, text=True, check=True).stdout
    assert first == second and len(first.strip()) >= 40
    path = Path(env["XDG_DATA_HOME"]) / "orc" / "serve-token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_it_serves_over_tls_with_a_certificate_and_its_key(
    address: TmuxServerAddress, db_path: Path, tmp_path: Path
) -> None:
    """What binding beyond loopback requires works: the API over https with the given pair
    (a self-signed certificate for 127.0.0.1 here; the refusal without one is above)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("no openssl to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *(openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"),
            *("-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1"),
            *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    env = serve_env(tmp_path)
    token = subprocess.run(
        orc_argv(address, db_path, "serve", "--show-token"),
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    port = free_port()
    argv = ["serve", "--port", str(port), "--tls-cert", str(cert), "--tls-key", str(key)]
    log = tmp_path / "serve-tls.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            orc_argv(address, db_path, *argv), env=env, stdout=out, stderr=subprocess.STDOUT
        )
    trusted = ssl.create_default_context(cafile=str(cert))
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with httpx.Client(base_url=f"https://127.0.0.1:{port}", verify=trusted) as https:
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None, log.read_text()
                try:
                    response = https.get("/api/status", headers=headers)
                    break
                except httpx.ConnectError:
                    assert time.monotonic() < deadline, log.read_text()
                    time.sleep(0.1)
            assert response.status_code == 200, response.text
            assert https.get("/api/status").status_code == 401
        with pytest.raises(httpx.HTTPError):  # no clear text on that port
            httpx.get(f"http://127.0.0.1:{port}/api/status", headers=headers, timeout=10)
    finally:
        process.terminate()
        process.wait(timeout=20)
