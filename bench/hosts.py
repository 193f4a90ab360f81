"""Refreshing several hosts over SSH: orc's poller against one `ssh host tmux ...` per call.

4 hosts (real sshd each, tests/hosts/sshd_bed.py) x 25 busy panes, every link with 50 ms of added
round-trip delay (a delaying TCP relay, tests/hosts/delay_proxy.py: this kernel has no netem).
A full refresh = every host's topology + a capture of each of its panes.
  - orc: core/hosts/host_poller.py, all hosts at once, ONE tmux invocation per host over the
    host's multiplexed connection (core/hosts/ssh_transport.py), refreshes 0.5 s apart as the
    room polls, with a spare session waiting (one round trip a call) and without it (two: ssh
    opens a channel, then sends the command). Target: < 2 x RTT + 30 ms.
  - per-call, multiplexed: a script's way with a shared ControlMaster: `ssh host tmux list-panes`,
    then `ssh host tmux capture-pane -p -t %N` per pane, hosts in parallel (generous to it).
  - per-call, plain: the same with no ControlMaster (every call its own TCP + SSH handshake).
Also: the CPU the control room spends per refresh (its own + its ssh client processes').

Idle (`--part idle`): the control room's CPU with 4 hosts x 25 IDLE panes (+50 ms RTT), as CPU
seconds per wall second of `Room.run` (core/room/facade.py: this machine's loop plus one loop
per host; its own CPU + its ssh clients'), at the UI's idle (1 s) and active (0.2 s) intervals,
against the same room capturing every pane on every refresh (the room before change-driven
capture of remote panes: `HOT_FOR` set so every pane counts as just changed), windows
interleaved, medians printed.
Frozen (`--part frozen`, issue 22): what a frozen host (SIGSTOP'd sshd: TCP connects, nothing
answers) adds to CLI commands that do not involve it, `orc --all-hosts send NAME` by bare name to
an agent on this machine and to one on another (healthy) host, as a person or an agent types
them (a new process each, wall time), with the first host frozen vs none, after one `orc status`
has seen every host. `--before DIR`: also the same commands run by another checkout's code (DIR
holds `orc/core`, e.g. `git archive BASE core tui` extracted under DIR/orc), interleaved.
Run: .venv/bin/python bench/hosts.py [--hosts 4 --panes 25 --rtt 50 --rounds 20 --part all]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import orc.core.room.pane_watch  # noqa: E402
from orc.core.hosts.host_config import HostConfig  # noqa: E402
from orc.core.hosts.host_poller import HostPoller  # noqa: E402
from orc.core.hosts.remote_tmux import remote_tmux_client  # noqa: E402
from orc.core.hosts.ssh_transport import SshConnections  # noqa: E402
from orc.core.room import Room  # noqa: E402
from orc.core.tmux.client import TmuxClient, TmuxServerAddress  # noqa: E402
from orc.core.tmux.spawn import Identity, WindowSpec, spawn_windows  # noqa: E402
from tests.hosts.sshd_bed import SshBed, sshd_missing  # noqa: E402

# A line every 100 ms from one process per pane (a shell loop would fork `sleep` 10 times a
# second per pane: 1,000 forks a second on the bench machine's 2 cores).
TALKER = (
    "import itertools,sys,time\n"
    "for i in itertools.count(): print(sys.argv[1], 'line', i, flush=True); time.sleep(0.1)"
)


PAUSE = 0.5  # seconds between refreshes: the room's remote poll interval


def ms(values: list[float]) -> str:
    p95 = sorted(values)[max(0, int(len(values) * 0.95) - 1)]
    return f"median {statistics.median(values) * 1000:7.1f} ms, p95 {p95 * 1000:7.1f} ms"


def own_cpu() -> float:
    """CPU seconds of this process alone (without its ssh clients)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def cpu() -> float:
    """CPU seconds of this process and of its finished children (the ssh clients)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


async def ssh_call(bed: SshBed, host: str, argv: list[str], mux: str | None) -> bytes:
    opts = ["-F", str(bed.ssh_config), "-o", "BatchMode=yes", "-T"]
    if mux:
        opts += ["-o", "ControlMaster=auto", "-o", f"ControlPath={mux}/%C"]
        opts += ["-o", "ControlPersist=60"]
    proc = await asyncio.create_subprocess_exec(
        "ssh", *opts, host, "--", *argv,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    out, _ = await proc.communicate()
    return out


async def per_call_refresh(bed: SshBed, host: str, mux: str | None) -> int:
    """The obvious script: list the panes, then capture each with its own ssh call."""
    tmux = ["env", "LC_ALL=C.UTF-8", "tmux", "-u"]
    out = await ssh_call(bed, host, [*tmux, "list-panes", "-a", "-F", "'#{pane_id}'"], mux)
    panes = out.decode().split()
    for pane in panes:
        await ssh_call(bed, host, [*tmux, "capture-pane", "-p", "-t", pane], mux)
    return len(panes)


async def measure(poller: HostPoller, rounds: int, panes: int) -> tuple[list[float], list[float]]:
    """Full refreshes (topology + every pane captured), PAUSE apart as the room polls."""
    walls: list[float] = []
    cpus: list[float] = []
    for _ in range(rounds):
        c0, start = cpu(), time.perf_counter()
        states = await poller.refresh(all_panes=True)
        walls.append(time.perf_counter() - start)
        cpus.append(cpu() - c0)
        assert all(s.reachable for s in states.values()), states
        assert sum(len(s.screens) for s in states.values()) == panes
        await asyncio.sleep(PAUSE)
    return walls, cpus


async def empty_calls(ssh: SshConnections, host: str, rounds: int) -> list[float]:
    """The link itself: one empty remote call on the open connection."""
    transport = ssh.transport(host, host)
    walls = []
    for _ in range(rounds):
        start = time.perf_counter()
        await transport.run(["true"])
        walls.append(time.perf_counter() - start)
        await asyncio.sleep(PAUSE)
    return walls


# An idle agent: a screen drawn once, then nothing (no process polling anything).
IDLE = ["sh", "-c", 'printf "%s waiting for instructions\\n> " "$0"; exec sleep 1000000']
WINDOW = 6.0  # seconds of Room.run per measured window
CHANGE_DRIVEN = orc.core.room.pane_watch.HOT_FOR


def ratio(slow: float, fast: float) -> str:
    return f"{slow / fast:.1f}x" if fast > 0 else "n/a (under the clock tick)"


def proc_cpu(pids: list[int]) -> float:
    """CPU seconds used so far by these processes (the bed hosts' tmux servers: on this
    machine, so /proc shows what each host would spend)."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


