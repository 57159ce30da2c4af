"""Stopping on SIGTERM or SIGINT: finish accepted work first; a second SIGINT exits at once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys

logger = logging.getLogger(__name__)

INTERRUPTED_EXIT_CODE = 130
GRACE_SECONDS = 8.0
"""How long a stopping process lets accepted updates finish: platforms kill after about 10 s."""


def stop_on_signals(stop: asyncio.Event | None = None) -> asyncio.Event:
    """Return `stop` (or a new event), set at the first SIGINT or SIGTERM.

    At a second SIGINT the process exits without waiting for anything.
    """
    event = stop or asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_signal(sig: signal.Signals) -> None:
        if event.is_set():
            if sig == signal.SIGINT:
                # Whoever presses Ctrl-C twice wants out now, whatever is still running.
                os._exit(INTERRUPTED_EXIT_CODE)
            return
        logger.info("%s received: finishing accepted work%s", sig.name, _second_signal_hint(sig))
        event.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, on_signal, sig)
    return event


def _second_signal_hint(sig: signal.Signals) -> str:
    """Say how to exit at once, only where that exists: a second SIGINT, Ctrl-C on a terminal."""
    if sig != signal.SIGINT:
        return ""  # a platform's SIGTERM: a second one waits like the first
    try:
        terminal = sys.stdin is not None and sys.stdin.isatty()
    except ValueError:  # stdin was closed
        terminal = False
    return " (Ctrl-C again exits at once)" if terminal else " (a second SIGINT exits at once)"
