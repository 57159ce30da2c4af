"""`GET /metrics`: Prometheus text from prometheus-client, behind METRICS_TOKEN when set."""

from __future__ import annotations

from datetime import timedelta

import pytest
from aiohttp import ClientResponse
from prometheus_client.parser import text_string_to_metric_families

from bot.db.store import SqlStore
from tests.fixtures.app import NOW
from tests.fixtures.bonifiq import FakePointsApi
from tests.fixtures.graph import button_value, delivery, text_value
from tests.fixtures.telegram import FakeBotApi, button_press, private_message
from tests.fixtures.web import WebBot, bot_settings, open_web_bot
from tests.fixtures.whatsapp import WhatsAppWeb
from tests.personas import ADMIN_USER_ID, MARIA

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(web_bot: WebBot) -> Samples:
    return await samples_of(await web_bot.metrics())


async def samples_of(response: ClientResponse) -> Samples:
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    samples: Samples = {}
    for family in text_string_to_metric_families(await response.text()):
        for sample in family.samples:
            samples[sample.name, tuple(sorted(sample.labels.items()))] = sample.value
    return samples


async def test_a_saldo_is_counted_by_channel_command_and_outcome(
    web_bot: WebBot, maria: str
) -> None:
    await web_bot.deliver(private_message("/saldo"))

    samples = await scrape(web_bot)

    labels = (("channel", "telegram"), ("command", "saldo"), ("outcome", "ok"))
    assert samples["bot_updates_total", labels] == 1
    assert samples["bot_reply_duration_seconds_count", (("channel", "telegram"),)] == 1


async def test_a_saldo_counts_one_points_request_and_one_cache_miss(
    web_bot: WebBot, maria: str
) -> None:
    await web_bot.deliver(private_message("/saldo"))
    await web_bot.deliver(button_press("saldo"))

    samples = await scrape(web_bot)

    assert samples["bot_bonifiq_requests_total", (("outcome", "ok"),)] == 1
    assert samples["bot_bonifiq_request_duration_seconds_count", ()] == 1
    assert samples["bot_points_cache_lookups_total", (("result", "miss"),)] == 1
    assert samples["bot_points_cache_lookups_total", (("result", "hit"),)] == 1


async def test_reminder_counters_exist_before_any_sweep(web_bot: WebBot) -> None:
    samples = await scrape(web_bot)

    for outcome in ("sent", "failed", "blocked"):
        assert samples["bot_reminders_total", (("outcome", outcome),)] == 0


async def test_the_last_sweep_time_comes_from_the_database(
    web_bot: WebBot, store: SqlStore
) -> None:
    async with store.unit_of_work() as uow:
        await uow.reminders.record_sweep(NOW, NOW + timedelta(seconds=5), {"sent": 0})
        await uow.commit()

    samples = await scrape(web_bot)

    assert samples["bot_reminder_sweep_last_success_timestamp_seconds", ()] == NOW.timestamp()


async def test_links_waiting_for_their_user_to_open_the_bot_come_from_the_database(
    web_bot: WebBot, store: SqlStore
) -> None:
    before = await scrape(web_bot)
    async with store.unit_of_work() as uow:  # an admin's /vincular, in any process
        for user_id in ("2001", "2002"):
            await uow.links.link("telegram", user_id, MARIA, str(ADMIN_USER_ID), NOW)
        await uow.commit()
    linked = await scrape(web_bot)
    await web_bot.deliver(private_message("/start", user_id=2001))

    opened = await scrape(web_bot)

    waiting = "bot_links_waiting_for_user", ()
    assert (before[waiting], linked[waiting], opened[waiting]) == (0, 2, 1)


async def test_metrics_without_the_token_get_401(web_bot: WebBot) -> None:
    response = await web_bot.metrics(token=None)

    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_metrics_with_a_wrong_token_get_401(web_bot: WebBot) -> None:
    response = await web_bot.metrics(token="guess")

    assert response.status == 401


async def test_metrics_are_open_when_no_token_is_configured(
    bot_api: FakeBotApi, points_api: FakePointsApi, database_url: str
) -> None:
    settings = bot_settings(bot_api, points_api, database_url, metrics_token="")
    async with open_web_bot(settings) as web_bot:
        response = await web_bot.metrics(token=None)

    assert response.status == 200


def updates_counted(samples: Samples, channel: str) -> dict[tuple[str, str], float]:
    """`bot_updates_total` of one channel, by (command, outcome)."""
    counted = {}
    for (name, labels), value in samples.items():
        label = dict(labels)
        if name == "bot_updates_total" and label["channel"] == channel:
            counted[label["command"], label["outcome"]] = value
    return counted


@pytest.mark.usefixtures("wa_maria")
async def test_whatsapp_messages_are_counted_by_what_they_ask_for_never_by_their_words(
    wa_web: WhatsAppWeb,
) -> None:
    for text in ("saldo", "Saldo", "oi, tudo bem?", "menu", "quanto eu tenho? 5511988887777"):
        await wa_web.deliver(delivery(text_value(text)))
    await wa_web.deliver(delivery(button_value("extrato", "Extrato")))
    await wa_web.deliver(delivery(button_value("vincular 1 x", "Vincular")))

    samples = await samples_of(await wa_web.client.get("/metrics"))

    assert updates_counted(samples, "whatsapp") == {
        ("saldo", "ok"): 2,
        ("greeting", "ok"): 1,
        ("ajuda", "ok"): 1,
        ("unknown", "ok"): 2,
        ("extrato", "ok"): 1,
    }


async def test_a_telegram_greeting_is_counted_as_one(web_bot: WebBot) -> None:
    await web_bot.deliver(private_message("Bom dia!"))

    samples = await scrape(web_bot)

    assert updates_counted(samples, "telegram") == {("greeting", "ok"): 1}
