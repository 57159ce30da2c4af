"""Several web processes behind one URL, on one PostgreSQL database."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.store import SqlStore
from tests.fixtures.bonifiq import FakePointsApi, customer_payload
from tests.fixtures.database import row_counts
from tests.fixtures.telegram import FakeBotApi, button_press, private_message
from tests.fixtures.web import bot_settings, open_web_bot
from tests.helpers import link
from tests.personas import ADMIN_USER_ID

CUSTOMERS = {
    2001: ("ana@loja.com.br", "Ana Souza", 111),
    2002: ("bia@loja.com.br", "Bia Lima", 2222),
    2003: ("caio@loja.com.br", "Caio Reis", 33),
}


@pytest.mark.postgres_only
async def test_two_web_processes_on_one_database_answer_every_update_once_and_correctly(
    bot_api: FakeBotApi,
    points_api: FakePointsApi,
    database_url: str,
    store: SqlStore,
    engine: AsyncEngine,
) -> None:
    for user_id, (customer, name, points) in CUSTOMERS.items():
        points_api.set_customer(customer, customer_payload(Name=name, PointsBalance=points))
        if user_id != 2003:
            await link(store, customer, user_id)
    settings = bot_settings(bot_api, points_api, database_url)
    updates = [
        # Linked by an admin on one instance, asked for on the other.
        private_message("/vincular 2003 caio@loja.com.br", user_id=ADMIN_USER_ID),
        *[private_message("/saldo", user_id=user_id) for user_id in CUSTOMERS],
        *[button_press("saldo", user_id=user_id) for user_id in CUSTOMERS],
        *[private_message("/start", user_id=user_id) for user_id in CUSTOMERS],
    ]

    async with open_web_bot(settings) as first, open_web_bot(settings) as second:
        instances = (first, second)
        for index, update in enumerate(updates):
            web_bot = instances[index % 2]
            response = await web_bot.post(update)
            assert response.status == 200
            # In order, as Telegram delivers one chat's updates.
            await web_bot.settle()

    assert len(bot_api.delivered_to(ADMIN_USER_ID)) == 1
    for user_id, (customer, name, points) in CUSTOMERS.items():
        replies = [call.text for call in bot_api.delivered_to(user_id)]
        if user_id == 2003:  # linked before writing: the first message brings the notice
            notice, *replies = replies
            assert notice.startswith("✅ A loja vinculou sua conta")
        assert len(replies) == 3, replies
        balance_replies = [text for text in replies if name in text and "pontos" in text]
        assert len(balance_replies) >= 2
        assert all(f"{points:,}".replace(",", ".") in text for text in balance_replies[:2])
        assert customer in replies[-1]
    counts = await row_counts(engine)
    assert counts["chat_users"] == len(CUSTOMERS) + 1
    assert counts["links"] == len(CUSTOMERS)
