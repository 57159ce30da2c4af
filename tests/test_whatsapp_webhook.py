"""The WhatsApp webhook: the handshake, signatures, deliveries, and answers on WhatsApp."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from bot.web.whatsapp import PATH
from tests.fixtures.bonifiq import FakePointsApi, Fault
from tests.fixtures.database import row_counts
from tests.fixtures.graph import (
    ACCESS_TOKEN,
    APP_SECRET,
    VERIFY_TOKEN,
    FakeGraphApi,
    button_value,
    delivery,
    encoded,
    graph_error,
    sign,
    status_value,
    text_value,
)
from tests.fixtures.whatsapp import MENU_BUTTONS, WhatsAppWeb
from tests.helpers import GZIP_THAT_DOES_NOT_INFLATE, errors_logged
from tests.personas import MARIA_WA_ID

HANDSHAKE = {"hub.mode": "subscribe", "hub.challenge": "1158201444"}


async def test_the_handshake_echoes_the_challenge_as_plain_text(wa_web: WhatsAppWeb) -> None:
    response = await wa_web.client.get(PATH, params=HANDSHAKE | {"hub.verify_token": VERIFY_TOKEN})

    assert response.status == 200
    assert response.content_type == "text/plain"
    assert await response.text() == "1158201444"


@pytest.mark.parametrize(
    "params",
    [
        HANDSHAKE | {"hub.verify_token": "wrong"},
        HANDSHAKE,
        {"hub.mode": "unsubscribe", "hub.challenge": "1", "hub.verify_token": VERIFY_TOKEN},
        {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN},
    ],
    ids=["wrong token", "no token", "wrong mode", "no challenge"],
)
async def test_a_handshake_without_the_right_token_and_mode_gets_403(
    wa_web: WhatsAppWeb, params: dict[str, str]
) -> None:
    response = await wa_web.client.get(PATH, params=params)

    assert response.status == 403


async def test_the_verify_token_never_reaches_a_log_line(
    wa_web: WhatsAppWeb, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    await wa_web.client.get(PATH, params=HANDSHAKE | {"hub.verify_token": VERIFY_TOKEN})
    await wa_web.client.get(PATH, params=HANDSHAKE | {"hub.verify_token": VERIFY_TOKEN + "x"})

    assert VERIFY_TOKEN not in caplog.text


async def test_a_text_message_is_answered_on_whatsapp_with_the_balance(
    wa_web: WhatsAppWeb, graph_api: FakeGraphApi, wa_maria: str
) -> None:
    await wa_web.deliver(delivery(text_value("saldo")))

    [reply] = graph_api.requests
    assert reply.to == MARIA_WA_ID
    assert reply.authorization == f"Bearer {ACCESS_TOKEN}"
    assert reply.body["messaging_product"] == "whatsapp"
    assert "*1.234 pontos*" in reply.text
    assert "<b>" not in reply.text


async def test_the_reply_has_whatsapp_reply_buttons_standing_for_commands(
    wa_web: WhatsAppWeb, graph_api: FakeGraphApi, wa_maria: str
) -> None:
    await wa_web.deliver(delivery(text_value("saldo")))

    [reply] = graph_api.requests
    assert reply.kind == "interactive"
    assert [button_id for button_id, _ in reply.buttons] == ["saldo", "extrato"]
    assert all(len(title) <= 20 for _, title in reply.buttons)


async def test_a_button_reply_runs_the_command_it_stands_for(
    wa_web: WhatsAppWeb, graph_api: FakeGraphApi, wa_maria: str
) -> None:
    await wa_web.deliver(delivery(button_value("saldo", "Saldo")))

    [reply] = graph_api.requests
    assert "1.234 pontos" in reply.text


async def test_a_forged_button_id_gets_the_help_menu_and_runs_nothing(
    wa_web: WhatsAppWeb, graph_api: FakeGraphApi, wa_maria: str
) -> None:
    await wa_web.deliver(delivery(button_value("vincular 1 x", "Vincular")))

    [reply] = graph_api.requests
    assert "1.234" not in reply.text
    assert reply.text.startswith("Não entendi. 🤔 Veja o que eu sei fazer:")
    assert reply.buttons == MENU_BUTTONS


async def test_every_message_of_every_entry_in_one_delivery_is_answered(
    wa_web: WhatsAppWeb, graph_api: FakeGraphApi, wa_maria: str
) -> None:
    payload = delivery(text_value("saldo"), text_value("ajuda", wa_id="5521999990000"))
    payload["entry"].append(delivery(text_value("/SALDO"))["entry"][0])

    await wa_web.deliver(payload)

    assert sorted(request.to for request in graph_api.requests) == sorted(
        [MARIA_WA_ID, MARIA_WA_ID, "5521999990000"]
    )


async def test_the_webhook_answers_before_the_points_api_does_and_the_reply_follows(
    wa_web: WhatsAppWeb, graph_api: FakeGraphApi, points_api: FakePointsApi, wa_maria: str
) -> None:
    points_api.script(wa_maria, [Fault.slow(0.4)])

    response = await wa_web.post(delivery(text_value("saldo")))
    sent_when_answered = len(graph_api.requests)
    await wa_web.settle()

    assert response.status == 200
    assert sent_when_answered == 0
    assert "1.234 pontos" in graph_api.requests[-1].text


async def test_the_same_message_delivered_twice_is_answered_once(
    wa_web: WhatsAppWeb, graph_api: FakeGraphApi, wa_maria: str
) -> None:
    payload = delivery(text_value("saldo", message_id="wamid.twice"))

    await wa_web.deliver(payload)
    await wa_web.deliver(payload)

    assert len(graph_api.requests) == 1


@pytest.mark.parametrize(
    "signature",
    [None, "sha256=" + "0" * 64, "sha1=abc", sign(b"{}"), "sha256=" + "z" * 64],
    ids=["missing", "wrong", "other algorithm", "another body's", "not hex"],
)
async def test_a_delivery_without_the_right_signature_gets_403_and_nothing_happens(
    wa_web: WhatsAppWeb, graph_api: FakeGraphApi, wa_maria: str, signature: str | None
) -> None:
    response = await wa_web.post(delivery(text_value("saldo")), signature=signature)
    await wa_web.settle()

    assert response.status == 403
    assert graph_api.requests == []
    assert (await row_counts(wa_web.services.engine))["inbound_messages"] == 0


async def test_a_body_changed_by_one_byte_after_signing_gets_403(
    wa_web: WhatsAppWeb, graph_api: FakeGraphApi, wa_maria: str
) -> None:
    body = encoded(delivery(text_value("saldo")))
    signature = sign(body)
    changed = body.replace(b"saldo", b"saldO")

    response = await wa_web.post(changed, signature=signature)
    await wa_web.settle()

    assert response.status == 403
    assert graph_api.requests == []


async def test_the_signature_is_checked_on_the_bytes_as_sent_not_on_re_encoded_json(
    wa_web: WhatsAppWeb, graph_api: FakeGraphApi, wa_maria: str
) -> None:
    # Meta escapes non-ASCII and may space its JSON: any re-encoding would break the check.
    body = json.dumps(delivery(text_value("Sáldo")), indent=1, ensure_ascii=True).encode()

    response = await wa_web.post(body, signature=sign(body))
    await wa_web.settle()

    assert response.status == 200
    assert "1.234 pontos" in graph_api.requests[-1].text


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"object": "page", "entry": []}',
        b'{"object": "whatsapp_business_account"}',
    ],
    ids=["not-json", "a-list", "another-object", "no-entries"],
)
async def test_a_signed_body_that_is_not_a_delivery_gets_200_so_meta_stops_and_is_counted(
    wa_web: WhatsAppWeb, graph_api: FakeGraphApi, caplog: pytest.LogCaptureFixture, body: bytes
) -> None:
    # Meta retries anything but 200 for days, and no retry can make this readable.
    response = await wa_web.post(body, signature=sign(body))

    assert response.status == 200
    assert skipped(wa_web, "not_a_delivery") == 1
    assert graph_api.requests == []
    [warning] = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert warning.levelno == logging.WARNING
    assert body.decode() not in warning.getMessage()


ODD_VALUES = [
    {"timestamp": 253402300800},
    {"timestamp": "253402300800"},
    {"timestamp": 10**30},
    {"timestamp": 1.5e9},
    {"type": ["text"]},
    {"type": {"text": 1}},
    {"type": None},
    {"from": ["5511987654321"]},
    {"id": {"wamid": 1}},
]


@pytest.mark.parametrize(
    "odd",
    ODD_VALUES,
    ids=[
        "year-10000",
        "year-10000-as-text",
        "huge-timestamp",
        "float-timestamp",
        "type-a-list",
        "type-an-object",
        "type-null",
        "from-a-list",
        "id-an-object",
    ],
)
async def test_a_signed_message_with_odd_values_is_skipped_and_counted_and_the_rest_answered(
    wa_web: WhatsAppWeb,
    graph_api: FakeGraphApi,
    wa_maria: str,
    caplog: pytest.LogCaptureFixture,
    odd: dict[str, object],
) -> None:
    bad = text_value("saldo")
    bad["messages"][0] |= odd

    await wa_web.deliver(delivery(bad, text_value("saldo")))

    [reply] = graph_api.requests
    assert "1.234 pontos" in reply.text
    assert skipped(wa_web, "malformed_message") == 1
    assert errors_logged(caplog) == []


async def test_odd_statuses_and_changes_are_skipped_and_counted_each(
    wa_web: WhatsAppWeb, graph_api: FakeGraphApi, wa_maria: str
) -> None:
    payload = delivery(text_value("saldo"), status_value("read"))
    payload["entry"][0]["changes"][1]["value"]["statuses"].append({"id": ["x"], "status": 1})
    payload["entry"][0]["changes"].append({"field": "messages", "value": [1]})
    payload["entry"].append("not an entry")

    await wa_web.deliver(payload)

    assert len(graph_api.requests) == 1
    assert skipped(wa_web, "malformed_status") == 1
    assert skipped(wa_web, "malformed_change") == 2


@pytest.mark.parametrize(
    "name",
    ["Ma\x00ria", "Maria \ud83d", "\x00\x01\x7f"],
    ids=["nul", "lone-surrogate", "only-controls"],
)
async def test_a_profile_name_with_nul_or_a_lone_surrogate_is_cleaned_and_the_user_answered(
    wa_web: WhatsAppWeb,
    graph_api: FakeGraphApi,
    wa_maria: str,
    caplog: pytest.LogCaptureFixture,
    name: str,
) -> None:
    # json.dumps escapes both (`\u0000`, `\ud83d`), as Meta's JSON could carry them.
    await wa_web.deliver(
        delivery(text_value("saldo", name=name), text_value("meusdados", name=name))
    )

    assert len(graph_api.requests) == 2
    assert errors_logged(caplog) == []


def skipped(web: WhatsAppWeb, reason: str) -> float:
    return float(web.services.metrics.updates_skipped.labels("whatsapp", reason)._value.get())


async def test_statuses_get_200_and_no_reply(wa_web: WhatsAppWeb, graph_api: FakeGraphApi) -> None:
    payload = delivery(*(status_value(status) for status in ("sent", "delivered", "read")))

    await wa_web.deliver(payload)

    assert graph_api.requests == []


async def test_a_failed_status_is_logged_without_personal_data_and_counted(
    wa_web: WhatsAppWeb, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)

    await wa_web.deliver(delivery(status_value("failed", error_code=131026)))

    assert "131026" in caplog.text
    assert MARIA_WA_ID not in caplog.text
    errors = wa_web.services.metrics.whatsapp_errors.labels("status", "131026")
    assert errors._value.get() == 1


async def test_an_image_or_an_unknown_text_gets_the_help_menu(
    wa_web: WhatsAppWeb, graph_api: FakeGraphApi, wa_maria: str
) -> None:
    image = text_value("x")
    image["messages"][0] |= {"type": "image", "image": {"id": "1", "mime_type": "image/jpeg"}}
    del image["messages"][0]["text"]

    await wa_web.deliver(delivery(image, text_value("quanto eu tenho?")))

    assert len(graph_api.requests) == 2
    for request in graph_api.requests:
        assert request.text.startswith("Não entendi. 🤔 Veja o que eu sei fazer:")
        assert "*saldo*: pontos, cashback e pontos a expirar" in request.text
        assert request.buttons == MENU_BUTTONS


async def test_a_message_the_graph_api_refuses_is_logged_without_the_token_or_the_text(
    wa_web: WhatsAppWeb,
    graph_api: FakeGraphApi,
    wa_maria: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    graph_api.fail(graph_error(131051, "Unsupported message type"))
    caplog.set_level(logging.DEBUG)

    await wa_web.deliver(delivery(text_value("saldo")))

    assert "131051" in caplog.text
    assert ACCESS_TOKEN not in caplog.text
    assert "1.234" not in caplog.text
    assert APP_SECRET not in caplog.text


async def test_a_refused_reply_is_replaced_by_a_plain_apology(
    wa_web: WhatsAppWeb, graph_api: FakeGraphApi, wa_maria: str
) -> None:
    graph_api.fail(graph_error(131051, "Unsupported message type"))

    await wa_web.deliver(delivery(text_value("saldo")))

    refused, apology = graph_api.requests
    assert refused.kind == "interactive"
    assert apology.kind == "text"
    assert apology.text.startswith("Não consegui enviar esta resposta")


@pytest.mark.parametrize("signed", [False, True], ids=["unsigned", "signed"])
async def test_a_compressed_body_gets_415_before_it_is_read_and_no_error_is_logged(
    wa_web: WhatsAppWeb, graph_api: FakeGraphApi, caplog: pytest.LogCaptureFixture, signed: bool
) -> None:
    # `:5` is no gzip stream: inflating it before the signature check used to answer 500.
    headers = GZIP_THAT_DOES_NOT_INFLATE | ({"X-Hub-Signature-256": sign(b":5")} if signed else {})

    response = await wa_web.client.post(PATH, data=b":5", headers=headers)

    assert response.status == 415
    assert errors_logged(caplog) == []
    assert graph_api.requests == []


async def test_a_sender_that_goes_away_mid_body_leaves_no_error_in_the_log(
    wa_web: WhatsAppWeb, graph_api: FakeGraphApi, caplog: pytest.LogCaptureFixture
) -> None:
    _, writer = await asyncio.open_connection("127.0.0.1", wa_web.port)
    writer.write(
        f"POST {PATH} HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n"
        "Content-Length: 1000\r\n\r\n".encode()
        + b'{"object": "whatsapp_business_account", "entry": ['
    )
    await writer.drain()
    await asyncio.sleep(0.05)  # the route is waiting for the rest of the body
    writer.close()
    await writer.wait_closed()
    await asyncio.sleep(0.05)

    assert errors_logged(caplog) == []
    assert graph_api.requests == []
