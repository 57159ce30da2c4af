"""Stopping: accepted updates finish within the grace period; what is left is cancelled."""

from __future__ import annotations

import asyncio

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from telegram import Update

from bot.channels.observed import ObservedApplication, stop_within
from bot.channels.telegram import BotApplication
from bot.db.store import SqlStore
from bot.jobs.reminders import ReminderSweep
from tests.fixtures.app import NOW
from tests.fixtures.bonifiq import FakePointsApi, Fault, customer_payload
from tests.fixtures.telegram import FakeBotApi, private_message
from tests.helpers import link, linked_chat
from tests.personas import MARIA


def outcomes(application: BotApplication) -> dict[str, float]:
    """Return how many updates ended with each outcome, from the application's metrics."""
    assert isinstance(application, ObservedApplication)
    exposition = generate_latest(application.metrics.registry).decode()
    return {
        sample.labels["outcome"]: sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
        if sample.name == "bot_updates_total"
    }


def update(application: BotApplication, text: str) -> Update:
    return Update.de_json(private_message(text), application.bot)


async def test_an_update_that_finishes_within_the_grace_period_is_answered(
    telegram_app: BotApplication, bot_api: FakeBotApi
) -> None:
    await telegram_app.start()
    await telegram_app.update_queue.put(update(telegram_app, "/ajuda"))

    await stop_within(telegram_app, grace=30)

    assert len(bot_api.sent_messages()) == 1
    assert outcomes(telegram_app) == {"ok": 1}


async def test_an_update_still_running_after_the_grace_period_is_cancelled(
    telegram_app: BotApplication, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.set_customer(MARIA, customer_payload())
    points_api.script(MARIA, [Fault.slow(2)] * 3)
    await link(store, MARIA)
    await telegram_app.start()
    await telegram_app.update_queue.put(update(telegram_app, "/saldo"))
    async with asyncio.timeout(10):
        await points_api.wait_for_request(MARIA)

    await stop_within(telegram_app, grace=0.05)

    assert bot_api.sent_messages() == []
    assert outcomes(telegram_app) == {"cancelled": 1}


async def test_a_sweep_told_to_stop_gives_up_a_fetch_the_points_api_is_slow_to_answer(
    sweep: ReminderSweep, store: SqlStore, points_api: FakePointsApi
) -> None:
    points_api.set_customer(MARIA, customer_payload())
    points_api.script(MARIA, [Fault.slow(2)] * 3)
    await linked_chat(store, 1001, MARIA)
    running = asyncio.create_task(sweep.sweep(NOW))
    async with asyncio.timeout(10):
        await points_api.wait_for_request(MARIA)

    await sweep.stop()
    await running

    assert len(points_api.requests_for(MARIA)) == 1  # no retry after the stop
