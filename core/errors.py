"""The two kinds of failure the CLI contract distinguishes: bad input (exit 2) and a failed
action (exit 1); docs/ARCHITECTURE.md, Errors."""

from __future__ import annotations


class OrcError(Exception):
    """Base of every error orc reports to a person as one line."""

    exit_code = 1


class BadInput(OrcError):
    """The request itself is wrong (unknown target, bad duration, forbidden characters): exit 2."""

    exit_code = 2


class ActionFailed(OrcError):
    """The request was valid but could not be carried out (not delivered, git refused): exit 1."""

    exit_code = 1


class TmuxError(ActionFailed):
    """tmux answered with an error or could not be run."""
