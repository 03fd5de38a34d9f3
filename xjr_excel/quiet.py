"""What a library prints never reaches our standard output, where ``--json`` goes.

xlrd writes its compound-document diagnostics to ``sys.stdout`` (its ``logfile`` default is bound
when xlrd is imported, so a redirect does not catch it: every xlrd call is given ``SINK`` instead);
any other library may print too.  Calls into a library that may print run inside
``library_output()``, and the merge's worker processes start with ``silence_process()`` (there
nothing at all is ours to print on standard output, so even a C library's writes to it are dropped).
"""
from __future__ import annotations

import contextlib
import io
import os
import sys


class _Sink(io.TextIOBase):
    """A text stream that forgets everything (xlrd's ``logfile``)."""

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        return len(s)


SINK = _Sink()


@contextlib.contextmanager
def library_output():
    """Inside: what Python code prints to ``sys.stdout`` is dropped (this thread's caller decides what we print)."""
    with contextlib.redirect_stdout(SINK):
        yield


def silence_process() -> None:
    """Process-pool initializer: the worker's standard output (fd 1 and ``sys.stdout``) goes nowhere."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
    finally:
        os.close(devnull)
    sys.stdout = SINK
