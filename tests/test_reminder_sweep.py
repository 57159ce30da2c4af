"""The reminder sweep: each due reminder reaches each linked chat exactly once."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.cli import run_reminders
from bot.core.reminders import SweepAbortedError
from bot.db.store import SqlStore
from bot.jobs.reminders import ReminderSweep
from tests.fixtures.app import NOW, Deliver
from tests.fixtures.bonifiq import (
    FakePointsApi,
    Fault,
)
from tests.fixtures.telegram import FakeBotApi, private_message
from tests.fixtures.web import bot_settings
from tests.helpers import expiring, linked_chat
from tests.personas import ADMIN_USER_ID, JOAO, MARIA


async def ledger(engine: AsyncEngine) -> list[tuple[Any, ...]]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT chat_user_id, customer_id, expires_on, threshold_days"
                " FROM reminder_ledger ORDER BY 1, 2, 3, 4"
            )
        )
        return [tuple(row) for row in rows]


@pytest.fixture
async def maria_due(points_api: FakePointsApi, store: SqlStore) -> None:
    """Maria is linked from chat 1001, and 80 of her points expire in 5 days (01/12/2026)."""
    points_api.set_customer(MARIA, expiring((5, 80)))
    await linked_chat(store, 1001, MARIA)


async def set_reminders(store: SqlStore, enabled: bool) -> None:
    """Turn chat 1001's reminders on or off, as `/lembretes` does."""
    async with store.unit_of_work() as uow:
        await uow.links.set_reminders("telegram", str(1001), enabled)
        await uow.commit()


@pytest.mark.usefixtures("maria_due")
async def test_a_due_expiration_is_reminded_with_points_date_and_balance(
    sweep: ReminderSweep, bot_api: FakeBotApi
) -> None:
    summary = await sweep.sweep(NOW)

    [message] = bot_api.delivered_to(1001)
    assert "80 pontos perto de expirar" in message.text
    assert "01/12/2026 (em 5 dias)" in message.text
    assert "1.234 pontos" in message.text
    assert [b["callback_data"] for b in message.buttons()] == ["saldo", "lembretes off"]
    assert (summary.customers, summary.checked, summary.sent) == (1, 1, 1)


@pytest.mark.usefixtures("maria_due")
async def test_a_second_sweep_sends_nothing_already_sent(
    sweep: ReminderSweep, bot_api: FakeBotApi
) -> None:
    await sweep.sweep(NOW)

    summary = await sweep.sweep(NOW + timedelta(hours=1))

    assert summary.sent == 0
    assert len(bot_api.delivered_to(1001)) == 1


async def test_crossing_the_next_threshold_sends_again(
    sweep: ReminderSweep, store: SqlStore, points_api: FakePointsApi, bot_api: FakeBotApi
) -> None:
    points_api.set_customer(MARIA, expiring((8, 80)))  # 30 crossed now, 7 tomorrow
    await linked_chat(store, 1001, MARIA)
    await sweep.sweep(NOW)

    await sweep.sweep(NOW + timedelta(days=1))

    assert len(bot_api.delivered_to(1001)) == 2


async def test_a_late_first_sweep_sends_one_message_and_records_every_crossed_threshold(
    sweep: ReminderSweep,
    store: SqlStore,
    points_api: FakePointsApi,
    bot_api: FakeBotApi,
    engine: AsyncEngine,
) -> None:
    points_api.set_customer(MARIA, expiring((3, 80)))
    await linked_chat(store, 1001, MARIA)

    await sweep.sweep(NOW)

    assert len(bot_api.delivered_to(1001)) == 1
    assert [row[3] for row in await ledger(engine)] == [7, 30]


async def test_one_message_per_chat_covers_every_due_expiration(
    sweep: ReminderSweep, store: SqlStore, points_api: FakePointsApi, bot_api: FakeBotApi
) -> None:
    points_api.set_customer(MARIA, expiring((2, 80), (20, 150), (-1, 999), (200, 5)))
    await linked_chat(store, 1001, MARIA)

    await sweep.sweep(NOW)

    [message] = bot_api.delivered_to(1001)
    assert "230 pontos perto de expirar" in message.text
    assert "80 pontos expiram em 28/11/2026" in message.text
    assert "150 pontos expiram em 16/12/2026" in message.text
    assert "999" not in message.text
    assert "5 pontos" not in message.text


@pytest.mark.usefixtures("maria_due")
async def test_a_customer_linked_from_two_chats_is_fetched_once_and_both_hear(
    sweep: ReminderSweep, store: SqlStore, points_api: FakePointsApi, bot_api: FakeBotApi
) -> None:
    await linked_chat(store, 1002, MARIA)

    await sweep.sweep(NOW)

    assert len(points_api.requests_for(MARIA)) == 1
    assert len(bot_api.delivered_to(1001)) == len(bot_api.delivered_to(1002)) == 1


