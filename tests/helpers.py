"""Small helpers shared by the conversation tests."""

from __future__ import annotations

from datetime import timedelta

from bot.core.models import UserProfile
from bot.db.store import SqlStore
from tests.fixtures.app import NOW
from tests.fixtures.bonifiq import customer_payload, expiration_payload
from tests.fixtures.telegram import CUSTOMER_USER_ID


async def link(store: SqlStore, customer_id: str, user_id: int = CUSTOMER_USER_ID) -> None:
    """Link a Telegram user to a customer, as an admin would have."""
    async with store.unit_of_work() as uow:
        await uow.links.link("telegram", user_id, customer_id, None, NOW)
        await uow.commit()


def expiring(*days_and_points: tuple[int, int]) -> dict[str, object]:
    """A customer whose points expire the given numbers of days after NOW."""
    return customer_payload(
        PointsToExpire=[
            expiration_payload(points, NOW + timedelta(days=days))
            for days, points in days_and_points
        ]
    )


async def linked_chat(store: SqlStore, user_id: int, customer_id: str) -> None:
    """A user who talked to the bot privately and is linked to `customer_id`."""
    async with store.unit_of_work() as uow:
        await uow.users.seen(UserProfile("telegram", user_id, "Cliente"), user_id, NOW)
        await uow.links.link("telegram", user_id, customer_id, None, NOW)
        await uow.commit()
