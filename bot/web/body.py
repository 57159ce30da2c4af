"""Reading a request body as sent, or refusing it with a 4xx: shared by every route with a body."""

from __future__ import annotations

from aiohttp import hdrs, web
from aiohttp.http_exceptions import HttpProcessingError

IDENTITY = "identity"


class BodyRefused(Exception):
    """A body the route will not take; `reason` says why without quoting it (safe to log)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


async def read_body(request: web.BaseRequest, limit: int) -> bytes:
    """Return the body's bytes as sent; raise `BodyRefused` (415, 413 or 400) instead of a 500.

    415: a Content-Encoding other than identity; 413: over `limit` bytes, declared or streamed;
    400: the body cannot be read (broken chunked framing, the client went away mid-body).
    """
    encoding = request.headers.get(hdrs.CONTENT_ENCODING, IDENTITY).strip().lower()
    if encoding not in ("", IDENTITY):
        raise BodyRefused(415, "compressed bodies are not accepted")
    if (request.content_length or 0) > limit:
        raise BodyRefused(413, f"the body is over {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.content.iter_any():
            size += len(chunk)
            if size > limit:
                raise BodyRefused(413, f"the body is over {limit} bytes")
            chunks.append(chunk)
    except (web.RequestPayloadError, HttpProcessingError, ConnectionError):
        raise BodyRefused(400, "the body could not be read") from None
    return b"".join(chunks)
