"""Errors never freeze a widget (issue 19, item 6): one handler for every UI worker.

A worker that raises anything but orc's own errors (which the workers turn into messages
themselves) would leave its widget waiting for good — the composer on "sending…". Here every
failed worker, whichever widget or screen ran it, gets the same treatment: its traceback goes to
orc's log (`orc.core.api.log_path`, 0600), the person reads one line, and the node that ran it is
asked to give its widget back (`worker_failed`, when it has one). Modelled on harlequin's
`@on(Worker.StateChanged)` handler.
"""

from __future__ import annotations

import time
import traceback

from textual import on
from textual.dom import DOMNode
from textual.worker import Worker, WorkerState

from orc.core.api import log_path, private_file


def log_error(where: str, error: BaseException) -> str:
    """Append `error`'s traceback to orc's log; the log's path, or '' when it cannot be written."""
    try:
        path = private_file(log_path())
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        lines = traceback.format_exception(type(error), error, error.__traceback__)
        with path.open("a", encoding="utf-8") as log:
            log.write(f"{stamp} control room: {where} failed\n{''.join(lines)}\n")
    except OSError:
        return ""
    return str(path)


def one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


class WorkerErrors(DOMNode):
    """Mixed into the App and into every screen that runs workers of its own."""

    @on(Worker.StateChanged)
    def _worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR:
            return
        worker = event.worker
        error = worker.error
        if error is None or not self.app.is_running:
            return  # nothing left to give back once the app is closing
        where = worker.group if worker.group != "default" else worker.name
        logged = log_error(where or "a worker", error)
        line = one_line(error)
        give_back = getattr(self, "worker_failed", None)
        if give_back is not None:
            try:
                give_back(worker, line)
            except Exception as failure:  # its widgets may be gone (the app shutting down)
                log_error(f"giving {where} back", failure)
        more = f" (details in {logged})" if logged else ""
        self.app.notify(f"{line}{more}", title=f"{where} failed", severity="error", timeout=15)