async def test_nothing_is_sent_when_nothing_is_due(
    sweep: ReminderSweep, store: SqlStore, points_api: FakePointsApi, bot_api: FakeBotApi
) -> None:
    points_api.set_customer(MARIA, expiring((45, 80)))
    await linked_chat(store, 1001, MARIA)

    summary = await sweep.sweep(NOW)

    assert bot_api.sent_messages() == []
    assert (summary.checked, summary.sent) == (1, 0)


@pytest.mark.usefixtures("maria_due")
async def test_chats_with_reminders_off_are_not_reminded(
    sweep: ReminderSweep, store: SqlStore, bot_api: FakeBotApi
) -> None:
    await set_reminders(store, False)

    summary = await sweep.sweep(NOW)

    assert bot_api.sent_messages() == []
    assert summary.customers == 0


async def test_turning_reminders_back_on_sends_one_message_for_the_time_off(
    sweep: ReminderSweep, store: SqlStore, points_api: FakePointsApi, bot_api: FakeBotApi
) -> None:
    points_api.set_customer(MARIA, expiring((10, 80)))
    await linked_chat(store, 1001, MARIA)
    await set_reminders(store, False)
    await sweep.sweep(NOW)  # 30 crossed while off: nothing recorded
    await sweep.sweep(NOW + timedelta(days=4))  # 7 crossed while off
    await set_reminders(store, True)

    await sweep.sweep(NOW + timedelta(days=5))
    await sweep.sweep(NOW + timedelta(days=5, hours=1))

    [message] = bot_api.delivered_to(1001)
    assert "80 pontos expiram em 06/12/2026 (em 5 dias)" in message.text


@pytest.mark.usefixtures("maria_due")
async def test_a_chat_that_blocked_the_bot_is_marked_and_no_longer_swept(
    sweep: ReminderSweep, bot_api: FakeBotApi
) -> None:
    bot_api.blocked_chats.add(1001)

    first = await sweep.sweep(NOW)
    second = await sweep.sweep(NOW + timedelta(hours=1))

    assert (first.blocked, first.sent, first.failed) == (1, 0, 0)
    assert second.customers == 0
    assert len(bot_api.sent_messages(1001)) == 1


@pytest.mark.usefixtures("maria_due")
async def test_a_blocked_chat_that_talks_again_is_reminded_again(
    sweep: ReminderSweep, bot_api: FakeBotApi, deliver: Deliver
) -> None:
    bot_api.blocked_chats.add(1001)
    await sweep.sweep(NOW)
    bot_api.blocked_chats.clear()

    await deliver(private_message("/ajuda"))
    summary = await sweep.sweep(NOW + timedelta(hours=1))

    assert summary.sent == 1
    assert any("perto de expirar" in m.text for m in bot_api.delivered_to(1001))


@pytest.mark.usefixtures("maria_due")
async def test_a_failed_send_is_not_recorded_and_is_retried_next_sweep(
    sweep: ReminderSweep, bot_api: FakeBotApi, engine: AsyncEngine
) -> None:
    bot_api.failing_chats.add(1001)

    first = await sweep.sweep(NOW)
    assert (first.sent, first.failed) == (0, 1)
    assert await ledger(engine) == []

    bot_api.failing_chats.clear()
    second = await sweep.sweep(NOW + timedelta(hours=1))

    assert second.sent == 1
    assert len(bot_api.delivered_to(1001)) == 1


@pytest.mark.usefixtures("maria_due")
async def test_telegram_429_is_waited_out_and_nothing_is_lost(
    sweep: ReminderSweep, bot_api: FakeBotApi
) -> None:
    bot_api.rate_limited_once.add(1001)

    summary = await sweep.sweep(NOW)

    assert summary.sent == 1
    assert len(bot_api.sent_messages(1001)) == 2
    assert len(bot_api.delivered_to(1001)) == 1


async def test_points_api_faults_fail_one_customer_without_stopping_the_sweep(
    sweep: ReminderSweep, store: SqlStore, points_api: FakePointsApi, bot_api: FakeBotApi
) -> None:
    points_api.set_customer(MARIA, expiring((5, 80)))
    points_api.set_customer(JOAO, expiring((5, 40)))
    points_api.script(JOAO, [Fault.http(503)] * 3)
    await linked_chat(store, 1001, MARIA)
    await linked_chat(store, 1002, JOAO)

    first = await sweep.sweep(NOW)
    second = await sweep.sweep(NOW + timedelta(hours=1))

    assert (first.checked, first.sent, first.failed) == (1, 1, 1)
    assert (second.sent, second.failed) == (1, 0)
    assert len(bot_api.delivered_to(1002)) == 1


