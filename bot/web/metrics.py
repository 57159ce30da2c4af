"""`GET /metrics`: Prometheus text exposition, behind a bearer token when one is set."""

from __future__ import annotations

import asyncio
import hmac
import logging

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.core.ports import Store
from bot.metrics import Metrics

logger = logging.getLogger(__name__)

SWEEP_LOOKUP_TIMEOUT_SECONDS = 2.0


class MetricsRoute:
    """Serves the process's metrics; what any process may change comes from the database.

    That is the last sweep's time and the links waiting for their user to open the bot.
    """

    def __init__(self, metrics: Metrics, store: Store, token: str | None) -> None:
        self._metrics = metrics
        self._store = store
        self._expected = f"Bearer {token}".encode() if token else None

    async def handle(self, request: web.Request) -> web.Response:
        """Check the token, refresh what the database knows, and render every metric."""
        if self._expected is not None:
            given = request.headers.get("Authorization", "").encode()
            if not hmac.compare_digest(given, self._expected):
                raise web.HTTPUnauthorized(headers={"WWW-Authenticate": "Bearer"})
        await self._refresh_from_database()
        return web.Response(
            body=generate_latest(self._metrics.registry),
            headers={"Content-Type": CONTENT_TYPE_LATEST},
        )

    async def _refresh_from_database(self) -> None:
        # Sweeps run in the clock, the worker or a cron `remind`, and any web instance links
        # users: only the database knows.
        try:
            async with asyncio.timeout(SWEEP_LOOKUP_TIMEOUT_SECONDS):
                async with self._store.unit_of_work(writes=False) as uow:
                    started = await uow.reminders.last_sweep_started()
                    waiting = await uow.reminders.count_waiting()
        except Exception as exc:
            logger.warning("Metrics: could not read the database (%s)", type(exc).__name__)
            return
        self._metrics.last_sweep_at(started)
        self._metrics.links_waiting_for_user(waiting)


def setup(app: web.Application, metrics: Metrics, store: Store, token: str | None) -> None:
    """Add `GET /metrics`."""
    app.router.add_get("/metrics", MetricsRoute(metrics, store, token).handle)
