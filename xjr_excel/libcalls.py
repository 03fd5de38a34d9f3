"""Calling libraries on foreign files: what they print and how they fail stay theirs.

What a library prints never reaches our standard output, where ``--json`` goes.

xlrd writes its compound-document diagnostics to ``sys.stdout`` (its ``logfile`` default is bound
when xlrd is imported, so a redirect does not catch it: every xlrd call is given ``SINK`` instead);
any other library may print too.  Calls into a library that may print run inside
``library_output()``, and the merge's worker processes start with ``silence_process()`` (there
nothing at all is ours to print on standard output, so even a C library's writes to it are dropped).

A Rust library that panics on a damaged file (python-calamine: "range start index … out of range")
raises pyo3's ``PanicException``, a ``BaseException`` that every ``except Exception`` lets through,
up to a traceback.  ``panics_as_errors()`` around such a call makes it a ``LibraryPanic`` (an
ordinary exception), which the caller words as a damaged file.
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


class LibraryPanic(RuntimeError):
    """A Rust library panicked (pyo3's PanicException), as an exception ``except Exception`` catches."""


@contextlib.contextmanager
def panics_as_errors():
    """Inside: a pyo3 ``PanicException`` is raised again as ``LibraryPanic`` (the class is not importable:
    pyo3 creates it at run time, so it is known by its name)."""
    try:
        yield
    except BaseException as e:
        if type(e).__name__ == "PanicException":
            raise LibraryPanic(str(e).splitlines()[0] if str(e) else "panic") from None
        raise
