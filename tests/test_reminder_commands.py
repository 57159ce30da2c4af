"""/lembretes, /lembrar_agora and block/unblock updates, through Telegram."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

from telegram.ext import CallbackContext

from bot.channels.telegram import BotApplication, reminder_job
from bot.core.conversation import Conversation
from bot.db.store import SqlStore
from bot.jobs.reminders import ReminderSweep
from tests.fixtures.app import NOW, Deliver
from tests.fixtures.bonifiq import FakePointsApi, customer_payload, expiration_payload
from tests.fixtures.telegram import (
    BOT_ID,
    FakeBotApi,
    button_press,
    private_message,
    telegram_user,
)
from tests.helpers import link
from tests.personas import ADMIN_USER_ID, CUSTOMER_USER_ID, MARIA


async def reply_to(deliver: Deliver, bot_api: FakeBotApi, update: dict[str, Any]) -> Any:
    await deliver(update)
    return bot_api.sent_messages()[-1]


async def reminders_enabled(store: SqlStore) -> bool | None:
    async with store.unit_of_work() as uow:
        current = await uow.links.active("telegram", str(CUSTOMER_USER_ID))
    return current.reminders_enabled if current else None


async def test_lembretes_shows_reminders_are_on_with_a_button_to_turn_them_off(
    deliver: Deliver, bot_api: FakeBotApi, store: SqlStore
) -> None:
    await link(store, MARIA)

    reply = await reply_to(deliver, bot_api, private_message("/lembretes"))

    assert "<b>ligados</b>" in reply.text
    assert "30, 7 e 1 dias" in reply.text
    assert [b["callback_data"] for b in reply.buttons()] == ["lembretes off"]


async def test_lembretes_off_turns_them_off_and_it_persists(
    deliver: Deliver, bot_api: FakeBotApi, store: SqlStore
) -> None:
    await link(store, MARIA)

    reply = await reply_to(deliver, bot_api, private_message("/lembretes off"))

    assert "<b>desligados</b>" in reply.text
    assert await reminders_enabled(store) is False


async def test_the_button_turns_reminders_back_on(
    deliver: Deliver, bot_api: FakeBotApi, store: SqlStore
) -> None:
    await link(store, MARIA)
    await deliver(private_message("/reminders off"))

    reply = await reply_to(deliver, bot_api, button_press("lembretes on"))

    assert "<b>ligados</b>" in reply.text
    assert await reminders_enabled(store) is True


async def test_lembretes_with_a_strange_argument_explains_and_changes_nothing(
    deliver: Deliver, bot_api: FakeBotApi, store: SqlStore
) -> None:
    await link(store, MARIA)

    reply = await reply_to(deliver, bot_api, private_message("/lembretes talvez"))

    assert "/lembretes on" in reply.text
    assert await reminders_enabled(store) is True


async def test_lembretes_for_an_unlinked_user_explains_how_to_link(
    deliver: Deliver, bot_api: FakeBotApi
) -> None:
    reply = await reply_to(deliver, bot_api, private_message("/lembretes off"))

    assert "não está vinculada" in reply.text


async def test_blocking_the_bot_is_known_at_once_and_unblocking_undoes_it(
    deliver: Deliver, store: SqlStore
) -> None:
    await deliver(private_message("/start"))

    await deliver(chat_member_update("kicked"))
    async with store.unit_of_work() as uow:
        blocked = await uow.reminders.count_targets("telegram")
    await link(store, MARIA)
    async with store.unit_of_work() as uow:
        still_blocked = await uow.reminders.count_targets("telegram")
    await deliver(chat_member_update("member"))
    async with store.unit_of_work() as uow:
        unblocked = await uow.reminders.count_targets("telegram")

    assert (blocked, still_blocked, unblocked) == (0, 0, 1)


async def test_admin_runs_the_sweep_now_and_sees_the_summary(
    deliver: Deliver,
    bot_api: FakeBotApi,
    store: SqlStore,
    points_api: FakePointsApi,
    conversation: Conversation,
    sweep: ReminderSweep,
) -> None:
    conversation.sweeper = sweep
    when = NOW + timedelta(days=5)
    points_api.set_customer(MARIA, customer_payload(PointsToExpire=[expiration_payload(80, when)]))
    points_api.set_customer("sem-vencimento@loja.com.br", customer_payload(PointsToExpire=[]))
    await deliver(private_message("/start"))
    await link(store, MARIA)
    await link(store, "sumiu@loja.com.br", user_id=2002)
    await deliver(private_message("/start", user_id=2002))
    bot_api.calls.clear()

    await deliver(private_message("/lembrar_agora", user_id=ADMIN_USER_ID))
    async with asyncio.timeout(10):
        await bot_api.wait_for_messages(2)

    report = bot_api.sent_messages(ADMIN_USER_ID)[-1].text
    assert "Avisos enviados: 1" in report
    assert "sumiu@loja.com.br" in report
    assert "perto de expirar" in bot_api.sent_messages(CUSTOMER_USER_ID)[-1].text


async def test_the_sweep_summary_counts_links_waiting_for_their_user_to_open_the_bot(
    deliver: Deliver,
    bot_api: FakeBotApi,
    points_api: FakePointsApi,
    conversation: Conversation,
    sweep: ReminderSweep,
) -> None:
    conversation.sweeper = sweep
    points_api.set_customer(MARIA, customer_payload())
    await deliver(private_message(f"/vincular {CUSTOMER_USER_ID} {MARIA}", user_id=ADMIN_USER_ID))

    await deliver(private_message("/lembrar_agora", user_id=ADMIN_USER_ID))
    async with asyncio.timeout(10):
        await bot_api.wait_for_messages(2)

    report = bot_api.sent_messages(ADMIN_USER_ID)[-1].text
    assert "Clientes consultados: 0 de 0" in report
    assert "⏳ 1 vínculo aguarda o usuário abrir o bot" in report


async def test_non_admins_cannot_run_the_sweep(
    deliver: Deliver, bot_api: FakeBotApi, conversation: Conversation, sweep: ReminderSweep
) -> None:
    conversation.sweeper = sweep

    await deliver(private_message("/remind_now"))
    async with asyncio.timeout(10):
        await bot_api.wait_for_messages(1)

    assert "não está disponível" in bot_api.sent_messages()[-1].text


def chat_member_update(status: str) -> dict[str, Any]:
    """A `my_chat_member` update: the user blocked (kicked) or unblocked (member) the bot."""
    old = "member" if status == "kicked" else "kicked"
    bot = {"id": BOT_ID, "is_bot": True, "first_name": "Loja Pontos"}
    member: dict[str, Any] = {"user": bot, "status": status}
    if status == "kicked":
        member["until_date"] = 0
    previous: dict[str, Any] = {"user": bot, "status": old}
    if old == "kicked":
        previous["until_date"] = 0
    return {
        "update_id": int(time.time() * 1000) % 1_000_000_000,
        "my_chat_member": {
            "chat": {"id": CUSTOMER_USER_ID, "type": "private", "first_name": "Maria"},
            "from": telegram_user(CUSTOMER_USER_ID),
            "date": int(time.time()),
            "old_chat_member": previous,
            "new_chat_member": member,
        },
    }


async def test_the_daily_sweep_tells_admins_about_customers_bonifiq_no_longer_knows(
    telegram_app: BotApplication,
    bot_api: FakeBotApi,
    store: SqlStore,
    deliver: Deliver,
    sweep: ReminderSweep,
) -> None:
    telegram_app.bot_data.sweeper = sweep
    telegram_app.bot_data.admins = frozenset({ADMIN_USER_ID})
    await deliver(private_message("/start"))
    await link(store, "sumiu@loja.com.br")
    bot_api.calls.clear()

    await reminder_job(CallbackContext(telegram_app))

    [report] = bot_api.sent_messages(ADMIN_USER_ID)
    assert "sumiu@loja.com.br" in report.text


async def test_a_quiet_daily_sweep_does_not_bother_admins(
    telegram_app: BotApplication,
    bot_api: FakeBotApi,
    store: SqlStore,
    points_api: FakePointsApi,
    deliver: Deliver,
    sweep: ReminderSweep,
) -> None:
    telegram_app.bot_data.sweeper = sweep
    telegram_app.bot_data.admins = frozenset({ADMIN_USER_ID})
    points_api.set_customer(MARIA, customer_payload(PointsToExpire=[]))
    await deliver(private_message("/start"))
    await link(store, MARIA)
    bot_api.calls.clear()

    await reminder_job(CallbackContext(telegram_app))

    assert bot_api.sent_messages() == []
