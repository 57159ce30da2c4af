"""One canonical form of a customer id, whatever way staff, scripts or systems typed it."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.cli import issue_invite
from bot.core.customer_ids import canonical_customer_id
from bot.db.store import SqlStore
from bot.db.tables import metadata
from tests.fixtures.app import Deliver
from tests.fixtures.bonifiq import FakePointsApi, customer_payload
from tests.fixtures.telegram import FakeBotApi, private_message
from tests.helpers import link, replies_to
from tests.personas import ADMIN_USER_ID, CUSTOMER_USER_ID, MARIA
from tests.test_invites import cli_settings


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("  Maria@Loja.COM.br ", MARIA),
        ("123.456.789-09", "12345678909"),
        ("123456789-09", "12345678909"),
        ("12345678909", "12345678909"),
        ("12.345.678/0001-95", "12345678000195"),
        ("12345678/0001-95", "12345678000195"),
        ("LOJA-42", "LOJA-42"),
        ("123.456.789", "123.456.789"),
        ("loja/filial 2?x#1 joão", "loja/filial 2?x#1 joão"),
    ],
    ids=[
        "e-mail",
        "cpf",
        "cpf-partly-punctuated",
        "cpf-digits",
        "cnpj",
        "cnpj-partly-punctuated",
        "store-id",
        "not-a-document",
        "anything-else",
    ],
)
def test_a_customer_id_has_one_canonical_form(typed: str, canonical: str) -> None:
    assert canonical_customer_id(typed) == canonical


async def stored_customer_ids(engine: AsyncEngine, table: str) -> list[str]:
    """The customer ids of every row of `table`, oldest row first."""
    rows = metadata.tables[table]
    async with engine.connect() as connection:
        found = await connection.scalars(select(rows.c.customer_id).order_by(rows.c.id))
        return list(found)


async def test_vincular_stores_the_canonical_id(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, engine: AsyncEngine
) -> None:
    points_api.set_customer(MARIA, customer_payload())

    await deliver(
        private_message(f"/vincular {CUSTOMER_USER_ID}  MARIA@Loja.com.BR ", ADMIN_USER_ID)
    )

    assert await stored_customer_ids(engine, "links") == [MARIA]
    # The link, and the invite offered because the user never wrote to the bot.
    assert set(await stored_customer_ids(engine, "admin_audit")) == {MARIA}
    assert await stored_customer_ids(engine, "invites") == [MARIA]
    assert points_api.requests_for(MARIA)


async def test_vincular_to_the_same_customer_in_another_case_changes_nothing(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.set_customer(MARIA, customer_payload())
    await link(store, MARIA)

    [text] = await replies_to(
        deliver,
        bot_api,
        private_message(f"/vincular {CUSTOMER_USER_ID} Maria@Loja.com.br", ADMIN_USER_ID),
    )

    assert "já está vinculado" in text


async def test_convite_stores_the_canonical_id(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, engine: AsyncEngine
) -> None:
    points_api.set_customer("12345678909", customer_payload())

    await deliver(private_message("/convite 123.456.789-09", ADMIN_USER_ID))

    assert await stored_customer_ids(engine, "invites") == ["12345678909"]
    assert await stored_customer_ids(engine, "admin_audit") == ["12345678909"]


async def test_the_invite_command_stores_the_canonical_id(
    database_url: str,
    bot_api: FakeBotApi,
    points_api: FakePointsApi,
    engine: AsyncEngine,
    capsys: pytest.CaptureFixture[str],
) -> None:
    points_api.set_customer(MARIA, customer_payload())
    settings = cli_settings(database_url, bot_api, points_api)

    code = await issue_invite(settings, "MARIA@LOJA.COM.BR", check=True)

    assert code == 0
    assert await stored_customer_ids(engine, "invites") == [MARIA]
    assert points_api.requests_for(MARIA)
