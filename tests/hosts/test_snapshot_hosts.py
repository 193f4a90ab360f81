"""`orc -H .. snapshot` over real sshd (tests/hosts/sshd_bed.py): every selected host's messages
and notes (each host's store keeps its own) in the export, each with its host, newest first,
secrets redacted; a host whose orc cannot answer is named in it, never a crash."""

from __future__ import annotations

import json
import subprocess

import jsonschema

from orc.core.hosts.host_config import HostConfig
from orc.core.room import Room
from orc.core.services.snapshot import schema
from tests.hosts import test_room_hosts
from tests.hosts.test_room_hosts import ORC, TIMEOUT, Hosts

KEY = "sk-ant-api03-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Jh1Gf0abcdEFGH"  # anthropic-key rule
TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"  # github-token rule

hosts = test_room_hosts.hosts  # the fixture: alpha + beta + this machine, fake agents


def on_host(hosts: Hosts, host: str, *args: str, stdin: str) -> None:
    """`orc ARGS` run on that host by ssh, as an agent there would (its own store)."""
    ssh = ["ssh", "-F", str(hosts.bed.ssh_config), host, ORC, *args]
    done = subprocess.run(ssh, input=stdin, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_snapshot_has_every_hosts_messages_and_notes_with_their_host(hosts: Hosts) -> None:
    assert hosts.orc("send", "boss", "local hello").returncode == 0
    sent = hosts.orc("send", "dev@alpha", f"deploy with {KEY} now")
    assert sent.returncode == 0, sent.stderr
    on_host(hosts, "beta", "memory", "add", "-", "--agent", "rev", stdin=f"beta note {TOKEN}")

    out = hosts.orc("-H", "alpha", "-H", "beta", "snapshot", "--format", "json", "--lines", "0")
    assert out.returncode == 0, out.stderr
    assert KEY not in out.stdout and TOKEN not in out.stdout
    data = json.loads(out.stdout)
    jsonschema.validate(data, schema())

    messages = [(m["host"], m["agent"], m["text"]) for m in data["messages"]]
    assert ("local", "boss", "local hello") in messages
    assert ("alpha", "dev", "deploy with [REDACTED:anthropic-key] now") in messages
    assert not any(host == "beta" for host, _, _ in messages)
    stamps = [m["created_at"] for m in data["messages"]]
    assert stamps == sorted(stamps, reverse=True), "newest first, hosts merged"
    [note] = [n for n in data["notes"] if n["host"] == "beta"]
    assert (note["agent"], note["text"]) == ("rev", "beta note [REDACTED:github-token]")
    by_rule = data["redaction"]["by_rule"]
    assert by_rule.get("anthropic-key", 0) >= 1 and by_rule.get("github-token", 0) >= 1
    assert not any("orc_error" in h for h in data["hosts"])

    md = hosts.orc("-H", "alpha", "-H", "beta", "snapshot", "--lines", "0")
    assert md.returncode == 0, md.stderr
    assert "| dev@alpha | delivered | deploy with [REDACTED:anthropic-key] now |" in md.stdout
    assert "**rev@beta** (note): beta note [REDACTED:github-token]" in md.stdout
    assert KEY not in md.stdout and TOKEN not in md.stdout
    txt = hosts.orc("-H", "alpha", "-H", "beta", "snapshot", "--format", "txt", "--lines", "0")
    assert "-> dev@alpha [delivered]: deploy with [REDACTED:anthropic-key] now" in txt.stdout
    assert "rev@beta (note): beta note [REDACTED:github-token]" in txt.stdout

    # --no-redact reaches the remote orc too: the file says so and keeps what it was asked to.
    raw = hosts.orc("-H", "alpha", "snapshot", "--format", "json", "--lines", "0", "--no-redact")
    assert raw.returncode == 0, raw.stderr
    assert KEY in raw.stdout


async def test_a_host_whose_orc_cannot_answer_is_named(hosts: Hosts) -> None:
    """alpha answers; beta's tmux does but its orc is missing: the snapshot is written, with
    alpha's message, and names beta and why."""
    assert hosts.orc("send", "ana@alpha", "from afar").returncode == 0
    configs = [
        HostConfig(name="alpha", ssh="alpha", orc=ORC, timeout=TIMEOUT),
        HostConfig(name="beta", ssh="beta", orc="/nonexistent/orc", timeout=TIMEOUT),
    ]
    room = Room(hosts.address, hosts.db, hosts=configs, ssh_config=hosts.bed.ssh_config)
    async with room:
        result = await room.snapshot(None, fmt="json", lines=0)
        md = (await room.snapshot(None, fmt="md", lines=0)).text
    data = json.loads(result.text)
    jsonschema.validate(data, schema())
    assert ("alpha", "ana", "from afar") in [
        (m["host"], m["agent"], m["text"]) for m in data["messages"]
    ]
    beta = next(h for h in data["hosts"] if h["name"] == "beta")
    assert beta["reachable"] and "orc is not installed there" in beta["orc_error"]
    assert "- beta: reachable; its orc did not answer" in md


def test_a_dead_host_is_named_and_the_others_still_exported(hosts: Hosts) -> None:
    assert hosts.orc("send", "dev@alpha", "still here").returncode == 0
    hosts.bed.hosts["beta"].kill()
    out = hosts.orc("-H", "alpha", "-H", "beta", "snapshot", "--format", "json", "--lines", "0")
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    data = json.loads(out.stdout)
    assert ("alpha", "still here") in [(m["host"], m["text"]) for m in data["messages"]]
    beta = next(h for h in data["hosts"] if h["name"] == "beta")
    assert not beta["reachable"] and beta["orc_error"]
