"""Invites: issued by an admin, a script or the store's backend; used once, by one user."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bonifiq.client import BonifiqClient
from bot.cli import issue_invite
from bot.config import Settings, load_settings
from bot.core import invites
from bot.core.conversation import Conversation
from bot.core.messages import Incoming
from bot.core.models import AuditEntry, UserProfile
from bot.core.points import CustomerNotFoundError
from bot.db.engine import create_engine, create_session_factory
from bot.db.store import SqlStore
from bot.db.tables import InviteRow
from tests.fixtures.app import NOW, Deliver, StoppedClock
from tests.fixtures.bonifiq import TEST_TIMEZONE, FakePointsApi, Fault, customer_payload
from tests.fixtures.database import table_snapshot
from tests.fixtures.telegram import BOT_USERNAME, FakeBotApi, button_press, private_message
from tests.helpers import active_customer, link, replies_to
from tests.personas import ADMIN_USER_ID, CUSTOMER_USER_ID, JOAO, MARIA

OTHER_USER_ID = 2002
LINK = re.compile(rf"https://t\.me/{BOT_USERNAME}\?start=([A-Za-z0-9_-]+)")
WEEK = timedelta(hours=168)


async def new_invite(store: SqlStore, customer_id: str = MARIA, *, issued: Any = NOW) -> str:
    """Issue an invite as a script would; return its code."""
    invite = await invites.issue(
        store, customer_id, channel="cli", via="cli", issued_by=None, now=issued, ttl=WEEK
    )
    return invite.code


async def audit(store: SqlStore) -> list[AuditEntry]:
    async with store.unit_of_work(writes=False) as uow:
        return await uow.audit.recent(20)


# --- issuing ---------------------------------------------------------------------------------


async def test_convite_answers_a_single_use_t_me_link_with_its_expiry(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.set_customer(MARIA, customer_payload())

    [text] = await replies_to(
        deliver, bot_api, private_message(f"/convite {MARIA}", ADMIN_USER_ID)
    )

    assert LINK.search(text)
    assert "válido até 03/12/2026 às 10:00" in text  # a week after 26/11 10:00 in São Paulo
    assert points_api.requests_for(MARIA)
    [entry] = [entry for entry in await audit(store) if entry.action == "invite"]
    assert (entry.admin_user_id, entry.customer_id, entry.detail) == (
        str(ADMIN_USER_ID),
        MARIA,
        "admin",
    )


async def test_the_database_keeps_a_hash_of_the_code_not_the_code(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, engine: AsyncEngine
) -> None:
    points_api.set_customer(MARIA, customer_payload())

    [text] = await replies_to(deliver, bot_api, private_message(f"/invite {MARIA}", ADMIN_USER_ID))

    match = LINK.search(text)
    assert match is not None
    code = match.group(1)
    assert len(code) >= 43  # 256 random bits
    async with engine.connect() as connection:
        [row] = (await connection.execute(select(InviteRow))).all()
    assert code not in str(tuple(row))
    assert row.code_hash == invites.code_hash(code)


async def test_convite_for_a_customer_the_api_does_not_know_is_refused_and_stores_nothing(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, engine: AsyncEngine
) -> None:
    before = await table_snapshot(engine)

    [text] = await replies_to(deliver, bot_api, private_message(f"/convite {JOAO}", ADMIN_USER_ID))

    assert "não tem o cliente" in text
    after = await table_snapshot(engine)
    assert after["invites"] == before["invites"] == []
    assert after["admin_audit"] == before["admin_audit"]


async def test_convite_while_the_api_is_down_is_issued_with_a_warning(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi
) -> None:
    points_api.script(MARIA, [Fault.http(503)] * 5)

    [text] = await replies_to(
        deliver, bot_api, private_message(f"/convite {MARIA}", ADMIN_USER_ID)
    )

    assert LINK.search(text)
    assert "Não consegui confirmar o cliente" in text


async def test_convite_while_the_api_refuses_the_credentials_is_issued_with_a_warning(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.script(MARIA, [Fault.http(401)])

    [text] = await replies_to(
        deliver, bot_api, private_message(f"/convite {MARIA}", ADMIN_USER_ID)
    )

    assert LINK.search(text)
    assert "Não consegui confirmar o cliente" in text
    assert [entry.action for entry in await audit(store)] == ["invite"]


async def test_convite_is_refused_to_non_admins(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, engine: AsyncEngine
) -> None:
    [text] = await replies_to(deliver, bot_api, private_message(f"/convite {MARIA}"))

    assert "não está disponível para você" in text
    assert (await table_snapshot(engine))["invites"] == []
    assert points_api.requests == []


@pytest.mark.parametrize("argument", ["", "..", "a\nb"])
async def test_convite_without_a_valid_customer_id_explains_itself(
    deliver: Deliver, bot_api: FakeBotApi, engine: AsyncEngine, argument: str
) -> None:
    [text] = await replies_to(
        deliver, bot_api, private_message(f"/convite {argument}", ADMIN_USER_ID)
    )

    assert "Uso: /convite" in text or "não é válido" in text
    assert (await table_snapshot(engine))["invites"] == []


# --- using ----------------------------------------------------------------------------------


async def test_opening_an_invite_links_the_user_and_shows_the_balance_at_once(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.set_customer(MARIA, customer_payload(PointsBalance=1234))
    code = await new_invite(store)

    linked, balance = await replies_to(deliver, bot_api, private_message(f"/start {code}"))

    assert "Sua conta foi vinculada" in linked
    assert "1.234 pontos" in balance
    async with store.unit_of_work(writes=False) as uow:
        current = await uow.links.active("telegram", str(CUSTOMER_USER_ID))
    assert current is not None
    assert (current.customer_id, current.origin, current.linked_by) == (MARIA, "invite", None)
    [entry] = [entry for entry in await audit(store) if entry.action == "link"]
    assert (entry.target_user_id, entry.detail) == (str(CUSTOMER_USER_ID), "invite")


async def test_an_invite_works_once_and_the_next_user_is_told_to_ask_for_a_new_link(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.set_customer(MARIA, customer_payload())
    code = await new_invite(store)
    await deliver(private_message(f"/start {code}"))

    [text] = await replies_to(
        deliver, bot_api, private_message(f"/start {code}", OTHER_USER_ID, "João")
    )

    assert "já foi usado ou não existe" in text
    assert "Peça à loja um novo link" in text
    assert await active_customer(store, OTHER_USER_ID) is None


async def test_an_expired_invite_is_refused_and_changes_nothing(
    deliver: Deliver, bot_api: FakeBotApi, store: SqlStore, engine: AsyncEngine
) -> None:
    code = await new_invite(store, issued=NOW - WEEK)  # expires exactly now
    await deliver(private_message("/start"))
    before = await table_snapshot(engine)

    [text] = await replies_to(deliver, bot_api, private_message(f"/start {code}"))

    assert "expirou" in text
    after = await table_snapshot(engine)
    assert after["invites"] == before["invites"]
    assert after["links"] == before["links"] == []


@pytest.mark.parametrize("code", ["x" * 43, "abc", "not/a/code-at-all-" * 3])
async def test_an_unknown_code_is_refused(
    deliver: Deliver, bot_api: FakeBotApi, store: SqlStore, code: str
) -> None:
    [text] = await replies_to(deliver, bot_api, private_message(f"/start {code}"))

    assert "já foi usado ou não existe" in text
    assert await active_customer(store) is None


async def test_five_bad_codes_stop_every_code_until_the_window_has_passed(
    deliver: Deliver,
    bot_api: FakeBotApi,
    points_api: FakePointsApi,
    store: SqlStore,
    clock: StoppedClock,
) -> None:
    points_api.set_customer(MARIA, customer_payload())
    code = await new_invite(store)
    for attempt in range(5):
        await deliver(private_message(f"/start wrong-code-number-{attempt:02d}"))

    [throttled] = await replies_to(deliver, bot_api, private_message(f"/start {code}"))
    clock.advance(timedelta(minutes=14))
    [still] = await replies_to(deliver, bot_api, private_message(f"/start {code}"))
    clock.advance(timedelta(minutes=2))
    linked, _ = await replies_to(deliver, bot_api, private_message(f"/start {code}"))

    assert "muitas tentativas" in throttled
    assert "muitas tentativas" in still
    assert "Sua conta foi vinculada" in linked
    assert await active_customer(store) == MARIA


async def test_the_bad_code_counter_is_per_user(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.set_customer(MARIA, customer_payload())
    code = await new_invite(store)
    for attempt in range(5):
        await deliver(private_message(f"/start wrong-code-number-{attempt:02d}", OTHER_USER_ID))

    linked, _ = await replies_to(deliver, bot_api, private_message(f"/start {code}"))

    assert "Sua conta foi vinculada" in linked


async def test_a_user_already_linked_to_the_invites_customer_is_told_and_the_code_kept(
    deliver: Deliver, bot_api: FakeBotApi, store: SqlStore, engine: AsyncEngine
) -> None:
    await link(store, MARIA)
    code = await new_invite(store)

    [text] = await replies_to(deliver, bot_api, private_message(f"/start {code}"))

    assert "já está vinculada a este cadastro" in text
    [row] = (await table_snapshot(engine))["invites"]
    assert row[-2] is None  # used_at


async def test_a_user_linked_elsewhere_is_asked_and_nothing_changes_until_they_confirm(
    deliver: Deliver, bot_api: FakeBotApi, store: SqlStore, engine: AsyncEngine
) -> None:
    await link(store, JOAO)
    code = await new_invite(store)

    await deliver(private_message(f"/start {code}"))

    [question] = bot_api.delivered_to(CUSTOMER_USER_ID)
    assert "Quer trocar" in question.text
    assert question.button_labels() == ["Trocar", "Manter"]
    assert await active_customer(store) == JOAO
    [row] = (await table_snapshot(engine))["invites"]
    assert row[-2] is None


async def test_trocar_switches_to_the_invites_customer(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.set_customer(MARIA, customer_payload())
    await link(store, JOAO)
    code = await new_invite(store)
    await deliver(private_message(f"/start {code}"))
    [switch, _] = bot_api.delivered_to(CUSTOMER_USER_ID)[-1].buttons()

    linked, balance = await replies_to(deliver, bot_api, button_press(switch["callback_data"]))

    assert "Sua conta foi vinculada" in linked
    assert "Maria Silva" in balance
    assert await active_customer(store) == MARIA


async def test_manter_keeps_the_link_and_leaves_the_code_unused(
    deliver: Deliver, bot_api: FakeBotApi, store: SqlStore, engine: AsyncEngine
) -> None:
    await link(store, JOAO)
    code = await new_invite(store)
    await deliver(private_message(f"/start {code}"))
    [_, keep] = bot_api.delivered_to(CUSTOMER_USER_ID)[-1].buttons()

    [text] = await replies_to(deliver, bot_api, button_press(keep["callback_data"]))

    assert "continua como estava" in text
    assert await active_customer(store) == JOAO
    [row] = (await table_snapshot(engine))["invites"]
    assert row[-2] is None


async def test_an_invite_opened_in_a_group_is_not_used(
    deliver: Deliver, bot_api: FakeBotApi, store: SqlStore, engine: AsyncEngine
) -> None:
    code = await new_invite(store)
    update = private_message(f"/start {code}")
    update["message"]["chat"] = {"id": -100123, "type": "supergroup", "title": "Clientes"}

    await deliver(update)

    assert await active_customer(store) is None
    [row] = (await table_snapshot(engine))["invites"]
    assert row[-2] is None


@pytest.mark.postgres_only
async def test_two_users_racing_for_one_code_in_two_processes_exactly_one_wins(
    database_url: str, points_client: BonifiqClient, points_api: FakePointsApi, db_backend: str
) -> None:
    points_api.set_customer(MARIA, customer_payload())
    # Two engines with their own pools stand for two processes on one database.
    engines = [create_engine(database_url) for _ in range(2)]
    stores = [SqlStore(create_session_factory(engine)) for engine in engines]
    conversations = [
        Conversation(store=store, points=points_client, timezone=TEST_TIMEZONE) for store in stores
    ]
    try:
        for attempt in range(10):  # a race lost by luck once would prove nothing
            code = await new_invite(stores[0])
            users = [3000 + 2 * attempt, 3001 + 2 * attempt]
            answers = await asyncio.gather(
                *(
                    conversation.handle(
                        Incoming(
                            UserProfile("telegram", str(user)), str(user), True, f"/start {code}"
                        ),
                        NOW,
                    )
                    for conversation, user in zip(conversations, users, strict=True)
                )
            )
            winners = [replies for replies in answers if "vinculada" in replies[0].text]
            assert len(winners) == 1, answers
            linked = [await active_customer(stores[0], user) for user in users]
            assert linked.count(MARIA) == 1
            assert linked.count(None) == 1
    finally:
        for engine in engines:
            await engine.dispose()


# --- the command line ------------------------------------------------------------------------


def cli_settings(database_url: str, bot_api: FakeBotApi, points_api: FakePointsApi) -> Settings:
    return load_settings(
        database_url=database_url,
        telegram_bot_token=bot_api.token,
        telegram_api_base_url=bot_api.base_url,
        bonifiq_base_url=points_api.base_url,
        bonifiq_api_token=points_api.api_token,
        bonifiq_api_key=points_api.api_key,
        invite_ttl_hours=0.5,
    )


async def test_invite_command_prints_the_link_and_when_it_expires(
    database_url: str,
    bot_api: FakeBotApi,
    points_api: FakePointsApi,
    store: SqlStore,
    capsys: pytest.CaptureFixture[str],
) -> None:
    points_api.set_customer(MARIA, customer_payload())

    code = await issue_invite(cli_settings(database_url, bot_api, points_api), MARIA, check=True)

    link_line, expiry_line = capsys.readouterr().out.strip().splitlines()
    assert code == 0
    assert LINK.fullmatch(link_line)
    # Whole seconds, in the bot's zone, with its offset.
    assert re.fullmatch(r"expires \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d-03:00", expiry_line)
    [entry] = [entry for entry in await audit(store) if entry.action == "invite"]
    assert (entry.channel, entry.admin_user_id, entry.detail) == ("cli", None, "cli")


async def test_invite_command_for_an_unknown_customer_exits_1_with_one_line(
    database_url: str,
    bot_api: FakeBotApi,
    points_api: FakePointsApi,
    engine: AsyncEngine,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = await issue_invite(cli_settings(database_url, bot_api, points_api), JOAO, check=True)

    captured = capsys.readouterr()
    assert code == 1
    assert captured.out == ""
    assert captured.err.strip().splitlines() == ["error: the points API has no such customer"]
    assert (await table_snapshot(engine))["invites"] == []


async def test_invite_command_with_no_check_does_not_ask_the_points_api(
    database_url: str,
    bot_api: FakeBotApi,
    points_api: FakePointsApi,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = cli_settings(database_url, bot_api, points_api)

    code = await issue_invite(settings, JOAO, check=False)

    assert code == 0
    assert LINK.match(capsys.readouterr().out)
    assert points_api.requests == []


async def test_invite_command_while_the_api_refuses_the_credentials_issues_with_a_warning(
    database_url: str,
    bot_api: FakeBotApi,
    points_api: FakePointsApi,
    store: SqlStore,
    capsys: pytest.CaptureFixture[str],
) -> None:
    points_api.script(MARIA, [Fault.http(401)])

    code = await issue_invite(cli_settings(database_url, bot_api, points_api), MARIA, check=True)

    captured = capsys.readouterr()
    assert code == 0
    assert LINK.fullmatch(captured.out.splitlines()[0])
    assert captured.err.splitlines() == [
        "warning: customer not checked (the points API could not be asked)"
    ]
    [entry] = [entry for entry in await audit(store) if entry.action == "invite"]
    assert (entry.channel, entry.customer_id) == ("cli", MARIA)


# --- the one use case behind every entry ----------------------------------------------------


async def test_invite_customer_stores_the_canonical_id_audits_once_and_says_it_checked(
    conversation: Conversation, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.set_customer(MARIA, customer_payload())

    invited = await invites.invite_customer(
        conversation, " Maria@LOJA.com.br ", channel="api", via="api", issued_by=None, now=NOW
    )

    assert invited.checked
    assert invited.issued.customer_id == MARIA
    assert invited.issued.expires_at == NOW + WEEK
    [entry] = await audit(store)
    assert (entry.action, entry.channel, entry.customer_id, entry.detail) == (
        "invite",
        "api",
        MARIA,
        "api",
    )


@pytest.mark.parametrize(
    "fault", [Fault.http(401), Fault.http(403), Fault.http(503)], ids=["401", "403", "503"]
)
async def test_invite_customer_issues_unchecked_when_the_api_cannot_say(
    conversation: Conversation, points_api: FakePointsApi, engine: AsyncEngine, fault: Fault
) -> None:
    points_api.script(MARIA, [fault] * 5)

    invited = await invites.invite_customer(
        conversation, MARIA, channel="cli", via="cli", issued_by=None, now=NOW
    )

    assert not invited.checked
    assert len((await table_snapshot(engine))["invites"]) == 1


async def test_invite_customer_stores_nothing_for_a_customer_the_api_does_not_know(
    conversation: Conversation, engine: AsyncEngine
) -> None:
    before = await table_snapshot(engine)

    with pytest.raises(CustomerNotFoundError):
        await invites.invite_customer(
            conversation, JOAO, channel="cli", via="cli", issued_by=None, now=NOW
        )

    assert await table_snapshot(engine) == before


@pytest.mark.parametrize("customer_id", ["", "  ", "..", "a\nb", "x" * 257])
async def test_invite_customer_refuses_an_id_that_cannot_be_one_and_asks_nobody(
    conversation: Conversation, points_api: FakePointsApi, engine: AsyncEngine, customer_id: str
) -> None:
    with pytest.raises(ValueError, match="customer id"):
        await invites.invite_customer(
            conversation, customer_id, channel="cli", via="cli", issued_by=None, now=NOW
        )

    assert points_api.requests == []
    assert (await table_snapshot(engine))["invites"] == []
