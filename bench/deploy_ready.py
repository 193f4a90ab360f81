"""Ready detection during `orc up`: one poll round over a team's new panes.

orc polls all pending panes together: one `list-panes -a` plus one chained `capture-pane` for
all of them (two tmux processes per round, whatever the team size). The obvious alternative is
libtmux, which forks once per pane for `capture_pane()` and once more to refresh the panes.
Run: .venv/bin/python bench/deploy_ready.py [AGENTS] [ROUNDS]
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
import uuid

from libtmux import Server

from orc.core.tmux.capture import capture_panes
from orc.core.tmux.client import TmuxClient, TmuxServerAddress
from orc.core.tmux.topology import read_topology


def main() -> None:
    agents = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    socket = f"orc-bench-{uuid.uuid4().hex[:8]}"
    server = Server(socket_name=socket)
    session = server.new_session("team", window_command="sleep 600")
    for _ in range(agents - 1):
        session.new_window(window_shell="sleep 600")
    pane_ids = [p.pane_id for p in server.panes if p.pane_id]
    client = TmuxClient(TmuxServerAddress(socket_name=socket))

    async def orc_round() -> None:
        topo = await read_topology(client)
        screens = await capture_panes(client, pane_ids, ansi=False)
        assert len(topo) == agents and len(screens) == agents

    def libtmux_round() -> None:
        panes = server.panes  # one fork to list them
        screens = {p.pane_id: p.capture_pane() for p in panes}  # one fork per pane
        assert len(screens) == agents

    try:
        orc_times, lib_times = [], []
        for _ in range(rounds):
            start = time.perf_counter()
            asyncio.run(orc_round())
            orc_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            libtmux_round()
            lib_times.append(time.perf_counter() - start)
        orc_ms = statistics.median(orc_times) * 1000
        lib_ms = statistics.median(lib_times) * 1000
        print(f"ready poll round, {agents} panes, median of {rounds}:")
        print(f"  orc (topology + one batched capture): {orc_ms:7.1f} ms")
        print(f"  libtmux (list + capture_pane per pane): {lib_ms:7.1f} ms")
        print(f"  ratio libtmux/orc: {lib_ms / orc_ms:.1f}x")
    finally:
        server.kill()


if __name__ == "__main__":
    main()
