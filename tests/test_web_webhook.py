"""The Telegram webhook: who may post, what is accepted, and that replies still go out."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator

import pytest

from bot.web.telegram import MAX_BODY_BYTES, register_webhook, webhook_path, webhook_url
from tests.fixtures.bonifiq import FakePointsApi, Fault
from tests.fixtures.database import row_counts
from tests.fixtures.telegram import FakeBotApi, private_message
from tests.fixtures.web import PUBLIC_URL, WEBHOOK_SECRET, WebBot
from tests.helpers import GZIP_THAT_DOES_NOT_INFLATE, errors_logged
from tests.personas import MARIA


async def test_an_update_posted_to_the_webhook_is_answered_through_python_telegram_bot(
    web_bot: WebBot, bot_api: FakeBotApi, maria: str
) -> None:

    response = await web_bot.post(private_message("/saldo"))
    await web_bot.settle()

    assert response.status == 200
    [reply] = bot_api.delivered
    assert "1.234 pontos" in reply.text


async def test_the_webhook_answers_before_the_points_api_does_and_the_reply_follows(
    web_bot: WebBot, bot_api: FakeBotApi, points_api: FakePointsApi, maria: str
) -> None:
    points_api.script(MARIA, [Fault.slow(0.4)])

    response = await web_bot.post(private_message("/saldo"))
    sent_when_answered = len(bot_api.sent_messages())
    await web_bot.settle()

    assert response.status == 200
    assert sent_when_answered == 0
    assert "1.234 pontos" in bot_api.sent_messages()[-1].text


async def test_webhook_with_wrong_secret_gets_403_and_nothing_is_processed(
    web_bot: WebBot, bot_api: FakeBotApi
) -> None:
    response = await web_bot.post(private_message("/start"), secret="not-the-secret")
    await web_bot.settle()

    assert response.status == 403
    assert bot_api.sent_messages() == []
    assert (await row_counts(web_bot.services.engine))["chat_users"] == 0


async def test_webhook_without_the_secret_header_gets_403_and_nothing_is_processed(
    web_bot: WebBot, bot_api: FakeBotApi
) -> None:
    response = await web_bot.post(private_message("/start"), secret=None)
    await web_bot.settle()

    assert response.status == 403
    assert bot_api.sent_messages() == []


async def test_a_post_to_any_other_path_gets_404(web_bot: WebBot, bot_api: FakeBotApi) -> None:
    response = await web_bot.post(private_message("/start"), path="/telegram/guess")

    assert response.status == 404
    assert bot_api.sent_messages() == []


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"\xff\xfe", b"[1, 2]", b'{"message": {}}', b'{"update_id": "7"}'],
    ids=["broken-json", "not-utf8", "a-list", "no-update-id", "update-id-not-a-number"],
)
async def test_a_body_that_is_not_an_update_gets_400(
    web_bot: WebBot, bot_api: FakeBotApi, body: bytes
) -> None:
    response = await web_bot.client.post(
        webhook_path(WEBHOOK_SECRET),
        data=body,
        headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
    )

    assert response.status == 400
    assert bot_api.sent_messages() == []


async def test_a_body_over_one_megabyte_gets_413(web_bot: WebBot, bot_api: FakeBotApi) -> None:
    update = private_message("/start")
    update["padding"] = "x" * MAX_BODY_BYTES

    response = await web_bot.client.post(
        webhook_path(WEBHOOK_SECRET),
        data=io.BytesIO(json.dumps(update).encode()),
        headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
    )

    assert response.status == 413
    assert bot_api.sent_messages() == []


async def test_a_streamed_body_over_one_megabyte_gets_413(
    web_bot: WebBot, bot_api: FakeBotApi
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"update_id": 1, "padding": "'
        for _ in range(MAX_BODY_BYTES // 65_536 + 1):
            yield b"x" * 65_536
        yield b'"}'

    response = await web_bot.client.post(
        webhook_path(WEBHOOK_SECRET),
        data=chunks(),
        headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
    )

    assert response.status == 413
    assert bot_api.sent_messages() == []


async def test_refused_requests_are_logged_without_their_content(
    web_bot: WebBot, caplog: pytest.LogCaptureFixture
) -> None:
    marker = "conteudo-que-nao-pode-aparecer"
    caplog.set_level(logging.DEBUG)

    await web_bot.post(private_message(marker), secret="wrong")
    await web_bot.client.post(
        webhook_path(WEBHOOK_SECRET),
        data=f"{{{marker}",
        headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
    )

    assert "refused" in caplog.text
    assert marker not in caplog.text
    assert WEBHOOK_SECRET not in caplog.text


async def test_set_webhook_gets_the_url_with_the_secret_segment_and_the_handled_updates(
    web_bot: WebBot, bot_api: FakeBotApi
) -> None:
    await register_webhook(web_bot.application, PUBLIC_URL + "/", WEBHOOK_SECRET)

    assert bot_api.webhook is not None
    assert bot_api.webhook["url"] == PUBLIC_URL + webhook_path(WEBHOOK_SECRET)
    assert bot_api.webhook["secret_token"] == WEBHOOK_SECRET
    assert bot_api.webhook["allowed_updates"] == ["message", "callback_query", "my_chat_member"]


def test_the_webhook_path_is_derived_from_the_secret_and_does_not_contain_it() -> None:
    path = webhook_path(WEBHOOK_SECRET)

    assert path.startswith("/telegram/")
    assert len(path.removeprefix("/telegram/")) == 32
    assert WEBHOOK_SECRET not in path
    assert webhook_url("https://bot.loja.com.br/", WEBHOOK_SECRET) == (
        webhook_url("https://bot.loja.com.br", WEBHOOK_SECRET)
    )


async def test_updates_still_running_at_shutdown_are_finished_before_it_completes(
    web_bot: WebBot, bot_api: FakeBotApi, points_api: FakePointsApi, maria: str
) -> None:
    points_api.script(MARIA, [Fault.slow(0.3)])
    response = await web_bot.post(private_message("/saldo"))
    assert response.status == 200

    await web_bot.client.close()  # stops the server: its cleanup finishes accepted updates

    assert "1.234 pontos" in bot_api.sent_messages()[-1].text


async def test_a_compressed_body_with_the_secret_gets_415_without_an_error_logged(
    web_bot: WebBot, bot_api: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    # Telegram never compresses; `:5` is no gzip stream, and inflating it used to answer 500.
    response = await web_bot.client.post(
        webhook_path(WEBHOOK_SECRET),
        data=b":5",
        headers=GZIP_THAT_DOES_NOT_INFLATE | {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
    )

    assert response.status == 415
    assert errors_logged(caplog) == []
    assert bot_api.sent_messages() == []


async def test_a_compressed_body_without_the_secret_gets_403_before_anything_is_read(
    web_bot: WebBot, caplog: pytest.LogCaptureFixture
) -> None:
    response = await web_bot.client.post(
        webhook_path(WEBHOOK_SECRET), data=b":5", headers=GZIP_THAT_DOES_NOT_INFLATE
    )

    assert response.status == 403
    assert errors_logged(caplog) == []


def message_with(**changes: object) -> dict[str, object]:
    update = private_message("/saldo")
    message = update["message"]
    assert isinstance(message, dict)
    message.update(changes)
    return update


@pytest.mark.parametrize(
    "update",
    [
        message_with(date=1e308),
        message_with(date=10**20),
        message_with(date=float("nan")),
        message_with(chat=[1001]),
        message_with(entities="bot_command"),
        {"update_id": 7, "callback_query": ["not", "an", "object"]},
    ],
    ids=[
        "date-1e308",
        "date-10-to-20",
        "date-nan",
        "chat-a-list",
        "entities-text",
        "query-a-list",
    ],
)
async def test_an_update_python_telegram_bot_cannot_decode_gets_200_and_is_skipped_and_counted(
    web_bot: WebBot, bot_api: FakeBotApi, caplog: pytest.LogCaptureFixture, update: object
) -> None:
    # It carries the secret: a 4xx or 5xx would make Telegram retry it, holding back the rest.
    response = await web_bot.post(update)
    await web_bot.settle()

    assert response.status == 200
    assert bot_api.sent_messages() == []
    skipped = web_bot.services.metrics.updates_skipped.labels("telegram", "undecodable")
    assert skipped._value.get() == 1
    [warning] = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert warning.levelno == logging.WARNING
    assert "/saldo" not in warning.getMessage()


async def test_the_skipped_update_does_not_hold_back_the_next_one(
    web_bot: WebBot, bot_api: FakeBotApi, maria: str
) -> None:
    await web_bot.deliver(message_with(date=1e308))
    await web_bot.deliver(private_message("/saldo"))

    [reply] = bot_api.delivered
    assert "1.234 pontos" in reply.text
