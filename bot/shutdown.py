"""Stopping on SIGTERM or SIGINT: finish accepted work first; a second SIGINT exits at once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal

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
        logger.info("%s received: finishing accepted work (Ctrl-C again exits at once)", sig.name)
        event.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, on_signal, sig)
    return event
