"""Log lines: text or JSON, with the update's context, and no secret or personal data."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bot.core.invites import issue
from bot.db.store import SqlStore
from bot.logs import Redactor, log_context, setup_logging
from tests.fixtures.bonifiq import FakePointsApi, Fault, customer_payload
from tests.fixtures.graph import delivery, text_value
from tests.fixtures.telegram import private_message
from tests.fixtures.web import WEBHOOK_SECRET, WebBot
from tests.fixtures.whatsapp import WhatsAppWeb
from tests.helpers import link
from tests.personas import CUSTOMER_USER_ID, MARIA, MARIA_WA_ID

SECRET = "12345:super-secret-token"
NUMBER, MASKED_NUMBER = "5511988887777", "5511*****7777"

Capture = Callable[..., io.StringIO]


@pytest.fixture
def capture_logs() -> Iterator[Capture]:
    """Return a function that sends the root logger to a string, restored afterwards."""
    root = logging.getLogger()
    saved = (root.level, list(root.handlers), logging.getLogger("telegram").level)

    def capture(log_format: str = "json", level: str = "INFO") -> io.StringIO:
        stream = io.StringIO()
        setup_logging(level, [SECRET, WEBHOOK_SECRET], stream, log_format=log_format)
        return stream

    yield capture
    root.setLevel(saved[0])
    root.handlers[:] = saved[1]
    logging.getLogger("telegram").setLevel(saved[2])


def records(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_format_writes_one_object_per_line(capture_logs: Capture) -> None:
    stream = capture_logs()

    logging.getLogger("bot.test").info("first\nsecond line of the same message")
    logging.getLogger("bot.test").warning("another")

    first, second = records(stream)
    assert first["message"] == "first\nsecond line of the same message"
    assert (first["level"], first["logger"]) == ("INFO", "bot.test")
    assert second["level"] == "WARNING"


def test_json_time_is_iso_8601_with_an_offset(capture_logs: Capture) -> None:
    stream = capture_logs()

    logging.getLogger("bot.test").info("hello")

    [record] = records(stream)
    moment = datetime.fromisoformat(str(record["time"]))
    assert moment.utcoffset() is not None


def test_auto_format_writes_json_when_not_on_a_terminal(capture_logs: Capture) -> None:
    stream = capture_logs(log_format="auto")

    logging.getLogger("bot.test").info("hello")

    assert records(stream)[0]["message"] == "hello"


def test_json_lines_carry_the_context_they_were_logged_in(capture_logs: Capture) -> None:
    stream = capture_logs()

    with log_context(update_id=7, channel="telegram", user_id=1001, command="saldo"):
        logging.getLogger("bot.test").info("inside")
    logging.getLogger("bot.test").info("outside")

    inside, outside = records(stream)
    assert inside["update_id"] == 7
    assert (inside["channel"], inside["user_id"], inside["command"]) == ("telegram", 1001, "saldo")
    assert "update_id" not in outside


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_email_addresses_are_masked_in_both_formats(
    capture_logs: Capture, log_format: str
) -> None:
    stream = capture_logs(log_format)

    logging.getLogger("bot.test").warning("linked %s and joao.silva+vip@exemplo.com.br", MARIA)

    output = stream.getvalue()
    assert "m***@loja.com.br" in output
    assert "j***@exemplo.com.br" in output
    assert "maria@" not in output
    assert "silva" not in output


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_secrets_are_masked_in_both_formats(capture_logs: Capture, log_format: str) -> None:
    stream = capture_logs(log_format)

    logging.getLogger("bot.test").warning("token %s, webhook %s", SECRET, WEBHOOK_SECRET)

    assert SECRET not in stream.getvalue()
    assert WEBHOOK_SECRET not in stream.getvalue()


def test_one_character_secrets_corrupt_no_word() -> None:
    redact = Redactor(["a", "b", "on"])

    text = "Will assume transactional DDL. Application started; aba, bob"

    assert redact(text) == text


def test_a_secret_is_masked_where_it_stands_whole() -> None:
    redact = Redactor(["a", "password", SECRET])

    masked = redact(f"a; key=password (passwords stay) url=https://api/bot{SECRET}/getMe")

    assert masked == "***; key=*** (passwords stay) url=https://api/bot***/getMe"


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_whatsapp_numbers_are_masked_in_both_formats(
    capture_logs: Capture, log_format: str
) -> None:
    stream = capture_logs(log_format)

    logging.getLogger("bot.test").info("User %s linked themselves with an invite", NUMBER)

    assert f"User {MASKED_NUMBER} linked themselves with an invite" in stream.getvalue()
    assert NUMBER not in stream.getvalue()


def test_the_user_id_of_a_whatsapp_context_is_always_masked(capture_logs: Capture) -> None:
    stream = capture_logs()

    for wa_id in (NUMBER, "3541234567"):  # Iceland: 10 digits with the country code
        with log_context(channel="whatsapp", user_id=wa_id):
            logging.getLogger("bot.test").info("Reply to user %s not sent", wa_id)

    long, short = records(stream)
    assert (long["user_id"], long["message"]) == (
        MASKED_NUMBER,
        f"Reply to user {MASKED_NUMBER} not sent",
    )
    assert (short["user_id"], short["message"]) == (
        "********67",
        "Reply to user ********67 not sent",
    )


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_telegram_ids_update_ids_and_group_chats_are_not_masked(
    capture_logs: Capture, log_format: str
) -> None:
    stream = capture_logs(log_format)
    line = "Update 912345678 of user 5000000001 in chat -1001234567890 at 2026-12-05"

    with log_context(update_id=912345678, channel="telegram", user_id=5000000001):
        logging.getLogger("bot.test").info(line)

    assert line in stream.getvalue()
    if log_format == "json":
        assert records(stream)[0]["user_id"] == 5000000001


def test_a_traceback_is_kept_masked_inside_the_json_object(capture_logs: Capture) -> None:
    stream = capture_logs()

    try:
        raise RuntimeError(f"request to https://api/bot{SECRET}/getMe for {MARIA} failed")
    except RuntimeError:
        logging.getLogger("bot.test").exception("it broke")

    [record] = records(stream)
    assert "Traceback (most recent call last)" in str(record["exception"])
    assert "RuntimeError" in str(record["exception"])
    assert SECRET not in stream.getvalue()
    assert MARIA not in stream.getvalue()


async def test_a_failing_saldo_is_logged_with_its_update_user_and_command(
    capture_logs: Capture, web_bot: WebBot, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.script(MARIA, [Fault.http(503)] * 3)
    await link(store, MARIA)
    stream = capture_logs()
    update = private_message("/saldo")

    await web_bot.deliver(update)

    warnings = [record for record in records(stream) if record["logger"] == "bot.bonifiq.client"]
    assert warnings
    for record in warnings:
        assert record["update_id"] == update["update_id"]
        assert (record["channel"], record["user_id"]) == ("telegram", CUSTOMER_USER_ID)
        assert record["command"] == "saldo"


async def test_a_failing_whatsapp_saldo_is_logged_with_its_message_id_and_command(
    capture_logs: Capture, wa_web: WhatsAppWeb, points_api: FakePointsApi, wa_maria: str
) -> None:
    points_api.script(MARIA, [Fault.http(503)] * 3)
    stream = capture_logs()

    await wa_web.deliver(delivery(text_value("Saldo", message_id="wamid.HBgLNTUxMTk4")))

    warnings = [record for record in records(stream) if record["logger"] == "bot.bonifiq.client"]
    assert warnings
    for record in warnings:
        assert record["update_id"] == "wamid.HBgLNTUxMTk4"
        assert (record["channel"], record["command"]) == ("whatsapp", "saldo")
        assert "user_id" in record


async def test_a_saldo_at_debug_level_logs_no_balance_cashback_or_e_mail(
    capture_logs: Capture, web_bot: WebBot, points_api: FakePointsApi, store: SqlStore
) -> None:
    points_api.set_customer(
        MARIA, customer_payload(PointsBalance=98765, CashbackBalance=Decimal("4321.99"))
    )
    await link(store, MARIA)
    stream = capture_logs(level="DEBUG")

    await web_bot.deliver(private_message("/saldo"))

    logging.getLogger("bot.test").debug("capture was on")
    output = stream.getvalue()
    assert "capture was on" in output
    for figure in ("98765", "98.765", "4321", "4.321"):
        assert figure not in output
    assert MARIA not in output


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_a_whatsapp_user_is_logged_masked_and_no_metric_names_them(
    capture_logs: Capture,
    wa_web: WhatsAppWeb,
    points_api: FakePointsApi,
    store: SqlStore,
    log_format: str,
) -> None:
    points_api.set_customer(MARIA, customer_payload())
    invite = await issue(
        store,
        MARIA,
        channel="cli",
        via="cli",
        issued_by=None,
        now=datetime.now(UTC),
        ttl=timedelta(days=7),
    )
    stream = capture_logs(log_format)

    await wa_web.deliver(delivery(text_value(invite.code), text_value("saldo")))

    output = stream.getvalue()
    masked = "5511*****4321"
    assert f"User {masked} linked themselves with an invite" in output
    assert MARIA_WA_ID not in output
    if log_format == "json":
        users = {record["user_id"] for record in records(stream) if "user_id" in record}
        assert users == {masked}
    metrics = await (await wa_web.client.get("/metrics")).text()
    assert "bot_updates_total" in metrics
    assert MARIA_WA_ID not in metrics
