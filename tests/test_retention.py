"""Retention: one policy decides what the daily purge deletes and what `/privacidade` says."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bonifiq.client import BonifiqClient
from bot.core import retention
from bot.core.conversation import Conversation
from bot.core.messages import Incoming
from bot.core.models import UserProfile
from bot.core.retention import RetentionPolicy
from bot.db.store import SqlStore
from tests.fixtures.app import NOW
from tests.fixtures.bonifiq import TEST_TIMEZONE, FakePointsApi
from tests.fixtures.database import row_counts
from tests.fixtures.telegram import FakeBotApi, private_message
from tests.fixtures.web import bot_settings, open_web_bot
from tests.personas import CUSTOMER_USER_ID, MARIA_WA_ID

TELEGRAM_USER = UserProfile("telegram", str(CUSTOMER_USER_ID), "Maria")
WHATSAPP_USER = UserProfile("whatsapp", MARIA_WA_ID, "Maria")


def conversation_keeping(
    store: SqlStore, points: BonifiqClient, policy: RetentionPolicy
) -> Conversation:
    return Conversation(store=store, points=points, timezone=TEST_TIMEZONE, retention=policy)


async def say(conversation: Conversation, user: UserProfile, text: str) -> str:
    [reply] = await conversation.handle(Incoming(user, user.user_id, True, text), NOW)
    return reply.text


async def purged_after(
    store: SqlStore, policy: RetentionPolicy, delta: timedelta, table: str
) -> int:
    """Run the daily purge `delta` after NOW; return how many rows `table` lost."""
    purged = await retention.purge(store, policy, NOW + delta, TEST_TIMEZONE)
    return purged[table]


async def test_default_policy_states_the_periods_the_purge_uses(
    store: SqlStore, points_client: BonifiqClient
) -> None:
    conversation = conversation_keeping(store, points_client, RetentionPolicy())

    telegram = await say(conversation, TELEGRAM_USER, "/privacidade")
    whatsapp = await say(conversation, WHATSAPP_USER, "privacidade")

    assert "avisos enviados, até 30 dias depois do vencimento" in telegram
    assert "registros da administração, 365 dias; tentativas de convite, um dia." in telegram
    assert "tentativas de convite, um dia; mensagens recebidas, três dias." in whatsapp


async def test_keeping_invite_attempts_two_days_changes_the_purge_and_the_statement(
    store: SqlStore, points_client: BonifiqClient
) -> None:
    policy = RetentionPolicy(attempt_days=2)
    conversation = conversation_keeping(store, points_client, policy)
    await say(conversation, TELEGRAM_USER, "/start wrong-code-number-00")

    statement = await say(conversation, TELEGRAM_USER, "/privacidade")

    assert "tentativas de convite, dois dias." in statement
    assert await purged_after(store, policy, timedelta(days=1, hours=23), "invite_attempts") == 0
    assert await purged_after(store, policy, timedelta(days=2, hours=1), "invite_attempts") == 1


async def test_keeping_whatsapp_messages_five_days_changes_the_purge_and_the_statement(
    store: SqlStore, points_client: BonifiqClient
) -> None:
    policy = RetentionPolicy(inbound_days=5)
    conversation = conversation_keeping(store, points_client, policy)
    async with store.unit_of_work() as uow:
        await uow.inbound.first_delivery("whatsapp", "wamid.kept", MARIA_WA_ID, NOW, NOW)
        await uow.commit()

    statement = await say(conversation, WHATSAPP_USER, "privacidade")

    assert "mensagens recebidas, cinco dias." in statement
    assert await purged_after(store, policy, timedelta(days=4, hours=23), "inbound_messages") == 0
    assert await purged_after(store, policy, timedelta(days=5, hours=1), "inbound_messages") == 1


async def test_retention_days_reaches_both_the_sweeps_purge_and_privacidade(
    bot_api: FakeBotApi,
    points_api: FakePointsApi,
    database_url: str,
    store: SqlStore,
    engine: AsyncEngine,
) -> None:
    settings = bot_settings(bot_api, points_api, database_url, retention_days=400)
    async with store.unit_of_work() as uow:
        await uow.links.link("telegram", str(CUSTOMER_USER_ID), "maria@loja.com.br", None, NOW)
        await uow.links.unlink("telegram", str(CUSTOMER_USER_ID), None, NOW)
        await uow.commit()

    async with open_web_bot(settings) as web:
        await web.deliver(private_message("/privacidade"))
        sweeper = web.services.conversation.sweeper
        assert sweeper is not None
        await sweeper.sweep(NOW + timedelta(days=399))
        links_kept = (await row_counts(engine))["links"]
        await sweeper.sweep(NOW + timedelta(days=401))
        links_left = (await row_counts(engine))["links"]

    [statement] = bot_api.delivered_to(CUSTOMER_USER_ID)
    assert "registros da administração, 400 dias" in statement.text
    assert (links_kept, links_left) == (1, 0)
