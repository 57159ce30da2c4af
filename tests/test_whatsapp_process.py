"""`python -m bot webhook` with Telegram and WhatsApp on: one process, both webhooks."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from bot.db.engine import create_engine, create_session_factory
from bot.db.store import SqlStore
from bot.web.whatsapp import PATH
from tests.fixtures.bonifiq import FakePointsApi, Fault, customer_payload
from tests.fixtures.graph import (
    ACCESS_TOKEN,
    APP_SECRET,
    DISPLAY_NUMBER,
    PHONE_NUMBER_ID,
    TEMPLATE,
    VERIFY_TOKEN,
    FakeGraphApi,
    delivery,
    encoded,
    sign,
    text_value,
)
from tests.fixtures.telegram import FakeBotApi
from tests.personas import MARIA, MARIA_WA_ID
from tests.test_cli_processes import WebProcess, webhook_process


def whatsapp_env(graph_api: FakeGraphApi) -> dict[str, str]:
    """The WHATSAPP_* variables for the fake Graph API."""
    return {
        "WHATSAPP_ACCESS_TOKEN": ACCESS_TOKEN,
        "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
        "WHATSAPP_APP_SECRET": APP_SECRET,
        "WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
        "WHATSAPP_DISPLAY_NUMBER": DISPLAY_NUMBER,
        "WHATSAPP_REMINDER_TEMPLATE": TEMPLATE,
        "WHATSAPP_API_BASE_URL": graph_api.base_url,
    }


async def _post(web: WebProcess, text: str) -> int:
    body = encoded(delivery(text_value(text)))
    async with aiohttp.ClientSession() as session:
        response = await session.post(
            f"http://127.0.0.1:{web.port}{PATH}",
            data=body,
            headers={"X-Hub-Signature-256": sign(body), "Content-Type": "application/json"},
        )
        return response.status


async def _handshake(web: WebProcess) -> str:
    params = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "42"}
    async with aiohttp.ClientSession() as session:
        response = await session.get(f"http://127.0.0.1:{web.port}{PATH}", params=params)
        return await response.text()


async def test_the_webhook_process_serves_both_channels_and_logs_no_whatsapp_secret(
    bot_api: FakeBotApi, points_api: FakePointsApi, graph_api: FakeGraphApi, tmp_path: Path
) -> None:
    points_api.set_customer(MARIA, customer_payload())
    async with webhook_process(tmp_path, bot_api, points_api, whatsapp_env(graph_api)) as web:
        assert await _handshake(web) == "42"
        assert await _post(web, "ajuda") == 200
        async with asyncio.timeout(20):
            await graph_api.wait_for_accepted(1)
        stderr = await web.stop()

    assert web.process.returncode == 0, stderr
    assert "channels: telegram (webhook for @" in stderr
    assert "whatsapp (webhook at /whatsapp/webhook)" in stderr
    for secret in (ACCESS_TOKEN, APP_SECRET, VERIFY_TOKEN):
        assert secret not in stderr
    assert graph_api.accepted[0].to == MARIA_WA_ID


async def test_sigterm_while_a_whatsapp_message_waits_on_the_points_api_still_answers_it(
    bot_api: FakeBotApi, points_api: FakePointsApi, graph_api: FakeGraphApi, tmp_path: Path
) -> None:
    async with webhook_process(tmp_path, bot_api, points_api, whatsapp_env(graph_api)) as web:
        await _link_on_whatsapp(tmp_path)
        points_api.set_customer(MARIA, customer_payload())
        points_api.script(MARIA, [Fault.slow(1.0)])
        assert await _post(web, "saldo") == 200
        async with asyncio.timeout(20):
            await points_api.wait_for_request(MARIA)
        stderr = await web.stop()

    assert web.process.returncode == 0, stderr
    [reply] = graph_api.accepted
    assert "*1.234 pontos*" in reply.text


async def _link_on_whatsapp(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    try:
        async with SqlStore(create_session_factory(engine)).unit_of_work() as uow:
            await uow.links.link("whatsapp", MARIA_WA_ID, MARIA, None, datetime.now(UTC))
            await uow.commit()
    finally:
        await engine.dispose()
