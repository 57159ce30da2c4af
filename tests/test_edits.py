"""One rule for edited messages: an edit is not a new message, so it never runs a command."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Update

from bot.channels.telegram import ALLOWED_UPDATES
from bot.core.conversation import Conversation
from bot.db.store import SqlStore
from bot.jobs.reminders import ReminderSweep
from tests.fixtures.app import Deliver
from tests.fixtures.bonifiq import FakePointsApi, customer_payload
from tests.fixtures.database import table_snapshot
from tests.fixtures.telegram import FakeBotApi, edited_message
from tests.helpers import link
from tests.personas import ADMIN_USER_ID, CUSTOMER_USER_ID, MARIA


@pytest.mark.parametrize(
    ("text", "user_id"),
    [
        ("/saldo", CUSTOMER_USER_ID),
        ("/ajuda", CUSTOMER_USER_ID),
        ("/lembrar_agora", CUSTOMER_USER_ID),
        (f"/vincular 2002 {MARIA}", ADMIN_USER_ID),
        ("/lembrar_agora", ADMIN_USER_ID),
        ("/remind_now", ADMIN_USER_ID),
    ],
)
async def test_an_edit_into_a_command_gets_no_answer_and_changes_nothing(
    deliver: Deliver,
    bot_api: FakeBotApi,
    points_api: FakePointsApi,
    conversation: Conversation,
    sweep: ReminderSweep,
    store: SqlStore,
    engine: AsyncEngine,
    text: str,
    user_id: int,
) -> None:
    conversation.sweeper = sweep
    points_api.set_customer(MARIA, customer_payload())
    await link(store, MARIA)
    before = await table_snapshot(engine)

    await deliver(edited_message(text, user_id))
    await asyncio.sleep(0.2)  # a command run without blocking would have started by now

    assert bot_api.sent_messages() == []
    assert points_api.requests == []
    assert await table_snapshot(engine) == before


def test_telegram_is_asked_for_exactly_the_updates_the_bot_answers() -> None:
    assert set(ALLOWED_UPDATES) == {
        Update.MESSAGE,
        Update.CALLBACK_QUERY,
        Update.MY_CHAT_MEMBER,
    }
