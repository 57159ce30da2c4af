"""/saldo: points, cashback and expirations, and every way fetching them can fail."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.store import SqlStore
from tests.fixtures.app import Deliver
from tests.fixtures.bonifiq import FakePointsApi, Fault, customer_payload, expiration_payload
from tests.fixtures.database import table_snapshot
from tests.fixtures.telegram import FakeBotApi, group_message, private_message
from tests.helpers import link
from tests.personas import CUSTOMER_USER_ID, MARIA


async def saldo(deliver: Deliver, bot_api: FakeBotApi, text: str = "/saldo") -> str:
    await deliver(private_message(text))
    [reply] = bot_api.sent_messages(CUSTOMER_USER_ID)
    return reply.text


async def test_saldo_shows_name_points_and_cashback_in_pt_br(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.set_customer(MARIA, customer_payload(PointsBalance=1234))
    await link(store, MARIA)

    text = await saldo(deliver, bot_api)

    assert "Maria Silva" in text
    assert "1.234 pontos" in text
    assert "R$ 12,34" in text


async def test_saldo_lists_upcoming_expirations_soonest_first_with_dates(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.set_customer(MARIA, customer_payload())  # 150 on 10/01/2027, 80 on 15/12/2026
    await link(store, MARIA)

    text = await saldo(deliver, bot_api)

    assert "80 pontos em 15/12/2026 (em 19 dias)" in text
    assert "150 pontos em 10/01/2027" in text
    assert text.index("15/12/2026") < text.index("10/01/2027")


async def test_saldo_skips_past_and_zero_expirations_but_keeps_today(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.set_customer(
        MARIA,
        customer_payload(
            PointsToExpire=[
                expiration_payload(11, "2026-11-25T23:59:59-03:00"),  # yesterday
                expiration_payload(0, "2026-12-01T00:00:00-03:00"),
                expiration_payload(33, "2026-11-26T23:59:59"),  # today, no offset
            ]
        ),
    )
    await link(store, MARIA)

    text = await saldo(deliver, bot_api)

    assert "33 pontos em 26/11/2026 (hoje)" in text
    assert "25/11/2026" not in text
    assert "01/12/2026" not in text


async def test_saldo_shows_dates_in_the_bot_timezone(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    # 02:00 UTC on 16/12 is still 15/12 in São Paulo.
    points_api.set_customer(
        MARIA, customer_payload(PointsToExpire=[expiration_payload(5, "2026-12-16T02:00:00Z")])
    )
    await link(store, MARIA)

    text = await saldo(deliver, bot_api)

    assert "5 pontos em 15/12/2026" in text


async def test_saldo_says_when_nothing_expires(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.set_customer(MARIA, customer_payload(PointsToExpire=[]))
    await link(store, MARIA)

    text = await saldo(deliver, bot_api)

    assert "Nenhum ponto a expirar" in text


async def test_saldo_omits_cashback_when_it_is_zero(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.set_customer(MARIA, customer_payload(CashbackBalance=Decimal(0)))
    await link(store, MARIA)

    text = await saldo(deliver, bot_api)

    assert "Cashback" not in text
    assert "R$" not in text


async def test_saldo_shows_large_cashback_with_thousands_separator(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.set_customer(MARIA, customer_payload(CashbackBalance=Decimal("1234.5")))
    await link(store, MARIA)

    text = await saldo(deliver, bot_api)

    assert "R$ 1.234,50" in text


async def test_balance_is_the_english_alias_of_saldo(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.set_customer(MARIA, customer_payload())
    await link(store, MARIA)

    text = await saldo(deliver, bot_api, "/balance")

    assert "1.234 pontos" in text


async def test_saldo_offers_balance_and_history_buttons(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.set_customer(MARIA, customer_payload())
    await link(store, MARIA)

    await deliver(private_message("/saldo"))

    [reply] = bot_api.sent_messages()
    assert [b["callback_data"] for b in reply.buttons()] == ["saldo", "extrato"]
    assert reply.params["parse_mode"] == "HTML"


async def test_customer_name_is_escaped_in_html(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.set_customer(MARIA, customer_payload(Name="Ana <b>&</b> Cia"))
    await link(store, MARIA)

    text = await saldo(deliver, bot_api)

    assert "Ana &lt;b&gt;&amp;&lt;/b&gt; Cia" in text


async def test_saldo_for_unlinked_user_explains_how_to_link(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi
) -> None:
    text = await saldo(deliver, bot_api)

    assert "não está vinculada" in text
    assert points_api.requests == []


async def test_saldo_for_customer_the_store_does_not_have_says_so(
    deliver: Deliver, bot_api: FakeBotApi, store: SqlStore, engine: AsyncEngine
) -> None:
    await link(store, "ninguem@loja.com.br")
    before = await table_snapshot(engine)

    text = await saldo(deliver, bot_api)

    assert "Não encontramos o cadastro" in text
    assert "0 pontos" not in text
    after = await table_snapshot(engine)
    assert after["links"] == before["links"]


async def test_saldo_when_the_api_keeps_failing_says_service_is_unavailable(
    deliver: Deliver,
    bot_api: FakeBotApi,
    points_api: FakePointsApi,
    store: SqlStore,
    engine: AsyncEngine,
) -> None:
    points_api.set_customer(MARIA, customer_payload())
    points_api.script(MARIA, [Fault.http(500)] * 3)
    await link(store, MARIA)
    await deliver(private_message("/start"))  # the user is known: only the answer changes
    bot_api.calls.clear()
    before = await table_snapshot(engine)

    text = await saldo(deliver, bot_api)

    assert "indisponível" in text
    assert "pontos:" not in text.lower()
    after = await table_snapshot(engine)
    assert after["links"] == before["links"]
    assert after["admin_audit"] == before["admin_audit"]


async def test_saldo_recovers_from_one_500_by_retrying(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.set_customer(MARIA, customer_payload())
    points_api.script(MARIA, [Fault.http(500)])
    await link(store, MARIA)

    text = await saldo(deliver, bot_api)

    assert "1.234 pontos" in text


async def test_saldo_when_rate_limited_waits_and_answers(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.set_customer(MARIA, customer_payload())
    points_api.script(MARIA, [Fault.retry_after("0")])
    await link(store, MARIA)

    text = await saldo(deliver, bot_api)

    assert "1.234 pontos" in text


async def test_saldo_when_the_api_answers_garbage_says_the_answer_was_unexpected(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.script(MARIA, [Fault.malformed_json()])
    await link(store, MARIA)

    text = await saldo(deliver, bot_api)

    assert "inesperado" in text


async def test_saldo_when_the_api_answers_an_error_envelope_is_not_a_zero_balance(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.script(MARIA, [Fault.error_envelope("Store is disabled")])
    await link(store, MARIA)

    text = await saldo(deliver, bot_api)

    assert "inesperado" in text
    assert "0 pontos" not in text


async def test_saldo_when_credentials_are_refused_tells_user_service_is_unavailable(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.script(MARIA, [Fault.http(401)])
    await link(store, MARIA)

    text = await saldo(deliver, bot_api)

    assert "indisponível" in text
    assert "401" not in text


async def test_saldo_answers_within_the_deadline_when_the_api_hangs(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.script(MARIA, [Fault.slow(30)] * 10)
    await link(store, MARIA)
    loop = asyncio.get_running_loop()
    started = loop.time()

    text = await saldo(deliver, bot_api)

    assert "indisponível" in text
    assert loop.time() - started < 3.5  # the conversation fixture's deadline is 3 s


async def test_saldo_in_a_group_shows_no_figures_and_offers_the_private_chat(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.set_customer(MARIA, customer_payload())
    await link(store, MARIA)

    await deliver(group_message("/saldo"))

    [reply] = bot_api.sent_messages()
    assert "conversa privada" in reply.text
    assert "pontos" not in reply.text
    assert reply.buttons()[0]["url"] == "https://t.me/loja_pontos_bot?start=saldo"
    assert points_api.requests == []


async def test_private_chat_link_from_a_group_shows_the_balance(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.set_customer(MARIA, customer_payload())
    await link(store, MARIA)

    text = await saldo(deliver, bot_api, "/start saldo")

    assert "1.234 pontos" in text
