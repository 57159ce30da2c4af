"""/extrato: the newest transactions, what each was, and how many more there are."""

from __future__ import annotations

from decimal import Decimal

from bot.db.store import SqlStore
from tests.fixtures.app import Deliver
from tests.fixtures.bonifiq import FakePointsApi, customer_payload, transaction_payload
from tests.fixtures.telegram import FakeBotApi, group_message, private_message
from tests.helpers import link
from tests.personas import CUSTOMER_USER_ID, MARIA


async def extrato(deliver: Deliver, bot_api: FakeBotApi, text: str = "/extrato") -> str:
    await deliver(private_message(text))
    [reply] = bot_api.sent_messages(CUSTOMER_USER_ID)
    return reply.text


def day(n: int) -> str:
    return f"2026-11-{n:02d}T12:00:00-03:00"


async def test_extrato_shows_date_signed_amount_type_branch_origin_and_cashback(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.set_customer(MARIA, customer_payload())
    await link(store, MARIA)

    text = await extrato(deliver, bot_api)

    assert "20/11/2026 · <b>+120 pontos</b> · Compra · Loja Centro · PDV · cashback R$ 2,40" in (
        text
    )


async def test_extrato_shows_redemptions_as_negative(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    redemption = transaction_payload(
        Amount=-300,
        PointTypeDescription="Resgate",
        CashbackAmount=None,
        BranchName=None,
        OrderOrigin=None,
        OrderOriginDescription=None,
    )
    points_api.set_customer(MARIA, customer_payload(PointHistory=[redemption]))
    await link(store, MARIA)

    text = await extrato(deliver, bot_api)

    assert "<b>-300 pontos</b> · Resgate" in text


async def test_extrato_marks_canceled_transactions(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    canceled = transaction_payload(IsCanceled=True, Amount=50, PointTypeDescription="Cadastro")
    points_api.set_customer(MARIA, customer_payload(PointHistory=[canceled]))
    await link(store, MARIA)

    text = await extrato(deliver, bot_api)

    assert "<s>+50 pontos</s>" in text
    assert "cancelada" in text


async def test_extrato_names_the_order_origin_when_the_api_gives_no_description(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    item = transaction_payload(OrderOrigin=4, OrderOriginDescription=None)
    points_api.set_customer(MARIA, customer_payload(PointHistory=[item]))
    await link(store, MARIA)

    text = await extrato(deliver, bot_api)

    assert "Integração offline" in text


async def test_extrato_shows_the_ten_newest_first_and_counts_the_rest(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    history = [transaction_payload(Id=n, DateReceived=day(n), Amount=n) for n in range(1, 15)]
    points_api.set_customer(MARIA, customer_payload(PointHistory=history))
    await link(store, MARIA)

    text = await extrato(deliver, bot_api)

    assert text.index("14/11/2026") < text.index("13/11/2026") < text.index("05/11/2026")
    assert "04/11/2026" not in text
    assert "mais 4 movimentações anteriores" in text


async def test_extrato_for_an_empty_history_says_so(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.set_customer(MARIA, customer_payload(PointHistory=[]))
    await link(store, MARIA)

    text = await extrato(deliver, bot_api)

    assert "Ainda não há movimentações" in text


async def test_history_is_the_english_alias_of_extrato(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.set_customer(MARIA, customer_payload(CashbackBalance=Decimal(0)))
    await link(store, MARIA)

    text = await extrato(deliver, bot_api, "/history")

    assert "Extrato de Maria Silva" in text


async def test_extrato_in_a_group_shows_no_figures(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.set_customer(MARIA, customer_payload())
    await link(store, MARIA)

    await deliver(group_message("/extrato"))

    [reply] = bot_api.sent_messages()
    assert "pontos" not in reply.text
    assert reply.buttons()[0]["url"].endswith("?start=extrato")