async def cpu_rates(tmux_pids: list[int]) -> tuple[float, float, float]:
    """CPU seconds per wall second over WINDOW: this process with its reaped children (ssh
    clients), the hosts' tmux servers, and this process alone."""
    c0, t0, o0, w0 = cpu(), proc_cpu(tmux_pids), own_cpu(), time.perf_counter()
    await asyncio.sleep(WINDOW)
    c1, t1, o1, w1 = cpu(), proc_cpu(tmux_pids), own_cpu(), time.perf_counter()
    return (c1 - c0) / (w1 - w0), (t1 - t0) / (w1 - w0), (o1 - o0) / (w1 - w0)


async def room_cpu_window(
    room: Room, interval: float, everything: bool, expected: int, tmux_pids: list[int]
) -> tuple[float, float, float]:
    """CPU seconds per wall second of `room.run(interval)` over WINDOW seconds (after its
    first refresh of every host), the room's and the hosts' tmux servers'; `everything`:
    capture every pane on every refresh."""
    orc.core.room.pane_watch.HOT_FOR = 1e12 if everything else CHANGE_DRIVEN
    running = asyncio.create_task(room.run(interval, lead=False))
    try:
        deadline = time.monotonic() + 60
        while len([a for a in room.state.agents if a.host]) < expected:
            assert time.monotonic() < deadline, "the room never showed every remote agent"
            await asyncio.sleep(0.1)
        await asyncio.sleep(interval * 2)  # the switch of capture mode has taken effect
        rates = await cpu_rates(tmux_pids)
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
    assert len([a for a in room.state.agents if a.host]) == expected
    return rates


async def per_call_cpu_window(
    bed: SshBed, names: list[str], mux: str, interval: float, tmux_pids: list[int]
) -> tuple[float, float, float]:
    """The same, for the obvious script: every `interval`, `ssh host tmux list-panes` and one
    `ssh host tmux capture-pane` per pane (hosts in parallel, on the room's open masters)."""

    async def loop() -> None:
        while True:
            started = time.monotonic()
            await asyncio.gather(*(per_call_refresh(bed, n, mux) for n in names))
            await asyncio.sleep(max(0.0, interval - (time.monotonic() - started)))

    running = asyncio.create_task(loop())
    try:
        await asyncio.sleep(interval * 2)
        rates = await cpu_rates(tmux_pids)
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
    return rates


