"""Small helpers shared by the conversation tests."""

from __future__ import annotations

from bot.db.store import SqlStore
from tests.fixtures.app import NOW
from tests.fixtures.telegram import CUSTOMER_USER_ID


async def link(store: SqlStore, customer_id: str, user_id: int = CUSTOMER_USER_ID) -> None:
    """Link a Telegram user to a customer, as an admin would have."""
    async with store.unit_of_work() as uow:
        await uow.links.link("telegram", user_id, customer_id, None, NOW)
        await uow.commit()
