"""Work accepted by a webhook and done after the answer, bounded, and finished at shutdown."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from bot.shutdown import GRACE_SECONDS

logger = logging.getLogger(__name__)

MAX_IN_FLIGHT = 256


class Intake:
    """Runs accepted jobs in tracked tasks, so shutdown can let them finish."""

    def __init__(self, max_in_flight: int = MAX_IN_FLIGHT) -> None:
        self._slots = asyncio.Semaphore(max_in_flight)
        self._tasks: set[asyncio.Task[None]] = set()
        self.closing = False

    async def accept(self, job: Coroutine[Any, Any, None], name: str) -> None:
        """Start the job; waits only when `max_in_flight` are already running."""
        try:
            await self._slots.acquire()
        except BaseException:
            job.close()  # never started: no "coroutine was never awaited" at shutdown
            raise
        task = asyncio.create_task(self._run(job, name), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def join(self) -> None:
        """Wait until every accepted job is done."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    async def drain(self, grace: float = GRACE_SECONDS) -> None:
        """Refuse new jobs and wait up to `grace` seconds for the accepted ones."""
        self.closing = True
        if not self._tasks:
            return
        logger.info("Finishing %d accepted jobs", len(self._tasks))
        _, pending = await asyncio.wait(set(self._tasks), timeout=grace)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)
            logger.warning(
                "%d jobs were still running after %g s and were cancelled", len(pending), grace
            )

    async def _run(self, job: Coroutine[Any, Any, None], name: str) -> None:
        try:
            await job
        except Exception:
            # Jobs handle their own failures; this is the machinery's, logged without data.
            logger.exception("Could not finish %s", name)
        finally:
            self._slots.release()
