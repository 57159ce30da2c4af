"""Telegram updates the handlers cannot rely on: skipped and counted where they enter, or
cleaned (names with characters no database stores) and answered as usual; and a failure's
log line names the sender only by an id that is one."""

from __future__ import annotations

import copy
import functools
import io
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bonifiq.client import BonifiqClient
from bot.channels.observed import ObservedApplication
from bot.channels.telegram import BotApplication
from bot.cli import run_polling
from bot.config import load_settings
from bot.core.conversation import Conversation
from bot.core.messages import Incoming
from bot.core.models import UserProfile
from bot.db.engine import create_engine, create_session_factory
from bot.db.store import SqlStore
from bot.logs import setup_logging
from bot.metrics import SKIP_REASONS
from tests.fixtures.app import NOW
from tests.fixtures.bonifiq import TEST_TIMEZONE, FakePointsApi
from tests.fixtures.database import table_snapshot
from tests.fixtures.telegram import FakeBotApi, button_press, private_message
from tests.fixtures.web import WebBot
from tests.helpers import run_until_sent
from tests.personas import CUSTOMER_USER_ID

Update = dict[str, Any]


def _with(update: Update, path: str, value: Any) -> Update:
    """Return a copy of `update` with the field at dotted `path` set to `value`."""
    changed = copy.deepcopy(update)
    *parents, name = path.split(".")
    target = changed
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    target[name] = value
    return changed


def _text_is_a_number() -> Update:
    update = private_message("/saldo")
    update["message"]["text"] = 5
    del update["message"]["entities"]
    return update


ODD_UPDATES: dict[str, tuple[Callable[[], Update], str]] = {
    "text is a number": (_text_is_a_number, "text"),
    "chat id is a list": (
        lambda: _with(private_message("/saldo"), "message.chat.id", [None]),
        "ids",
    ),
    "chat id is a string": (
        lambda: _with(private_message("/saldo"), "message.chat.id", "1001"),
        "ids",
    ),
    "sender id is a string": (
        lambda: _with(private_message("/saldo"), "message.from.id", "abc 5511988887777"),
        "ids",
    ),
    "sender id is a boolean": (
        lambda: _with(private_message("/saldo"), "message.from.id", True),
        "ids",
    ),
    "sender id is out of range": (
        lambda: _with(private_message("/saldo"), "message.from.id", 10**30),
        "ids",
    ),
    "first name is a number": (
        lambda: _with(private_message("/saldo"), "message.from.first_name", 1),
        "user",
    ),
    "first name is an object": (
        lambda: _with(private_message("/saldo"), "message.from.first_name", {"a": 1}),
        "user",
    ),
    "username is a list": (
        lambda: _with(private_message("/saldo"), "message.from.username", ["maria"]),
        "user",
    ),
    "entity length is a float": (
        lambda: _with(private_message("/saldo"), "message.entities.0.length", 6.5),
        "entities",
    ),
    "entity offset is a string": (
        lambda: _with(private_message("/saldo"), "message.entities.0.offset", "0"),
        "entities",
    ),
    "button data is a number": (
        lambda: _with(button_press("saldo"), "callback_query.data", 5),
        "button",
    ),
    "button presser id is a list": (
        lambda: _with(button_press("saldo"), "callback_query.from.id", [1]),
        "ids",
    ),
}


def skipped(application: BotApplication, reason: str) -> float:
    """Return how many updates were skipped for `reason`."""
    assert isinstance(application, ObservedApplication)
    value = application.metrics.registry.get_sample_value(
        "bot_updates_skipped_total", {"channel": "telegram", "reason": reason}
    )
    return value or 0.0


@pytest.mark.parametrize("odd", ODD_UPDATES)
async def test_an_update_the_handlers_cannot_rely_on_is_skipped_and_counted(
    web_bot: WebBot, bot_api: FakeBotApi, caplog: pytest.LogCaptureFixture, odd: str
) -> None:
    make, reason = ODD_UPDATES[odd]

    with caplog.at_level(logging.INFO):
        await web_bot.deliver(make())

    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert skipped(web_bot.application, reason) == 1
    assert bot_api.sent_messages() == []


@pytest.mark.parametrize("odd", ODD_UPDATES)
async def test_a_skipped_update_is_logged_once_as_a_warning_without_its_content(
    web_bot: WebBot, caplog: pytest.LogCaptureFixture, odd: str
) -> None:
    update = ODD_UPDATES[odd][0]()

    with caplog.at_level(logging.INFO):
        await web_bot.deliver(update)

    [warning] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert warning.levelno == logging.WARNING
    assert warning.exc_info is None
    line = warning.getMessage()
    assert str(update["update_id"]) in line
    for content in ("abc", "5511988887777", "{", "[", "6.5"):
        assert content not in line


async def test_an_odd_update_does_not_hold_up_the_next_one(
    web_bot: WebBot, bot_api: FakeBotApi
) -> None:
    await web_bot.deliver(_text_is_a_number())
    await web_bot.deliver(private_message("/ajuda"))

    [reply] = bot_api.sent_messages()
    assert "/saldo" in reply.text


