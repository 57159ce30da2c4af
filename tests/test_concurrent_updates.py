"""Copies of one Telegram update handled at the same moment."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.channels.observed import ObservedApplication
from bot.channels.telegram import BotApplication
from tests.fixtures.app import Deliver
from tests.fixtures.telegram import FakeBotApi, private_message
from tests.fixtures.web import WebBot


def duplicates(application: BotApplication) -> float:
    """Return how many copies of updates being handled were skipped."""
    assert isinstance(application, ObservedApplication)
    value = application.metrics.registry.get_sample_value(
        "bot_updates_skipped_total", {"channel": "telegram", "reason": "duplicate"}
    )
    return value or 0.0


async def test_two_copies_of_one_update_at_the_same_moment_log_no_error(
    deliver: Deliver, caplog: pytest.LogCaptureFixture
) -> None:
    update = private_message("/ajuda")

    with caplog.at_level(logging.INFO):
        await asyncio.gather(deliver(update), deliver(update))

    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_the_copy_of_an_update_being_handled_is_skipped_and_counted(
    deliver: Deliver, telegram_app: BotApplication, bot_api: FakeBotApi
) -> None:
    update = private_message("/ajuda")

    await asyncio.gather(deliver(update), deliver(update))

    assert len(bot_api.sent_messages()) == 1
    assert duplicates(telegram_app) == 1


async def test_a_copy_arriving_after_the_first_was_handled_is_handled_again(
    deliver: Deliver, telegram_app: BotApplication, bot_api: FakeBotApi
) -> None:
    # Only copies at the same moment are caught here; the rest is the inbox's job.
    update = private_message("/ajuda")

    await deliver(update)
    await deliver(update)

    assert len(bot_api.sent_messages()) == 2
    assert duplicates(telegram_app) == 0


async def test_two_copies_posted_to_the_webhook_at_once_log_no_error(
    web_bot: WebBot, maria: str, caplog: pytest.LogCaptureFixture
) -> None:
    update = private_message("/saldo")

    with caplog.at_level(logging.INFO):
        responses = await asyncio.gather(web_bot.post(update), web_bot.post(update))
        await web_bot.settle()

    assert [response.status for response in responses] == [200, 200]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