async def idle_part(args: argparse.Namespace) -> None:
    load_before = os.getloadavg()[0]
    bed = SshBed()
    names = [f"i{i}" for i in range(args.hosts)]
    # (interval, capture every pane; None: the per-call script) -> per window: CPU s per wall s
    # of (the room + its ssh clients, the hosts' tmux servers, the room's process alone)
    results: dict[tuple[float, bool | None], list[tuple[float, float, float]]] = {}
    try:
        for name in names:
            bed.add(name, delay_ms=args.rtt)
        async with SshConnections(ssh_config=bed.ssh_config) as ssh:
            await asyncio.gather(
                *(
                    spawn_windows(
                        remote_tmux_client(ssh.transport(n, n)),
                        [
                            (
                                WindowSpec(
                                    "idle", f"w{i}", [*IDLE, f"{n}-{i}"], width=120, height=30
                                ),
                                Identity(f"a{i}", "engineer"),
                            )
                            for i in range(args.panes)
                        ],
                    )
                    for n in names
                )
            )
            tmux_pids = [
                int(
                    (
                        await remote_tmux_client(ssh.transport(n, n)).run(
                            "display-message", "-p", "#{pid}"
                        )
                    ).stdout
                )
                for n in names
            ]
        hosts = [HostConfig(name=n, ssh=n, timeout=10) for n in names]
        with tempfile.TemporaryDirectory() as tmp:
            # This machine: a private tmux socket with no server (the cost measured is the hosts').
            address = TmuxServerAddress(socket_name=f"orc-bench-idle-{os.getpid()}")
            async with Room(
                address, Path(tmp) / "room.sqlite", hosts=hosts, ssh_config=bed.ssh_config
            ) as room:
                for _ in range(args.idle_rounds):
                    for interval in (1.0, 0.2):
                        for everything in (False, True):
                            got = await room_cpu_window(
                                room, interval, everything, args.hosts * args.panes, tmux_pids
                            )
                            results.setdefault((interval, everything), []).append(got)
                    got = await per_call_cpu_window(
                        bed, names, str(room.connections.control_dir), 1.0, tmux_pids
                    )
                    results.setdefault((1.0, None), []).append(got)
    finally:
        orc.core.room.pane_watch.HOT_FOR = CHANGE_DRIVEN
        bed.close()
    load = os.getloadavg()[0]
    print(
        f"idle: {args.hosts} hosts x {args.panes} idle panes, +{args.rtt} ms RTT, "
        f"{args.idle_rounds} x {WINDOW:g} s windows each, "
        f"load average {load_before:.1f} before, {load:.1f} after"
    )
    for interval in (1.0, 0.2):
        for i, whose in (
            (0, "room + its ssh clients"),
            (2, "the room's process alone"),
            (1, f"the {args.hosts} hosts' tmux servers"),
        ):
            changed = statistics.median(r[i] for r in results[(interval, False)])
            every = statistics.median(r[i] for r in results[(interval, True)])
            print(
                f"Room.run every {interval:g} s, CPU s per wall s of {whose}: "
                f"change-driven {changed:.3f}, capturing every pane {every:.3f}, "
                f"ratio {ratio(every, changed)}"
            )
    for i, whose in (
        (0, "the script + its ssh clients"),
        (1, f"the {args.hosts} hosts' tmux servers"),
    ):
        script = statistics.median(r[i] for r in results[(1.0, None)])
        changed = statistics.median(r[i] for r in results[(1.0, False)])
        print(
            f"per-call ssh script every 1 s (or back to back), CPU s per wall s of {whose}: "
            f"{script:.3f}, ratio to the change-driven room {ratio(script, changed)}"
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=4)
    parser.add_argument("--panes", type=int, default=25)
    parser.add_argument("--rtt", type=int, default=50, help="added round-trip delay, ms")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--idle-rounds", type=int, default=5, help="windows per idle variant")
    parser.add_argument("--frozen-rounds", type=int, default=5, help="runs of each command")
    parser.add_argument("--part", choices=("busy", "idle", "frozen", "all"), default="all")
    parser.add_argument("--before", help="frozen: also run this checkout's code (DIR/orc/core)")
    args = parser.parse_args()
    if reason := sshd_missing():
        sys.exit(f"bench/hosts.py: {reason}")
    if args.part in ("frozen", "all"):
        await frozen_part(args)
    if args.part in ("idle", "all"):
        await idle_part(args)
    if args.part in ("busy", "all"):
        await busy_part(args)