async def test_odd_updates_are_skipped_when_polling_too(
    bot_api: FakeBotApi,
    points_api: FakePointsApi,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(
        telegram_bot_token=bot_api.token,
        telegram_api_base_url=bot_api.base_url,
        bonifiq_base_url=points_api.base_url,
        bonifiq_api_token=points_api.api_token,
        bonifiq_api_key=points_api.api_key,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
    )
    logs = io.StringIO()
    root = logging.getLogger()
    saved = (root.level, list(root.handlers))
    setup_logging("INFO", settings.secrets(), stream=logs)
    for make, _reason in ODD_UPDATES.values():
        await bot_api.updates.put(make())
    await bot_api.updates.put(private_message("/ajuda"))
    try:
        await run_until_sent(functools.partial(run_polling, settings), bot_api, 1)
    finally:
        root.setLevel(saved[0])
        root.handlers[:] = saved[1]

    [reply] = bot_api.sent_messages()
    assert reply.chat_id == CUSTOMER_USER_ID
    output = logs.getvalue()
    assert "ERROR" not in output
    assert "Traceback" not in output
    assert output.count("skipped") == len(ODD_UPDATES)


@pytest.mark.parametrize(
    ("name", "stored"),
    [
        ("Ma\x00ria", "Maria"),
        ("Maria \ud83d", "Maria \ufffd"),
        ("\udc00Maria\x00", "\ufffdMaria"),
    ],
)
async def test_a_name_no_database_can_store_is_cleaned_and_the_user_answered(
    web_bot: WebBot,
    bot_api: FakeBotApi,
    store: SqlStore,
    maria: str,
    caplog: pytest.LogCaptureFixture,
    name: str,
    stored: str,
) -> None:
    update = private_message("/start", first_name=name)
    update["message"]["from"]["last_name"] = name
    update["message"]["from"]["username"] = name

    with caplog.at_level(logging.INFO):
        await web_bot.deliver(update)

    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    [reply] = bot_api.delivered_to(CUSTOMER_USER_ID)
    assert f"Olá, {stored}!" in reply.text
    async with store.unit_of_work(writes=False) as uow:
        user = await uow.users.get("telegram", str(CUSTOMER_USER_ID))
    assert user is not None
    assert (user.first_name, user.last_name, user.username) == (stored, stored, stored)


async def test_a_cleaned_name_is_not_written_again_on_every_message(
    web_bot: WebBot, bot_api: FakeBotApi, engine: AsyncEngine
) -> None:
    await web_bot.deliver(private_message("/start", first_name="Ma\x00ria"))
    before = await table_snapshot(engine)

    await web_bot.deliver(private_message("/ajuda", first_name="Ma\x00ria"))

    assert await table_snapshot(engine) == before
    assert len(bot_api.delivered_to(CUSTOMER_USER_ID)) == 2


async def test_skipped_updates_are_exported_as_zero_before_any_is_skipped(
    web_bot: WebBot,
) -> None:
    response = await web_bot.metrics()
    text = await response.text()

    for reason in SKIP_REASONS:
        assert f'bot_updates_skipped_total{{channel="telegram",reason="{reason}"}} 0.0' in text


@pytest.fixture
async def conversation_without_tables(
    empty_database_url: str, points_client: BonifiqClient
) -> AsyncIterator[Conversation]:
    """A conversation whose database has no tables: every message fails to be answered."""
    engine = create_engine(empty_database_url)
    try:
        yield Conversation(
            store=SqlStore(create_session_factory(engine)),
            points=points_client,
            timezone=TEST_TIMEZONE,
        )
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    "user_id",
    ["abc 5511988887777 <b>", "1001\n2002", "-1001", "\uff11\uff10\uff10\uff11", "1" * 33, ""],
)
async def test_a_failure_to_answer_does_not_quote_an_id_that_is_not_one(
    conversation_without_tables: Conversation, caplog: pytest.LogCaptureFixture, user_id: str
) -> None:
    incoming = Incoming(UserProfile("telegram", user_id, "Maria"), user_id, True, "/ajuda")

    with caplog.at_level(logging.ERROR):
        await conversation_without_tables.handle(incoming, NOW)

    [record] = caplog.records
    line = record.getMessage()
    assert line.startswith("Failed to answer telegram user (invalid id): ")
    if user_id:
        assert user_id not in line


@pytest.mark.parametrize(
    ("channel", "user_id"), [("telegram", "1001"), ("whatsapp", "5511988887777")]
)
async def test_a_failure_to_answer_names_a_valid_id(
    conversation_without_tables: Conversation,
    caplog: pytest.LogCaptureFixture,
    channel: str,
    user_id: str,
) -> None:
    incoming = Incoming(UserProfile(channel, user_id, "Maria"), user_id, True, "/ajuda")

    with caplog.at_level(logging.ERROR):
        await conversation_without_tables.handle(incoming, NOW)

    [record] = caplog.records
    assert record.getMessage().startswith(f"Failed to answer {channel} user {user_id}: ")
