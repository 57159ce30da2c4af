"""Requests the HTTP server cannot parse: 400, and one warning that quotes none of the request."""

from __future__ import annotations

import asyncio
import logging

import pytest
from aiohttp import web

from bot.web.server import SERVER_OPTIONS, serving
from bot.web.whatsapp import PATH
from tests.fixtures.whatsapp import WhatsAppWeb

PHONE = "5511988887777"
NAME = "Joana Pereira"
START = f"POST {PATH} HTTP/1.1\r\nHost: bot.loja.com.br\r\n".encode()
BODY = f'{{"from": "{PHONE}", "name": "{NAME}"}}'.encode()

MALFORMED = {
    "header-line-too-long": START + f"X-Contact: {NAME} {PHONE} ".encode() * 700 + b"\r\n\r\n",
    "space-in-header-name": START + f"X Contact: {PHONE}\r\n\r\n".encode(),
    "nul-in-header-value": START + f"X-Contact: {NAME}\x00{PHONE}\r\n\r\n".encode(),
    "length-and-chunked": START
    + f"Content-Length: {len(BODY)}\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
    + BODY,
    "two-lengths": START
    + f"Content-Length: {len(BODY)}\r\nContent-Length: 3\r\n\r\n".encode()
    + BODY,
    "bad-chunk-size": START
    + b"Transfer-Encoding: chunked\r\n\r\n"
    + f"size-{PHONE}\r\n".encode()
    + BODY
    + b"\r\n0\r\n\r\n",
    "nul-in-method": f"PO\x00ST {PATH}?phone={PHONE} HTTP/1.1\r\n\r\n".encode(),
}


async def exchange(port: int, request: bytes) -> bytes:
    """Send raw bytes on a new connection; return the status line of the answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        return await asyncio.wait_for(reader.readline(), 5)
    finally:
        writer.close()


@pytest.mark.parametrize("request_bytes", MALFORMED.values(), ids=MALFORMED.keys())
async def test_a_malformed_request_gets_400_and_at_most_one_warning_without_its_content(
    wa_web: WhatsAppWeb, caplog: pytest.LogCaptureFixture, request_bytes: bytes
) -> None:
    caplog.set_level(logging.DEBUG)

    status_line = await exchange(wa_web.port, request_bytes)

    assert status_line.split()[1] == b"400"
    records = [record for record in caplog.records if record.name.startswith(("aiohttp", "bot"))]
    assert [record for record in records if record.levelno > logging.WARNING] == []
    assert len([record for record in records if record.levelno == logging.WARNING]) <= 1
    assert PHONE not in caplog.text
    assert NAME not in caplog.text
    assert all(record.exc_info is None for record in records)


async def test_the_warning_names_the_kind_of_error_and_the_status(
    wa_web: WhatsAppWeb, caplog: pytest.LogCaptureFixture
) -> None:
    await exchange(wa_web.port, MALFORMED["space-in-header-name"])

    [warning] = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert warning.getMessage() == "Malformed HTTP request refused (BadHttpMessage 400)"


async def test_a_real_server_error_keeps_its_error_and_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(_request: web.Request) -> web.Response:
        raise RuntimeError("a bug in a route")

    app = web.Application(handler_args=SERVER_OPTIONS)
    app.router.add_get("/broken", broken)

    async with serving(app, 0, host="127.0.0.1") as port:
        status_line = await exchange(port, b"GET /broken HTTP/1.1\r\nHost: bot\r\n\r\n")

    assert status_line.split()[1] == b"500"
    [error] = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert error.exc_info is not None
    assert "a bug in a route" in caplog.text
