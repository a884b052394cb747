"""Rerender's stop: a Ctrl-C (SIGINT, to the command or its whole process group) or a SIGTERM
asks everything to stop. No new capture is read and no new post rendered; each worker puts in
place the posts it has staged, says so, and ends; the command records them, so the index agrees
with the files. A worker whose command dies (even by a SIGKILL: the kernel tells it with a
SIGTERM) abandons its work instead, its staged files removed, nothing more put in place.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
from types import FrameType, TracebackType
from typing import Any


class Stop:
    """Whether the work was asked to stop (Ctrl-C, SIGTERM). As a context manager, it takes
    SIGINT and SIGTERM for the time of the work and passes them on to the workers it watches
    (a signal to the command alone reaches them too)."""

    def __init__(self) -> None:
        self.asked = 0  # the signal that asked, 0 until one did
        self.abandoned = False  # a worker whose command is gone: nothing more put in place
        self.pids: list[int] = []
        self._before: dict[int, Any] = {}

    def __enter__(self) -> Stop:
        for number in (signal.SIGINT, signal.SIGTERM):
            self._before[number] = signal.signal(number, self.ask)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for number, handler in self._before.items():
            signal.signal(number, handler)

    def ask(self, number: int, frame: FrameType | None = None) -> None:
        """Stop taking new work (a signal handler: nothing is cut short where it lands)."""
        self.asked = self.asked or number
        for pid in self.pids:
            with contextlib.suppress(ProcessLookupError):  # ended already
                os.kill(pid, signal.SIGINT)

    def abandon(self, number: int, frame: FrameType | None = None) -> None:
        """Stop, and put nothing more in place: nobody would record it."""
        self.abandoned = True
        self.ask(number, frame)

    @property
    def name(self) -> str:
        return signal.Signals(self.asked).name if self.asked else ""


def stop_with_command(before: Stop, parent: int) -> Stop:
    """A forked worker's own Stop: a Ctrl-C, to the group or passed on by the command, asks it
    to stop as the command does; a SIGTERM has it abandon its work. On Linux the kernel sends
    that SIGTERM when the command dies, however it dies. `before`: the command's, forked with
    the worker (it would pass the signal on to the other workers)."""
    own = Stop()
    signal.signal(signal.SIGINT, own.ask)
    signal.signal(signal.SIGTERM, own.abandon)
    own.asked = own.asked or before.asked  # asked before: by the handler forked with it
    prctl = getattr(ctypes.CDLL(None, use_errno=True), "prctl", None)
    if prctl is not None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # it died before that was asked
        own.abandon(signal.SIGTERM)
    return own


_PR_SET_PDEATHSIG = 1
