"""The SQL store and its repositories, on every configured backend."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

from bot.core.models import AuditEntry, ChatUser, Link, UserProfile
from bot.db import repositories, rows
from bot.db.engine import (
    DatabaseUnavailableError,
    async_url,
    check_connection,
    create_engine,
)
from bot.db.store import SqlStore
from bot.db.tables import ChatUserRow, LinkRow
from tests.fixtures.database import table_snapshot

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=2)
ADMIN = "900"
MARIA = UserProfile(
    channel="telegram",
    user_id="5000000001",
    first_name="Maria",
    last_name="Silva",
    username="maria",
    language_code="pt-br",
)
PRIVATE_CHAT = "5000000001"


async def _seen(
    store: SqlStore, profile: UserProfile, chat_id: str | None, now: datetime
) -> ChatUser:
    async with store.unit_of_work() as uow:
        user = await uow.users.seen(profile, chat_id, now)
        await uow.commit()
    return user


async def _link(store: SqlStore, customer_id: str, now: datetime = NOW) -> Link | None:
    async with store.unit_of_work() as uow:
        previous = await uow.links.link("telegram", MARIA.user_id, customer_id, ADMIN, now)
        await uow.commit()
    return previous


async def _active(store: SqlStore, user_id: str = MARIA.user_id) -> Link | None:
    async with store.unit_of_work() as uow:
        return await uow.links.active("telegram", user_id)


async def _link_rows(engine: AsyncEngine) -> list[Any]:
    async with engine.connect() as connection:
        result = await connection.execute(select(LinkRow.__table__).order_by(LinkRow.id))
        return list(result)


async def _last_seen_at(engine: AsyncEngine, user_id: str) -> datetime:
    async with engine.connect() as connection:
        statement = select(ChatUserRow.last_seen_at).where(ChatUserRow.user_id == user_id)
        value: datetime = (await connection.execute(statement)).scalar_one()
    return value


def _entry(action: str, at: datetime, detail: str | None = None) -> AuditEntry:
    return AuditEntry(
        channel="telegram",
        admin_user_id=ADMIN,
        action=action,
        target_user_id=MARIA.user_id,
        customer_id="maria@loja.com.br",
        detail=detail,
        at=at,
    )


# Chat users


async def test_get_returns_none_for_a_user_never_seen(store: SqlStore) -> None:
    async with store.unit_of_work() as uow:
        assert await uow.users.get("telegram", MARIA.user_id) is None


async def test_seen_creates_the_user_with_their_profile(store: SqlStore) -> None:
    await _seen(store, MARIA, PRIVATE_CHAT, NOW)

    async with store.unit_of_work() as uow:
        user = await uow.users.get("telegram", MARIA.user_id)

    assert user == ChatUser(
        channel="telegram",
        user_id=MARIA.user_id,
        chat_id=PRIVATE_CHAT,
        first_name="Maria",
        last_name="Silva",
        username="maria",
        language_code="pt-br",
        first_seen_at=NOW,
    )


async def test_seen_again_keeps_first_seen_and_moves_last_seen(
    store: SqlStore, engine: AsyncEngine
) -> None:
    await _seen(store, MARIA, PRIVATE_CHAT, NOW)

    user = await _seen(store, MARIA, PRIVATE_CHAT, LATER)

    assert user.first_seen_at == NOW
    assert await _last_seen_at(engine, MARIA.user_id) == LATER


async def test_seen_never_moves_last_seen_backwards(store: SqlStore, engine: AsyncEngine) -> None:
    await _seen(store, MARIA, PRIVATE_CHAT, LATER)

    await _seen(store, MARIA, PRIVATE_CHAT, NOW)

    assert await _last_seen_at(engine, MARIA.user_id) == LATER


async def test_seen_again_refreshes_the_profile(store: SqlStore) -> None:
    await _seen(store, MARIA, PRIVATE_CHAT, NOW)
    renamed = UserProfile(channel="telegram", user_id=MARIA.user_id, first_name="Maria Clara")

    user = await _seen(store, renamed, PRIVATE_CHAT, LATER)

    assert (user.first_name, user.last_name, user.username) == ("Maria Clara", None, None)


async def test_seen_in_a_group_keeps_the_known_private_chat(store: SqlStore) -> None:
    await _seen(store, MARIA, PRIVATE_CHAT, NOW)

    user = await _seen(store, MARIA, None, LATER)

    assert user.chat_id == PRIVATE_CHAT


async def test_seen_in_private_records_the_chat_of_a_user_first_seen_in_a_group(
    store: SqlStore,
) -> None:
    await _seen(store, MARIA, None, NOW)

    user = await _seen(store, MARIA, PRIVATE_CHAT, LATER)

    assert user.chat_id == PRIVATE_CHAT


async def test_the_same_user_id_on_another_channel_is_another_user(
    store: SqlStore, engine: AsyncEngine
) -> None:
    await _seen(store, MARIA, PRIVATE_CHAT, NOW)
    on_console = UserProfile(channel="console", user_id=MARIA.user_id, first_name="Console")

    await _seen(store, on_console, None, LATER)

    assert len((await table_snapshot(engine))["chat_users"]) == 2


async def test_seen_uses_the_row_a_concurrent_first_message_created(
    store: SqlStore, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _seen(store, MARIA, PRIVATE_CHAT, NOW)
    real_find = rows.find_user
    calls = 0

    async def find_missing_once(*args: Any, **kwargs: Any) -> ChatUserRow | None:
        # The first read happens "before" the other transaction committed its insert.
        nonlocal calls
        calls += 1
        return None if calls == 1 else await real_find(*args, **kwargs)

    monkeypatch.setattr(repositories, "find_user", find_missing_once)  # where it is looked up

    user = await _seen(store, MARIA, PRIVATE_CHAT, LATER)

    assert user.first_seen_at == NOW
    assert await _last_seen_at(engine, MARIA.user_id) == LATER
    assert len((await table_snapshot(engine))["chat_users"]) == 1


async def test_overlong_names_are_shortened_to_fit(store: SqlStore) -> None:
    long_name = UserProfile(channel="telegram", user_id=MARIA.user_id, first_name="M" * 300)

    user = await _seen(store, long_name, PRIVATE_CHAT, NOW)

    assert user.first_name is not None
    assert len(user.first_name) == 256


# Links


async def test_active_is_none_for_an_unknown_user(store: SqlStore) -> None:
    assert await _active(store) is None


async def test_first_link_replaces_nothing_and_becomes_active(store: SqlStore) -> None:
    previous = await _link(store, "maria@loja.com.br")

    assert previous is None
    assert await _active(store) == Link(
        channel="telegram",
        user_id=MARIA.user_id,
        customer_id="maria@loja.com.br",
        linked_by=ADMIN,
        linked_at=NOW,
    )


async def test_linking_someone_never_seen_creates_a_bare_chat_user(store: SqlStore) -> None:
    await _link(store, "maria@loja.com.br")

    async with store.unit_of_work() as uow:
        user = await uow.users.get("telegram", MARIA.user_id)

    assert user is not None
    assert (user.chat_id, user.first_name, user.first_seen_at) == (None, None, NOW)


async def test_linking_a_user_keeps_their_profile(store: SqlStore) -> None:
    await _seen(store, MARIA, PRIVATE_CHAT, NOW)

    await _link(store, "maria@loja.com.br", LATER)

    async with store.unit_of_work() as uow:
        user = await uow.users.get("telegram", MARIA.user_id)
    assert user is not None
    assert (user.chat_id, user.first_name) == (PRIVATE_CHAT, "Maria")


async def test_second_link_replaces_the_first(store: SqlStore) -> None:
    await _link(store, "maria@loja.com.br", NOW)

    previous = await _link(store, "maria.silva@loja.com.br", LATER)

    assert previous is not None
    assert (previous.customer_id, previous.linked_at) == ("maria@loja.com.br", NOW)
    active = await _active(store)
    assert active is not None
    assert (active.customer_id, active.linked_at) == ("maria.silva@loja.com.br", LATER)


async def test_replaced_link_is_kept_as_ended_history(
    store: SqlStore, engine: AsyncEngine
) -> None:
    await _link(store, "maria@loja.com.br", NOW)

    await _link(store, "maria.silva@loja.com.br", LATER)

    rows = await _link_rows(engine)
    assert [(row.customer_id, row.unlinked_at, row.unlinked_by) for row in rows] == [
        ("maria@loja.com.br", LATER, ADMIN),
        ("maria.silva@loja.com.br", None, None),
    ]


async def test_linking_the_same_customer_again_writes_nothing(
    store: SqlStore, engine: AsyncEngine
) -> None:
    await _link(store, "maria@loja.com.br", NOW)
    before = await table_snapshot(engine)

    existing = await _link(store, "maria@loja.com.br", LATER)

    assert existing is not None
    assert (existing.customer_id, existing.linked_at) == ("maria@loja.com.br", NOW)
    assert await table_snapshot(engine) == before


async def test_unlink_ends_the_active_link_and_returns_it(store: SqlStore) -> None:
    await _link(store, "maria@loja.com.br", NOW)

    async with store.unit_of_work() as uow:
        ended = await uow.links.unlink("telegram", MARIA.user_id, ADMIN, LATER)
        await uow.commit()

    assert ended is not None
    assert ended.customer_id == "maria@loja.com.br"
    assert await _active(store) is None


async def test_unlinked_link_is_kept_as_ended_history(
    store: SqlStore, engine: AsyncEngine
) -> None:
    await _link(store, "maria@loja.com.br", NOW)

    async with store.unit_of_work() as uow:
        await uow.links.unlink("telegram", MARIA.user_id, None, LATER)
        await uow.commit()

    rows = await _link_rows(engine)
    assert [(row.customer_id, row.unlinked_at, row.unlinked_by) for row in rows] == [
        ("maria@loja.com.br", LATER, None)
    ]


async def test_unlink_without_an_active_link_returns_none_and_writes_nothing(
    store: SqlStore, engine: AsyncEngine
) -> None:
    await _seen(store, MARIA, PRIVATE_CHAT, NOW)
    before = await table_snapshot(engine)

    async with store.unit_of_work() as uow:
        ended = await uow.links.unlink("telegram", MARIA.user_id, ADMIN, LATER)
        await uow.commit()

    assert ended is None
    assert await table_snapshot(engine) == before


async def test_a_user_can_be_linked_again_after_unlinking(store: SqlStore) -> None:
    await _link(store, "maria@loja.com.br", NOW)
    async with store.unit_of_work() as uow:
        await uow.links.unlink("telegram", MARIA.user_id, ADMIN, NOW)
        await uow.commit()

    previous = await _link(store, "maria@loja.com.br", LATER)

    assert previous is None
    active = await _active(store)
    assert active is not None
    assert active.linked_at == LATER


async def test_links_belong_to_one_channel(store: SqlStore) -> None:
    await _link(store, "maria@loja.com.br")

    async with store.unit_of_work() as uow:
        assert await uow.links.active("console", MARIA.user_id) is None


async def test_database_refuses_a_second_active_link(store: SqlStore, engine: AsyncEngine) -> None:
    await _link(store, "maria@loja.com.br")
    async with engine.connect() as connection:
        chat_user_id = (await connection.execute(select(ChatUserRow.id))).scalar_one()

    with pytest.raises(IntegrityError):
        async with engine.begin() as connection:
            await connection.execute(
                insert(LinkRow).values(
                    chat_user_id=chat_user_id, customer_id="other@loja.com.br", linked_at=NOW
                )
            )


async def test_database_accepts_many_ended_links(store: SqlStore, engine: AsyncEngine) -> None:
    await _link(store, "maria@loja.com.br")
    async with engine.connect() as connection:
        chat_user_id = (await connection.execute(select(ChatUserRow.id))).scalar_one()

    async with engine.begin() as connection:
        for number in range(2):
            await connection.execute(
                insert(LinkRow).values(
                    chat_user_id=chat_user_id,
                    customer_id=f"old{number}@loja.com.br",
                    linked_at=NOW,
                    unlinked_at=NOW,
                )
            )

    assert len(await _link_rows(engine)) == 3


async def test_deleting_a_chat_user_deletes_their_links(
    store: SqlStore, engine: AsyncEngine
) -> None:
    await _link(store, "maria@loja.com.br")

    async with engine.begin() as connection:
        await connection.execute(delete(ChatUserRow))

    assert await _link_rows(engine) == []


async def test_overlong_customer_id_is_refused(store: SqlStore, engine: AsyncEngine) -> None:
    before = await table_snapshot(engine)

    with pytest.raises(ValueError, match="customer id"):
        await _link(store, "x" * 257)

    assert await table_snapshot(engine) == before


# Audit


async def test_recent_audit_entries_come_newest_first(store: SqlStore) -> None:
    async with store.unit_of_work() as uow:
        await uow.audit.record(_entry("link", NOW))
        await uow.audit.record(_entry("unlink", LATER))
        await uow.audit.record(_entry("lookup", NOW + timedelta(hours=1)))
        await uow.commit()

    async with store.unit_of_work() as uow:
        entries = await uow.audit.recent(10)

    assert [entry.action for entry in entries] == ["unlink", "lookup", "link"]


async def test_recent_audit_entries_at_the_same_time_come_latest_recorded_first(
    store: SqlStore,
) -> None:
    async with store.unit_of_work() as uow:
        await uow.audit.record(_entry("first", NOW))
        await uow.audit.record(_entry("second", NOW))
        await uow.commit()

    async with store.unit_of_work() as uow:
        entries = await uow.audit.recent(10)

    assert [entry.action for entry in entries] == ["second", "first"]


async def test_recent_audit_returns_at_most_the_limit(store: SqlStore) -> None:
    async with store.unit_of_work() as uow:
        for minute in range(5):
            await uow.audit.record(_entry(f"action{minute}", NOW + timedelta(minutes=minute)))
        await uow.commit()

    async with store.unit_of_work() as uow:
        entries = await uow.audit.recent(2)

    assert [entry.action for entry in entries] == ["action4", "action3"]


async def test_audit_entry_reads_back_as_recorded(store: SqlStore) -> None:
    entry = _entry("link", NOW, detail="linked by admin")
    async with store.unit_of_work() as uow:
        await uow.audit.record(entry)
        await uow.commit()

    async with store.unit_of_work() as uow:
        assert await uow.audit.recent(1) == [entry]


async def test_overlong_audit_detail_is_shortened_to_fit(store: SqlStore) -> None:
    async with store.unit_of_work() as uow:
        await uow.audit.record(_entry("link", NOW, detail="d" * 600))
        await uow.commit()

    async with store.unit_of_work() as uow:
        (entry,) = await uow.audit.recent(1)

    assert entry.detail is not None
    assert len(entry.detail) == 500


# Unit of work


async def test_changes_without_commit_are_rolled_back(
    store: SqlStore, engine: AsyncEngine
) -> None:
    before = await table_snapshot(engine)

    async with store.unit_of_work() as uow:
        await uow.users.seen(MARIA, PRIVATE_CHAT, NOW)
        await uow.links.link("telegram", MARIA.user_id, "maria@loja.com.br", ADMIN, NOW)
        await uow.audit.record(_entry("link", NOW))

    assert await table_snapshot(engine) == before


async def test_an_exception_rolls_back_the_unit_of_work(
    store: SqlStore, engine: AsyncEngine
) -> None:
    before = await table_snapshot(engine)

    async def fail_midway() -> None:
        async with store.unit_of_work() as uow:
            await uow.users.seen(MARIA, PRIVATE_CHAT, NOW)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await fail_midway()

    assert await table_snapshot(engine) == before


async def test_changes_after_the_commit_are_rolled_back(store: SqlStore) -> None:
    async with store.unit_of_work() as uow:
        await uow.users.seen(MARIA, PRIVATE_CHAT, NOW)
        await uow.commit()
        await uow.links.link("telegram", MARIA.user_id, "maria@loja.com.br", ADMIN, NOW)

    async with store.unit_of_work() as uow:
        assert await uow.users.get("telegram", MARIA.user_id) is not None
        assert await uow.links.active("telegram", MARIA.user_id) is None


async def test_repositories_in_one_unit_of_work_see_each_others_changes(
    store: SqlStore,
) -> None:
    async with store.unit_of_work() as uow:
        await uow.links.link("telegram", MARIA.user_id, "maria@loja.com.br", ADMIN, NOW)

        assert await uow.links.active("telegram", MARIA.user_id) is not None
        assert await uow.users.get("telegram", MARIA.user_id) is not None


# Datetimes


async def test_datetimes_come_back_aware_in_utc(store: SqlStore) -> None:
    sao_paulo_morning = datetime(2025, 3, 1, 9, 0, tzinfo=timezone(timedelta(hours=-3)))
    await _seen(store, MARIA, PRIVATE_CHAT, sao_paulo_morning)
    await _link(store, "maria@loja.com.br", sao_paulo_morning)
    async with store.unit_of_work() as uow:
        await uow.audit.record(_entry("link", sao_paulo_morning))
        await uow.commit()

    async with store.unit_of_work() as uow:
        user = await uow.users.get("telegram", MARIA.user_id)
        link = await uow.links.active("telegram", MARIA.user_id)
        (entry,) = await uow.audit.recent(1)

    assert user is not None
    assert link is not None
    for value in (user.first_seen_at, link.linked_at, entry.at):
        assert value.tzinfo is UTC
        assert value == datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


async def test_datetimes_returned_by_writes_are_aware_in_utc(store: SqlStore) -> None:
    sao_paulo_morning = datetime(2025, 3, 1, 9, 0, tzinfo=timezone(timedelta(hours=-3)))

    user = await _seen(store, MARIA, PRIVATE_CHAT, sao_paulo_morning)

    assert user.first_seen_at.tzinfo is UTC


async def test_naive_datetimes_are_refused(store: SqlStore) -> None:
    naive = datetime(2025, 3, 1, 12, 0)  # noqa: DTZ001 - the point of the test

    async with store.unit_of_work() as uow:
        with pytest.raises(ValueError, match="naive"):
            await uow.users.seen(MARIA, PRIVATE_CHAT, naive)


# Engine


async def test_check_connection_passes_on_a_reachable_database(engine: AsyncEngine) -> None:
    await check_connection(engine)


async def test_check_connection_error_names_the_database_but_not_the_password() -> None:
    engine = create_engine("postgresql+asyncpg://bot:hunter2@127.0.0.1:1/bot")
    try:
        with pytest.raises(DatabaseUnavailableError) as raised:
            await check_connection(engine)
    finally:
        await engine.dispose()

    assert "127.0.0.1:1/bot" in str(raised.value)
    assert "hunter2" not in str(raised.value)


async def test_postgresql_engine_pools_connections_for_concurrent_sweeps() -> None:
    engine = create_engine("postgresql+asyncpg://bot@db.example/bot")
    try:
        pool = engine.pool
        assert isinstance(pool, QueuePool)
        assert (pool.size(), pool._max_overflow) == (10, 20)
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://bot:pw@db.example/bot", "postgresql+asyncpg://bot:pw@db.example/bot"),
        ("postgresql://bot:pw@db.example/bot", "postgresql+asyncpg://bot:pw@db.example/bot"),
        ("sqlite:///bot.db", "sqlite+aiosqlite:///bot.db"),
        ("postgresql+asyncpg://bot@db.example/bot", "postgresql+asyncpg://bot@db.example/bot"),
    ],
)
def test_urls_without_an_async_driver_get_one(given: str, expected: str) -> None:
    assert async_url(given).render_as_string(hide_password=False) == expected


async def test_a_write_does_not_fail_because_another_unit_committed_after_it_read(
    store: SqlStore,
) -> None:
    """SQLite's WAL refuses a deferred transaction's first write after another commit."""
    async with store.unit_of_work() as first:
        await first.users.get("telegram", "1")
        second = asyncio.create_task(_touch(store, "2"))
        await asyncio.sleep(0.05)  # the second unit is now waiting for the write lock
        await first.users.seen(UserProfile("telegram", "1", "Ana"), "1", NOW)
        await first.commit()
    await asyncio.wait_for(second, 10)

    async with store.unit_of_work(writes=False) as uow:
        assert await uow.users.get("telegram", "1") is not None
        assert await uow.users.get("telegram", "2") is not None


async def test_a_reading_unit_held_open_does_not_block_writers(store: SqlStore) -> None:
    async with store.unit_of_work(writes=False) as reader:
        await reader.users.get("telegram", "1")

        await asyncio.wait_for(_touch(store, "3"), 2)

        assert await reader.users.get("telegram", "2") is None


async def _touch(store: SqlStore, user_id: str) -> None:
    async with store.unit_of_work() as uow:
        await uow.users.seen(UserProfile("telegram", user_id, "Bia"), user_id, NOW)
        await uow.commit()
