"""`GET /healthz`: the database decides 200 or 503; the points API only degrades."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.bonifiq.health import ApiHealth
from bot.db.engine import create_engine
from bot.db.store import SqlStore
from bot.web import health
from tests.fixtures.bonifiq import FakePointsApi, Fault
from tests.fixtures.telegram import private_message
from tests.fixtures.web import WebBot
from tests.helpers import link
from tests.personas import MARIA


async def test_healthz_is_ok_when_the_database_answers(web_bot: WebBot) -> None:
    response = await web_bot.client.get("/healthz")
    body = await response.json()

    assert response.status == 200
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["database"]["latency_ms"] >= 0
    assert body["bonifiq"] == {
        "ok": True,
        "last_success": None,
        "last_failure": None,
        "last_failure_reason": None,
    }


async def test_healthz_reports_the_last_successful_points_request(
    web_bot: WebBot, maria: str
) -> None:
    await web_bot.deliver(private_message("/saldo"))

    body = await (await web_bot.client.get("/healthz")).json()

    assert body["status"] == "ok"
    assert body["bonifiq"]["last_success"] is not None


async def test_healthz_is_degraded_but_200_when_the_points_api_last_failed(
    web_bot: WebBot, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.script(MARIA, [Fault.http(503)] * 3)
    await link(store, MARIA)
    await web_bot.deliver(private_message("/saldo"))

    response = await web_bot.client.get("/healthz")
    body = await response.json()

    assert response.status == 200
    assert body["status"] == "degraded"
    assert body["bonifiq"]["ok"] is False
    assert body["bonifiq"]["last_failure_reason"] == "server_error"


HealthOf = Callable[[str], Awaitable[tuple[int, dict[str, Any]]]]


@pytest.fixture
async def health_of() -> AsyncIterator[HealthOf]:
    """Serve only the health route for a given database URL; yield a GET function."""
    clients: list[TestClient[web.Request, web.Application]] = []
    engines = []

    async def get(url: str) -> tuple[int, dict[str, Any]]:
        engine = create_engine(url)
        engines.append(engine)
        app = web.Application()
        health.setup(app, engine, ApiHealth())
        client = TestClient(TestServer(app, host="127.0.0.1"))
        clients.append(client)
        await client.start_server()
        response = await client.get("/healthz")
        return response.status, await response.json()

    yield get
    for client in clients:
        await client.close()
    for engine in engines:
        await engine.dispose()


async def test_healthz_is_503_when_the_database_refuses_connections(health_of: HealthOf) -> None:
    status, body = await health_of("postgresql+asyncpg://bot:secret-pw@127.0.0.1:9/bot")

    assert status == 503
    assert body["status"] == "unavailable"
    assert body["database"]["ok"] is False
    assert "secret-pw" not in str(body)


async def test_healthz_is_503_when_the_database_does_not_answer(health_of: HealthOf) -> None:
    release = asyncio.Event()

    async def never_answer(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await release.wait()
        writer.close()

    silent = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = silent.sockets[0].getsockname()[1]
    try:
        status, body = await health_of(f"postgresql+asyncpg://bot@127.0.0.1:{port}/bot")
    finally:
        release.set()
        silent.close()
        await silent.wait_closed()

    assert status == 503
    assert body["database"] == {"ok": False, "error": "no answer within 2 s"}
