"""Odd data from the points API: shown or left out, never a silent bot or a stopped sweep."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

import pytest

from bot.core.conversation import Conversation
from bot.core.points import CustomerPoints
from bot.core.ports import PointsGateway
from bot.db.store import SqlStore
from bot.jobs.reminders import ReminderSweep
from tests.fixtures.app import NOW, Deliver
from tests.fixtures.bonifiq import (
    FakePointsApi,
    customer_payload,
    expiration_payload,
    transaction_payload,
)
from tests.fixtures.telegram import (
    MAX_TEXT_LENGTH,
    FakeBotApi,
    private_message,
    telegram_html_text,
    utf16_length,
)
from tests.helpers import expiring, link, linked_chat
from tests.personas import ADMIN_USER_ID, CUSTOMER_USER_ID, JOAO, MARIA

DOTNET_MIN_UTC = "0001-01-01T00:00:00Z"


@dataclass
class ExplodingFor:
    """The points API as a port, raising a bug-like exception for one customer."""

    inner: PointsGateway
    customer_id: str

    async def customer_points(self, customer_id: str) -> CustomerPoints:
        if customer_id == self.customer_id:
            raise RuntimeError(f"unexpected data for {customer_id}: balance 1234")
        return await self.inner.customer_points(customer_id)


async def test_saldo_leaves_out_an_expiration_dated_dotnet_min_value(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.set_customer(
        MARIA,
        customer_payload(
            PointsToExpire=[
                expiration_payload(50, DOTNET_MIN_UTC),
                expiration_payload(80, "2026-12-15T23:59:59-03:00"),
            ]
        ),
    )
    await link(store, MARIA)

    await deliver(private_message("/saldo"))

    [reply] = bot_api.delivered_to(CUSTOMER_USER_ID)
    assert "80 pontos em 15/12/2026" in reply.text
    assert "50 pontos" not in reply.text


async def test_extrato_shows_an_item_dated_dotnet_min_value_without_a_date(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    history = [transaction_payload(DateReceived="0001-01-01T00:00:00+00:00", Amount=42)]
    points_api.set_customer(MARIA, customer_payload(PointHistory=history))
    await link(store, MARIA)

    await deliver(private_message("/extrato"))

    [reply] = bot_api.delivered_to(CUSTOMER_USER_ID)
    assert "— · <b>+42 pontos</b>" in reply.text


async def test_a_sentinel_date_does_not_keep_the_others_from_being_reminded(
    sweep: ReminderSweep, store: SqlStore, points_api: FakePointsApi, bot_api: FakeBotApi
) -> None:
    points_api.set_customer(
        JOAO, customer_payload(PointsToExpire=[expiration_payload(40, DOTNET_MIN_UTC)])
    )
    points_api.set_customer(MARIA, expiring((5, 93)))
    await linked_chat(store, 2002, JOAO)
    await linked_chat(store, 1001, MARIA)

    summary = await sweep.sweep(NOW)

    assert "93 pontos perto de expirar" in bot_api.delivered_to(1001)[0].text
    assert bot_api.delivered_to(2002) == []
    assert (summary.checked, summary.sent, summary.failed) == (2, 1, 0)


async def test_one_customer_that_breaks_the_sweep_is_counted_and_the_others_are_reminded(
    sweep: ReminderSweep,
    store: SqlStore,
    points_api: FakePointsApi,
    bot_api: FakeBotApi,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sweep.points = ExplodingFor(sweep.points, JOAO)
    points_api.set_customer(MARIA, expiring((5, 93)))
    await linked_chat(store, 2002, JOAO)
    await linked_chat(store, 1001, MARIA)

    with caplog.at_level(logging.INFO):
        summary = await sweep.sweep(NOW)

    assert "93 pontos perto de expirar" in bot_api.delivered_to(1001)[0].text
    assert (summary.customers, summary.sent, summary.failed) == (2, 1, 1)
    assert "RuntimeError" in caplog.text
    assert JOAO not in caplog.text
    assert "1234" not in caplog.text


async def test_remind_now_reports_the_summary_when_one_customer_breaks(
    deliver: Deliver,
    bot_api: FakeBotApi,
    conversation: Conversation,
    sweep: ReminderSweep,
    store: SqlStore,
    points_api: FakePointsApi,
) -> None:
    conversation.sweeper = sweep
    sweep.points = ExplodingFor(sweep.points, JOAO)
    points_api.set_customer(MARIA, expiring((5, 93)))
    await linked_chat(store, 2002, JOAO)
    await linked_chat(store, CUSTOMER_USER_ID, MARIA)

    await deliver(private_message("/lembrar_agora", user_id=ADMIN_USER_ID))
    async with asyncio.timeout(10):
        await bot_api.wait_for_messages(2)

    report = bot_api.delivered_to(ADMIN_USER_ID)[-1].text
    assert "Avisos enviados: 1" in report
    assert "Falhas: 1" in report


async def test_a_reminder_of_300_due_expirations_fits_in_one_message(
    sweep: ReminderSweep, store: SqlStore, points_api: FakePointsApi, bot_api: FakeBotApi
) -> None:
    # Ten expirations on each of the next 30 days: every one of them crosses a threshold.
    days = [(day, 10) for day in range(1, 31) for _ in range(10)]
    points_api.set_customer(MARIA, expiring(*days))
    await linked_chat(store, 1001, MARIA)

    summary = await sweep.sweep(NOW)

    [message] = bot_api.delivered_to(1001)
    assert summary.sent == 1
    assert utf16_length(telegram_html_text(message.text)) <= MAX_TEXT_LENGTH
    assert "3.000 pontos perto de expirar" in message.text
    assert "… e mais 20 vencimentos (2.000 pontos)" in message.text


async def test_an_unexpected_failure_gets_a_clear_answer_and_no_personal_data_in_the_log(
    deliver: Deliver,
    bot_api: FakeBotApi,
    conversation: Conversation,
    store: SqlStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    conversation.points = ExplodingFor(conversation.points, MARIA)
    await link(store, MARIA)

    with caplog.at_level(logging.INFO):
        await deliver(private_message("/saldo"))

    [reply] = bot_api.delivered_to(CUSTOMER_USER_ID)
    assert "Algo deu errado do nosso lado" in reply.text
    assert "RuntimeError" in caplog.text
    assert MARIA not in caplog.text
    assert "1234" not in caplog.text


@pytest.mark.parametrize("customer_id", [".", "..", "%2e%2E", ".%2e"])
async def test_dot_segment_customer_ids_are_refused_like_any_invalid_id(
    deliver: Deliver,
    bot_api: FakeBotApi,
    points_api: FakePointsApi,
    store: SqlStore,
    customer_id: str,
) -> None:
    await deliver(private_message(f"/vincular {CUSTOMER_USER_ID} {customer_id}", ADMIN_USER_ID))

    [reply] = bot_api.delivered_to(ADMIN_USER_ID)
    assert "O cliente informado não é válido" in reply.text
    assert points_api.requests == []
    async with store.unit_of_work(writes=False) as uow:
        assert await uow.links.active("telegram", str(CUSTOMER_USER_ID)) is None


async def test_expirations_in_the_far_future_are_not_reminded_yet(
    sweep: ReminderSweep, store: SqlStore, points_api: FakePointsApi, bot_api: FakeBotApi
) -> None:
    points_api.set_customer(
        MARIA,
        customer_payload(
            PointsToExpire=[
                expiration_payload(40, "9999-12-31T23:59:59.9999999"),
                expiration_payload(5, NOW + timedelta(days=400)),
            ]
        ),
    )
    await linked_chat(store, 1001, MARIA)

    summary = await sweep.sweep(NOW)

    assert (summary.checked, summary.sent, summary.failed) == (1, 0, 0)
