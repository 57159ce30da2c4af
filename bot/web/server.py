"""Serving the web application on a port, and stopping it without dropping accepted work."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

# The platform's router forwards to whatever the container listens on.
HOST = "0.0.0.0"  # noqa: S104
DEFAULT_PORT = 8080
# Requests are answered at once; waiting longer for one would only eat the stop budget.
REQUEST_SHUTDOWN_SECONDS = 1.0


class ClientFaults(logging.Filter):
    """Turns the HTTP server's traceback for a malformed request into one line without it.

    aiohttp answers a request it cannot parse (oversized or invalid header lines, NUL bytes,
    conflicting lengths, broken chunks) with 400 and logs an ERROR whose traceback quotes about
    100 bytes of the request, personal data included. That is the client's fault: one WARNING
    naming the kind of error is enough. Every other record, a real server error, is untouched.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place when it is about a request the parser refused."""
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            record.msg = "Malformed HTTP request refused (%s %d)"
            record.args = (type(error).__name__, error.code)
            record.exc_info = record.exc_text = record.stack_info = None
            if record.levelno > logging.WARNING:
                record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


server_logger = logging.getLogger(__name__)
server_logger.addFilter(ClientFaults())

SERVER_OPTIONS: Mapping[str, Any] = {"auto_decompress": False, "logger": server_logger}
"""How the application's HTTP server treats every request, however the application is served.

Bodies are never decoded before a route has looked at them: aiohttp would inflate a gzip body
as it arrives, before any secret or signature is checked, and one that does not inflate broke
the request with a 500. Telegram and Meta never compress, and Meta's signature covers the bytes
as sent. The server's own records go to this module's logger, which keeps client faults short.
"""


@asynccontextmanager
async def serving(app: web.Application, port: int, host: str = HOST) -> AsyncIterator[int]:
    """Listen on `host:port` until the block ends; yield the port (0 picks a free one)."""
    # No access log: request paths hold the webhook's secret-derived segment.
    runner = web.AppRunner(
        app, access_log=None, handle_signals=False, shutdown_timeout=REQUEST_SHUTDOWN_SECONDS
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        yield int(runner.addresses[0][1]) if runner.addresses else port
    finally:
        # Stops listening, then runs the app's cleanup: accepted updates are finished there.
        await runner.cleanup()
