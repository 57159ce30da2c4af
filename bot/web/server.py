"""Serving the web application on a port, and stopping it without dropping accepted work."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

# The platform's router forwards to whatever the container listens on.
HOST = "0.0.0.0"  # noqa: S104
DEFAULT_PORT = 8080
# Requests are answered at once; waiting longer for one would only eat the stop budget.
REQUEST_SHUTDOWN_SECONDS = 1.0


SERVER_OPTIONS: Mapping[str, Any] = {"auto_decompress": False}
"""How the application's HTTP server treats every request, however the application is served.

Bodies are never decoded before a route has looked at them: aiohttp would inflate a gzip body
as it arrives, before any secret or signature is checked, and one that does not inflate broke
the request with a 500. Telegram and Meta never compress, and Meta's signature covers the bytes
as sent.
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
