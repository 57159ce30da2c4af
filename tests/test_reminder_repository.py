"""Reminder targets, the reminder ledger, sweeps and claims, on every configured backend."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, event, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.models import LedgerKey, ReminderChat, ReminderTarget, TargetPage, UserProfile
from bot.db.store import SqlStore
from bot.db.tables import ChatUserRow, ReminderLedgerRow, ReminderSweepRow
from tests.fixtures.database import table_snapshot

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=2)
ADMIN = "900"
MARIA = "5000000001"
JOAO = "5000000002"
ANA = "5000000003"
EXPIRY = date(2025, 3, 31)
IN_30_DAYS = LedgerKey(expires_on=EXPIRY, threshold_days=30)
IN_7_DAYS = LedgerKey(expires_on=EXPIRY, threshold_days=7)


async def _seen(
    store: SqlStore, user_id: str, *, private: bool = True, now: datetime = NOW
) -> None:
    async with store.unit_of_work() as uow:
        await uow.users.seen(UserProfile("telegram", user_id), user_id if private else None, now)
        await uow.commit()


async def _link(
    store: SqlStore, user_id: str, customer_id: str, *, channel: str = "telegram"
) -> None:
    async with store.unit_of_work() as uow:
        await uow.links.link(channel, user_id, customer_id, ADMIN, NOW)
        await uow.commit()


async def _linked(store: SqlStore, user_id: str, customer_id: str) -> None:
    """A user who wrote to the bot privately and is linked: a chat that gets reminders."""
    await _seen(store, user_id)
    await _link(store, user_id, customer_id)


async def _chat_user_id(engine: AsyncEngine, user_id: str, channel: str = "telegram") -> int:
    async with engine.connect() as connection:
        statement = select(ChatUserRow.id).where(
            ChatUserRow.channel == channel, ChatUserRow.user_id == user_id
        )
        chat_user_id: int = (await connection.execute(statement)).scalar_one()
    return chat_user_id


async def _page(
    store: SqlStore, after: str | None = None, limit: int = 100, channel: str = "telegram"
) -> TargetPage:
    async with store.unit_of_work() as uow:
        return await uow.reminders.targets(channel, after, limit)


async def _targets(
    store: SqlStore, after: str | None = None, limit: int = 100, channel: str = "telegram"
) -> list[ReminderTarget]:
    return list((await _page(store, after, limit, channel)).targets)


async def _customer_ids(store: SqlStore, after: str | None = None, limit: int = 100) -> list[str]:
    return [target.customer_id for target in await _targets(store, after, limit)]


async def _count(store: SqlStore, channel: str = "telegram") -> int:
    async with store.unit_of_work() as uow:
        return await uow.reminders.count_targets(channel)


async def _set_reachable(store: SqlStore, user_id: str, reachable: bool) -> None:
    async with store.unit_of_work() as uow:
        await uow.users.set_reachable("telegram", user_id, reachable, NOW)
        await uow.commit()


async def _set_reminders(store: SqlStore, user_id: str, enabled: bool) -> None:
    async with store.unit_of_work() as uow:
        await uow.links.set_reminders("telegram", user_id, enabled)
        await uow.commit()


async def _record(
    store: SqlStore, chat_user_id: int, customer_id: str, *keys: LedgerKey, now: datetime = NOW
) -> None:
    async with store.unit_of_work() as uow:
        await uow.reminders.record(chat_user_id, customer_id, keys, now)
        await uow.commit()


async def _sent(store: SqlStore, chat_user_id: int, customer_id: str) -> set[LedgerKey]:
    async with store.unit_of_work() as uow:
        return await uow.reminders.sent(chat_user_id, customer_id)


async def _blocked_at(engine: AsyncEngine, user_id: str) -> datetime | None:
    async with engine.connect() as connection:
        statement = select(ChatUserRow.blocked_at).where(ChatUserRow.user_id == user_id)
        value: datetime | None = (await connection.execute(statement)).scalar_one()
    return value


# Targets


async def test_a_linked_chat_with_reminders_on_is_a_target(
    store: SqlStore, engine: AsyncEngine
) -> None:
    await _linked(store, MARIA, "maria@loja.com.br")

    targets = await _targets(store)

    chat = ReminderChat(
        chat_user_id=await _chat_user_id(engine, MARIA), user_id=MARIA, chat_id=MARIA
    )
    assert targets == [ReminderTarget(customer_id="maria@loja.com.br", chats=(chat,))]


async def test_a_blocked_chat_is_not_a_target(store: SqlStore) -> None:
    await _linked(store, MARIA, "maria@loja.com.br")

    await _set_reachable(store, MARIA, False)

    assert await _targets(store) == []


async def test_a_chat_with_reminders_off_is_not_a_target(store: SqlStore) -> None:
    await _linked(store, MARIA, "maria@loja.com.br")

    await _set_reminders(store, MARIA, False)

    assert await _targets(store) == []


async def test_an_unlinked_chat_is_not_a_target(store: SqlStore) -> None:
    await _linked(store, MARIA, "maria@loja.com.br")

    async with store.unit_of_work() as uow:
        await uow.links.unlink("telegram", MARIA, ADMIN, LATER)
        await uow.commit()

    assert await _targets(store) == []


async def test_a_chat_linked_away_leaves_the_old_customer_without_targets(
    store: SqlStore,
) -> None:
    await _linked(store, MARIA, "maria@loja.com.br")

    await _link(store, MARIA, "maria.silva@loja.com.br")

    assert await _customer_ids(store) == ["maria.silva@loja.com.br"]


async def test_a_user_without_a_private_chat_with_the_bot_is_not_a_target(
    store: SqlStore,
) -> None:
    await _seen(store, MARIA, private=False)

    await _link(store, MARIA, "maria@loja.com.br")

    assert await _targets(store) == []


async def test_a_user_linked_before_ever_writing_to_the_bot_is_not_a_target(
    store: SqlStore,
) -> None:
    await _link(store, MARIA, "maria@loja.com.br")

    assert await _targets(store) == []


async def test_targets_belong_to_one_channel(store: SqlStore) -> None:
    async with store.unit_of_work() as uow:
        await uow.users.seen(UserProfile("console", MARIA), MARIA, NOW)
        await uow.links.link("console", MARIA, "maria@loja.com.br", ADMIN, NOW)
        await uow.commit()

    assert await _targets(store, channel="telegram") == []
    (target,) = await _targets(store, channel="console")
    assert target.customer_id == "maria@loja.com.br"


async def test_a_customer_linked_from_several_chats_is_one_target_with_every_chat(
    store: SqlStore, engine: AsyncEngine
) -> None:
    await _linked(store, MARIA, "familia@loja.com.br")
    await _linked(store, JOAO, "familia@loja.com.br")

    targets = await _targets(store)

    assert targets == [
        ReminderTarget(
            customer_id="familia@loja.com.br",
            chats=(
                ReminderChat(await _chat_user_id(engine, MARIA), MARIA, MARIA),
                ReminderChat(await _chat_user_id(engine, JOAO), JOAO, JOAO),
            ),
        )
    ]


async def test_only_the_qualifying_chats_of_a_customer_are_listed(store: SqlStore) -> None:
    await _linked(store, MARIA, "familia@loja.com.br")
    await _linked(store, JOAO, "familia@loja.com.br")
    await _linked(store, ANA, "familia@loja.com.br")
    await _set_reachable(store, JOAO, False)
    await _set_reminders(store, ANA, False)

    (target,) = await _targets(store)

    assert [chat.user_id for chat in target.chats] == [MARIA]


async def test_targets_come_in_customer_id_order(store: SqlStore) -> None:
    for user_id, customer_id in [(MARIA, "c2@loja"), (JOAO, "c3@loja"), (ANA, "c1@loja")]:
        await _linked(store, user_id, customer_id)

    assert await _customer_ids(store) == ["c1@loja", "c2@loja", "c3@loja"]


async def test_targets_start_after_the_given_customer_id(store: SqlStore) -> None:
    for user_id, customer_id in [(MARIA, "c1@loja"), (JOAO, "c2@loja"), (ANA, "c3@loja")]:
        await _linked(store, user_id, customer_id)

    assert await _customer_ids(store, after="c1@loja") == ["c2@loja", "c3@loja"]


async def test_targets_returns_at_most_limit_customers_each_with_all_its_chats(
    store: SqlStore,
) -> None:
    await _linked(store, MARIA, "c1@loja")
    await _linked(store, JOAO, "c1@loja")
    await _linked(store, ANA, "c2@loja")

    targets = await _targets(store, limit=1)

    assert [(target.customer_id, len(target.chats)) for target in targets] == [("c1@loja", 2)]


async def test_paging_through_targets_returns_every_customer_exactly_once(
    store: SqlStore,
) -> None:
    customer_ids = [f"c{number:02d}@loja" for number in range(1, 8)]
    for number, customer_id in enumerate(customer_ids):
        await _linked(store, str(6_000_000_000 + 2 * number), customer_id)
        if number % 2 == 0:
            # A second chat on some customers must not make pages overlap or skip.
            await _linked(store, str(6_000_000_001 + 2 * number), customer_id)

    pages: list[list[str]] = []
    after: str | None = None
    while True:
        page = await _page(store, after=after, limit=3)
        pages.append([target.customer_id for target in page.targets])
        if page.next_after is None:
            break
        after = page.next_after

    assert all(len(page) <= 3 for page in pages)
    assert [customer for page in pages for customer in page] == customer_ids


async def test_a_page_leaves_out_customers_without_a_chat_to_remind_but_goes_past_them(
    store: SqlStore,
) -> None:
    await _linked(store, MARIA, "c1@loja")
    await _linked(store, JOAO, "c2@loja")
    await _linked(store, ANA, "c3@loja")
    await _set_reachable(store, MARIA, False)
    await _set_reachable(store, JOAO, False)

    first = await _page(store, limit=2)
    second = await _page(store, after=first.next_after, limit=2)

    assert (first.targets, first.next_after) == ((), "c2@loja")
    assert [target.customer_id for target in second.targets] == ["c3@loja"]
    assert second.next_after is None


async def test_the_last_full_page_is_followed_by_an_empty_one(store: SqlStore) -> None:
    await _linked(store, MARIA, "c1@loja")

    first = await _page(store, limit=1)
    second = await _page(store, after=first.next_after, limit=1)

    assert first.next_after == "c1@loja"
    assert second == TargetPage((), None)


async def test_targets_with_a_limit_below_one_is_empty(store: SqlStore) -> None:
    await _linked(store, MARIA, "maria@loja.com.br")

    assert await _targets(store, limit=0) == []


async def test_count_targets_counts_customers_not_chats(store: SqlStore) -> None:
    await _linked(store, MARIA, "c1@loja")
    await _linked(store, JOAO, "c1@loja")
    await _linked(store, ANA, "c2@loja")

    assert await _count(store) == 2


async def test_count_targets_leaves_out_customers_without_a_qualifying_chat(
    store: SqlStore,
) -> None:
    await _linked(store, MARIA, "c1@loja")
    await _linked(store, JOAO, "c2@loja")
    await _linked(store, ANA, "c3@loja")
    await _set_reachable(store, JOAO, False)
    await _set_reminders(store, ANA, False)

    assert await _count(store) == 1


async def test_count_targets_is_zero_on_another_channel(store: SqlStore) -> None:
    await _linked(store, MARIA, "c1@loja")

    assert await _count(store, channel="console") == 0


# Reachability


async def test_blocking_records_when_the_block_was_seen(
    store: SqlStore, engine: AsyncEngine
) -> None:
    await _seen(store, MARIA)

    await _set_reachable(store, MARIA, False)

    assert await _blocked_at(engine, MARIA) == NOW


async def test_blocking_again_keeps_the_first_block_time(
    store: SqlStore, engine: AsyncEngine
) -> None:
    await _seen(store, MARIA)
    await _set_reachable(store, MARIA, False)

    async with store.unit_of_work() as uow:
        await uow.users.set_reachable("telegram", MARIA, False, LATER)
        await uow.commit()

    assert await _blocked_at(engine, MARIA) == NOW


async def test_a_blocked_chat_made_reachable_is_a_target_again(store: SqlStore) -> None:
    await _linked(store, MARIA, "maria@loja.com.br")
    await _set_reachable(store, MARIA, False)

    await _set_reachable(store, MARIA, True)

    assert await _customer_ids(store) == ["maria@loja.com.br"]


async def test_writing_to_the_bot_undoes_a_block(store: SqlStore, engine: AsyncEngine) -> None:
    await _linked(store, MARIA, "maria@loja.com.br")
    await _set_reachable(store, MARIA, False)

    await _seen(store, MARIA, now=LATER)

    assert await _blocked_at(engine, MARIA) is None
    assert await _customer_ids(store) == ["maria@loja.com.br"]


async def test_writing_in_a_group_also_undoes_a_block(
    store: SqlStore, engine: AsyncEngine
) -> None:
    await _seen(store, MARIA)
    await _set_reachable(store, MARIA, False)

    await _seen(store, MARIA, private=False, now=LATER)

    assert await _blocked_at(engine, MARIA) is None


async def test_set_reachable_for_an_unknown_user_writes_nothing(
    store: SqlStore, engine: AsyncEngine
) -> None:
    before = await table_snapshot(engine)

    await _set_reachable(store, MARIA, False)

    assert await table_snapshot(engine) == before


# Reminder setting


async def test_new_links_have_reminders_on(store: SqlStore) -> None:
    await _link(store, MARIA, "maria@loja.com.br")

    async with store.unit_of_work() as uow:
        link = await uow.links.active("telegram", MARIA)

    assert link is not None
    assert link.reminders_enabled is True


async def test_set_reminders_returns_the_active_link_with_the_new_setting(
    store: SqlStore,
) -> None:
    await _link(store, MARIA, "maria@loja.com.br")

    async with store.unit_of_work() as uow:
        link = await uow.links.set_reminders("telegram", MARIA, False)
        await uow.commit()

    assert link is not None
    assert (link.customer_id, link.reminders_enabled) == ("maria@loja.com.br", False)


async def test_set_reminders_is_kept(store: SqlStore) -> None:
    await _link(store, MARIA, "maria@loja.com.br")

    await _set_reminders(store, MARIA, False)

    async with store.unit_of_work() as uow:
        link = await uow.links.active("telegram", MARIA)
    assert link is not None
    assert link.reminders_enabled is False


async def test_reminders_can_be_turned_back_on(store: SqlStore) -> None:
    await _linked(store, MARIA, "maria@loja.com.br")
    await _set_reminders(store, MARIA, False)

    await _set_reminders(store, MARIA, True)

    assert await _customer_ids(store) == ["maria@loja.com.br"]


async def test_set_reminders_without_an_active_link_returns_none_and_writes_nothing(
    store: SqlStore, engine: AsyncEngine
) -> None:
    await _seen(store, MARIA)
    before = await table_snapshot(engine)

    async with store.unit_of_work() as uow:
        link = await uow.links.set_reminders("telegram", MARIA, False)
        await uow.commit()

    assert link is None
    assert await table_snapshot(engine) == before


async def test_set_reminders_for_an_unknown_user_returns_none(store: SqlStore) -> None:
    async with store.unit_of_work() as uow:
        assert await uow.links.set_reminders("telegram", MARIA, False) is None


async def test_relinking_turns_reminders_back_on(store: SqlStore) -> None:
    await _linked(store, MARIA, "maria@loja.com.br")
    await _set_reminders(store, MARIA, False)

    await _link(store, MARIA, "maria.silva@loja.com.br")

    assert await _customer_ids(store) == ["maria.silva@loja.com.br"]


# Ledger


async def test_nothing_is_sent_before_anything_is_recorded(
    store: SqlStore, engine: AsyncEngine
) -> None:
    await _linked(store, MARIA, "maria@loja.com.br")

    assert await _sent(store, await _chat_user_id(engine, MARIA), "maria@loja.com.br") == set()


async def test_recorded_reminders_are_sent(store: SqlStore, engine: AsyncEngine) -> None:
    await _linked(store, MARIA, "maria@loja.com.br")
    chat_user_id = await _chat_user_id(engine, MARIA)

    await _record(store, chat_user_id, "maria@loja.com.br", IN_30_DAYS, IN_7_DAYS)

    assert await _sent(store, chat_user_id, "maria@loja.com.br") == {IN_30_DAYS, IN_7_DAYS}


async def test_sent_is_kept_per_customer(store: SqlStore, engine: AsyncEngine) -> None:
    await _linked(store, MARIA, "maria@loja.com.br")
    chat_user_id = await _chat_user_id(engine, MARIA)

    await _record(store, chat_user_id, "maria@loja.com.br", IN_30_DAYS)

    assert await _sent(store, chat_user_id, "maria.silva@loja.com.br") == set()


async def test_sent_is_kept_per_chat(store: SqlStore, engine: AsyncEngine) -> None:
    await _linked(store, MARIA, "familia@loja.com.br")
    await _linked(store, JOAO, "familia@loja.com.br")

    await _record(store, await _chat_user_id(engine, MARIA), "familia@loja.com.br", IN_30_DAYS)

    assert await _sent(store, await _chat_user_id(engine, JOAO), "familia@loja.com.br") == set()


async def test_recording_a_reminder_again_changes_nothing(
    store: SqlStore, engine: AsyncEngine
) -> None:
    await _linked(store, MARIA, "maria@loja.com.br")
    chat_user_id = await _chat_user_id(engine, MARIA)
    await _record(store, chat_user_id, "maria@loja.com.br", IN_30_DAYS)
    before = await table_snapshot(engine)

    await _record(store, chat_user_id, "maria@loja.com.br", IN_30_DAYS, now=LATER)

    assert await table_snapshot(engine) == before


async def test_recording_the_same_reminder_twice_in_one_call_writes_it_once(
    store: SqlStore, engine: AsyncEngine
) -> None:
    await _linked(store, MARIA, "maria@loja.com.br")
    chat_user_id = await _chat_user_id(engine, MARIA)

    await _record(store, chat_user_id, "maria@loja.com.br", IN_30_DAYS, IN_30_DAYS)

    assert len((await table_snapshot(engine))["reminder_ledger"]) == 1


async def test_recording_only_new_reminders_adds_just_those(
    store: SqlStore, engine: AsyncEngine
) -> None:
    await _linked(store, MARIA, "maria@loja.com.br")
    chat_user_id = await _chat_user_id(engine, MARIA)
    await _record(store, chat_user_id, "maria@loja.com.br", IN_30_DAYS)

    await _record(store, chat_user_id, "maria@loja.com.br", IN_30_DAYS, IN_7_DAYS)

    assert len((await table_snapshot(engine))["reminder_ledger"]) == 2


async def test_a_reminder_another_sweep_recorded_meanwhile_keeps_the_unit_of_work(
    store: SqlStore, engine: AsyncEngine
) -> None:
    await _linked(store, MARIA, "maria@loja.com.br")
    chat_user_id = await _chat_user_id(engine, MARIA)
    # Another sweep's row, already committed when this unit of work writes the same one.
    await _record(store, chat_user_id, "maria@loja.com.br", IN_30_DAYS)

    async with store.unit_of_work() as uow:
        await uow.reminders.record(chat_user_id, "maria@loja.com.br", [IN_30_DAYS], LATER)
        await uow.reminders.record(chat_user_id, "maria@loja.com.br", [IN_7_DAYS], LATER)
        await uow.commit()

    assert await _sent(store, chat_user_id, "maria@loja.com.br") == {IN_30_DAYS, IN_7_DAYS}
    assert len((await table_snapshot(engine))["reminder_ledger"]) == 2


async def test_a_reminder_for_an_unknown_chat_is_refused(store: SqlStore) -> None:
    with pytest.raises(IntegrityError):
        await _record(store, 999_999, "maria@loja.com.br", IN_30_DAYS)


async def test_database_refuses_a_duplicate_ledger_row(
    store: SqlStore, engine: AsyncEngine
) -> None:
    await _linked(store, MARIA, "maria@loja.com.br")
    chat_user_id = await _chat_user_id(engine, MARIA)
    await _record(store, chat_user_id, "maria@loja.com.br", IN_30_DAYS)

    with pytest.raises(IntegrityError):
        async with engine.begin() as connection:
            await connection.execute(
                insert(ReminderLedgerRow).values(
                    chat_user_id=chat_user_id,
                    customer_id="maria@loja.com.br",
                    expires_on=EXPIRY,
                    threshold_days=30,
                    sent_at=LATER,
                )
            )


async def test_deleting_a_chat_user_deletes_their_ledger(
    store: SqlStore, engine: AsyncEngine
) -> None:
    await _linked(store, MARIA, "maria@loja.com.br")
    await _record(store, await _chat_user_id(engine, MARIA), "maria@loja.com.br", IN_30_DAYS)

    async with engine.begin() as connection:
        await connection.execute(delete(ChatUserRow))

    assert (await table_snapshot(engine))["reminder_ledger"] == []


async def test_an_overlong_customer_id_is_refused_in_the_ledger(store: SqlStore) -> None:
    async with store.unit_of_work() as uow:
        with pytest.raises(ValueError, match="customer id"):
            await uow.reminders.record(1, "x" * 257, [IN_30_DAYS], NOW)


# Sweeps


async def test_no_sweep_has_started_before_one_is_recorded(store: SqlStore) -> None:
    async with store.unit_of_work() as uow:
        assert await uow.reminders.last_sweep_started() is None


async def test_last_sweep_started_is_the_newest_start(store: SqlStore) -> None:
    async with store.unit_of_work() as uow:
        await uow.reminders.record_sweep(LATER, LATER + timedelta(minutes=5), {})
        await uow.reminders.record_sweep(NOW, NOW + timedelta(minutes=5), {})
        await uow.commit()

    async with store.unit_of_work() as uow:
        started = await uow.reminders.last_sweep_started()

    assert started == LATER
    assert started is not None
    assert started.tzinfo is UTC


async def test_record_sweep_keeps_the_times_and_counts(
    store: SqlStore, engine: AsyncEngine
) -> None:
    counts = {"customers": 5, "checked": 4, "sent": 3, "skipped": 2, "failed": 1}

    async with store.unit_of_work() as uow:
        await uow.reminders.record_sweep(NOW, LATER, counts)
        await uow.commit()

    async with engine.connect() as connection:
        row = (await connection.execute(select(ReminderSweepRow.__table__))).one()
    assert row._asdict() == {"id": 1, "started_at": NOW, "finished_at": LATER, **counts}


async def test_record_sweep_counts_missing_counts_as_zero(
    store: SqlStore, engine: AsyncEngine
) -> None:
    async with store.unit_of_work() as uow:
        await uow.reminders.record_sweep(NOW, LATER, {"sent": 3})
        await uow.commit()

    async with engine.connect() as connection:
        statement = select(
            ReminderSweepRow.customers,
            ReminderSweepRow.checked,
            ReminderSweepRow.sent,
            ReminderSweepRow.skipped,
            ReminderSweepRow.failed,
        )
        row = (await connection.execute(statement)).one()
    assert tuple(row) == (0, 0, 3, 0, 0)


async def test_record_sweep_refuses_an_unknown_count(store: SqlStore) -> None:
    async with store.unit_of_work() as uow:
        with pytest.raises(ValueError, match="errors"):
            await uow.reminders.record_sweep(NOW, LATER, {"errors": 1})


# Claims


async def test_an_unclaimed_chat_can_be_claimed(store: SqlStore) -> None:
    async with store.unit_of_work() as uow:
        assert await uow.reminders.claim(1) is True


async def test_a_unit_of_work_can_claim_a_chat_it_already_claimed(store: SqlStore) -> None:
    async with store.unit_of_work() as uow:
        await uow.reminders.claim(1)

        assert await uow.reminders.claim(1) is True


@pytest.mark.sqlite_only
async def test_on_sqlite_every_claim_succeeds(store: SqlStore, db_backend: str) -> None:
    reading = store.unit_of_work(writes=False)
    async with reading as first, store.unit_of_work(writes=False) as second:
        await first.reminders.claim(1)

        assert await second.reminders.claim(1) is True


@pytest.mark.postgres_only
async def test_a_claimed_chat_cannot_be_claimed_by_another_unit_of_work(
    store: SqlStore, db_backend: str
) -> None:
    async with store.unit_of_work() as first, store.unit_of_work() as second:
        assert await first.reminders.claim(1) is True

        assert await second.reminders.claim(1) is False


@pytest.mark.postgres_only
async def test_a_claim_leaves_other_chats_free(store: SqlStore, db_backend: str) -> None:
    async with store.unit_of_work() as first, store.unit_of_work() as second:
        await first.reminders.claim(1)

        assert await second.reminders.claim(2) is True


@pytest.mark.postgres_only
async def test_a_claim_ends_when_its_unit_of_work_commits(
    store: SqlStore, db_backend: str
) -> None:
    async with store.unit_of_work() as first, store.unit_of_work() as second:
        await first.reminders.claim(1)
        assert await second.reminders.claim(1) is False

        await first.commit()

        assert await second.reminders.claim(1) is True


@pytest.mark.postgres_only
async def test_a_claim_ends_when_its_unit_of_work_is_rolled_back(
    store: SqlStore, db_backend: str
) -> None:
    async with store.unit_of_work() as first:
        await first.reminders.claim(1)

    async with store.unit_of_work() as second:
        assert await second.reminders.claim(1) is True


@contextmanager
def _statements(engine: AsyncEngine) -> Iterator[list[tuple[str, Any]]]:
    """Record every SQL statement (with its parameters) the engine runs inside the block."""
    seen: list[tuple[str, Any]] = []

    def record(
        _conn: object, _cursor: object, statement: str, parameters: Any, *_rest: object
    ) -> None:
        seen.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


@pytest.mark.postgres_only
async def test_sweep_pages_use_the_index_on_tables_that_were_never_analyzed(
    store: SqlStore, engine: AsyncEngine, db_backend: str
) -> None:
    # A bulk import right before a sweep: 60,000 linked chats, no statistics at all.
    async with engine.begin() as connection:
        for table in ("chat_users", "links"):
            await connection.exec_driver_sql(
                f"ALTER TABLE {table} SET (autovacuum_enabled = false)"
            )
        await connection.exec_driver_sql(
            "INSERT INTO chat_users (channel, user_id, chat_id, first_seen_at, last_seen_at)"
            " SELECT 'telegram', n, n, now(), now() FROM generate_series(1, 60000) AS n"
        )
        await connection.exec_driver_sql(
            "INSERT INTO links (chat_user_id, customer_id, linked_at, reminders_enabled)"
            " SELECT id, 'c' || lpad(id::text, 6, '0') || '@loja', now(), true FROM chat_users"
        )
        analyzed = await connection.exec_driver_sql(
            "SELECT count(*) FROM pg_stats WHERE tablename IN ('links', 'chat_users')"
        )
        assert analyzed.scalar_one() == 0

    with _statements(engine) as statements:
        page = await _page(store, after="c030000@loja", limit=500)
    plans = []
    async with engine.begin() as connection:  # replayed in one transaction, settings too
        for statement, parameters in statements:
            if not statement.startswith("SELECT"):
                await connection.exec_driver_sql(statement, parameters)
                continue
            explained = await connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
            plans.append("\n".join(row[0] for row in explained))

    assert len(page.targets) == 500
    assert page.targets[0].customer_id == "c030001@loja"
    assert len(plans) == 2
    for plan in plans:
        assert "ix_links_customer_id_reminders" in plan, plan
        # A sort or a bitmap scan would read every link past the page, not just the page.
        assert "Sort" not in plan, plan
        assert "Bitmap" not in plan, plan
        assert "Seq Scan on links" not in plan, plan
