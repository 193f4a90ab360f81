"""`python -m orc.core.cli` is `orc`: tests and agents can call it without the console script."""

from orc.core.cli import entry

entry()
