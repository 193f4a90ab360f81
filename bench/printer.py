"""A pane for bench/ui.py that prints continuously until SIGUSR1, and again after SIGUSR2.

SIGSTOP would not do: tmux sends SIGCONT to a stopped pane process. With `--tick` the lines
carry their own wall time (`TICK <seq> <time>`), at random intervals so they do not beat with
the UI's refresh; otherwise it prints a build-log line every second or so.
"""

from __future__ import annotations

import random
import signal
import sys
import time


def main(tick: bool) -> None:
    running = [True]
    signal.signal(signal.SIGUSR1, lambda *_: running.__setitem__(0, False))
    signal.signal(signal.SIGUSR2, lambda *_: running.__setitem__(0, True))
    seq = 0
    while True:
        if running[0]:
            seq += 1
            if tick:
                print(f"TICK {seq} {time.time():.6f}", flush=True)
            else:
                print(f"step {seq}: compiling module_{random.randrange(1000)} ok", flush=True)
        time.sleep(random.uniform(0.15, 0.35) if tick else random.uniform(0.5, 1.5))


if __name__ == "__main__":
    main(tick="--tick" in sys.argv[1:])