@pytest.mark.parametrize(
    "fault", [Fault.malformed_json(), Fault.slow(2), Fault.error_envelope("boom")]
)
async def test_malformed_or_slow_answers_count_as_failed(
    sweep: ReminderSweep,
    store: SqlStore,
    points_api: FakePointsApi,
    bot_api: FakeBotApi,
    fault: Fault,
) -> None:
    points_api.script(MARIA, [fault] * 3)
    await linked_chat(store, 1001, MARIA)

    summary = await sweep.sweep(NOW)

    assert (summary.failed, summary.sent) == (1, 0)
    assert summary.everything_failed


async def test_a_customer_bonifiq_no_longer_knows_is_skipped_and_listed(
    sweep: ReminderSweep, store: SqlStore, bot_api: FakeBotApi
) -> None:
    await linked_chat(store, 1001, "sumiu@loja.com.br")

    summary = await sweep.sweep(NOW)

    assert (summary.skipped, summary.failed) == (1, 0)
    assert summary.unknown_customers == ["sumiu@loja.com.br"]
    assert bot_api.sent_messages() == []


async def test_refused_credentials_abort_the_sweep(
    sweep: ReminderSweep, store: SqlStore, points_api: FakePointsApi
) -> None:
    points_api.script(MARIA, [Fault.http(401)])
    await linked_chat(store, 1001, MARIA)

    with pytest.raises(SweepAbortedError):
        await sweep.sweep(NOW)


@pytest.mark.usefixtures("maria_due")
async def test_a_dry_run_plans_without_sending_or_recording(
    sweep: ReminderSweep, bot_api: FakeBotApi, engine: AsyncEngine
) -> None:
    _, planned = await sweep.plan(NOW)

    [plan] = planned
    assert (plan.chat.user_id, plan.customer_id) == ("1001", MARIA)
    assert bot_api.sent_messages() == []
    assert await ledger(engine) == []


async def test_a_sweep_is_recorded_for_catch_up(sweep: ReminderSweep, store: SqlStore) -> None:
    await sweep.sweep(NOW)

    async with store.unit_of_work() as uow:
        assert await uow.reminders.last_sweep_started() == NOW


async def test_a_stopped_sweep_ends_after_a_recorded_message_and_is_not_recorded_as_done(
    sweep: ReminderSweep,
    store: SqlStore,
    engine: AsyncEngine,
    points_api: FakePointsApi,
    bot_api: FakeBotApi,
) -> None:
    for index in range(20):
        customer = f"cliente{index}@loja.com.br"
        points_api.set_customer(customer, expiring((5, 80)))
        await linked_chat(store, 3000 + index, customer)
    running = asyncio.create_task(sweep.sweep(NOW))
    await bot_api.wait_for_messages(1)

    await sweep.stop()
    summary = await running

    assert 1 <= summary.sent < 20
    reminded_chats = {row[0] for row in await ledger(engine)}
    assert len(reminded_chats) == len(bot_api.delivered) == summary.sent
    async with store.unit_of_work(writes=False) as uow:
        assert await uow.reminders.last_sweep_started() is None


async def linked_by_admin(store: SqlStore, user_id: int, customer_id: str) -> None:
    """A user an admin linked before they ever wrote to the bot: no chat to write to."""
    async with store.unit_of_work() as uow:
        await uow.links.link("telegram", str(user_id), customer_id, str(ADMIN_USER_ID), NOW)
        await uow.commit()


async def test_links_whose_user_never_wrote_are_counted_as_waiting_not_swept(
    sweep: ReminderSweep, store: SqlStore, points_api: FakePointsApi, bot_api: FakeBotApi
) -> None:
    points_api.set_customer(MARIA, expiring((5, 80)))
    points_api.set_customer(JOAO, expiring((5, 80)))
    await linked_chat(store, 1001, MARIA)
    await linked_by_admin(store, 2001, MARIA)

    summary = await sweep.sweep(NOW)

    assert (summary.customers, summary.sent, summary.waiting) == (1, 1, 1)
    assert summary.line().endswith("blocked chats: 0; 1 link waiting for its user to open the bot")
    assert [call.chat_id for call in bot_api.delivered] == [1001]


async def test_remind_names_the_links_waiting_for_their_users_to_open_the_bot(
    bot_api: FakeBotApi,
    points_api: FakePointsApi,
    store: SqlStore,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    points_api.set_customer(MARIA, expiring((5, 80)))
    points_api.set_customer(JOAO, expiring((5, 80)))
    await linked_chat(store, 1001, MARIA)
    for user_id, customer_id in ((2001, MARIA), (2002, JOAO), (2003, JOAO), (2004, JOAO)):
        await linked_by_admin(store, user_id, customer_id)

    code = await run_reminders(bot_settings(bot_api, points_api, database_url), dry_run=True)

    summary = capsys.readouterr().out.strip().splitlines()[-1]
    assert code == 0
    assert "customers checked: 1/1" in summary
    assert summary.endswith("; 4 links waiting for their users to open the bot")
