"""`python -m bot webhook` and `clock` as a platform runs them: start, serve, stop on a signal."""

from __future__ import annotations

import asyncio
import functools
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.cli import run_clock
from bot.config import ConfigError, load_settings
from bot.core.models import UserProfile
from bot.db.engine import create_engine, create_session_factory
from bot.db.migrate import upgrade_to_head
from bot.db.store import SqlStore
from bot.web.telegram import SECRET_HEADER, webhook_path
from tests.fixtures.bonifiq import FakePointsApi, Fault, customer_payload, expiration_payload
from tests.fixtures.telegram import FakeBotApi, private_message
from tests.fixtures.web import PUBLIC_URL, WEBHOOK_SECRET, bot_settings
from tests.helpers import cli_environment, run_cli, run_until_sent
from tests.personas import CUSTOMER_USER_ID, MARIA


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def linked_database(tmp_path: Path, customer_id: str = MARIA) -> str:
    """Return the URL of a migrated SQLite database where user 1001 is linked to a customer."""
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    await upgrade_to_head(database_url)
    engine = create_engine(database_url)
    store = SqlStore(create_session_factory(engine))
    async with store.unit_of_work() as uow:
        now = datetime.now(UTC)
        await uow.users.seen(
            UserProfile("telegram", str(CUSTOMER_USER_ID), "Maria"), str(1001), now
        )
        await uow.links.link("telegram", str(CUSTOMER_USER_ID), customer_id, None, now)
        await uow.commit()
    await engine.dispose()
    return database_url


@dataclass
class WebProcess:
    """A running `python -m bot webhook` and the port it listens on."""

    process: asyncio.subprocess.Process
    port: int

    async def post(self, update: dict[str, object]) -> int:
        """POST an update to its webhook as Telegram does; return the status."""
        async with aiohttp.ClientSession() as session:
            response = await session.post(
                f"http://127.0.0.1:{self.port}{webhook_path(WEBHOOK_SECRET)}",
                json=update,
                headers={SECRET_HEADER: WEBHOOK_SECRET},
            )
            return response.status

    async def saldo_waiting_on(self, points_api: FakePointsApi, seconds: float) -> None:
        """Have Maria's /saldo accepted and waiting `seconds` on the points API."""
        points_api.set_customer(MARIA, customer_payload())
        points_api.script(MARIA, [Fault.slow(seconds)])
        assert await self.post(private_message("/saldo")) == 200
        async with asyncio.timeout(20):
            await points_api.wait_for_request(MARIA)

    async def stop(self, sig: signal.Signals = signal.SIGTERM) -> str:
        """Send `sig`; return what the process logged once it has exited."""
        self.process.send_signal(sig)
        async with asyncio.timeout(30):
            _, stderr = await self.process.communicate()
        return stderr.decode()


