"""`GET /healthz`: the database answers (503 if not); the points API's recent outcome."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

from aiohttp import web
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bonifiq.health import ApiHealth

DATABASE_TIMEOUT_SECONDS = 2.0


class HealthRoute:
    """Reports `ok`, `degraded` (the points API failing: users are told why) or `unavailable`."""

    def __init__(self, engine: AsyncEngine, api_health: ApiHealth) -> None:
        self._engine = engine
        self._api_health = api_health

    async def handle(self, _request: web.Request) -> web.Response:
        """Check the database with a trivial query; report the points API from memory."""
        database = await database_check(self._engine)
        api = self._api_health
        if not database["ok"]:
            status = "unavailable"
        elif not api.ok:
            status = "degraded"
        else:
            status = "ok"
        body = {
            "status": status,
            "database": database,
            "bonifiq": {
                "ok": api.ok,
                "last_success": _iso(api.last_success),
                "last_failure": _iso(api.last_failure),
                "last_failure_reason": api.last_failure_outcome,
            },
        }
        return web.json_response(body, status=200 if database["ok"] else 503)


async def database_check(engine: AsyncEngine) -> dict[str, object]:
    """Run `SELECT 1` within two seconds; return whether it worked and how long it took."""
    started = time.perf_counter()
    try:
        async with asyncio.timeout(DATABASE_TIMEOUT_SECONDS), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except TimeoutError:
        return {"ok": False, "error": f"no answer within {DATABASE_TIMEOUT_SECONDS:g} s"}
    except Exception as exc:
        # The driver's message may name the host; the class says enough and leaks nothing.
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "latency_ms": round((time.perf_counter() - started) * 1000, 1)}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def setup(app: web.Application, engine: AsyncEngine, api_health: ApiHealth) -> None:
    """Add `GET /healthz`."""
    app.router.add_get("/healthz", HealthRoute(engine, api_health).handle)
