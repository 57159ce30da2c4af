"""A short-lived cache in front of a points gateway, so bursts of taps cost one call."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable

from bot.core.points import CustomerPoints
from bot.core.ports import PointsGateway


class CachedPointsGateway:
    """Reuses a customer's points for `ttl` seconds and shares concurrent lookups.

    Only successes are kept: a missing customer may sign up a minute later and an outage
    should not outlive itself. Callers asking for a customer whose lookup is already
    running wait for that lookup instead of starting another (single flight). A `ttl` of
    zero or less turns the cache off but keeps single flight.
    """

    def __init__(
        self,
        inner: PointsGateway,
        ttl: float,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 10_000,
        on_lookup: Callable[[str], None] | None = None,
    ) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._inner = inner
        self._ttl = ttl
        self._clock = clock
        self._max_entries = max_entries
        self._on_lookup = on_lookup
        """Told "hit", "joined" or "miss" for every lookup (metrics)."""
        # Insertion order is expiry order: every entry lives the same `ttl`.
        self._entries: OrderedDict[str, tuple[float, CustomerPoints]] = OrderedDict()
        self._in_flight: dict[str, asyncio.Task[CustomerPoints]] = {}

    async def customer_points(self, customer_id: str) -> CustomerPoints:
        """Return the customer's points from the cache, a running lookup or the API."""
        entry = self._entries.get(customer_id)
        if entry is not None:
            expires_at, points = entry
            if self._clock() < expires_at:
                self._count("hit")
                return points
            del self._entries[customer_id]

        task = self._in_flight.get(customer_id)
        if task is None:
            self._count("miss")
            task = asyncio.create_task(self._fetch(customer_id))
            task.add_done_callback(_retrieve_exception)
            self._in_flight[customer_id] = task
        else:
            self._count("joined")
        # One caller giving up (a cancelled update) must not cancel the others' lookup.
        return await asyncio.shield(task)

    def invalidate(self, customer_id: str) -> None:
        """Forget the customer's cached points; the next call asks the API again."""
        self._entries.pop(customer_id, None)
        # A lookup already running may have started before whatever made the caller
        # invalidate; let it finish for its waiters, but neither store nor share it.
        self._in_flight.pop(customer_id, None)

    def _count(self, result: str) -> None:
        if self._on_lookup is not None:
            self._on_lookup(result)

    def __len__(self) -> int:
        return len(self._entries)

    async def _fetch(self, customer_id: str) -> CustomerPoints:
        this_task = asyncio.current_task()
        try:
            points = await self._inner.customer_points(customer_id)
        finally:
            still_current = self._in_flight.get(customer_id) is this_task
            if still_current:
                del self._in_flight[customer_id]
        if still_current and self._ttl > 0:
            self._store(customer_id, points)
        return points

    def _store(self, customer_id: str, points: CustomerPoints) -> None:
        now = self._clock()
        self._entries.pop(customer_id, None)
        self._entries[customer_id] = (now + self._ttl, points)
        while self._entries:
            _, (expires_at, _) = next(iter(self._entries.items()))
            if expires_at > now and len(self._entries) <= self._max_entries:
                break
            self._entries.popitem(last=False)


def _retrieve_exception(task: asyncio.Task[CustomerPoints]) -> None:
    # When every waiter was cancelled nobody reads the error; asyncio would log it as
    # "never retrieved".
    if not task.cancelled():
        task.exception()