@asynccontextmanager
async def webhook_process(
    tmp_path: Path,
    bot_api: FakeBotApi,
    points_api: FakePointsApi,
    extra_env: dict[str, str] | None = None,
    stdin: int = asyncio.subprocess.DEVNULL,
) -> AsyncIterator[WebProcess]:
    """Start `python -m bot webhook` with Maria linked; wait until it registered its webhook.

    Its stdin is nothing (as on a platform) unless `stdin` is given, say a terminal's.
    """
    database_url = await linked_database(tmp_path)
    port = free_port()
    env = cli_environment(
        {
            "TELEGRAM_BOT_TOKEN": bot_api.token,
            "TELEGRAM_API_BASE_URL": bot_api.base_url,
            "BONIFIQ_BASE_URL": points_api.base_url,
            "BONIFIQ_API_TOKEN": points_api.api_token,
            "BONIFIQ_API_KEY": points_api.api_key,
            "DATABASE_URL": database_url,
            "WEBHOOK_URL": PUBLIC_URL,
            "WEBHOOK_SECRET": WEBHOOK_SECRET,
            "PORT": str(port),
            "LOG_FORMAT": "json",
        }
        | (extra_env or {})
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "webhook",
        cwd=tmp_path,
        env=env,
        stdin=stdin,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(30):
            await bot_api.wait_for_call("setWebhook")
        yield WebProcess(process, port)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def until_logged(process: asyncio.subprocess.Process, text: str) -> str:
    """Read the process's log until a line holds `text`; return that line."""
    assert process.stderr is not None
    async with asyncio.timeout(20):
        while text not in (line := (await process.stderr.readline()).decode()):
            pass
    return line


async def test_sigterm_while_an_update_waits_on_a_slow_points_api_still_sends_the_reply(
    bot_api: FakeBotApi, points_api: FakePointsApi, tmp_path: Path
) -> None:
    async with webhook_process(tmp_path, bot_api, points_api) as web:
        await web.saldo_waiting_on(points_api, 1.0)
        stderr = await web.stop()

    assert web.process.returncode == 0, stderr
    [reply] = bot_api.delivered_to(CUSTOMER_USER_ID)
    assert "1.234 pontos" in reply.text


async def test_the_webhook_process_registers_its_url_secret_and_update_types(
    bot_api: FakeBotApi, points_api: FakePointsApi, tmp_path: Path
) -> None:
    async with webhook_process(tmp_path, bot_api, points_api) as web:
        await web.stop()

    assert web.process.returncode == 0
    assert bot_api.webhook is not None
    assert bot_api.webhook["url"] == PUBLIC_URL + webhook_path(WEBHOOK_SECRET)
    assert bot_api.webhook["secret_token"] == WEBHOOK_SECRET
    assert bot_api.webhook["allowed_updates"] == ["message", "callback_query", "my_chat_member"]
    assert "deleteWebhook" not in bot_api.methods()  # other instances keep serving


async def test_webhook_logs_where_it_listens_and_never_the_secret_or_token(
    bot_api: FakeBotApi, points_api: FakePointsApi, tmp_path: Path
) -> None:
    async with webhook_process(tmp_path, bot_api, points_api) as web:
        await web.post(private_message("/ajuda"))
        async with asyncio.timeout(20):
            await bot_api.wait_for_messages(1)
        stderr = await web.stop()

    assert f"Listening on 0.0.0.0:{web.port}; channels: telegram" in stderr
    assert WEBHOOK_SECRET not in stderr
    assert webhook_path(WEBHOOK_SECRET) not in stderr
    assert bot_api.token not in stderr


async def test_a_second_sigint_exits_at_once_without_waiting_for_the_reply(
    bot_api: FakeBotApi, points_api: FakePointsApi, tmp_path: Path
) -> None:
    async with webhook_process(tmp_path, bot_api, points_api) as web:
        await web.saldo_waiting_on(points_api, 3.0)
        web.process.send_signal(signal.SIGINT)
        logged = await until_logged(web.process, "SIGINT received")
        await web.stop(signal.SIGINT)

    assert web.process.returncode == 130
    assert bot_api.delivered_to(CUSTOMER_USER_ID) == []
    assert "finishing accepted work (a second SIGINT exits at once)" in logged


async def test_sigterm_is_logged_without_a_ctrl_c_hint(
    bot_api: FakeBotApi, points_api: FakePointsApi, tmp_path: Path
) -> None:
    async with webhook_process(tmp_path, bot_api, points_api) as web:
        stderr = await web.stop(signal.SIGTERM)

    assert web.process.returncode == 0, stderr
    assert "SIGTERM received: finishing accepted work" in stderr
    assert "Ctrl-C" not in stderr
    assert "second" not in stderr  # a second SIGTERM waits like the first


async def test_sigint_from_a_terminal_says_ctrl_c_again_exits_at_once(
    bot_api: FakeBotApi, points_api: FakePointsApi, tmp_path: Path
) -> None:
    controller, terminal = os.openpty()
    try:
        async with webhook_process(tmp_path, bot_api, points_api, stdin=terminal) as web:
            stderr = await web.stop(signal.SIGINT)
    finally:
        os.close(controller)
        os.close(terminal)

    assert "SIGINT received: finishing accepted work (Ctrl-C again exits at once)" in stderr


def test_webhook_without_a_secret_stops_with_one_line_naming_it(tmp_path: Path) -> None:
    env = {"WEBHOOK_URL": PUBLIC_URL, "TELEGRAM_BOT_TOKEN": "1:fake-token"}

    result = run_cli("webhook", cwd=tmp_path, env=env)

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: WEBHOOK_SECRET is required for this command but is not set"
    ]


def test_webhook_with_an_http_public_url_stops_with_one_line_naming_it(tmp_path: Path) -> None:
    env = {"WEBHOOK_URL": "http://bot.loja.com.br", "WEBHOOK_SECRET": WEBHOOK_SECRET}

    result = run_cli("webhook", cwd=tmp_path, env=env)

    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("error: invalid configuration: WEBHOOK_URL: must be the bot's public")
    assert "https://" in line


@pytest.mark.parametrize(
    "secret",
    ["has spaces", "acentuação", "x" * 257, "semi;colon"],
    ids=["space", "accents", "long", "punctuation"],
)
def test_a_malformed_webhook_secret_stops_start_up_naming_it_without_its_value(
    tmp_path: Path, secret: str
) -> None:
    result = run_cli("webhook", cwd=tmp_path, env={"WEBHOOK_SECRET": secret})

    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert "WEBHOOK_SECRET" in line
    assert secret not in line


async def test_clock_catches_up_a_missed_sweep_and_does_nothing_else(
    bot_api: FakeBotApi, points_api: FakePointsApi, tmp_path: Path
) -> None:
    soon = datetime.now(UTC) + timedelta(days=3)
    points_api.set_customer(MARIA, customer_payload(PointsToExpire=[expiration_payload(80, soon)]))
    settings = bot_settings(bot_api, points_api, await linked_database(tmp_path))
    await run_until_sent(functools.partial(run_clock, settings), bot_api, 1)

    [reminder] = bot_api.delivered_to(CUSTOMER_USER_ID)
    assert "80 pontos perto de expirar" in reminder.text
    assert set(bot_api.methods()) == {"getMe", "sendMessage"}


async def test_clock_with_reminders_off_stops_with_a_clear_error(tmp_path: Path) -> None:
    settings = load_settings(
        telegram_bot_token="1:fake-token",
        bonifiq_api_token="fake-api-token",
        bonifiq_api_key="fake-api-key",
        reminder_time="off",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
    )

    with pytest.raises(ConfigError, match="REMINDER_TIME"):
        await run_clock(settings)
