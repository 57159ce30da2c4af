"""An erase confirmed while the same user's other messages are still being handled."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.models import UserProfile
from bot.db.store import SqlStore, SqlUnitOfWork
from tests.fixtures.app import NOW
from tests.fixtures.bonifiq import FakePointsApi, customer_payload
from tests.fixtures.graph import button_value, delivery, text_value
from tests.fixtures.telegram import button_press, private_message
from tests.fixtures.web import WebBot
from tests.fixtures.whatsapp import WhatsAppWeb
from tests.helpers import link, linked_chat
from tests.personas import CUSTOMER_USER_ID, MARIA, MARIA_FIRST_NAME, MARIA_WA_ID
from tests.test_privacy import rows_naming

ROUNDS = 20
"""The race went wrong in about half of the replays of one delivery: 20 rounds catch it."""
OTHER_MESSAGES = (
    "saldo",
    "extrato",
    "meus dados",
    "lembretes off",
    "lembretes on",
    "oi",
    "privacidade",
    "ajuda",
)
"""What a user may send around an erase, each read or written with the user's row."""
TELEGRAM_COMMANDS = ("/saldo", "/extrato", "/meusdados", "/lembretes off", "/lembretes on")


def errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]


def whatsapp_delivery() -> dict[str, Any]:
    """One delivery of 19 messages of one number: 17 others, `apagar` and its confirmation."""
    others = [
        text_value(OTHER_MESSAGES[n % len(OTHER_MESSAGES)], name=f"Maria {n}") for n in range(17)
    ]
    return delivery(*others, text_value("apagar"), button_value("apagar confirmar", "Apagar"))


async def test_an_erase_racing_the_numbers_other_messages_leaves_nothing_and_logs_no_error(
    wa_web: WhatsAppWeb,
    points_api: FakePointsApi,
    store: SqlStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    points_api.set_customer(MARIA, customer_payload())
    caplog.set_level(logging.INFO)
    for _ in range(ROUNDS):
        await link(store, MARIA, MARIA_WA_ID, channel="whatsapp")

        await wa_web.deliver(whatsapp_delivery())

        assert errors(caplog) == []
        assert await rows_naming(wa_web.services.engine, MARIA_WA_ID, [MARIA]) == []


async def test_an_erase_racing_the_users_other_telegram_updates_leaves_nothing_and_logs_no_error(
    web_bot: WebBot,
    points_api: FakePointsApi,
    store: SqlStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    points_api.set_customer(MARIA, customer_payload())
    caplog.set_level(logging.INFO)
    for _ in range(ROUNDS):
        await link(store, MARIA)
        updates = [
            private_message(TELEGRAM_COMMANDS[n % len(TELEGRAM_COMMANDS)], first_name=f"M {n}")
            for n in range(17)
        ]
        updates += [private_message("/apagar"), button_press("apagar confirmar")]

        # Posted one after the other, each answered at once and handled in the background.
        for update in updates:
            assert (await web_bot.post(update)).status == 200
        await web_bot.settle()

        assert errors(caplog) == []
        assert await rows_naming(web_bot.services.engine, CUSTOMER_USER_ID, [MARIA]) == []


async def _seen_again(uow: SqlUnitOfWork) -> None:
    await uow.users.seen(UserProfile("whatsapp", MARIA_WA_ID, "Mia"), MARIA_WA_ID, LATER)


async def _blocked(uow: SqlUnitOfWork) -> None:
    await uow.users.set_reachable("whatsapp", MARIA_WA_ID, False, LATER)


async def _reminders_off(uow: SqlUnitOfWork) -> None:
    await uow.links.set_reminders("whatsapp", MARIA_WA_ID, False)


async def _bad_invite_code(uow: SqlUnitOfWork) -> None:
    await uow.invites.record_bad_attempt("whatsapp", MARIA_WA_ID, LATER)


LATER = NOW + timedelta(hours=2)
WRITES: dict[str, tuple[Callable[[SqlUnitOfWork], Awaitable[None]], list[str]]] = {
    # A message after the erase is a new contact: it is stored again, as a new user.
    "seen": (_seen_again, ["chat_users.user_id: 1", "chat_users.chat_id: 1"]),
    "blocked": (_blocked, []),
    "reminders off": (_reminders_off, []),
    "bad invite code": (_bad_invite_code, []),
}
"""What a message may write about its sender, and what of the user it leaves after an erase."""


@pytest.mark.postgres_only
@pytest.mark.parametrize("write", WRITES)
async def test_a_write_waiting_for_an_erase_of_its_user_does_not_fail(
    store: SqlStore, engine: AsyncEngine, write: str
) -> None:
    operation, left = WRITES[write]
    await linked_chat(store, MARIA_WA_ID, MARIA, channel="whatsapp", first_name=MARIA_FIRST_NAME)

    async with store.unit_of_work() as erasing:
        await erasing.privacy.erase_user("whatsapp", MARIA_WA_ID)
        writing = asyncio.create_task(_in_unit_of_work(store, operation))
        await _until_waiting_for_a_lock(engine)
        await erasing.commit()
    await writing

    assert await rows_naming(engine, MARIA_WA_ID, [MARIA]) == left


async def _in_unit_of_work(
    store: SqlStore, operation: Callable[[SqlUnitOfWork], Awaitable[None]]
) -> None:
    async with store.unit_of_work() as uow:
        await operation(uow)
        await uow.commit()


async def _until_waiting_for_a_lock(engine: AsyncEngine) -> None:
    """Return once a session of this database waits for a row lock another one holds."""
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    async with asyncio.timeout(10):
        while True:
            async with engine.connect() as connection:
                if await connection.scalar(waiting):
                    return
            await asyncio.sleep(0.01)