async def busy_part(args: argparse.Namespace) -> None:
    load_before = os.getloadavg()[0]
    bed = SshBed()
    names = [f"h{i}" for i in range(args.hosts)]
    try:
        for name in names:
            bed.add(name, delay_ms=args.rtt)
        async with SshConnections(ssh_config=bed.ssh_config, keep_spare=True) as ssh:
            clients = {n: remote_tmux_client(ssh.transport(n, n)) for n in names}
            await asyncio.gather(
                *(
                    spawn_windows(
                        clients[n],
                        [
                            (
                                WindowSpec(
                                    "bench",
                                    f"w{i}",
                                    [sys.executable, "-c", TALKER, f"{n}-{i}"],
                                    width=120,
                                    height=30,
                                ),
                                Identity(f"a{i}", "engineer"),
                            )
                            for i in range(args.panes)
                        ],
                    )
                    for n in names
                )
            )
            poller = HostPoller(clients, deadline=10.0)
            await poller.refresh()
            await asyncio.sleep(0.5)  # every pane printing
            expected = args.hosts * args.panes
            orc, cpu_orc = await measure(poller, args.rounds, expected)
            empty = await empty_calls(ssh, names[0], args.rounds)
            async with SshConnections(ssh_config=bed.ssh_config, keep_spare=False) as ssh2:
                plain_clients = {n: remote_tmux_client(ssh2.transport(n, n)) for n in names}
                plain_poller = HostPoller(plain_clients, deadline=10.0)
                await plain_poller.refresh()
                orc2, _ = await measure(plain_poller, args.rounds, expected)
                empty2 = await empty_calls(ssh2, names[0], args.rounds)

            mux = str(ssh.control_dir)  # the same open masters: the generous alternative
            muxed: list[float] = []
            cpu_muxed: list[float] = []
            for _ in range(max(3, args.rounds // 4)):
                c0, start = cpu(), time.perf_counter()
                counts = await asyncio.gather(*(per_call_refresh(bed, n, mux) for n in names))
                muxed.append(time.perf_counter() - start)
                cpu_muxed.append(cpu() - c0)
                assert sum(counts) == args.hosts * args.panes, counts
            plain: list[float] = []
            for _ in range(1):
                start = time.perf_counter()
                await asyncio.gather(*(per_call_refresh(bed, n, None) for n in names))
                plain.append(time.perf_counter() - start)
    finally:
        bed.close()

    target = 2 * args.rtt / 1000 + 0.030
    load = os.getloadavg()[0]
    print(
        f"{args.hosts} hosts x {args.panes} busy panes, +{args.rtt} ms RTT, "
        f"load average {load_before:.1f} before, {load:.1f} after"
    )
    print(f"empty call, spare session waiting:       {ms(empty)}")
    print(f"empty call, session opened per call:     {ms(empty2)}")
    print(f"orc poller, full refresh:                {ms(orc)}   (target < {target * 1000:.0f} ms)")
    print(f"orc poller without spare sessions:       {ms(orc2)}")
    print(f"per-call ssh, multiplexed:               {ms(muxed)}")
    print(f"per-call ssh, a connection per call:     {ms(plain)}")
    ratio = statistics.median(muxed) / statistics.median(orc)
    print(f"ratio per-call (multiplexed) / orc:      {ratio:.1f}x")
    plain_ratio = statistics.median(plain) / statistics.median(orc)
    print(f"ratio per-call (plain) / orc:            {plain_ratio:.1f}x")
    print(
        f"CPU per refresh (orc + its ssh clients): orc {statistics.median(cpu_orc) * 1000:.1f} ms, "
        f"per-call multiplexed {statistics.median(cpu_muxed) * 1000:.1f} ms"
    )
    print("within target" if statistics.median(orc) < target else "OVER target")


async def frozen_part(args: argparse.Namespace) -> None:
    """What a frozen host adds to commands that do not involve it (see the module's doc)."""
    from tests.conftest import fake_agent_argv, wait_for_screen

    load_before = os.getloadavg()[0]
    bed = SshBed()
    names = [f"z{i}" for i in range(args.hosts)]
    frozen = bed_host = None
    try:
        for name in names:
            bed.add(name, delay_ms=args.rtt)
        bed_host = bed.hosts[names[0]]
        with tempfile.TemporaryDirectory() as tmp:
            socket = f"orc-bench-frozen-{os.getpid()}"
            local = TmuxClient(TmuxServerAddress(socket_name=socket))
            fake = Identity("boss", "engineer", "", "team", "fake")
            spec = WindowSpec(
                "team", "boss", fake_agent_argv("boss", work=0.0), env={"PYTHONPATH": str(ROOT)}
            )
            [boss] = await spawn_windows(local, [(spec, fake)])
            await wait_for_screen(local, boss, "· fake agent")
            async with SshConnections(ssh_config=bed.ssh_config) as ssh:
                remote = remote_tmux_client(ssh.transport(names[-1], names[-1]))
                ident = Identity("far", "engineer", "", "team", "fake")
                far_spec = WindowSpec(
                    "team", "far", fake_agent_argv("far", work=0.0), env={"PYTHONPATH": str(ROOT)}
                )
                [far] = await spawn_windows(remote, [(far_spec, ident)])
                await wait_for_screen(remote, far, "· fake agent")
            orc_bin = str(Path(sys.executable).parent / "orc")
            config = Path(tmp) / "config.toml"
            config.write_text(
                "".join(
                    f'[[host]]\nname = "{n}"\nssh = "{n}"\norc = "{orc_bin}"\ntimeout = 5\n'
                    for n in names
                ),
                encoding="utf-8",
            )
            base = [sys.executable, "-m", "orc.core.cli", "-L", socket, "--db", f"{tmp}/o.sqlite"]
            env = {**os.environ, "ORC_CONFIG": str(config), "ORC_SSH_CONFIG": str(bed.ssh_config)}
            env.pop("TMUX_PANE", None)
            codes = {"after": env}
            if args.before:
                codes["before"] = {**env, "PYTHONPATH": args.before}

            async def timed(code: str, *words: str) -> float:
                started = time.perf_counter()
                proc = await asyncio.create_subprocess_exec(
                    *base, *words, env=codes[code], stdout=-3, stderr=-1
                )
                _, err = await proc.communicate()
                if proc.returncode != 0:
                    raise RuntimeError(f"orc {' '.join(words)} ({code}): {err.decode()[-300:]}")
                return time.perf_counter() - started

            await timed("after", "--all-hosts", "status")  # every host seen once: remembered
            commands = {
                "boss (here)": ("--all-hosts", "send", "boss", "hello"),
                f"far (on {names[-1]})": ("--all-hosts", "send", "far", "hello"),
            }
            times: dict[tuple[str, str, bool], list[float]] = {}
            for _ in range(args.frozen_rounds):
                for code in codes:
                    for what, words in commands.items():
                        for freeze in (False, True):
                            frozen = freeze
                            bed_host.freeze(freeze)
                            try:
                                took = await timed(code, *words)
                            finally:
                                bed_host.freeze(False)
                                frozen = False
                            times.setdefault((code, what, freeze), []).append(took)
    finally:
        if frozen and bed_host is not None:
            bed_host.freeze(False)
        subprocess_run(["tmux", "-L", f"orc-bench-frozen-{os.getpid()}", "kill-server"])
        bed.close()
    load = os.getloadavg()[0]
    print(
        f"frozen: {args.hosts} hosts, +{args.rtt} ms RTT, {names[0]} frozen or not, "
        f"{args.frozen_rounds} rounds, load average {load_before:.1f} before, {load:.1f} after"
    )
    for code in codes:
        for what in commands:
            calm = times[(code, what, False)]
            hung = times[(code, what, True)]
            added = (statistics.median(hung) - statistics.median(calm)) * 1000
            print(
                f"{code:6} orc --all-hosts send to {what}: none frozen {ms(calm)}; "
                f"{names[0]} frozen {ms(hung)}; added {added:+.0f} ms (medians)"
            )


def subprocess_run(argv: list[str]) -> None:
    import subprocess

    subprocess.run(argv, capture_output=True, check=False)


if __name__ == "__main__":
    asyncio.run(main())
