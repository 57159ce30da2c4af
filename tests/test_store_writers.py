"""Concurrent writers in one process, as under the webhook's concurrent updates."""

from __future__ import annotations

import asyncio

import pytest

from bot.core.models import UserProfile
from bot.db.store import SqlStore
from tests.fixtures.app import NOW


@pytest.mark.sqlite_only
async def test_writers_waiting_longer_than_sqlites_busy_timeout_all_commit(
    store: SqlStore,
) -> None:
    # 30 writers holding the write lock 0.2 s each: the last waits 6 s, past the 5 s timeout.
    async def write(user_id: int) -> None:
        async with store.unit_of_work() as uow:
            await uow.users.seen(
                UserProfile("telegram", str(user_id), "Cliente"), str(user_id), NOW
            )
            await asyncio.sleep(0.2)
            await uow.commit()

    await asyncio.gather(*(write(5000 + index) for index in range(30)))

    async with store.unit_of_work(writes=False) as uow:
        users = [await uow.users.get("telegram", str(5000 + index)) for index in range(30)]
    assert all(user is not None for user in users)
