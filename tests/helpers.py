"""Small helpers shared by the conversation, web and command line tests of both channels."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import subprocess
import sys
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.core.models import UserProfile
from bot.db.store import SqlStore
from tests.fixtures.app import NOW, Deliver
from tests.fixtures.bonifiq import FakePointsApi, customer_payload, expiration_payload
from tests.fixtures.telegram import FakeBotApi
from tests.personas import CUSTOMER_USER_ID, MARIA

GZIP_THAT_DOES_NOT_INFLATE = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
"""Headers of a body said to be gzip that is not a gzip stream (such as `b":5"`)."""

SLASH_COMMAND = re.compile(r"(?<!\S)/\w")
"""`/ajuda` as a word of its own: a command WhatsApp users cannot send."""


async def link(
    store: SqlStore,
    customer_id: str,
    user_id: int | str = CUSTOMER_USER_ID,
    *,
    channel: str = "telegram",
) -> None:
    """Link a user (a Telegram user unless `channel` says otherwise) to a customer."""
    async with store.unit_of_work() as uow:
        await uow.links.link(channel, str(user_id), customer_id, None, NOW)
        await uow.commit()


async def maria_linked(
    points_api: FakePointsApi,
    store: SqlStore,
    user_id: int | str = CUSTOMER_USER_ID,
    *,
    channel: str = "telegram",
) -> str:
    """Serve Maria's points (1,234) and link `user_id` on `channel` to her; return her id."""
    points_api.set_customer(MARIA, customer_payload())
    await link(store, MARIA, user_id, channel=channel)
    return MARIA


async def active_customer(
    store: SqlStore, user_id: int | str = CUSTOMER_USER_ID, *, channel: str = "telegram"
) -> str | None:
    """Return the customer a user is linked to now, or None."""
    async with store.unit_of_work(writes=False) as uow:
        current = await uow.links.active(channel, str(user_id))
    return current.customer_id if current else None


def expiring(*days_and_points: tuple[int, int]) -> dict[str, object]:
    """A customer whose points expire the given numbers of days after NOW."""
    return customer_payload(
        PointsToExpire=[
            expiration_payload(points, NOW + timedelta(days=days))
            for days, points in days_and_points
        ]
    )


async def linked_chat(
    store: SqlStore,
    user_id: int | str,
    customer_id: str,
    *,
    channel: str = "telegram",
    first_name: str = "Cliente",
    at: datetime = NOW,
) -> None:
    """A user who wrote to the bot privately on `channel` at `at`, linked to `customer_id`."""
    profile = UserProfile(channel, str(user_id), first_name)
    async with store.unit_of_work() as uow:
        await uow.users.seen(profile, str(user_id), at)
        await uow.links.link(channel, str(user_id), customer_id, None, at)
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


async def replies_to(deliver: Deliver, bot_api: FakeBotApi, update: dict[str, Any]) -> list[str]:
    """Deliver an update and return the texts its sender received because of it."""
    chat_id = update.get("message", update.get("callback_query", {})).get("from", {}).get("id")
    before = len(bot_api.delivered_to(chat_id))
    await deliver(update)
    return [call.text for call in bot_api.delivered_to(chat_id)[before:]]


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Return the messages of the ERROR and CRITICAL records captured so far."""
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]
