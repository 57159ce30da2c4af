"""Small helpers shared by the conversation and command line tests."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Coroutine
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.core.models import UserProfile
from bot.db.store import SqlStore
from tests.fixtures.app import NOW
from tests.fixtures.bonifiq import customer_payload, expiration_payload
from tests.fixtures.telegram import CUSTOMER_USER_ID, FakeBotApi


async def link(store: SqlStore, customer_id: str, user_id: int = CUSTOMER_USER_ID) -> None:
    """Link a Telegram user to a customer, as an admin would have."""
    async with store.unit_of_work() as uow:
        await uow.links.link("telegram", str(user_id), customer_id, None, NOW)
        await uow.commit()


def expiring(*days_and_points: tuple[int, int]) -> dict[str, object]:
    """A customer whose points expire the given numbers of days after NOW."""
    return customer_payload(
        PointsToExpire=[
            expiration_payload(points, NOW + timedelta(days=days))
            for days, points in days_and_points
        ]
    )


async def linked_chat(store: SqlStore, user_id: int, customer_id: str) -> None:
    """A user who talked to the bot privately and is linked to `customer_id`."""
    async with store.unit_of_work() as uow:
        await uow.users.seen(UserProfile("telegram", str(user_id), "Cliente"), str(user_id), NOW)
        await uow.links.link("telegram", str(user_id), customer_id, None, NOW)
        await uow.commit()


# Variables a developer's shell may hold that would change what a command-line test does.
ENV_NAMES = (
    "TELEGRAM_BOT_TOKEN",
    "BONIFIQ_API_TOKEN",
    "BONIFIQ_API_KEY",
    "DATABASE_URL",
    "WEBHOOK_URL",
    "WEBHOOK_SECRET",
    "METRICS_TOKEN",
    "PORT",
    "LOG_FORMAT",
    "REMINDER_TIME",
)


def cli_environment(env: dict[str, str] | None = None) -> dict[str, str]:
    """Return this process's environment without the bot's settings, plus `env`."""
    environment = {k: v for k, v in os.environ.items() if k not in ENV_NAMES}
    return environment | (env or {})


def run_cli(
    *args: str, cwd: Path, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot` with `args` and return what it printed and its exit code."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=cli_environment(env),
        timeout=60,
        check=False,
    )


async def run_cli_async(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot` with `args` without blocking the loop that serves the fakes."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=cwd,
        env=cli_environment(env),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(child.communicate(), 60)
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()
    assert child.returncode is not None
    return subprocess.CompletedProcess(
        [sys.executable, "-m", "bot", *args], child.returncode, stdout.decode(), stderr.decode()
    )


async def run_until_sent(
    run: Callable[[asyncio.Event], Coroutine[Any, Any, None]], bot_api: FakeBotApi, count: int
) -> None:
    """Run a serving command (`run_polling`, `run_clock`) until `count` messages were sent."""
    stop = asyncio.Event()
    serving = asyncio.create_task(run(stop))
    try:
        async with asyncio.timeout(20):
            await bot_api.wait_for_messages(count)
    finally:
        stop.set()
        await asyncio.wait_for(serving, 20)


async def replies_to(
    deliver: Callable[[dict[str, Any]], Any], bot_api: FakeBotApi, update: dict[str, Any]
) -> list[str]:
    """Deliver an update and return the texts its sender received because of it."""
    chat_id = update.get("message", update.get("callback_query", {})).get("from", {}).get("id")
    before = len(bot_api.delivered_to(chat_id))
    await deliver(update)
    return [call.text for call in bot_api.delivered_to(chat_id)[before:]]


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Return the messages of the ERROR and CRITICAL records captured so far."""
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]
