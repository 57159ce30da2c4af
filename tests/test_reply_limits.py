"""Every reply fits what Telegram accepts, and one refused reply silences nothing else."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest

from bot.db.store import SqlStore
from tests.fixtures.app import NOW, Deliver
from tests.fixtures.bonifiq import (
    TEST_TIMEZONE,
    FakePointsApi,
    Fault,
    customer_payload,
    expiration_payload,
    transaction_payload,
)
from tests.fixtures.telegram import (
    MAX_TEXT_LENGTH,
    FakeBotApi,
    as_admin,
    private_message,
    telegram_html_text,
    utf16_length,
)
from tests.helpers import link
from tests.personas import ADMIN_USER_ID, CUSTOMER_USER_ID, MARIA

LONG_NAME = "Maria " + "da Silva " * 555  # 5,001 characters, as a misconfigured store sends


def shown(text: str) -> str:
    """What the user reads of an HTML reply."""
    return telegram_html_text(text)


def daily_expirations(count: int) -> list[dict[str, object]]:
    """`count` expirations of 10 points each, one a day from tomorrow on."""
    start = NOW.astimezone(TEST_TIMEZONE) + timedelta(days=1)
    return [expiration_payload(10, start + timedelta(days=day)) for day in range(count)]


async def reply_to(deliver: Deliver, bot_api: FakeBotApi, text: str, user_id: int) -> str:
    await deliver(private_message(text, user_id=user_id))
    [reply] = bot_api.delivered_to(user_id)
    return reply.text


async def test_saldo_of_a_frequent_buyer_with_300_expirations_arrives_within_the_limit(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.set_customer(MARIA, customer_payload(PointsToExpire=daily_expirations(300)))
    await link(store, MARIA)

    text = shown(await reply_to(deliver, bot_api, "/saldo", CUSTOMER_USER_ID))

    assert utf16_length(text) <= MAX_TEXT_LENGTH
    assert "10 pontos em 27/11/2026 (amanhã)" in text  # the soonest first
    assert "… e mais 290 vencimentos (2.900 pontos)" in text


async def test_a_5000_character_name_is_shortened_in_saldo_and_extrato(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.set_customer(MARIA, customer_payload(Name=LONG_NAME))
    await link(store, MARIA)

    await deliver(private_message("/saldo"))
    await deliver(private_message("/extrato"))

    balance, history = (shown(call.text) for call in bot_api.delivered_to(CUSTOMER_USER_ID))
    for text in (balance, history):
        assert "Maria da Silva" in text
        assert "…" in text.splitlines()[0]
        assert len(text.splitlines()[0]) < 100
    assert "1.234 pontos" in balance


async def test_linking_a_customer_with_a_5000_character_name_is_confirmed_and_notified(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.set_customer(MARIA, customer_payload(Name=LONG_NAME))
    await deliver(private_message("/start"))  # the bot now has the user's chat

    await deliver(as_admin(f"/vincular {CUSTOMER_USER_ID} {MARIA}"))

    [confirmation] = bot_api.delivered_to(ADMIN_USER_ID)
    assert "vinculado" in confirmation.text
    assert len(shown(confirmation.text)) < 300
    assert "vinculou sua conta" in bot_api.delivered_to(CUSTOMER_USER_ID)[-1].text


async def test_a_4050_character_admin_argument_is_echoed_shortened(
    deliver: Deliver, bot_api: FakeBotApi
) -> None:
    await deliver(as_admin("/cliente " + "9x" * 2025))

    [reply] = bot_api.delivered_to(ADMIN_USER_ID)
    assert "não é um número de usuário" in reply.text
    assert "9x9x9…</b>" in reply.text
    assert len(shown(reply.text)) < 300


async def test_a_name_cut_in_the_middle_of_an_emoji_still_shows_the_balance(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    # A .NET encoder cut "Zé 😀" after the emoji's first UTF-16 unit.
    payload = customer_payload(Name="Zé \ud83d")
    points_api.script(MARIA, [Fault.http(200, json.dumps(payload, default=str))] * 2)
    await link(store, MARIA)

    await deliver(private_message("/saldo"))
    await deliver(private_message("/extrato"))

    balance, history = bot_api.delivered_to(CUSTOMER_USER_ID)
    assert "Zé \ufffd" in balance.text
    assert "1.234 pontos" in balance.text
    assert "Zé \ufffd" in history.text


async def test_a_broken_name_does_not_silence_the_admin_or_the_user_being_linked(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    payload = customer_payload(Name="Zé \ud83d")
    points_api.script(MARIA, [Fault.http(200, json.dumps(payload, default=str))])
    await deliver(private_message("/start"))

    await deliver(as_admin(f"/vincular {CUSTOMER_USER_ID} {MARIA}"))

    [confirmation] = bot_api.delivered_to(ADMIN_USER_ID)
    assert "Zé \ufffd" in confirmation.text
    assert "vinculou sua conta" in bot_api.delivered_to(CUSTOMER_USER_ID)[-1].text


async def test_long_history_descriptions_are_shortened(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    long = "Loja " + "Centro " * 700
    history = [
        transaction_payload(Id=n, BranchName=long, PointTypeDescription=long) for n in range(10)
    ]
    points_api.set_customer(MARIA, customer_payload(PointHistory=history))
    await link(store, MARIA)

    text = shown(await reply_to(deliver, bot_api, "/extrato", CUSTOMER_USER_ID))

    assert utf16_length(text) <= MAX_TEXT_LENGTH
    assert len(text.splitlines()) == 11  # the title and all ten items


async def test_when_the_admin_confirmation_is_refused_the_user_is_still_told(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.set_customer(MARIA, customer_payload())
    await deliver(private_message("/start"))
    bot_api.failing_chats.add(ADMIN_USER_ID)

    await deliver(as_admin(f"/vincular {CUSTOMER_USER_ID} {MARIA}"))

    assert "vinculou sua conta" in bot_api.delivered_to(CUSTOMER_USER_ID)[-1].text


async def test_a_refused_reply_is_replaced_by_a_plain_apology(
    deliver: Deliver, bot_api: FakeBotApi, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.set_customer(MARIA, customer_payload())
    await link(store, MARIA)
    bot_api.refuse_formatted.add(CUSTOMER_USER_ID)

    await deliver(private_message("/saldo"))

    [apology] = bot_api.delivered_to(CUSTOMER_USER_ID)
    assert "Não consegui enviar esta resposta" in apology.text
    assert "parse_mode" not in apology.params


async def test_a_refused_reply_is_logged_without_its_text(
    deliver: Deliver,
    bot_api: FakeBotApi,
    points_api: FakePointsApi,
    store: SqlStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    points_api.set_customer(MARIA, customer_payload())
    await link(store, MARIA)
    bot_api.refuse_formatted.add(CUSTOMER_USER_ID)

    with caplog.at_level(logging.INFO):
        await deliver(private_message("/saldo"))

    assert "not sent" in caplog.text
    for personal in ("Maria", "1.234", "12,34", MARIA):
        assert personal not in caplog.text
