"""`python -m core.cli`: how `orc daemon --detach` starts the daemon with this very interpreter."""

from core.cli import entry

entry()
