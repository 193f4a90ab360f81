"""`python -m core.cli` is `orc`: tests and agents can call it without the console script."""

from core.cli import entry

entry()
