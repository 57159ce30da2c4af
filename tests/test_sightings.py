"""What a message records about its sender: only what changed, and still everything that did."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from bot.core.models import StoredData, UserProfile
from bot.db.sightings import LAST_SEEN_PRECISION
from bot.db.store import SqlStore
from tests.fixtures.app import NOW, Deliver, StoppedClock
from tests.fixtures.bonifiq import FakePointsApi, customer_payload
from tests.fixtures.telegram import FakeBotApi, private_message
from tests.helpers import link
from tests.personas import CUSTOMER_USER_ID

USER = str(CUSTOMER_USER_ID)


async def _stored(store: SqlStore) -> StoredData:
    async with store.unit_of_work(writes=False) as uow:
        stored = await uow.privacy.stored_data("telegram", USER)
    assert stored is not None
    return stored


async def _last_seen(store: SqlStore) -> datetime:
    return (await _stored(store)).last_seen_at


async def test_a_returning_user_within_the_hour_leaves_last_seen_as_it_was(
    deliver: Deliver, store: SqlStore, clock: StoppedClock
) -> None:
    await deliver(private_message("/ajuda"))
    clock.advance(LAST_SEEN_PRECISION - timedelta(minutes=1))

    await deliver(private_message("/ajuda"))

    assert await _last_seen(store) == NOW


async def test_last_seen_moves_once_it_is_an_hour_old(
    deliver: Deliver, store: SqlStore, clock: StoppedClock
) -> None:
    await deliver(private_message("/ajuda"))
    clock.advance(LAST_SEEN_PRECISION)

    await deliver(private_message("/ajuda"))

    assert await _last_seen(store) == NOW + LAST_SEEN_PRECISION


async def test_a_changed_profile_is_recorded_at_once(
    deliver: Deliver, store: SqlStore, clock: StoppedClock
) -> None:
    await deliver(private_message("/ajuda", first_name="Joana"))
    clock.advance(timedelta(minutes=1))

    await deliver(private_message("/ajuda", first_name="Joana Maria", username="joana"))

    user = (await _stored(store)).user
    assert (user.first_name, user.username) == ("Joana Maria", "joana")


async def test_a_user_who_unblocked_the_bot_is_reachable_again(
    deliver: Deliver, store: SqlStore, clock: StoppedClock
) -> None:
    await deliver(private_message("/ajuda"))
    async with store.unit_of_work() as uow:
        await uow.users.set_reachable("telegram", USER, False, NOW)
        await uow.commit()
    clock.advance(timedelta(minutes=1))

    await deliver(private_message("/ajuda"))

    assert (await _stored(store)).blocked_at is None


async def test_a_user_linked_by_an_admin_gets_their_chat_recorded_on_first_message(
    deliver: Deliver, store: SqlStore
) -> None:
    await link(store, "maria@loja.com.br")  # a bare user: no chat, no name

    await deliver(private_message("/ajuda", first_name="Maria"))

    user = (await _stored(store)).user
    assert (user.chat_id, user.first_name) == (USER, "Maria")


async def test_meusdados_shows_the_moment_of_the_message_itself(
    deliver: Deliver, bot_api: FakeBotApi, clock: StoppedClock
) -> None:
    await deliver(private_message("/ajuda"))
    clock.advance(timedelta(minutes=20))  # 10:20 in São Paulo

    await deliver(private_message("/meusdados"))

    assert "26/11/2026 às 10:20" in bot_api.sent_messages()[-1].text


async def test_a_link_ended_elsewhere_is_seen_by_the_next_message(
    deliver: Deliver,
    bot_api: FakeBotApi,
    store: SqlStore,
    points_api: FakePointsApi,
    clock: StoppedClock,
) -> None:
    points_api.set_customer("maria@loja.com.br", customer_payload())
    await link(store, "maria@loja.com.br")
    await deliver(private_message("/saldo"))
    async with store.unit_of_work() as uow:  # another process, or an admin, unlinks
        await uow.links.unlink("telegram", USER, None, NOW)
        await uow.commit()
    clock.advance(timedelta(seconds=1))

    await deliver(private_message("/saldo"))

    first, second = bot_api.sent_messages()
    assert "pontos" in first.text
    assert "não está vinculad" in second.text


async def test_a_sighting_is_not_held_up_by_a_writer_and_sees_only_what_is_committed(
    store: SqlStore,
) -> None:
    profile = UserProfile("telegram", USER, "Maria")
    async with store.unit_of_work() as uow:
        await uow.users.seen(profile, USER, NOW)
        await uow.commit()
    async with store.unit_of_work() as writer:  # holds SQLite's write lock until it ends
        await writer.links.link("telegram", USER, "maria@loja.com.br", None, NOW)
        async with asyncio.timeout(2):
            during = await store.sighting(profile, USER, NOW)
        await writer.commit()

    after = await store.sighting(profile, USER, NOW)

    assert (during.link, during.stale) == (None, False)
    assert after.link is not None
    assert after.link.customer_id == "maria@loja.com.br"


async def test_only_the_first_private_message_after_an_admins_link_opens_a_new_chat(
    store: SqlStore,
) -> None:
    profile = UserProfile("telegram", USER, "Maria")
    async with store.unit_of_work() as uow:  # linked by an admin before writing: no chat
        await uow.links.link("telegram", USER, "maria@loja.com.br", "9001", NOW)
        await uow.commit()

    in_a_group = await store.sighting(profile, None, NOW)
    first = await store.sighting(profile, USER, NOW)
    async with store.unit_of_work() as uow:
        await uow.users.seen(profile, USER, NOW)
        await uow.commit()
    then = await store.sighting(profile, USER, NOW)

    assert (in_a_group.new_chat, first.new_chat, then.new_chat) == (False, True, False)
    assert first.link is not None
    assert first.link.linked_by == "9001"
