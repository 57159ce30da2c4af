"""Linking chat users to customers: admins link, unlink and look up; users unlink themselves."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.invites import code_hash
from bot.core.models import AuditEntry
from bot.db.store import SqlStore
from bot.jobs.reminders import ReminderSweep
from tests.fixtures.app import NOW, Deliver
from tests.fixtures.bonifiq import FakePointsApi, Fault, customer_payload
from tests.fixtures.database import table_snapshot
from tests.fixtures.telegram import (
    BOT_USERNAME,
    FakeBotApi,
    as_admin,
    group_message,
    private_message,
)
from tests.helpers import active_customer, expiring, link
from tests.personas import ADMIN_USER_ID, CUSTOMER_USER_ID

MARIA = "maria+vip@loja.com.br"
"""Maria here, with a "+" in her customer id (not `tests.personas.MARIA`)."""


async def admin_reply(deliver: Deliver, bot_api: FakeBotApi, text: str) -> str:
    await deliver(as_admin(text))
    [reply] = bot_api.sent_messages(ADMIN_USER_ID)
    return reply.text


async def audit_log(store: SqlStore) -> list[AuditEntry]:
    async with store.unit_of_work() as uow:
        return await uow.audit.recent(10)


async def link_entries(store: SqlStore) -> list[AuditEntry]:
    """The audit log's links (a user the bot cannot write to yet also gets an invite)."""
    return [entry for entry in await audit_log(store) if entry.action == "link"]


async def test_admin_links_a_user_to_a_customer_the_api_knows(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.set_customer(MARIA, customer_payload())

    text = await admin_reply(deliver, bot_api, f"/vincular {CUSTOMER_USER_ID} {MARIA}")

    assert "vinculado" in text
    assert "Maria Silva" in text
    assert await active_customer(store) == MARIA
    assert points_api.requests_for(MARIA)


async def test_linking_a_user_to_the_customer_they_have_changes_nothing(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.set_customer(MARIA, customer_payload())
    await link(store, MARIA)

    text = await admin_reply(deliver, bot_api, f"/vincular {CUSTOMER_USER_ID} {MARIA}")

    assert "já está vinculado" in text
    assert await active_customer(store) == MARIA
    assert await audit_log(store) == []


async def test_link_takes_the_rest_of_the_line_trimmed_as_customer_id(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    odd_id = "loja/filial 2?x#1 joão"
    points_api.set_customer(odd_id, customer_payload())

    await admin_reply(deliver, bot_api, f"/link   {CUSTOMER_USER_ID}    {odd_id}   ")

    assert await active_customer(store) == odd_id
    assert points_api.requests_for(odd_id)


async def test_link_is_written_to_the_audit_log(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.set_customer(MARIA, customer_payload())

    await admin_reply(deliver, bot_api, f"/vincular {CUSTOMER_USER_ID} {MARIA}")

    [entry] = await link_entries(store)
    assert (entry.admin_user_id, entry.action, entry.target_user_id, entry.customer_id) == (
        str(ADMIN_USER_ID),
        "link",
        str(CUSTOMER_USER_ID),
        MARIA,
    )


async def test_link_tells_the_user_when_the_bot_has_their_chat(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi
) -> None:
    points_api.set_customer(MARIA, customer_payload())
    await deliver(private_message("/start"))
    bot_api.calls.clear()

    await admin_reply(deliver, bot_api, f"/vincular {CUSTOMER_USER_ID} {MARIA}")

    [notice] = bot_api.sent_messages(CUSTOMER_USER_ID)
    assert "A loja vinculou sua conta" in notice.text


async def test_link_still_works_when_the_user_blocked_the_bot(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.set_customer(MARIA, customer_payload())
    await deliver(private_message("/start"))
    bot_api.blocked_chats.add(CUSTOMER_USER_ID)

    text = await admin_reply(deliver, bot_api, f"/vincular {CUSTOMER_USER_ID} {MARIA}")

    assert "vinculado" in text
    assert await active_customer(store) == MARIA


async def test_relinking_replaces_the_previous_customer(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.set_customer(MARIA, customer_payload())
    await link(store, "antigo@loja.com.br")

    text = await admin_reply(deliver, bot_api, f"/vincular {CUSTOMER_USER_ID} {MARIA}")

    assert "antigo@loja.com.br" in text
    assert await active_customer(store) == MARIA


async def test_unknown_customer_is_refused_and_nothing_is_written(
    deliver: Deliver, bot_api: FakeBotApi, engine: AsyncEngine
) -> None:
    await deliver(as_admin("/start"))
    bot_api.calls.clear()
    before = await table_snapshot(engine)

    text = await admin_reply(deliver, bot_api, f"/vincular {CUSTOMER_USER_ID} ninguem@loja.com")

    assert "não tem o cliente" in text
    after = await table_snapshot(engine)
    assert after["links"] == before["links"] == []
    assert after["admin_audit"] == before["admin_audit"]


async def test_link_is_made_with_a_warning_when_the_api_is_down(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.script(MARIA, [Fault.http(503)] * 3)

    text = await admin_reply(deliver, bot_api, f"/vincular {CUSTOMER_USER_ID} {MARIA}")

    assert "Não consegui confirmar" in text
    assert await active_customer(store) == MARIA
    [entry] = await link_entries(store)
    assert entry.detail == "unchecked"


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/vincular", "Uso: /vincular"),
        ("/vincular 123", "Uso: /vincular"),
        ("/vincular maria@loja.com.br 123", "não é um número de usuário"),
        ("/vincular -5 maria@loja.com.br", "não é um número de usuário"),
        ("/vincular 99999999999999999999999 maria@loja.com.br", "não é um número de usuário"),
        ("/vincular ١٢٣ maria@loja.com.br", "não é um número de usuário"),
        ("/vincular 123 " + "a" * 300, "não é válido"),
        ("/vincular 123 maria\u0000@loja.com.br", "não é válido"),
        ("/desvincular abc", "não é um número de usuário"),
        ("/cliente", "Uso: /cliente"),
        ("/cliente @maria", "não é um número de usuário"),
    ],
)
async def test_malformed_admin_commands_explain_and_change_nothing(
    deliver: Deliver,
    bot_api: FakeBotApi,
    points_api: FakePointsApi,
    engine: AsyncEngine,
    command: str,
    expected: str,
) -> None:
    await link_someone(deliver, bot_api, points_api)
    before = await table_snapshot(engine)

    text = await admin_reply(deliver, bot_api, command)

    assert expected in text
    after = await table_snapshot(engine)
    assert after["links"] == before["links"]
    assert after["admin_audit"] == before["admin_audit"]
    assert points_api.requests_for("maria@loja.com.br") == []


async def link_someone(deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi) -> None:
    """Put one link and one audit entry in the database, then forget what was sent."""
    points_api.set_customer("existing@loja.com.br", customer_payload())
    await deliver(as_admin("/vincular 555 existing@loja.com.br"))
    bot_api.calls.clear()
    points_api.requests.clear()


@pytest.mark.parametrize(
    "command", ["/vincular 1001 x@loja.com.br", "/desvincular 1001", "/cliente 1001"]
)
async def test_non_admins_are_refused_politely_and_nothing_changes(
    deliver: Deliver,
    bot_api: FakeBotApi,
    points_api: FakePointsApi,
    store: SqlStore,
    engine: AsyncEngine,
    command: str,
) -> None:
    await link(store, MARIA)
    before = await table_snapshot(engine)

    await deliver(private_message(command, user_id=2002, first_name="Curioso"))

    [reply] = bot_api.sent_messages(2002)
    assert "não está disponível para você" in reply.text
    assert MARIA not in reply.text
    after = await table_snapshot(engine)
    assert after["links"] == before["links"]
    assert after["admin_audit"] == before["admin_audit"]
    assert points_api.requests == []


async def test_admin_commands_are_refused_in_groups(
    deliver: Deliver, bot_api: FakeBotApi, store: SqlStore
) -> None:
    await link(store, MARIA)

    await deliver(group_message("/cliente 1001", user_id=ADMIN_USER_ID))

    [reply] = bot_api.sent_messages()
    assert MARIA not in reply.text
    assert "conversa privada" in reply.text


async def test_admin_unlinks_a_user_and_it_is_audited(
    deliver: Deliver, bot_api: FakeBotApi, store: SqlStore
) -> None:
    await link(store, MARIA)

    text = await admin_reply(deliver, bot_api, f"/desvincular {CUSTOMER_USER_ID}")

    assert "desvinculado" in text
    assert await active_customer(store) is None
    [entry] = await audit_log(store)
    assert (entry.action, entry.customer_id) == ("unlink", MARIA)


async def test_admin_unlinking_a_user_without_link_says_so(
    deliver: Deliver, bot_api: FakeBotApi
) -> None:
    text = await admin_reply(deliver, bot_api, "/unlink 31337")

    assert "não está vinculado" in text


async def test_whois_shows_the_customer_and_who_linked_it(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi
) -> None:
    points_api.set_customer(MARIA, customer_payload())
    await deliver(private_message("/start", first_name="Maria", username="mariazinha"))
    await deliver(as_admin(f"/vincular {CUSTOMER_USER_ID} {MARIA}"))
    bot_api.calls.clear()

    text = await admin_reply(deliver, bot_api, f"/whois {CUSTOMER_USER_ID}")

    assert f"<b>{MARIA}</b>" in text
    assert "@mariazinha" in text
    assert "26/11/2026" in text
    assert str(ADMIN_USER_ID) in text


async def test_whois_for_an_unknown_user_says_they_never_talked_to_the_bot(
    deliver: Deliver, bot_api: FakeBotApi, store: SqlStore
) -> None:
    text = await admin_reply(deliver, bot_api, "/cliente 424242424")

    assert "nunca falou com o bot" in text
    [entry] = await audit_log(store)
    assert entry.action == "whois"


async def test_user_unlinks_themselves(
    deliver: Deliver, bot_api: FakeBotApi, store: SqlStore
) -> None:
    await link(store, MARIA)

    await deliver(private_message("/desvincular"))

    [reply] = bot_api.sent_messages(CUSTOMER_USER_ID)
    assert "desvinculada" in reply.text
    assert await active_customer(store) is None


async def test_user_unlinking_without_a_link_is_told_so(
    deliver: Deliver, bot_api: FakeBotApi
) -> None:
    await deliver(private_message("/unlink"))

    [reply] = bot_api.sent_messages(CUSTOMER_USER_ID)
    assert "não está vinculada" in reply.text


INVITE_LINK = re.compile(rf"https://t\.me/{BOT_USERNAME}\?start=([A-Za-z0-9_-]{{43}})")


async def test_linking_a_user_who_never_wrote_to_the_bot_offers_the_customers_invite_link(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.set_customer(MARIA, customer_payload())

    text = await admin_reply(deliver, bot_api, f"/vincular {CUSTOMER_USER_ID} {MARIA}")

    assert "vinculado ao cliente" in text
    assert "ainda não abriu uma conversa com o bot" in text
    assert "os avisos começam quando ele enviar a primeira mensagem ao bot" in text
    code = INVITE_LINK.search(text)
    assert code is not None
    async with store.unit_of_work(writes=False) as uow:
        invite = await uow.invites.find(code_hash(code.group(1)))
    assert invite is not None
    assert (invite.customer_id, invite.used_at) == (MARIA, None)
    assert await active_customer(store) == MARIA


async def test_linking_a_user_the_bot_can_write_to_offers_no_invite(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.set_customer(MARIA, customer_payload())
    await deliver(private_message("/start"))
    bot_api.calls.clear()

    text = await admin_reply(deliver, bot_api, f"/vincular {CUSTOMER_USER_ID} {MARIA}")

    assert "ainda não abriu" not in text
    assert INVITE_LINK.search(text) is None
    assert [entry.action for entry in await audit_log(store)] == ["link"]


async def test_a_user_linked_before_writing_is_told_on_their_first_message_then_reminded(
    deliver: Deliver,
    bot_api: FakeBotApi,
    points_api: FakePointsApi,
    sweep: ReminderSweep,
) -> None:
    points_api.set_customer(MARIA, expiring((5, 80)))
    await admin_reply(deliver, bot_api, f"/vincular {CUSTOMER_USER_ID} {MARIA}")
    before = await sweep.sweep(NOW)

    await deliver(private_message("oi"))
    first_replies = [call.text for call in bot_api.delivered_to(CUSTOMER_USER_ID)]
    after = await sweep.sweep(NOW)

    assert (before.sent, before.waiting) == (0, 1)
    notice, greeting = first_replies
    assert notice.startswith(f"✅ A loja vinculou sua conta ao cadastro <b>{MARIA}</b>.")
    assert greeting.startswith("Olá, Maria! 👋")
    assert (after.sent, after.waiting) == (1, 0)
    assert "80 pontos perto de expirar" in bot_api.delivered_to(CUSTOMER_USER_ID)[-1].text


async def test_the_link_notice_comes_with_the_first_message_only(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi
) -> None:
    points_api.set_customer(MARIA, customer_payload())
    await admin_reply(deliver, bot_api, f"/vincular {CUSTOMER_USER_ID} {MARIA}")

    await deliver(private_message("/saldo"))
    await deliver(private_message("/saldo"))

    notice, first, second = (call.text for call in bot_api.delivered_to(CUSTOMER_USER_ID))
    assert "A loja vinculou sua conta" in notice
    assert "1.234 pontos" in first
    assert "1.234 pontos" in second


async def test_start_as_the_first_message_says_the_link_once(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi
) -> None:
    points_api.set_customer(MARIA, customer_payload())
    await admin_reply(deliver, bot_api, f"/vincular {CUSTOMER_USER_ID} {MARIA}")

    await deliver(private_message("/start"))

    [reply] = bot_api.delivered_to(CUSTOMER_USER_ID)
    assert f"vinculada ao cadastro <b>{MARIA}</b>" in reply.text
